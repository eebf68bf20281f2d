-- One row per valid option quote: OSI symbol parsed, root mapped to its underlying, exact mid price.
-- Incremental: each run reads and replaces only the trading days that are new in Bronze or were
-- reloaded since they were last processed; every other partition is left untouched. A processed
-- day that now has no valid quote is removed by the post-hook (dbt_project.yml).
-- depends_on: {{ ref('enriched_options_silver_rejected') }}
{%- set bronze = source('bronze', 'bronze_options_chain') -%}
{%- set pending_days = pending_trade_days(bronze, [this]) if is_incremental() else [] %}

with

classified as (
    select * from {{ ref('int_quotes_classified') }}
    {%- if is_incremental() %}
    where {{ trade_days_filter('trade_date', pending_days) }}
    {%- endif %}
),

final as (
    select
        symbol,
        root,
        underlying,
        trade_date,
        expiry_date,
        days_to_expiry,
        option_type,
        strike_price,
        bid_px_00,
        ask_px_00,
        bid_sz_00,
        ask_sz_00,
        mid_price,
        spread,
        spread_pct,
        ts_recv,
        ts_recv_ns,
        ts_event,
        instrument_id,
        file_name,
        bronze_load_id,
        bronze_ingested_at
    from classified
    where reject_reason is null
)

select * from final
