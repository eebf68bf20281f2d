"""vol_index: a 30-day volatility index per underlying and snapshot minute by the Cboe VIX
white-paper method, from option_analytics (optlake.analytics.options.index_frame and vix).

Incremental by trade day like option_analytics: a run computes the days option_analytics holds
at a newer version than this table, and replaces their partitions.
"""

from pyspark.sql import functions as F
from pyspark.sql import types as T

COLUMNS = [
    "trade_date",
    "ts_recv",
    "underlying",
    "root",
    "expiry_date",
    "option_type",
    "strike_price",
    "bid_px_00",
    "mid_price",
    "years_to_expiry",
    "discount_factor",
]


def model(dbt, session):
    from optlake.analytics.options.index_frame import INDEX_COLUMNS, index_rows
    from optlake.analytics.options.spark_inputs import pending_input, stamped
    from optlake.table_metadata import table_name

    dbt.config(materialized="incremental")  # a Python model's own default (table) beats dbt_project.yml
    min_strikes = int(dbt.config.get("min_strikes"))
    analytics = dbt.ref("option_analytics")
    done = str(dbt.this) if dbt.is_incremental else None
    _, quotes, versions = pending_input(session, analytics, table_name(dbt, "option_analytics"), "version", done)
    quotes = quotes.select(
        *[F.col(c).cast("double").alias(c) if c in ("strike_price", "bid_px_00", "mid_price") else c for c in COLUMNS]
    )
    fields = [
        T.StructField("trade_date", T.DateType()),
        T.StructField("ts_recv", T.TimestampType()),
        T.StructField("underlying", T.StringType()),
        *[T.StructField(c, T._parse_datatype_string(t)) for c, t in INDEX_COLUMNS.items()],
    ]
    schema = T.StructType(fields)
    rows = quotes.groupBy("trade_date", "underlying").applyInPandas(lambda day: index_rows(day, min_strikes), schema)
    return stamped(rows, versions)
