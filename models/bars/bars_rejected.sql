-- Bronze bars kept out of the bars tables, with the reason. For every processed day, bars_1m rows
-- + 1-minute rows here = Bronze 1-minute rows.
--
-- Built first of the four bars tables: a day is pending here when neither this table nor a bars
-- table built after it holds the day's newest Bronze version (macros/bars.sql; a day may have no
-- rejects). The later tables are read directly, not through ref, so that they can depend on this
-- model.
{%- set bronze = source('bronze', 'bronze_bars') -%}
{%- set done = [[this, 'bronze_ingested_at']] -%}
{%- set later = [['bars_1m', 'bronze_ingested_at'], ['bars_5m', 'bars_version'], ['bars_daily', 'bars_version']] -%}
{%- for name, column in later -%}
{%- do done.append([adapter.get_relation(this.database, this.schema, name), column]) -%}
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
        trade_date,
        file_name,
        symbol,
        reject_reason,
        duplicate_of,
        rtype,
        bar_size,
        ts_event,
        ts_event_ns,
        copy_rank,
        publisher_id,
        instrument_id,
        open,
        high,
        low,
        close,
        volume,
        bronze_load_id,
        bronze_ingested_at
    from classified
    where reject_reason is not null
)

select * from final
