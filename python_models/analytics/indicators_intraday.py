"""indicators_intraday: technical indicators and a session-anchored VWAP per symbol and 5-minute bar.

Reads bars_5m. The technical indicators run continuously across sessions (as TA-Lib does over a
series); VWAP resets at each session's first bar. Incremental with carried state, partitioned by
symbol and month of session_date, like indicators_daily: an affected symbol is computed from its first new or
changed session day, resuming from the stored state. Per symbol:
optlake.analytics.runs.intraday_run, in Spark's Python workers.
"""

from pyspark.sql import functions as F
from pyspark.sql import types as T

OHLCV = ["open", "high", "low", "close", "volume"]


def model(dbt, session):
    from optlake.analytics.incremental import incremental_run, state_fields
    from optlake.analytics.intraday import INTRADAY_COLUMNS
    from optlake.analytics.runs import intraday_run
    from optlake.analytics.state import HISTORY_BARS, IntradayState

    dbt.config(materialized="incremental")  # a Python model's own default (table) beats dbt_project.yml
    bars = dbt.ref("bars_5m").select(
        "symbol",
        "session_date",
        "ts_start",
        *[F.col(c).cast("double").alias(c) for c in OHLCV],
        F.date_format("session_date", "yyyyMMdd").cast("long").alias("session"),
        "bars_version",
    )
    state_columns = IntradayState.column_names()
    out_fields = [
        T.StructField("symbol", T.StringType()),
        T.StructField("session_date", T.DateType()),
        T.StructField("ts_start", T.TimestampType()),
        *[T.StructField(c, T.DoubleType()) for c in OHLCV],
        T.StructField("session", T.LongType()),
        T.StructField("bars_version", T.TimestampType()),
        *[T.StructField(c, T.DoubleType()) for c in INTRADAY_COLUMNS],
        *state_fields(state_columns),
    ]
    return incremental_run(
        session,
        bars,
        f"{dbt.this.schema}.{dbt.this.identifier}" if dbt.is_incremental else None,
        order="ts_start",
        day="session_date",
        state_columns=state_columns,
        history_rows=HISTORY_BARS,
        out_fields=out_fields,
        run=intraday_run,
    )
