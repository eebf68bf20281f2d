"""LaymanSPYStrategy: buy cheap options on one underlying.

For the Silver quotes of the configured underlying in the lookback window (trade_date >=
latest trade_date - lookback_days, calendar days): a CALL whose mid price is below the threshold
-> BUY_CALL, a PUT below it -> BUY_PUT, anything else -> HOLD. Keeps every Silver column and adds
`signal` and `strategy_name`.

Parameters (dbt_project.yml, models: optlake: gold: gold_laymanspystrategy):
  lookback_days (3), underlying (SPY), max_mid_price (5).
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
    window = in_lookback(silver, int(dbt.config.get("lookback_days")))
    return signals(window, dbt.config.get("underlying"), float(dbt.config.get("max_mid_price")))
