-- Every Bronze quote, mapped to its underlying and priced, with the reason it cannot enter Silver
-- (null when it can). A view over the staging view: the incremental Silver models read it with a
-- trade_date filter that Spark pushes down through both views to the Bronze scan.
with

quotes as (
    select * from {{ ref('stg_bronze__options_chain') }}
),

underlying_map as (
    select * from {{ ref('underlying_map') }}
),

mapped as (
    select
        quotes.*,
        coalesce(underlying_map.underlying, quotes.root) as underlying
    from quotes
    left join underlying_map on quotes.root = underlying_map.root
),

priced as (
    select
        mapped.*,
        {{ days_between('mapped.trade_date', 'mapped.expiry_date') }} as days_to_expiry,
        {{ exact_mid('mapped.bid_px_00', 'mapped.ask_px_00') }} as mid_price,
        cast(mapped.ask_px_00 - mapped.bid_px_00 as decimal(20, 9)) as spread
    from mapped
),

classified as (
    select
        priced.*,
        case
            when not priced.is_valid_symbol then 'invalid_symbol'
            when priced.bid_px_00 is null or priced.ask_px_00 is null then 'missing_price'
            when priced.bid_px_00 < 0 or priced.ask_px_00 < 0 then 'negative_price'
            when priced.ask_px_00 < priced.bid_px_00 then 'ask_below_bid'
            when priced.expiry_date < priced.trade_date then 'expiry_before_trade_date'
            {%- if policy_enabled('liquidity_policy') %}
            when priced.bid_px_00 <= 0 or priced.ask_px_00 <= 0 then 'liquidity_policy'
            {%- endif %}
            {%- if policy_enabled('zero_dte_policy') %}
            when priced.expiry_date != priced.trade_date then 'zero_dte_policy'
            {%- endif %}
        end as reject_reason
    from priced
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
        bronze_load_id,
        bronze_ingested_at,
        reject_reason
    from classified
)

select * from final
