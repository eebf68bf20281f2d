-- Silver coverage per trading day: Bronze rows, Silver rows, rejected rows by reason.
with

bronze as (
    select
        trade_date,
        count(*) as bronze_rows
    from {{ source('bronze', 'bronze_options_chain') }}
    group by trade_date
),

silver as (
    select
        trade_date,
        count(*) as silver_rows,
        count(distinct underlying) as underlyings
    from {{ ref('enriched_options_silver') }}
    group by trade_date
),

rejected as (
    select
        trade_date,
        count(*) as rejected_rows
    from {{ ref('enriched_options_silver_rejected') }}
    group by trade_date
),

final as (
    select
        bronze.trade_date,
        bronze.bronze_rows,
        coalesce(silver.silver_rows, 0) as silver_rows,
        coalesce(rejected.rejected_rows, 0) as rejected_rows,
        coalesce(silver.underlyings, 0) as underlyings
    from bronze
    left join silver on bronze.trade_date = silver.trade_date
    left join rejected on bronze.trade_date = rejected.trade_date
)

select * from final
order by trade_date desc
