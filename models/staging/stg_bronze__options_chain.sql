-- Bronze quotes, one row per Bronze row (1:1 with the source): the OSI symbol parsed by the macros
-- in macros/osi.sql, the load lineage renamed as Silver names it. A view: the incremental Silver
-- models read it through int_quotes_classified with a trade_date filter that Spark pushes down to
-- the Bronze scan, so only the days being processed are read.
with

quotes as (
    select * from {{ source('bronze', 'bronze_options_chain') }}
),

validated as (
    select
        quotes.*,
        {{ osi_is_valid('quotes.symbol') }} as is_valid_symbol
    from quotes
),

parsed as (
    select
        validated.*,
        case when validated.is_valid_symbol then {{ osi_root('validated.symbol') }} end as root,
        case when validated.is_valid_symbol then {{ osi_expiry('validated.symbol') }} end as expiry_date,
        case when validated.is_valid_symbol then {{ osi_option_type('validated.symbol') }} end as option_type,
        case when validated.is_valid_symbol then {{ osi_strike('validated.symbol') }} end as strike_price
    from validated
),

final as (
    select
        trade_date,
        file_name,
        symbol,
        is_valid_symbol,
        root,
        expiry_date,
        option_type,
        strike_price,
        instrument_id,
        ts_recv,
        ts_recv_ns,
        ts_event,
        ts_event_ns,
        rtype,
        publisher_id,
        side,
        price,
        size,
        flags,
        bid_px_00,
        ask_px_00,
        bid_sz_00,
        ask_sz_00,
        bid_pb_00,
        ask_pb_00,
        load_id as bronze_load_id,
        ingested_at as bronze_ingested_at
    from parsed
)

select * from final
