"""DeltaIronCondorStrategy: one iron condor per (underlying, trade_date, expiry_date), legs chosen by delta.

Reads option_analytics (Black-76 implied volatility and greeks per quote snapshot). Each
(underlying, trade_date, expiry_date) sends its usable quotes (iv_status 'ok', a finite delta, a
strike and a mid) at its last snapshot (the latest ts_recv among them) to
optlake.strategies.delta_iron_condor, in Spark's Python workers (groupBy().applyInPandas):
  short call = the call whose delta is closest to +short_delta,
  long call  = the call above it whose delta is closest to +wing_delta; puts mirrored on |delta|,
  net_credit = short mids - long mids, width = the wider wing, max_loss = width - net_credit,
  breakevens = short put strike - net_credit and short call strike + net_credit,
  signal     = SELL_IRON_CONDOR when the condor is complete, not crossed, net_credit < width,
               net_credit >= min_credit (and > 0) and net_credit / width >= min_credit_to_width;
               else HOLD, with hold_reason.
The rules, tie-breaks and formulas in full: the module's docstring.

Parameters (dbt_project.yml, models: optlake: gold: gold_deltaironcondorstrategy): short_delta (0.16),
wing_delta (0.05), min_credit (0.10), min_credit_to_width (0, off), lookback_days (0: a day reads
only itself). A run computes the days whose option_analytics changed since the last run
(optlake.gold.runs).
"""

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

GROUP = ["underlying", "trade_date", "expiry_date"]
#: The strategy's types for the columns it computes with (option_analytics may carry wider ones).
CASTS = {"strike_price": "decimal(11,3)", "mid_price": "decimal(20,10)", "delta": "double"}


def last_snapshot_quotes(quotes: DataFrame, columns: list[str]) -> DataFrame:
    """The usable quotes of each group at the group's latest ts_recv among them, as the strategy reads them.

    Usable: iv_status 'ok', a finite delta (|delta| < inf is false for null and NaN too), a strike
    and a mid. Prices are cast to the strategy's decimal types, delta to double.
    """
    usable = quotes.where(
        (F.col("iv_status") == "ok")
        & (F.abs(F.col("delta")) < F.lit(float("inf")))
        & F.col("strike_price").isNotNull()
        & F.col("mid_price").isNotNull()
    ).select(*(F.col(c).cast(CASTS[c]).alias(c) if c in CASTS else F.col(c) for c in columns))
    latest = F.max("ts_recv").over(Window.partitionBy(*GROUP))
    return usable.withColumn("_latest", latest).where(F.col("ts_recv") == F.col("_latest")).drop("_latest")


def condors(analytics: DataFrame, params) -> DataFrame:
    """One DeltaIronCondorStrategy row per group with a usable quote (optlake.strategies.delta_iron_condor)."""
    from optlake.strategies.delta_iron_condor import INPUT_COLUMNS, OUTPUT_COLUMNS, delta_iron_condor

    def condor(group):
        return delta_iron_condor(group, params)

    schema = ", ".join(f"{name} {kind}" for name, kind in OUTPUT_COLUMNS.items())
    return last_snapshot_quotes(analytics, list(INPUT_COLUMNS)).groupBy(*GROUP).applyInPandas(condor, schema=schema)


def model(dbt, session):
    from optlake.gold.runs import start_run
    from optlake.strategies.delta_iron_condor import DeltaIronCondorParams

    dbt.config(materialized="incremental")  # a Python model's own default (table) beats dbt_project.yml
    params = DeltaIronCondorParams(
        short_delta=float(dbt.config.get("short_delta")),
        wing_delta=float(dbt.config.get("wing_delta")),
        min_credit=float(dbt.config.get("min_credit")),
        min_credit_to_width=float(dbt.config.get("min_credit_to_width")),
    )
    analytics = dbt.ref("option_analytics")
    run = start_run(
        dbt,
        session,
        {"option_analytics": "version"},
        key="underlying",
        lookback_days=int(dbt.config.get("lookback_days")),
        only=dbt.config.get("gold_symbols"),
        settings=params,
    )
    return run.finish(condors(run.inputs_of(analytics), params))
