"""option_analytics: implied forward, implied volatility and Black-76 greeks per option quote at
each snapshot minute (every `analytics_snapshot_minutes` from the open, plus the day's last
quoted minute), from enriched_options_silver.

Incremental by trade day: only the days Silver holds at a newer version than this table (new or
reloaded days) are computed, and their partitions replaced (insert_overwrite on trade_date).
The maths (optlake.analytics.options.chain) runs per chain (trade_date, root, expiry_date) in
Spark's Python workers, vectorised; every formula is in the yml docs.
"""

from pyspark.sql import functions as F
from pyspark.sql import types as T

KEYS = ["trade_date", "root", "expiry_date"]
DECIMALS = {
    "strike_price": "decimal(11,3)",
    "bid_px_00": "decimal(19,9)",
    "ask_px_00": "decimal(19,9)",
    "mid_price": "decimal(20,10)",
}


def model(dbt, session):
    from optlake.analytics.options.chain import CURVE_COLUMNS, RESULT_COLUMNS, analyse_chain
    from optlake.analytics.options.spark_inputs import (
        day_curves,
        pending_input,
        session_opens,
        snapshot_quotes,
        stamped,
        with_underlying_price,
    )
    from optlake.table_metadata import table_name

    dbt.config(materialized="incremental")  # a Python model's own default (table) beats dbt_project.yml
    cadence = int(dbt.config.get("analytics_snapshot_minutes"))
    default_rate = float(dbt.config.get("risk_free_rate"))
    silver = dbt.ref("enriched_options_silver")
    done = str(dbt.this) if dbt.is_incremental else None
    days, quotes, versions = pending_input(
        session, silver, table_name(dbt, "enriched_options_silver"), "bronze_ingested_at", done
    )
    roots = dbt.ref("option_roots")
    quotes = (
        snapshot_quotes(quotes, session_opens(session, days), cadence)
        .drop("underlying")
        .join(F.broadcast(roots), "root", "left")
        .select(
            "trade_date",
            "ts_recv",
            "ts_recv_ns",
            "symbol",
            F.coalesce("underlying", "root").alias("underlying"),
            "root",
            "expiry_date",
            F.coalesce("settlement", F.lit("PM")).alias("settlement"),
            "option_type",
            *[F.col(c).cast("double").alias(c) for c in DECIMALS],
        )
    )
    quotes = with_underlying_price(quotes, dbt.ref("bars_1m"), days)
    quotes = quotes.join(F.broadcast(day_curves(session, dbt.ref("yield_curve_daily"), days)), "trade_date", "left")

    in_fields = quotes.schema.fields
    out_schema = T.StructType(
        [*in_fields, *[T.StructField(c, T._parse_datatype_string(t)) for c, t in RESULT_COLUMNS.items()]]
    )
    names = out_schema.fieldNames()
    computed = quotes.groupBy(*KEYS).applyInPandas(lambda chain: analyse_chain(chain, default_rate)[names], out_schema)
    kept = [F.col(c).cast(DECIMALS[c]).alias(c) if c in DECIMALS else c for c in names if c not in CURVE_COLUMNS]
    return stamped(computed.select(*kept), versions)
