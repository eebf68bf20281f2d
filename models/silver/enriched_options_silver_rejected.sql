-- Bronze quotes kept out of Silver, with the reason. For every processed day,
-- Silver rows + rejected rows = Bronze rows.
--
-- Built before enriched_options_silver: a day is pending here when neither table holds its newest
-- Bronze version yet (a day may have no rejects; Silver is read directly, not through ref, so that
-- Silver can depend on this model).
{%- set silver = adapter.get_relation(this.database, this.schema, 'enriched_options_silver') -%}
{%- set bronze = source('bronze', 'bronze_options_chain') -%}
{%- set pending_days = pending_trade_days(bronze, [this, silver]) if is_incremental() else [] %}

with

classified as (
    select * from {{ ref('int_quotes_classified') }}
    {%- if is_incremental() %}
    where {{ trade_days_filter('trade_date', pending_days) }}
    {%- endif %}
),

final as (
    select
        trade_date,
        file_name,
        symbol,
        reject_reason,
        root,
        expiry_date,
        option_type,
        strike_price,
        bid_px_00,
        ask_px_00,
        bid_sz_00,
        ask_sz_00,
        ts_recv,
        ts_recv_ns,
        instrument_id,
        bronze_load_id,
        bronze_ingested_at
    from classified
    where reject_reason is not null
)

select * from final
