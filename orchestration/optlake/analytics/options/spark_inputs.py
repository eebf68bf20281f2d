"""The Spark side of the option analytics models (python_models/analytics): which trade days to
compute, the quotes at the snapshot minutes, and what each quote needs beside its own columns.

- Days: a day is pending when the model's table does not hold it at the version its input holds
  now (``version``: the newest Bronze load among the day's rows; a new or reloaded day changes it),
  both read from the tables' file metadata (Iceberg column metrics), not from their rows.
  The models write only the pending days' partitions (insert_overwrite on ``trade_date``); the
  post-hook ``delete_days_missing_from`` removes days their input no longer has.
- Snapshots: the quotes whose minute is ``cadence`` minutes, or a multiple, after the session's
  09:30 New York open (10:00, 10:30, ... at 30), plus the day's last quoted minute.
- The underlying's price at a snapshot: the close of its one-minute bar ending at the snapshot
  (bars_1m, ts_event = snapshot - 60 s), like the vendor's quote sampled at the minute's end.
- The Treasury curve of each day: the latest yield_curve_daily row on or before it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from optlake.analytics.options.chain import CURVE_COLUMNS
from optlake.reference.trading_calendar import regular_session_utc
from optlake.table_metadata import day_versions

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

MINUTE_NS = 60 * 10**9


def pending_versions(
    spark: SparkSession, source_table: str, source_version: str, done_table: str | None
) -> dict[dt.date, dt.datetime]:
    """Trade days of ``source_table`` that ``done_table`` lacks or holds at another version (its
    ``version``), with their version in the source: from both tables' file metadata, no rows read."""
    versions = day_versions(spark, source_table, source_version)
    held = day_versions(spark, done_table, "version") if done_table else {}
    return {day: version for day, version in versions.items() if held.get(day) != version}


def pending_input(
    spark: SparkSession, source: DataFrame, source_table: str, source_version: str, done_table: str | None
) -> tuple[list[dt.date], DataFrame, DataFrame]:
    """The pending days, ``source``'s rows of those days (``source`` is ``source_table``'s rows), and
    (trade_date, version) of each."""
    versions = pending_versions(spark, source_table, source_version, done_table)
    days = sorted(versions)
    frame = spark.createDataFrame(sorted(versions.items()), "trade_date date, version timestamp")
    return days, source.where(day_column(days)), frame


def stamped(rows: DataFrame, versions: DataFrame) -> DataFrame:
    """The model's rows with their day's input version and the run's timestamp (``computed_at``)."""
    return rows.join(F.broadcast(versions), "trade_date").withColumn("computed_at", F.current_timestamp())


def day_column(days: list[dt.date]):
    """A predicate on trade_date selecting ``days`` (false when there are none)."""
    return F.col("trade_date").isin(*days) if days else F.lit(False)


def session_opens(spark: SparkSession, days: list[dt.date]) -> DataFrame:
    """(trade_date, open_ns): the regular session's open of each day, ns since the epoch."""
    rows = [(d, int(regular_session_utc(d)[0].timestamp()) * 10**9) for d in days]
    return spark.createDataFrame(rows, "trade_date date, open_ns bigint")


def snapshot_quotes(quotes: DataFrame, opens: DataFrame, cadence_minutes: int) -> DataFrame:
    """The quotes at the snapshot minutes of their day (see the module docstring)."""
    if cadence_minutes < 1:
        raise ValueError(f"analytics_snapshot_minutes must be a positive number of minutes, got {cadence_minutes}")
    minute_ns = F.col("ts_recv_ns") - F.pmod(F.col("ts_recv_ns"), F.lit(MINUTE_NS))
    last = quotes.groupBy("trade_date").agg(F.max(minute_ns).alias("last_minute_ns"))
    at_cadence = F.pmod(minute_ns - F.col("open_ns"), F.lit(cadence_minutes * MINUTE_NS)) == 0
    return (
        quotes.join(F.broadcast(opens), "trade_date")
        .join(F.broadcast(last), "trade_date")
        .where(at_cadence | (minute_ns == F.col("last_minute_ns")))
        .drop("open_ns", "last_minute_ns")
    )


def with_underlying_price(quotes: DataFrame, bars_1m: DataFrame, days: list[dt.date]) -> DataFrame:
    """``underlying_price``: the close of the underlying's bar ending at the quote's minute (null if none)."""
    bars = bars_1m.where(day_column(days)).select(
        "trade_date",
        F.col("symbol").alias("underlying"),
        (F.col("ts_event") + F.expr("interval 60 seconds")).alias("ts_recv"),
        F.col("close").cast("double").alias("underlying_price"),
    )
    return quotes.join(bars, ["trade_date", "underlying", "ts_recv"], "left")


def day_curves(spark: SparkSession, curves: DataFrame, days: list[dt.date]) -> DataFrame:
    """(trade_date, irx, fvx, tnx, tyx): each day's latest Treasury curve on or before it (nulls: none)."""
    known = curves.where(F.col("trade_date") <= max(days)).collect() if days else []
    by_day = sorted((r["trade_date"], [None if r[c] is None else float(r[c]) for c in CURVE_COLUMNS]) for r in known)
    found = []
    for day in days:
        earlier = [values for curve_day, values in by_day if curve_day <= day]
        found.append((day, *(earlier[-1] if earlier else [None] * len(CURVE_COLUMNS))))
    schema = "trade_date date, " + ", ".join(f"{c} double" for c in CURVE_COLUMNS)
    return spark.createDataFrame(found, schema)
