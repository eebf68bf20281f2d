"""indicators_daily, indicators_intraday and yield_curve_daily on generated bars, built for real.

- a day-by-day incremental build equals one full build, which equals TA-Lib on the whole series;
- a new day rewrites the current period's partitions (symbol, year or month), not the history;
- reloading one old file recomputes that day and the later days of the affected symbols only;
- the curve slopes are the exact differences of the yields in the files;
- the yml documents every indicator column with the formula of optlake.analytics.docs.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import yaml

from landings import copied_landing
from logcapture import captured_log
from optlake.analytics.docs import COLUMN_DOCS
from optlake.bronze import load
from optlake.bronze.spec import trade_date_from_name
from optlake.generator import generate
from optlake.jobs.dbt_invoke import invoke_dbt
from optlake.settings import PROJECT_DIR, Settings

START = dt.date(2025, 1, 27)
DAYS = (dt.date(2025, 1, 27), dt.date(2025, 1, 28), dt.date(2025, 1, 29))
HISTORY_DAYS = 210
BUILD = ("--select", "+tag:analytics", "--exclude", "tag:gold", "option_analytics+")  # bars only: no options
RUN = ("run", "--select", "tag:bars", "tag:analytics", "--exclude", "option_analytics+")
SKIP = {"computed_at", "bars_version"}  # per run; the state columns are compared separately


def test_every_indicator_column_is_documented_with_its_formula() -> None:
    doc = yaml.safe_load((PROJECT_DIR / "python_models" / "analytics" / "_analytics__models.yml").read_text())
    for model in doc["models"]:
        described = {c["name"]: c["description"] for c in model["columns"]}
        for name, text in described.items():
            assert text.strip(), (model["name"], name)
            if name in COLUMN_DOCS:
                assert text == COLUMN_DOCS[name], (model["name"], name)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, list[Path]]:
    """The generated bar files: history plus the first day, then each later day (crypto: by UTC day)."""
    folder = tmp_path_factory.mktemp("bars")
    paths = generate(folder, len(DAYS), 1, START, sets=("bars",), history_days=HISTORY_DAYS)
    parts: dict[str, list[Path]] = {"first": [], "day2": [], "day3": []}
    for path in paths:
        day = trade_date_from_name(path.name)
        key = "day3" if day >= DAYS[2] else "day2" if day >= DAYS[1] else "first"
        parts[key].append(path)
    return parts


@pytest.fixture(scope="module")
def built(spark, dbt, files, tmp_path_factory) -> dict[str, str]:
    """`inc`: the first part built, then each day loaded and run; `full`: everything built at once."""
    tmp = tmp_path_factory.mktemp("landings")
    inc, full = "ind_inc", "ind_full"
    for schema in (inc, full):
        spark.sql(f"create database if not exists {schema}")
    load(spark, copied_landing(tmp / "inc-first", files["first"]), inc)
    dbt(inc, "build", *BUILD)
    for part in ("day2", "day3"):
        load(spark, copied_landing(tmp / f"inc-{part}", files[part]), inc)
        dbt(inc, *RUN)
    load(spark, copied_landing(tmp / "full", [p for part in files.values() for p in part]), full)
    dbt(full, "build", *BUILD)
    return {"inc": inc, "full": full}


def rows(spark, schema: str, table: str, order: str) -> list[dict]:
    return [r.asDict() for r in spark.sql(f"select * from {schema}.{table} order by symbol, {order}").collect()]


def same(a, b) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
        return (a is None or a != a) and (b is None or b != b)
    if isinstance(a, float):
        return abs(a - b) <= 1e-12 * max(1.0, abs(a))
    return a == b


@pytest.mark.parametrize(("table", "order"), [("indicators_daily", "trade_date"), ("indicators_intraday", "ts_start")])
def test_day_by_day_equals_one_full_build(spark, built, table: str, order: str) -> None:
    inc, full = rows(spark, built["inc"], table, order), rows(spark, built["full"], table, order)
    assert len(inc) == len(full) > 0
    columns = [c for c in full[0] if c not in SKIP and not c.startswith("st_")]
    for a, b in zip(inc, full, strict=True):
        for c in columns:
            assert same(a[c], b[c]), (table, a["symbol"], a[order], c, a[c], b[c])
    # The full build stores the state on each symbol's last row; the daily runs on every day's last row.
    last = {r["symbol"]: r for r in full}
    assert all(r["st_bar_count"] is not None for r in last.values())
    assert sum(r["st_bar_count"] is not None for r in full) == len(last)


TALIB = {
    "sma_20": lambda t, c, h, lo, v: t.SMA(c, 20),
    "sma_200": lambda t, c, h, lo, v: t.SMA(c, 200),
    "ema_12": lambda t, c, h, lo, v: t.EMA(c, 12),
    "ema_26": lambda t, c, h, lo, v: t.EMA(c, 26),
    "macd": lambda t, c, h, lo, v: t.MACD(c, 12, 26, 9)[0],
    "macd_signal": lambda t, c, h, lo, v: t.MACD(c, 12, 26, 9)[1],
    "macd_hist": lambda t, c, h, lo, v: t.MACD(c, 12, 26, 9)[2],
    "roc_10": lambda t, c, h, lo, v: t.ROC(c, 10),
    "mom_10": lambda t, c, h, lo, v: t.MOM(c, 10),
    "rsi_14": lambda t, c, h, lo, v: t.RSI(c, 14),
    "bb_upper": lambda t, c, h, lo, v: t.BBANDS(c, 20, 2, 2, 0)[0],
    "bb_lower": lambda t, c, h, lo, v: t.BBANDS(c, 20, 2, 2, 0)[2],
    "atr_14": lambda t, c, h, lo, v: t.ATR(h, lo, c, 14),
    "obv": lambda t, c, h, lo, v: t.OBV(c, v),
    "ad": lambda t, c, h, lo, v: t.AD(h, lo, c, v),
}


@pytest.mark.parametrize("symbol", ["SPY", "BTC-USD", "^TNX"])
def test_daily_indicators_equal_talib_over_the_whole_series(spark, built, symbol: str) -> None:
    talib = pytest.importorskip("talib")
    got = [r for r in rows(spark, built["inc"], "indicators_daily", "trade_date") if r["symbol"] == symbol]
    assert len(got) > 200
    c, h, lo, v = (np.array([r[k] for r in got], dtype=float) for k in ("close", "high", "low", "volume"))
    worst = 0.0
    for column, reference in TALIB.items():
        expected = reference(talib, c, h, lo, v)
        mine = np.array([np.nan if r[column] is None else r[column] for r in got], dtype=float)
        np.testing.assert_array_equal(np.isnan(mine), np.isnan(expected), err_msg=column)
        ok = ~np.isnan(expected)
        error = np.abs(mine[ok] - expected[ok]) / np.maximum(1.0, np.abs(expected[ok]))
        worst = max(worst, float(error.max(initial=0.0)))
        assert (error <= 1e-9).all(), (column, float(error.max()))
    assert worst <= 1e-9


def test_a_new_day_rewrites_the_current_period_not_the_history(spark, built) -> None:
    schema = built["inc"]
    for table, field in (("indicators_daily", "trade_date_year"), ("indicators_intraday", "session_date_month")):
        assert spark.table(f"{schema}.{table}.partitions").schema["partition"].dataType.names == ["symbol", field]
    # The last run (the third day): every symbol was affected (SPX changed), and only its 2025 rows
    # were replaced; the history days of 2024 were not rewritten.
    operation, summary = spark.sql(
        f"select operation, summary from {schema}.indicators_daily.snapshots order by committed_at desc limit 1"
    ).first()
    count = f"select count(*) from {schema}.indicators_daily where trade_date"
    in_2024 = spark.sql(f"{count} < date'2025-01-01'").first()[0]
    in_2025 = spark.sql(f"{count} >= date'2025-01-01'").first()[0]
    assert in_2024 > 200
    assert operation == "overwrite"
    assert 0 < int(summary["deleted-records"]) <= in_2025
    assert int(summary["total-records"]) == in_2024 + in_2025


def test_an_incremental_python_model_writes_its_table_once_without_a_temporary_table(spark, dbt, built) -> None:
    """dbt-oss-spark's incremental materialization writes a Python model's result straight into the
    table: dbt-spark's would write `<model>__dbt_tmp`, copy it with SQL and drop it."""
    statements: list[str] = []

    def on_event(event) -> None:
        if event.info.name == "SQLQuery":
            statements.append(event.data.sql)

    settings = Settings(PROJECT_DIR, dbt.settings.warehouse, built["inc"], "local")
    result = invoke_dbt(settings, *RUN, "--quiet", target_path=dbt.target_path / "once", callbacks=[on_event])
    ran = {r.node.name: str(r.status) for r in result.result.results}
    assert ran["indicators_daily"] == ran["indicators_intraday"] == "success"
    assert statements  # the SQL models' statements reached the callback
    temporary = ("indicators_daily__dbt_tmp", "indicators_intraday__dbt_tmp")
    assert not [sql for sql in statements if any(name in sql for name in temporary)]


