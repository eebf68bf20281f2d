"""`optlake summary`: what the warehouse holds, table by table, and the last load."""

from __future__ import annotations

from typing import TYPE_CHECKING

from optlake.serving.query import format_table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def table_counts(spark: SparkSession, schema: str) -> list[tuple[str, int]]:
    """(table, rows) for every table and view of the schema, sorted by name."""
    names = sorted(r["tableName"] for r in spark.sql(f"show tables in {schema}").collect())
    return [(n, spark.table(f"{schema}.{n}").count()) for n in names]


def signal_counts(spark: SparkSession, schema: str) -> list[tuple[str, str, str, int]]:
    """(table, trade_date, signal, rows) of every Gold table, latest day first."""
    gold = sorted(r["tableName"] for r in spark.sql(f"show tables in {schema} like 'gold_*'").collect())
    rows: list[tuple[str, str, str, int]] = []
    for name in gold:
        counted = spark.sql(
            f"select trade_date, signal, count(*) as cnt from {schema}.{name} "
            "group by trade_date, signal order by trade_date desc, signal"
        ).collect()
        rows += [(name, str(r["trade_date"]), r["signal"], r["cnt"]) for r in counted]
    return rows


#: The indicator columns the summary shows for SPY and BTC-USD.
LATEST_INDICATORS = (
    "close",
    "sma_20",
    "sma_200",
    "rsi_14",
    "macd",
    "bb_pct_b",
    "atr_14",
    "hv_20",
    "beta_60",
    "corr_spy_60",
)


def latest_market_lines(spark: SparkSession, schema: str) -> list[str]:
    """The latest daily indicators of SPY and BTC-USD and the latest curve slopes, when built."""
    parts: list[str] = []
    if spark.catalog.tableExists(f"{schema}.indicators_daily"):
        rows = spark.sql(
            f"select i.symbol, i.trade_date, {', '.join('i.' + c for c in LATEST_INDICATORS)} "
            f"from {schema}.indicators_daily as i join (select symbol, max(trade_date) as trade_date "
            f"from {schema}.indicators_daily where symbol in ('SPY', 'BTC-USD') group by symbol) as latest "
            "on i.symbol = latest.symbol and i.trade_date = latest.trade_date order by i.symbol desc"
        ).collect()
        columns = ["symbol", "trade_date", *LATEST_INDICATORS]
        shown = [tuple(round(v, 4) if isinstance(v, float) else v for v in r) for r in rows]
        parts += ["", "Latest daily indicators:", format_table(columns, shown)]
    if spark.catalog.tableExists(f"{schema}.yield_curve_daily"):
        rows = spark.sql(
            f"select trade_date, irx, fvx, tnx, tyx, slope_10y_3m, slope_10y_5y from {schema}.yield_curve_daily "
            "order by trade_date desc limit 1"
        ).collect()
        columns = ["trade_date", "irx", "fvx", "tnx", "tyx", "slope_10y_3m", "slope_10y_5y"]
        parts += ["", "Latest yield curve (percent):", format_table(columns, [tuple(r) for r in rows])]
    return parts


def latest_volatility_lines(spark: SparkSession, schema: str, underlying: str = "SPX") -> list[str]:
    """The ATM term structure of ``underlying`` and its volatility index on the latest day, when built."""
    parts: list[str] = []
    if spark.catalog.tableExists(f"{schema}.iv_surface_daily"):
        rows = spark.sql(
            f"select trade_date, tenor_days, atm_iv, rr_25, bf_25, in_range from {schema}.iv_surface_daily "
            f"where underlying = '{underlying}' and trade_date = (select max(trade_date) "
            f"from {schema}.iv_surface_daily where underlying = '{underlying}') order by tenor_days"
        ).collect()
        if rows:
            shown = [
                (r["tenor_days"], *(None if v is None else round(100 * v, 2) for v in r[2:5]), r["in_range"])
                for r in rows
            ]
            columns = ["tenor_days", "atm_iv_pct", "rr_25_pct", "bf_25_pct", "in_range"]
            parts += ["", f"{underlying} ATM term structure on {rows[0]['trade_date']}:", format_table(columns, shown)]
    if spark.catalog.tableExists(f"{schema}.vol_index"):
        rows = spark.sql(
            f"select ts_recv, vol_index, status, near_expiry_date, next_expiry_date from {schema}.vol_index "
            f"where underlying = '{underlying}' and trade_date = (select max(trade_date) "
            f"from {schema}.vol_index where underlying = '{underlying}') order by ts_recv"
        ).collect()
        if rows:
            shown = [(str(r[0]), None if r[1] is None else round(r[1], 2), *r[2:]) for r in rows]
            columns = ["ts_recv_utc", "vol_index", "status", "near_expiry", "next_expiry"]
            parts += ["", f"{underlying} 30-day volatility index, latest day:", format_table(columns, shown)]
    return parts


def summary(spark: SparkSession, schema: str) -> str:
    parts = [f"Warehouse schema {schema}:", format_table(["table", "rows"], table_counts(spark, schema))]
    audit = f"{schema}.bronze_load_audit"
    if spark.catalog.tableExists(audit):
        rows = spark.sql(
            f"select status, count(*) as files, sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded, "
            f"sum(rows_quarantined) as rows_quarantined from {audit} "
            f"where load_id = (select max_by(load_id, started_at) from {audit}) group by status order by status"
        ).collect()
        parts += [
            "",
            "Last Bronze load:",
            format_table(["status", "files", "rows_read", "rows_loaded", "rows_quarantined"], [tuple(r) for r in rows]),
        ]
    parts += latest_market_lines(spark, schema)
    parts += latest_volatility_lines(spark, schema)
    signals = signal_counts(spark, schema)
    if signals:
        parts += ["", "Gold signals:", format_table(["table", "trade_date", "signal", "rows"], signals)]
    return "\n".join(parts)
