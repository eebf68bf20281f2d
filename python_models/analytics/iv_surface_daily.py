"""iv_surface_daily: the implied-volatility surface per underlying and day, on a grid of tenors x
call deltas, from the option_analytics quotes of the day's last snapshot, smoothed by a
vega-weighted kernel in (log tenor, delta) as OptionMetrics IvyDB describes
(optlake.analytics.options.surface).

Incremental by trade day like option_analytics: a run computes the days option_analytics holds
at a newer version than this table, and replaces their partitions.
"""

from pyspark.sql import functions as F
from pyspark.sql import types as T

COLUMNS = [
    "trade_date",
    "underlying",
    "ts_recv",
    "option_type",
    "years_to_expiry",
    "iv",
    "vega",
    "forward_delta",
    "iv_status",
]


def model(dbt, session):
    from optlake.analytics.options.spark_inputs import pending_input, stamped
    from optlake.analytics.options.surface_frame import SURFACE_COLUMNS, surface_rows
    from optlake.table_metadata import table_name

    dbt.config(materialized="incremental")  # a Python model's own default (table) beats dbt_project.yml
    analytics = dbt.ref("option_analytics")
    done = str(dbt.this) if dbt.is_incremental else None
    _, quotes, versions = pending_input(session, analytics, table_name(dbt, "option_analytics"), "version", done)
    fields = [
        T.StructField("trade_date", T.DateType()),
        T.StructField("underlying", T.StringType()),
        T.StructField("ts_recv", T.TimestampType()),
        *[T.StructField(c, T._parse_datatype_string(t)) for c, t in SURFACE_COLUMNS.items()],
    ]
    rows = quotes.where(F.col("iv_status") == "ok").select(*COLUMNS).groupBy("trade_date", "underlying")
    surface = rows.applyInPandas(surface_rows, T.StructType(fields))
    return stamped(surface, versions)