def test_reloading_one_old_file_recomputes_only_its_symbols_from_that_day(spark, dbt, built, files, tmp_path) -> None:
    schema = built["inc"]
    before = {
        (r["symbol"], r["trade_date"]): r["computed_at"] for r in rows(spark, schema, "indicators_daily", "trade_date")
    }
    crypto_day2 = next(p for p in files["day2"] if p.name.startswith("coinbase-") and ".ohlcv-1m." in p.name)
    day = trade_date_from_name(crypto_day2.name)
    load(spark, copied_landing(tmp_path / "reload", [crypto_day2]), schema)
    dbt(schema, *RUN)
    after = {
        (r["symbol"], r["trade_date"]): r["computed_at"] for r in rows(spark, schema, "indicators_daily", "trade_date")
    }
    assert after.keys() == before.keys()
    crypto = {"BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD", "XRP-USD"}
    changed = {key for key in after if after[key] != before[key]}
    assert changed == {(s, d) for s, d in after if s in crypto and d >= day}


def test_curve_slopes_are_the_exact_differences_of_the_yields(spark, built, files) -> None:
    treasury = next(p for p in files["day3"] if p.name.startswith("treasury-"))
    close = {line.split(",")[-1]: Decimal(line.split(",")[7]) for line in treasury.read_text().splitlines()[1:]}
    day = trade_date_from_name(treasury.name)
    row = spark.sql(f"select * from {built['inc']}.yield_curve_daily where trade_date = date'{day}'").collect()[0]
    assert row["slope_10y_3m"] == close["^TNX"] - close["^IRX"]
    assert row["slope_10y_5y"] == close["^TNX"] - close["^FVX"]


