"""The report's small aggregated queries on the warehouse (Spark SQL), as pandas frames.

Each query returns a small frame, or raises `Missing` with what the panel lacks (a table not
built, no rows for the chosen underlying, symbol or day); `collect` turns those into messages.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from optlake.jobs.strategy import switchboard

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

#: The call deltas of iv_surface_daily's grid columns (iv_d10 ... iv_d90).
DELTAS = tuple(range(10, 95, 5))


class Missing(Exception):
    """What a panel lacks, in words for the page."""


@dataclass(frozen=True)
class Choice:
    """What the report shows: the underlying's surface on ``day`` (None: its latest), ``symbol``'s indicators."""

    schema: str
    underlying: str = "SPX"
    symbol: str = "SPY"
    day: dt.date | None = None


def _literal(text: str) -> str:
    """A SQL string literal of a symbol-like value (letters, digits, ^ . - _ / and space only)."""
    if not re.fullmatch(r"[A-Za-z0-9^.\-_/ ]{1,32}", text):
        raise ValueError(f"not a symbol: {text!r}")
    return f"'{text}'"


def _table(spark: SparkSession, schema: str, name: str) -> str:
    qualified = f"{schema}.{name}"
    if not spark.catalog.tableExists(qualified):
        raise Missing(f"table {qualified} is not built")
    return qualified


def _frame(spark: SparkSession, sql: str) -> pd.DataFrame:
    log.debug("report query: %s", sql)
    return spark.sql(sql).toPandas()


def surface(spark: SparkSession, c: Choice) -> pd.DataFrame:
    """iv_surface_daily of the underlying on the chosen day (else its latest): one row per tenor."""
    table = _table(spark, c.schema, "iv_surface_daily")
    u = _literal(c.underlying)
    day = f"date'{c.day.isoformat()}'" if c.day else f"(select max(trade_date) from {table} where underlying = {u})"
    grid = ", ".join(f"cast(iv_d{d:02d} as double) as iv_d{d:02d}" for d in DELTAS)
    frame = _frame(
        spark,
        f"select trade_date, ts_recv, tenor_days, {grid}, cast(atm_iv as double) as atm_iv, "
        f"cast(rr_25 as double) as rr_25, cast(bf_25 as double) as bf_25, in_range, options_used "
        f"from {table} where underlying = {u} and trade_date = {day} order by tenor_days",
    )
    if frame.empty:
        on = f"on {c.day}" if c.day else "on any day"
        raise Missing(f"{table} has no surface of {c.underlying} {on}")
    return frame


def vol_index(spark: SparkSession, c: Choice) -> pd.DataFrame:
    """The underlying's volatility index at every snapshot that has a value, up to the chosen day."""
    table = _table(spark, c.schema, "vol_index")
    where = f"underlying = {_literal(c.underlying)}" + (
        f" and trade_date <= date'{c.day.isoformat()}'" if c.day else ""
    )
    frame = _frame(
        spark,
        f"select trade_date, ts_recv, cast(vol_index as double) as vol_index, status from {table} "
        f"where {where} and vol_index is not null order by ts_recv",
    )
    if frame.empty:
        statuses = _frame(
            spark, f"select status, count(*) as n from {table} where {where} group by status order by n desc"
        )
        seen = ", ".join(f"{r.status} {r.n}" for r in statuses.itertuples()) or "no rows"
        raise Missing(f"{table} has no value of {c.underlying} (snapshots by status: {seen})")
    return frame


