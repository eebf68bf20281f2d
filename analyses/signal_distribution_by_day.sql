-- Signals per trading day and strategy: the query users run on Gold.
-- Run locally: dbt compile --select signal_distribution_by_day, then optlake query on the
-- compiled SQL in target/compiled/optlake/analyses/.
with

layman as (
    select trade_date, signal, strategy_name from {{ ref('gold_laymanspystrategy') }}
),

iron_condor as (
    select trade_date, signal, strategy_name from {{ ref('gold_ironcondorstrategy') }}
),

signals as (
    select * from layman
    union all
    select * from iron_condor
),

final as (
    select
        trade_date,
        strategy_name,
        signal,
        count(*) as cnt
    from signals
    group by trade_date, strategy_name, signal
)

select * from final
order by trade_date desc, strategy_name asc, signal asc
