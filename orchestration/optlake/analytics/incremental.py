"""The Spark side of the incremental indicator models: which symbols to compute, from where, and
the rows to keep. The indicator models (python_models/analytics) call ``incremental_run``.

Inputs are one row per symbol and bar (``order``: ``trade_date`` for daily bars, ``ts_start`` for
5-minute bars) with a ``day`` column (the trading or session day, the unit in which bars change)
and ``bars_version`` (the newest Bronze load of the bar's inputs). ``done`` is the model's
stored table, read from its name (none on a full build).

- A symbol is affected from the first day whose version differs between the bars and ``done``
  (a new, reloaded or vanished day), and every symbol from the first such day of a reference
  symbol (the daily set reads SPX, ^IRX and SPY). Versions are load times, so the changed days are
  those of the input rows newer than the symbol's newest stored version (read from ``done``'s file
  metrics; older input files are skipped on their statistics); vanished days show as row counts
  that do not reconcile, and only then are both sides compared day by day.
- It resumes after its last stored row that carries state (``st_bar_count`` not null) and lies
  before that day: the state row. Without one it is computed from its first bar.
- Each affected symbol's frame holds the ``history_rows`` bars up to the state row, then the new
  bars, and the state row's ``st_*`` values as ``prev_st_*``; ``run`` (pandas, per symbol) returns
  the new rows. When every affected symbol has its history in the period before the earliest state
  row's and after, the input and the stored rows are read from there only (partition pruning), so a
  new day's run does not read the whole history.
- The table is partitioned by symbol and ``period`` of ``day`` (``month`` or ``year``), written with
  insert_overwrite (dynamic: the partitions the result holds are replaced). The result is the
  recomputed rows plus the stored rows of the state row's period up to the state row, so a new day
  rewrites the current period of the affected symbols, not their history. Rows of days the input no
  longer has are deleted first (a period left without rows would otherwise keep them).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from pyspark.sql import Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from optlake.analytics.runs import PREVIOUS
from optlake.sql_literals import sql_dates, sql_string

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

STATE_FLAG = "st_bar_count"
PERIODS = ("month", "year")
log = logging.getLogger(__name__)


def changed_days(rows: DataFrame, done: DataFrame, day: str) -> tuple[dict[str, dt.date], dict[str, list[dt.date]]]:
    """Per symbol, the first day whose bars' version differs from the stored rows' (or is missing on
    one side), and the stored days the bars no longer have."""

    def versions(frame: DataFrame, name: str) -> DataFrame:
        return frame.groupBy("symbol", day).agg(F.max("bars_version").alias(name))

    both = versions(rows, "new_version").join(versions(done, "old_version"), ["symbol", day], "full_outer")
    changed = both.where(
        F.col("new_version").isNull() | F.col("old_version").isNull() | (F.col("new_version") != F.col("old_version"))
    )
    gone = F.collect_list(F.when(F.col("new_version").isNull(), F.col(day)))
    found = changed.groupBy("symbol").agg(F.min(day), gone).collect()
    return {r[0]: r[1] for r in found}, {r[0]: sorted(r[2]) for r in found if r[2]}


def stored_marks(spark: SparkSession, table: str) -> dict[str, object] | None:
    """Per symbol, the newest ``bars_version`` of its stored rows, and the table's row count (key
    None), from the data files' metadata; None when the files lack the metric or the table has
    delete files (its record counts would not be the rows)."""
    metric = "readable_metrics.bars_version.upper_bound"
    found = spark.sql(
        f"select partition.symbol, max({metric}), sum(record_count), count(*) = count({metric}), max(content)"
        f" from {table}.files group by 1"
    ).collect()
    if any(not complete or content for _, _, _, complete, content in found):
        return None
    return {symbol: mark for symbol, mark, _, _, _ in found} | {None: sum(r[2] for r in found)}


def changes(
    spark: SparkSession, rows: DataFrame, table: str, done: DataFrame, day: str
) -> tuple[list[str], dict[str, dt.date], dict[str, list[dt.date]]]:
    """The symbols, and what ``changed_days`` returns, without reading the whole history: a symbol's
    changed days are the days of its input rows newer than its stored rows (versions are load times;
    files older than every symbol's mark are skipped on their statistics). The row counts then
    reconcile (input rows - the changed ones = stored rows - those of the changed days) unless days
    vanished from the input; only then are both sides compared day by day."""

    def every_day(why: str) -> tuple[list[str], dict[str, dt.date], dict[str, list[dt.date]]]:
        log.info("%s: %s, comparing every day", table, why)
        symbols = [r[0] for r in rows.select("symbol").distinct().collect()]
        return symbols, *changed_days(rows, done, day)

    marks = stored_marks(spark, table)
    if marks is None:
        return every_day("its file metadata lacks version metrics or it has delete files")
    stored_rows = marks.pop(None, 0)
    newer = rows
    if marks:
        newer = rows.where(F.col("bars_version") > F.lit(min(marks.values())))
        known = spark.createDataFrame(sorted(marks.items()), "symbol string, _mark timestamp")
        newer = newer.join(F.broadcast(known), "symbol", "left")
        newer = newer.where(F.col("_mark").isNull() | (F.col("bars_version") > F.col("_mark")))
    counted = newer.groupBy("symbol", day).count().collect()
    first: dict[str, dt.date] = {}
    for symbol, changed_day, _ in counted:
        first[symbol] = min(first.get(symbol, changed_day), changed_day)
    replaced = 0
    if counted:
        pairs = spark.createDataFrame([(s, d) for s, d, _ in counted], f"symbol string, {day} date")
        since = min(d for _, d, _ in counted)
        replaced = done.where(F.col(day) >= F.lit(since)).join(F.broadcast(pairs), ["symbol", day]).count()
    if rows.count() - sum(n for _, _, n in counted) != stored_rows - replaced:
        return every_day("the input no longer has some stored days")
    return sorted(set(marks) | set(first)), first, {}


def delete_days(spark: SparkSession, table: str, day: str, days: dict[str, list[dt.date]]) -> None:
    """Delete the stored rows of ``days`` (per symbol), in one commit: days the input no longer has."""
    where = " or ".join(f"(symbol = {sql_string(s)} and {day} in ({sql_dates(d)}))" for s, d in sorted(days.items()))
    spark.sql(f"delete from {table} where {where}")


def start_days(symbols: Iterable[str], changed: dict[str, dt.date], references: Iterable[str]) -> dict[str, dt.date]:
    """The day each affected symbol is recomputed from: its own first change, or a reference's if earlier."""
    reference_change = min((changed[s] for s in references if s in changed), default=None)
    starts = {}
    for symbol in symbols:
        first = min((d for d in (changed.get(symbol), reference_change) if d is not None), default=None)
        if first is not None:
            starts[symbol] = first
    return starts


def resume_points(
    spark: SparkSession,
    done: DataFrame,
    starts: dict[str, dt.date],
    order: str,
    day: str,
    since: dt.date | None = None,
) -> DataFrame:
    """(symbol, state_key, state_day): each affected symbol's last stateful row before its start day,
    and that row's day (nulls: none), looked for from ``since`` (a partition filter) or in all rows."""
    plan = spark.createDataFrame(sorted(starts.items()), "symbol string, start_day date")
    stateful = done.where(F.col(STATE_FLAG).isNotNull()).select("symbol", order, day)
    if since is not None:
        stateful = stateful.where(F.col(day) >= F.lit(since))
    found = (
        plan.join(stateful, "symbol")
        .where(F.col(day) < F.col("start_day"))
        .groupBy("symbol")
        .agg(F.max(order).alias("state_key"), F.max(day).alias("state_day"))
    )
    return plan.select("symbol").join(found, "symbol", "left")


def period_before(day: dt.date, period: str | None) -> dt.date | None:
    """The first day of the period before ``day``'s (month or year); None without a period."""
    if period == "month":
        return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    if period == "year":
        return dt.date(day.year - 1, 1, 1)
    return None


def history_since(
    done: DataFrame, points: DataFrame, states: list, order: str, day: str, history_rows: int, period: str | None
) -> dt.date | None:
    """A day from which every affected symbol has ``history_rows`` stored rows up to its state row
    (the period before the earliest state row's), so the run reads the input and the stored rows
    from there only; None when a symbol has no state row or fewer rows since (it reads everything).
    ``states`` are ``points``' rows."""
    if not states or any(r["state_key"] is None for r in states):
        return None
    since = period_before(min(r["state_day"] for r in states), period)
    if since is None:
        return None
    counted = (
        done.where(F.col(day) >= F.lit(since))
        .join(F.broadcast(points), "symbol")
        .where(F.col(order) <= F.col("state_key"))
        .groupBy("symbol")
        .count()
        .collect()
    )
    enough = {symbol for symbol, n in counted if n >= history_rows}
    return since if enough >= {r["symbol"] for r in states} else None


def incremental_run(
    spark: SparkSession,
    rows: DataFrame,
    table: str | None,
    *,
    order: str,
    day: str,
    state_columns: list[str],
    history_rows: int,
    out_fields: list[T.StructField],
    run: Callable[[pd.DataFrame], pd.DataFrame],
    references: Iterable[str] = (),
) -> DataFrame:
    """The rows to write (see the module docstring); ``run`` maps one symbol's frame to its new rows;
    ``table`` is the model's stored table (None on a full build)."""
    key_type = rows.schema[order].dataType
    done = None if table is None else spark.table(table)
    if done is None:
        points = rows.select("symbol").distinct().withColumn("state_key", F.lit(None).cast(key_type))
    else:
        symbols, first_changed, gone = changes(spark, rows, table, done, day)
        starts = start_days(symbols, first_changed, references)
        if gone:
            delete_days(spark, table, day, gone)
        if not starts:
            return done.limit(0)
        period = stored_period(spark, table, day)
        found = resume_points(spark, done, starts, order, day, since=period_before(min(starts.values()), period))
        states = found.collect()
        if any(r["state_key"] is None for r in states):  # a state row before that period, or none
            states = resume_points(spark, done, starts, order, day).collect()
        points = spark.createDataFrame(states, found.schema)  # small: computed once
        since = history_since(done, points, states, order, day, history_rows, period)
        if since is not None:  # every affected symbol's history lies in the stored rows from `since`
            rows, done = rows.where(F.col(day) >= F.lit(since)), done.where(F.col(day) >= F.lit(since))

    affected = rows.join(F.broadcast(points.select("symbol", "state_key")), "symbol")
    is_new = F.col("state_key").isNull() | (F.col(order) > F.col("state_key"))
    recent = Window.partitionBy("symbol").orderBy(F.col(order).desc())
    history = (
        affected.where(~is_new).withColumn("_rank", F.row_number().over(recent)).where(F.col("_rank") <= history_rows)
    )
    frames = (
        history.drop("_rank")
        .withColumn("is_new", F.lit(False))
        .unionByName(affected.where(is_new).withColumn("is_new", F.lit(True)))
    )
    if done is None:
        for c in state_columns:
            frames = frames.withColumn(PREVIOUS + c, F.lit(None).cast(done_type(c)))
    else:
        state = done.select(
            "symbol", F.col(order).alias("state_key"), *[F.col(c).alias(PREVIOUS + c) for c in state_columns]
        )
        frames = frames.join(state, ["symbol", "state_key"], "left")
    frames = frames.drop("state_key")

    names = [f.name for f in out_fields]
    computed = frames.groupBy("symbol").applyInPandas(lambda pdf: run(pdf)[names], T.StructType(out_fields))
    computed = computed.withColumn("computed_at", F.current_timestamp())
    if done is None:
        return computed
    kept = done.join(F.broadcast(points), "symbol").where(F.col(order) <= F.col("state_key"))
    if period is not None:  # the state row's period is rewritten whole, the earlier ones are not
        kept = kept.where(F.col(day) >= F.trunc("state_day", period))
    return kept.select(*computed.columns).unionByName(computed)


def stored_period(spark: SparkSession, table: str, day: str) -> str | None:
    """``month`` or ``year``: the period of ``day`` the stored table is partitioned by; None for a
    table written before the period partitions (by symbol only: its affected symbols are rewritten
    whole until a --full-refresh)."""
    fields = spark.table(f"{table}.partitions").schema["partition"].dataType.names
    for period in PERIODS:
        if f"{day}_{period}" in fields:
            return period
    log.warning(
        "%s is partitioned by symbol only: this run rewrites each affected symbol's history; "
        "dbt run --full-refresh --select %s partitions it by symbol and period",
        table,
        table.rsplit(".", 1)[-1],
    )
    return None


def done_type(state_column: str) -> str:
    """The Spark type of a state column: the bar count and the session id are integers."""
    return "bigint" if state_column.endswith(("bar_count", "session_id")) else "double"


def state_fields(state_columns: list[str]) -> list[T.StructField]:
    return [T.StructField(c, T.LongType() if done_type(c) == "bigint" else T.DoubleType()) for c in state_columns]
