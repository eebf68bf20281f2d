-- Every Bronze bar with its instrument (seed instruments), whether it lies in its instrument's
-- session, which copy it is when the same bar was delivered more than once, and the reason it
-- cannot enter the bars tables (null when it can). A view over the staging view: the incremental
-- bars models read it with a trade_date filter that Spark pushes down to the Bronze scan.
with

bars as (
    select * from {{ ref('stg_bronze__bars') }}
),

instruments as (
    select * from {{ ref('instruments') }}
),

trading_calendar as (
    select * from {{ ref('trading_calendar') }}
),

with_instrument as (
    select
        bars.*,
        instruments.symbol is not null as is_known_symbol,
        instruments.asset_class,
        instruments.session
    from bars
    left join instruments on bars.symbol = instruments.symbol
),

-- The day a bar belongs to: a regular-session instrument's minute bar trades on its New York
-- date; every other bar (crypto minutes, daily bars stamped 00:00 UTC) on its UTC date.
dated as (
    select
        with_instrument.*,
        case
            when with_instrument.session = 'regular' and with_instrument.rtype = 33
                then {{ new_york_date('with_instrument.ts_event') }}
            else cast(with_instrument.ts_event as date)
        end as bar_date
    from with_instrument
),

-- The same bar (trade_date, symbol, rtype, ts_event) delivered more than once: copy 1 is kept,
-- chosen by the newest load, then the greatest file name, then the bar's own values (so two
-- copies in one file are ordered by content, and identical copies are interchangeable).
ranked as (
    select
        dated.*,
        row_number() over (
            partition by dated.trade_date, dated.symbol, dated.rtype, dated.ts_event
            order by
                dated.bronze_ingested_at desc, dated.file_name desc, dated.bronze_load_id desc,
                dated.volume desc, dated.close desc, dated.open desc, dated.high desc, dated.low desc,
                dated.instrument_id desc, dated.publisher_id desc
        ) as copy_rank,
        first_value(dated.file_name) over (
            partition by dated.trade_date, dated.symbol, dated.rtype, dated.ts_event
            order by
                dated.bronze_ingested_at desc, dated.file_name desc, dated.bronze_load_id desc,
                dated.volume desc, dated.close desc, dated.open desc, dated.high desc, dated.low desc,
                dated.instrument_id desc, dated.publisher_id desc
        ) as kept_file_name
    from dated
),

sessioned as (
    select
        ranked.*,
        case
            when ranked.rtype != 33 then false
            when ranked.session = 'regular'
                then coalesce(
                    ranked.ts_event >= trading_calendar.session_open_utc
                    and ranked.ts_event < trading_calendar.session_close_utc,
                    false
                )
            when ranked.session = '24x7' then ranked.bar_date = ranked.trade_date
            else false
        end as in_session
    from ranked
    left join trading_calendar on ranked.trade_date = trading_calendar.trade_date
),

classified as (
    select
        sessioned.*,
        case
            when not sessioned.is_known_symbol then 'unknown_symbol'
            when sessioned.bar_date != sessioned.trade_date then 'wrong_trade_date'
            when sessioned.copy_rank > 1 then 'duplicate_bar'
            when sessioned.rtype = 34 then 'unused_bar_size'
        end as reject_reason
    from sessioned
),

final as (
    select
        trade_date,
        file_name,
        symbol,
        asset_class,
        session,
        rtype,
        bar_size,
        ts_event,
        ts_event_ns,
        publisher_id,
        instrument_id,
        open,
        high,
        low,
        close,
        volume,
        in_session,
        copy_rank,
        case when copy_rank > 1 then kept_file_name end as duplicate_of,
        bronze_load_id,
        bronze_ingested_at,
        reject_reason
    from classified
)

select * from final