def test_days_the_bars_no_longer_have_are_found_and_deleted(spark, schema) -> None:
    from optlake.analytics.incremental import changed_days, delete_days

    table = f"{schema}.stored"
    spark.sql(
        f"create table {table} (symbol string, trade_date date, bars_version timestamp) using iceberg"
        " partitioned by (symbol, years(trade_date))"
    )
    spark.sql(
        f"insert into {table} values ('A', date'2024-12-31', timestamp'2025-01-01 00:00:00'),"
        " ('A', date'2025-01-02', timestamp'2025-01-01 00:00:00'), ('A', date'2025-01-03', timestamp'2025-01-01 00:00:00'),"
        " ('B', date'2025-01-02', timestamp'2025-01-01 00:00:00')"
    )
    bars = spark.createDataFrame(
        [("A", dt.date(2024, 12, 31), dt.datetime(2025, 1, 1)), ("B", dt.date(2025, 1, 2), dt.datetime(2025, 1, 1))],
        "symbol string, trade_date date, bars_version timestamp",
    )
    first, gone = changed_days(bars, spark.table(table), "trade_date")
    assert first == {"A": dt.date(2025, 1, 2)}
    assert gone == {"A": [dt.date(2025, 1, 2), dt.date(2025, 1, 3)]}
    delete_days(spark, table, "trade_date", gone)
    left = spark.sql(f"select symbol, trade_date from {table} order by 1, 2").collect()
    assert [tuple(r) for r in left] == [("A", dt.date(2024, 12, 31)), ("B", dt.date(2025, 1, 2))]


def test_changes_are_found_from_the_file_metadata_and_the_newer_rows(spark, schema) -> None:
    """`changes` reads the stored side's versions from its files and the input rows newer than them;
    only when rows vanished (the counts do not reconcile) does it compare every day."""
    from optlake.analytics.incremental import changes

    table = f"{schema}.marks"
    old, new = dt.datetime(2025, 1, 1), dt.datetime(2025, 2, 1)
    spark.sql(
        f"create table {table} (symbol string, trade_date date, bars_version timestamp) using iceberg"
        " partitioned by (symbol, years(trade_date))"
    )
    stored = [("A", dt.date(2024, 12, 31), old), ("A", dt.date(2025, 1, 2), old), ("B", dt.date(2025, 1, 2), old)]
    spark.createDataFrame(stored, "symbol string, trade_date date, bars_version timestamp").writeTo(table).append()
    schema_ = "symbol string, trade_date date, bars_version timestamp"
    cases = (
        # nothing changed
        (stored, (["A", "B"], {}, {}), False),
        # A's day reloaded, B's next day and a new symbol C arrive
        (
            [stored[0], ("A", dt.date(2025, 1, 2), new), stored[2], *[(s, dt.date(2025, 1, 3), new) for s in "BC"]],
            (["A", "B", "C"], {"A": dt.date(2025, 1, 2), "B": dt.date(2025, 1, 3), "C": dt.date(2025, 1, 3)}, {}),
            False,
        ),
        # A's 2025-01-02 vanished while B gained a day: the counts reconcile only day by day
        (
            [stored[0], stored[2], ("B", dt.date(2025, 1, 3), new)],
            (["A", "B"], {"A": dt.date(2025, 1, 2), "B": dt.date(2025, 1, 3)}, {"A": [dt.date(2025, 1, 2)]}),
            True,
        ),
    )
    for rows, expected, compares_every_day in cases:
        with captured_log() as messages:
            symbols, first, gone = changes(
                spark, spark.createDataFrame(rows, schema_), table, spark.table(table), "trade_date"
            )
        assert (sorted(symbols), first, gone) == expected
        assert any("comparing every day" in m for m in messages) == compares_every_day


def test_a_table_partitioned_by_symbol_only_is_rewritten_per_symbol(spark, schema) -> None:
    from optlake.analytics.incremental import stored_period

    specs = (
        ("old", "symbol", "trade_date", None),
        ("yearly", "symbol, years(trade_date)", "trade_date", "year"),
        ("monthly", "symbol, months(session_date)", "session_date", "month"),
    )
    with captured_log() as messages:
        for name, spec, day, expected in specs:
            spark.sql(f"create table {schema}.{name} (symbol string, {day} date) using iceberg partitioned by ({spec})")
            assert stored_period(spark, f"{schema}.{name}", day) == expected
    assert len(messages) == 1 and "partitioned by symbol only" in messages[0] and "--full-refresh" in messages[0]
