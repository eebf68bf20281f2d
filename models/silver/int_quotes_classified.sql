-- Every Bronze quote, parsed and priced, with the reason it cannot enter Silver (null when it can).
-- A view: the incremental Silver models read it with a trade_date filter that Spark pushes down to
-- the Bronze scan, so only the days being processed are read.
with

quotes as (
    select * from {{ source('bronze', 'bronze_options_chain') }}
),

underlying_map as (
    select * from {{ ref('underlying_map') }}
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

priced as (
    select
        parsed.*,
        coalesce(underlying_map.underlying, parsed.root) as underlying,
        {{ days_between('parsed.trade_date', 'parsed.expiry_date') }} as days_to_expiry,
        {{ exact_mid('parsed.bid_px_00', 'parsed.ask_px_00') }} as mid_price,
        cast(parsed.ask_px_00 - parsed.bid_px_00 as decimal(20, 9)) as spread
    from parsed
    left join underlying_map on parsed.root = underlying_map.root
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
        case
            when mid_price > 0 then cast(spread as double) / cast(mid_price as double) * 100
        end as spread_pct,
        ts_recv,
        ts_recv_ns,
        ts_event,
        instrument_id,
        file_name,
        load_id as bronze_load_id,
        ingested_at as bronze_ingested_at,
        case
            when not is_valid_symbol then 'invalid_symbol'
            when bid_px_00 is null or ask_px_00 is null then 'missing_price'
            when bid_px_00 < 0 or ask_px_00 < 0 then 'negative_price'
            when ask_px_00 < bid_px_00 then 'ask_below_bid'
            when expiry_date < trade_date then 'expiry_before_trade_date'
            {%- if policy_enabled('LiquidityPolicy') %}
            when bid_px_00 <= 0 or ask_px_00 <= 0 then 'liquidity_policy'
            {%- endif %}
            {%- if policy_enabled('ZeroDTEPolicy') %}
            when expiry_date != trade_date then 'zero_dte_policy'
            {%- endif %}
        end as reject_reason
    from priced
)

select * from final
