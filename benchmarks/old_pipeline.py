"""The old pipeline's daily job, re-implemented for the benchmark only (never used by optlake).

As the hand-written PySpark job did it: read every CSV file so far with `inferSchema` (a full
extra pass over the data), `createOrReplace` Bronze with all of them, then rebuild Silver from all
of Bronze, rounding strikes and prices to cents before computing the mid price.

    python benchmarks/old_pipeline.py [--append] FILE.csv [FILE.csv ...]

--append is the old bootstrap mode (a job per batch of files): the files are appended to Bronze
(created by the first batch), then Silver is rebuilt from all of Bronze as in the daily job.
"""

from __future__ import annotations

import sys
import time

from pyspark.sql import functions as F

from optlake.settings import Settings
from optlake.targets.spark_session import get_spark

SCHEMA = "old_pipeline"


def main(paths: list[str]) -> None:
    append = paths[:1] == ["--append"]
    paths = paths[1:] if append else paths
    spark = get_spark(Settings.from_env(), "old-pipeline")
    spark.sql(f"create database if not exists {SCHEMA}")
    t0 = time.monotonic()
    raw = spark.read.option("header", True).option("inferSchema", True).csv(paths)
    bronze = raw.withColumn("file_name", F.element_at(F.split(F.input_file_name(), "/"), -1)).withColumn(
        "trade_date", F.to_date("ts_recv")
    )
    table = f"{SCHEMA}.bronze_options_chain"
    if append and spark.catalog.tableExists(table):
        bronze.writeTo(table).append()
    else:
        bronze.writeTo(table).using("iceberg").partitionedBy("trade_date").createOrReplace()
    t1 = time.monotonic()

    quotes = spark.table(f"{SCHEMA}.bronze_options_chain")
    root = F.trim(F.substring("symbol", 1, 6))
    bid, ask = F.round(F.col("bid_px_00"), 2), F.round(F.col("ask_px_00"), 2)
    mapping = {
        "SPX": "SPY",
        "SPXW": "SPY",
        "NDX": "QQQ",
        "NDXP": "QQQ",
        "RUT": "IWM",
        "RUTW": "IWM",
        "DJX": "DIA",
        "VIX": "VXX",
    }
    underlying = F.coalesce(F.create_map(*[F.lit(x) for kv in mapping.items() for x in kv])[root], root)
    silver = quotes.select(
        "symbol",
        underlying.alias("underlying"),
        "trade_date",
        F.to_date(F.substring("symbol", 7, 6), "yyMMdd").alias("expiry_date"),
        F.when(F.substring("symbol", 13, 1) == "C", "CALL").otherwise("PUT").alias("option_type"),
        F.round(F.substring("symbol", 14, 8).cast("double") / 1000, 2).alias("strike_price"),
        bid.alias("bid_px_00"),
        ask.alias("ask_px_00"),
        "bid_sz_00",
        "ask_sz_00",
        F.round((bid + ask) / 2, 2).alias("mid_price"),
        "ts_recv",
        "ts_event",
        "file_name",
    ).where(F.length("symbol") == 21)
    silver.writeTo(f"{SCHEMA}.enriched_options_silver").using("iceberg").partitionedBy("trade_date").createOrReplace()
    t2 = time.monotonic()
    rows = spark.table(f"{SCHEMA}.enriched_options_silver").count()
    print(f"old pipeline: bronze {t1 - t0:.1f} s, silver {t2 - t1:.1f} s, silver rows {rows}")


if __name__ == "__main__":
    main(sys.argv[1:])
