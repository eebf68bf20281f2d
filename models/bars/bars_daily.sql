-- One row per symbol and trading day: the interface of the daily indicators. Equities, ETFs and
-- indices: their regular session (09:30-16:00 New York, 13:00 on early closes) aggregated from
-- bars_1m; crypto: the UTC day aggregated from bars_1m; yields, and any symbol and day without an
-- in-session minute (history days): the vendor's daily bar. Incremental by trading day
-- (macros/bars.sql); built last of the four bars tables.
-- depends_on: {{ ref('bars_5m') }}
{%- set bronze = source('bronze', 'bronze_bars') -%}
{%- set pending_days = bars_pending_days(bronze, [[this, 'bars_version']]) if is_incremental() else [] %}

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

classified as (
    select * from {{ ref('int_bars_classified') }}
    {%- if is_incremental() %}
    where {{ trade_days_filter('trade_date', pending_days) }}
    {%- endif %}
),

from_minutes as (
    select
        symbol,
        asset_class,
        trade_date,
        min_by(open, ts_event) as open,  -- noqa: RF04
        max(high) as high,
        min(low) as low,
        max_by(close, ts_event) as close,  -- noqa: RF04
        sum(volume) as volume,
        cast(count(*) as int) as bar_count,
        'minute_bars' as source  -- noqa: RF04
    from minutes
    group by symbol, asset_class, trade_date
),

vendor_daily as (
    select
        symbol,
        asset_class,
        trade_date,
        open,
        high,
        low,
        close,  -- noqa: RF04
        volume,
        cast(null as int) as bar_count,
        'vendor_daily' as source  -- noqa: RF04
    from classified
    where reject_reason is null and rtype = 35
),

-- The vendor's bar only where the minutes give no session.
vendor_only as (
    select vendor_daily.*
    from vendor_daily
    left join from_minutes
        on
            vendor_daily.trade_date = from_minutes.trade_date
            and vendor_daily.symbol = from_minutes.symbol
    where from_minutes.symbol is null
),

chosen as (
    select * from from_minutes
    union all
    select * from vendor_only
),

-- A row's version: the newest load of any Bronze bar of its symbol and day (used or not), so
-- that bars_daily holds each processed day at its Bronze version.
versions as (
    select
        trade_date,
        symbol,
        max(bronze_ingested_at) as bars_version
    from classified
    group by trade_date, symbol
),

final as (
    select
        chosen.symbol,
        chosen.asset_class,
        chosen.trade_date,
        chosen.open,
        chosen.high,
        chosen.low,
        chosen.close,
        chosen.volume,
        chosen.bar_count,
        chosen.source,  -- noqa: RF04
        versions.bars_version
    from chosen
    inner join versions
        on
            chosen.trade_date = versions.trade_date
            and chosen.symbol = versions.symbol
)

select * from final
