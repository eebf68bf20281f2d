-- 5-minute bars from bars_1m: buckets aligned to their start (ts_event floored to 5 minutes),
-- from the in-session minutes only (the regular session for equities, ETFs and indices; the whole
-- UTC day for crypto). Incremental by trading day (macros/bars.sql): a day whose minutes changed
-- is rebuilt; built after bars_1m, before bars_daily.
-- depends_on: {{ ref('bars_rejected') }}
{%- set bronze = source('bronze', 'bronze_bars') -%}
{%- set daily = adapter.get_relation(this.database, this.schema, 'bars_daily') -%}
{%- set pending_days = bars_pending_days(bronze, [[this, 'bars_version'], [daily, 'bars_version']])
    if is_incremental() else [] %}

with

all_minutes as (
    select * from {{ ref('bars_1m') }}
    {%- if is_incremental() %}
    where {{ trade_days_filter('trade_date', pending_days) }}
    {%- endif %}
),

minutes as (
    select * from all_minutes
    where in_session
),

bucketed as (
    select
        minutes.*,
        {{ floor_to_minutes('minutes.ts_event', 5) }} as ts_start
    from minutes
),

aggregated as (
    select
        symbol,
        asset_class,
        trade_date,
        ts_start,
        min_by(open, ts_event) as open,  -- noqa: RF04
        max(high) as high,
        min(low) as low,
        max_by(close, ts_event) as close,  -- noqa: RF04
        sum(volume) as volume,
        count(*) as bar_count,
        max(bronze_ingested_at) as bars_version
    from bucketed
    group by symbol, asset_class, trade_date, ts_start
),

final as (
    select
        symbol,
        asset_class,
        trade_date,
        trade_date as session_date,
        ts_start,
        open,
        high,
        low,
        close,
        volume,
        bar_count,
        bars_version
    from aggregated
)

select * from final
