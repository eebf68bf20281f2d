"""LaymanSPYStrategy: buy cheap options on one underlying.

For each Silver quote of the configured underlying: a CALL whose mid price is below the threshold
-> BUY_CALL, a PUT below it -> BUY_PUT, anything else -> HOLD. Keeps every Silver column and adds
`signal` and `strategy_name` (and, on the Spark targets, `input_fingerprint` and `computed_at`).

A day's signals read that day's quotes only (lookback_days 0). Spark targets: a run computes the
days whose Silver changed since the last run (optlake.gold.runs). Athena Spark (no optlake package
there): a run recomputes the last athena_window_days calendar days from the latest Silver day.

Parameters (dbt_project.yml, models: optlake: gold: gold_laymanspystrategy):
  underlying (SPY), max_mid_price (5), lookback_days (0), athena_window_days (3).
"""

from datetime import timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

STRATEGY_NAME = "LaymanSPYStrategy"


def in_lookback(silver: DataFrame, lookback_days: int) -> DataFrame:
    """Rows with trade_date >= max(trade_date) - lookback_days (calendar days)."""
    latest = silver.agg(F.max("trade_date")).first()[0]
    if latest is None:
        return silver.limit(0)
    return silver.where(F.col("trade_date") >= F.lit(latest - timedelta(days=lookback_days)))


def signals(quotes: DataFrame, underlying: str, max_mid_price: float) -> DataFrame:
    cheap = F.col("mid_price") < F.lit(max_mid_price)
    signal = (
        F.when((F.col("option_type") == "CALL") & cheap, "BUY_CALL")
        .when((F.col("option_type") == "PUT") & cheap, "BUY_PUT")
        .otherwise("HOLD")
    )
    return (
        quotes.where(F.col("underlying") == underlying)
        .withColumn("signal", signal)
        .withColumn("strategy_name", F.lit(STRATEGY_NAME))
    )


def model(dbt, session):
    dbt.config(materialized="incremental")  # a Python model's own default (table) beats dbt_project.yml
    silver = dbt.ref("enriched_options_silver")
    underlying, max_mid_price = dbt.config.get("underlying"), float(dbt.config.get("max_mid_price"))
    if dbt.config.get("recompute") == "window":
        return signals(in_lookback(silver, int(dbt.config.get("athena_window_days"))), underlying, max_mid_price)

    from optlake.gold.runs import start_run

    run = start_run(
        dbt,
        session,
        {"enriched_options_silver": "bronze_ingested_at"},
        key="underlying",
        lookback_days=int(dbt.config.get("lookback_days")),
        only=dbt.config.get("gold_symbols"),
        settings=(underlying, max_mid_price),
    )
    return run.finish(signals(run.inputs_of(silver), underlying, max_mid_price))
