-- For every trading day Silver has processed: Silver rows + rejected rows = Bronze rows.
-- Returns the days that do not add up (days not processed yet are skipped).
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
        count(*) as silver_rows
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

processed_days as (
    select trade_date from silver
    union
    select trade_date from rejected
),

final as (
    select
        processed_days.trade_date,
        coalesce(bronze.bronze_rows, 0) as bronze_rows,
        coalesce(silver.silver_rows, 0) as silver_rows,
        coalesce(rejected.rejected_rows, 0) as rejected_rows
    from processed_days
    left join bronze on processed_days.trade_date = bronze.trade_date
    left join silver on processed_days.trade_date = silver.trade_date
    left join rejected on processed_days.trade_date = rejected.trade_date
)

select * from final
where silver_rows + rejected_rows != bronze_rows
