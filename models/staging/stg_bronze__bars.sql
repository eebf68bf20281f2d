-- Bronze OHLCV bars, one row per Bronze row (1:1 with the source): the bar size named from the
-- record type, the load lineage renamed as Silver names it. No joins, no filtering. A view: the
-- incremental bars models read it through int_bars_classified with a trade_date filter that Spark
-- pushes down to the Bronze scan.
with

bars as (
    select * from {{ source('bronze', 'bronze_bars') }}
),

final as (
    select
        trade_date,
        file_name,
        symbol,
        rtype,
        case rtype
            when 33 then '1m'
            when 34 then '1h'
            when 35 then '1d'
        end as bar_size,
        ts_event,
        ts_event_ns,
        publisher_id,
        instrument_id,
        open,
        high,
        low,
        close,
        volume,
        load_id as bronze_load_id,
        ingested_at as bronze_ingested_at
    from bars
)

select * from final
