-- One row per symbol and minute: the accepted 1-minute bars (rtype 33) of the known instruments,
-- one copy of each. Bars outside the regular session (pre- and post-market, the hours after an
-- early close) are kept, flagged in_session = false; bars_5m and bars_daily use the session only.
-- Incremental by trading day (macros/bars.sql): built after bars_rejected, before bars_5m.
-- depends_on: {{ ref('bars_rejected') }}
{%- set bronze = source('bronze', 'bronze_bars') -%}
{%- set done = [[this, 'bronze_ingested_at']] -%}
{%- for name in ['bars_5m', 'bars_daily'] -%}
{%- do done.append([adapter.get_relation(this.database, this.schema, name), 'bars_version']) -%}
{%- endfor -%}
{%- set pending_days = bars_pending_days(bronze, done) if is_incremental() else [] %}

with

classified as (
    select * from {{ ref('int_bars_classified') }}
    {%- if is_incremental() %}
    where {{ trade_days_filter('trade_date', pending_days) }}
    {%- endif %}
),

final as (
    select
        symbol,
        asset_class,
        trade_date,
        ts_event,
        open,
        high,
        low,
        close,
        volume,
        in_session,
        instrument_id,
        publisher_id,
        file_name,
        bronze_load_id,
        bronze_ingested_at
    from classified
    where reject_reason is null and rtype = 33
)

select * from final