def signals(spark: SparkSession, c: Choice, project_dir: Path) -> pd.DataFrame:
    """Rows per (strategy, trade_date, signal) of every active strategy's Gold table that is built."""
    active = [s.model for s in switchboard(project_dir) if s.active]
    built = [m for m in active if spark.catalog.tableExists(f"{c.schema}.{m}")]
    if not built:
        raise Missing(f"no active strategy's table is built ({', '.join(active) or 'none active'})")
    upto = f" where trade_date <= date'{c.day.isoformat()}'" if c.day else ""
    parts = [
        f"select '{m}' as strategy, trade_date, signal, count(*) as signals from {c.schema}.{m}{upto} "
        "group by trade_date, signal"
        for m in built
    ]
    frame = _frame(spark, " union all ".join(parts) + " order by strategy, trade_date, signal")
    if frame.empty:
        raise Missing(f"the active strategies' tables have no rows ({', '.join(built)})")
    frame.attrs["not_built"] = [m for m in active if m not in built]
    return frame


#: The indicators_daily columns the indicator panel draws.
INDICATORS = ("close", "sma_20", "sma_50", "bb_upper", "bb_lower", "rsi_14", "macd", "macd_signal", "macd_hist")


def indicators(spark: SparkSession, c: Choice) -> pd.DataFrame:
    """indicators_daily of the chosen symbol, every day up to the chosen one."""
    table = _table(spark, c.schema, "indicators_daily")
    upto = f" and trade_date <= date'{c.day.isoformat()}'" if c.day else ""
    columns = ", ".join(f"cast({n} as double) as {n}" for n in INDICATORS)
    frame = _frame(
        spark,
        f"select trade_date, {columns} from {table} where symbol = {_literal(c.symbol)}{upto} order by trade_date",
    )
    if frame.empty:
        raise Missing(f"{table} has no rows of {c.symbol}")
    return frame


def load_health(spark: SparkSession, c: Choice) -> pd.DataFrame:
    """Per trade date, the files' current state in bronze_load_audit (each file's latest audit row):
    rows loaded, lines quarantined (bronze_quarantine, of those loads), rows and files rejected."""
    audit = _table(spark, c.schema, "bronze_load_audit")
    quarantine = f"{c.schema}.bronze_quarantine"
    quarantined = (
        f"(select file_name, load_id, count(*) as lines from {quarantine} group by file_name, load_id)"
        if spark.catalog.tableExists(quarantine)
        else "(select cast(null as string) as file_name, cast(null as string) as load_id, 0L as lines)"
    )
    upto = f" where trade_date <= date'{c.day.isoformat()}'" if c.day else ""
    frame = _frame(
        spark,
        f"with latest as (select * from (select a.*, row_number() over (partition by file_name "
        f"order by started_at desc, finished_at desc) as nth from {audit} as a{upto}) where nth = 1) "
        "select l.trade_date, count(*) as files, "
        "sum(case when l.status in ('loaded', 'unreconciled') then coalesce(l.rows_loaded, 0) else 0 end) "
        "as rows_loaded, "
        "sum(case when l.status in ('loaded', 'unreconciled') then coalesce(q.lines, 0) else 0 end) "
        "as rows_quarantined, "
        "sum(case when l.status = 'rejected' then coalesce(l.rows_read, 0) else 0 end) as rows_rejected, "
        "sum(case when l.status = 'rejected' then 1 else 0 end) as files_rejected "
        f"from latest as l left join {quarantined} as q on q.file_name = l.file_name and q.load_id = l.load_id "
        "group by l.trade_date order by l.trade_date",
    )
    if frame.empty:
        raise Missing(f"{audit} has no loads")
    return frame


#: The panels' queries, in page order: (key, query).
QUERIES: tuple[tuple[str, Callable[..., pd.DataFrame]], ...] = (
    ("surface", surface),
    ("vol_index", vol_index),
    ("signals", signals),
    ("indicators", indicators),
    ("load_health", load_health),
)


def collect(spark: SparkSession, c: Choice, project_dir: Path) -> dict[str, pd.DataFrame | str]:
    """Every panel's frame, or the message of what it lacks."""
    out: dict[str, pd.DataFrame | str] = {}
    for key, query in QUERIES:
        try:
            out[key] = query(spark, c, project_dir) if query is signals else query(spark, c)
        except Missing as exc:
            log.warning("report: %s", exc)
            out[key] = str(exc)
    return out
