-- Active strategies side by side, per trading day and underlying: how many signal rows each wrote,
-- how many were actionable (anything but HOLD) and their share, over how many expiries.
-- Only columns both Gold tables have (trade_date, underlying, expiry_date, signal, strategy_name).
-- Portable SQL: compiles and runs on Spark (optlake query) and on Athena.
with

layman as (
    select trade_date, underlying, expiry_date, signal, strategy_name
    from {{ ref('gold_laymanspystrategy') }}
),

iron_condor as (
    select trade_date, underlying, expiry_date, signal, strategy_name
    from {{ ref('gold_ironcondorstrategy') }}
),

signals as (
    select * from layman
    union all
    select * from iron_condor
),

final as (
    select
        trade_date,
        underlying,
        strategy_name,
        count(*) as signal_rows,
        count(case when signal != 'HOLD' then 1 end) as actionable_signals,
        round(cast(count(case when signal != 'HOLD' then 1 end) as double) / count(*), 4) as actionable_share,
        count(distinct expiry_date) as expiries
    from signals
    group by trade_date, underlying, strategy_name
)

select * from final
order by trade_date desc, underlying asc, strategy_name asc
