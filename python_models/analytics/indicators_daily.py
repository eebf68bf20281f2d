"""indicators_daily: technical and quant indicators per symbol and daily bar (bars_daily).

Exact to TA-Lib where TA-Lib defines the indicator; every formula is in the yml docs. Incremental
with carried state, partitioned by symbol and year (optlake.analytics.incremental): only the
affected symbols are computed, from their first new or changed day (every symbol from the first
changed day of SPX, ^IRX or SPY, which beta, Sharpe/Sortino and the SPY correlation read),
resuming the recursive indicators from the stored state and reading the 200 bars before for the
windowed ones. Per symbol: optlake.analytics.runs.daily_run, in Spark's Python workers.
"""

from pyspark.sql import functions as F
from pyspark.sql import types as T

#: Reference symbol -> the column of every row holding its close (yield for ^IRX) of the same day.
REFERENCES = {"SPX": "benchmark_close", "^IRX": "risk_free", "SPY": "spy_close"}
OHLCV = ["open", "high", "low", "close", "volume"]


def inputs(bars):
    """bars_daily as doubles, with the SPX close, the ^IRX yield and the SPY close of the same day."""
    daily = bars.select(
        "symbol", "asset_class", "trade_date", *[F.col(c).cast("double").alias(c) for c in OHLCV], "bars_version"
    )
    refs = (
        daily.where(F.col("symbol").isin(*REFERENCES))
        .groupBy("trade_date")
        .pivot("symbol", list(REFERENCES))
        .agg(F.first("close"))
    )
    for symbol, name in REFERENCES.items():
        refs = refs.withColumnRenamed(symbol, name)
    return daily.join(refs, "trade_date", "left")


def model(dbt, session):
    from optlake.analytics.daily import DAILY_COLUMNS
    from optlake.analytics.incremental import incremental_run, state_fields
    from optlake.analytics.runs import daily_run
    from optlake.analytics.state import HISTORY_BARS, DailyState

    dbt.config(materialized="incremental")  # a Python model's own default (table) beats dbt_project.yml
    state_columns = DailyState.column_names()
    out_fields = [
        T.StructField("symbol", T.StringType()),
        T.StructField("asset_class", T.StringType()),
        T.StructField("trade_date", T.DateType()),
        *[T.StructField(c, T.DoubleType()) for c in OHLCV],
        T.StructField("bars_version", T.TimestampType()),
        *[T.StructField(c, T.DoubleType()) for c in [*DAILY_COLUMNS, "corr_spy_60"]],
        *state_fields(state_columns),
    ]
    return incremental_run(
        session,
        inputs(dbt.ref("bars_daily")),
        f"{dbt.this.schema}.{dbt.this.identifier}" if dbt.is_incremental else None,
        order="trade_date",
        day="trade_date",
        state_columns=state_columns,
        history_rows=HISTORY_BARS,
        out_fields=out_fields,
        run=daily_run,
        references=list(REFERENCES),
    )
