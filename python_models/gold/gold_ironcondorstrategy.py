"""IronCondorStrategy: one iron condor per (underlying, trade_date, expiry_date).

Per trade day, quotes are averaged per strike (mean mid price per option type and strike). A group with at least two
distinct call strikes and two distinct put strikes gets one row:
  short call = highest call strike, long call = second highest,
  short put  = lowest put strike,   long put  = second lowest,
  net_credit = short legs - long legs, rounded to cents (the old pipeline's leg choice),
  signal     = SELL_IRON_CONDOR when net_credit > 0, else HOLD.

A day's condors read that day's quotes only (lookback_days 0). Spark targets: a run computes the days
whose Silver changed since the last run (optlake.gold.runs). Athena Spark (no optlake package there):
a run recomputes the last athena_window_days calendar days from the latest Silver day.

Parameters (dbt_project.yml, models: optlake: gold: gold_ironcondorstrategy): lookback_days (0),
athena_window_days (30).
"""

from datetime import timedelta

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

STRATEGY_NAME = "IronCondorStrategy"
GROUP = ["underlying", "trade_date", "expiry_date"]


def in_lookback(silver: DataFrame, lookback_days: int) -> DataFrame:
    """Rows with trade_date >= max(trade_date) - lookback_days (calendar days)."""
    latest = silver.agg(F.max("trade_date")).first()[0]
    if latest is None:
        return silver.limit(0)
    return silver.where(F.col("trade_date") >= F.lit(latest - timedelta(days=lookback_days)))


def outer_legs(strikes: DataFrame, option_type: str, prefix_first: str, prefix_second: str) -> DataFrame:
    """The outermost and second-outermost strike of one option type per group, with their mids.

    Calls count from the highest strike down, puts from the lowest up. Groups with fewer than two
    distinct strikes of the type are dropped.
    """
    order = F.col("strike_price").desc() if option_type == "CALL" else F.col("strike_price").asc()
    ranked = strikes.where(F.col("option_type") == option_type).withColumn(
        "leg_rank", F.row_number().over(Window.partitionBy(*GROUP).orderBy(order))
    )

    def leg(rank: int, column: str):
        return F.max(F.when(F.col("leg_rank") == rank, F.col(column)))

    return (
        ranked.groupBy(*GROUP)
        .agg(
            F.count("*").alias("n_strikes"),
            leg(1, "strike_price").alias(f"{prefix_first}_strike"),
            leg(1, "mid").alias(f"{prefix_first}_mid"),
            leg(2, "strike_price").alias(f"{prefix_second}_strike"),
            leg(2, "mid").alias(f"{prefix_second}_mid"),
        )
        .where(F.col("n_strikes") >= 2)
        .drop("n_strikes")
    )


def condors(quotes: DataFrame) -> DataFrame:
    strikes = quotes.groupBy(*GROUP, "option_type", "strike_price").agg(F.avg("mid_price").alias("mid"))
    calls = outer_legs(strikes, "CALL", "short_call", "long_call")
    puts = outer_legs(strikes, "PUT", "short_put", "long_put")
    credit = F.col("short_call_mid") + F.col("short_put_mid") - F.col("long_call_mid") - F.col("long_put_mid")
    return (
        calls.join(puts, GROUP)
        .withColumn("net_credit", F.round(credit, 2).cast("decimal(18,2)"))
        .withColumn("signal", F.when(F.col("net_credit") > 0, "SELL_IRON_CONDOR").otherwise("HOLD"))
        .withColumn("strategy_name", F.lit(STRATEGY_NAME))
        .select(
            *GROUP,
            "short_call_strike",
            "long_call_strike",
            "short_put_strike",
            "long_put_strike",
            *(
                F.col(f"{leg}_mid").cast("decimal(20,10)").alias(f"{leg}_mid")
                for leg in ("short_call", "long_call", "short_put", "long_put")
            ),
            "net_credit",
            "signal",
            "strategy_name",
        )
    )


def model(dbt, session):
    dbt.config(materialized="incremental")  # a Python model's own default (table) beats dbt_project.yml
    silver = dbt.ref("enriched_options_silver")
    if dbt.config.get("recompute") == "window":
        return condors(in_lookback(silver, int(dbt.config.get("athena_window_days"))))

    from optlake.gold.runs import start_run

    run = start_run(
        dbt,
        session,
        {"enriched_options_silver": "bronze_ingested_at"},
        key="underlying",
        lookback_days=int(dbt.config.get("lookback_days")),
        only=dbt.config.get("gold_symbols"),
    )
    return run.finish(condors(run.inputs_of(silver)))
