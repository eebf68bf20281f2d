"""The bars tables (bars_rejected, bars_1m, bars_5m, bars_daily) on generated OHLCV files, against
independent aggregations of the CSV files, and their incremental behaviour from Iceberg metadata.

One scenario, in order:
1. history days (daily bars only) and the trading days 2025-11-26 and 2025-11-28 (the early close
   after Thanksgiving; crypto also 2025-11-27), with a SPY bar repeated in one file and a bar of
   an unknown symbol appended: build and check every number;
2. the next trading day (2025-12-01, crypto 11-29 to 12-01) arrives: only its days are written;
3. nothing new: no commit in any of the four tables;
4. 2025-11-26's minute file is reloaded without the two appended lines: that day is rebuilt in all
   four tables, and its old rejects leave bars_rejected.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from optlake.bronze import LocalLanding, load
from optlake.bronze.specs import ohlcv
from optlake.generator import generate

SCHEMA = "bars_scenario"
START = dt.date(2025, 11, 26)
DAY1, EARLY, DAY3 = dt.date(2025, 11, 26), dt.date(2025, 11, 28), dt.date(2025, 12, 1)
THANKSGIVING = dt.date(2025, 11, 27)
HISTORY = (dt.date(2025, 11, 21), dt.date(2025, 11, 24), dt.date(2025, 11, 25))
NEW_DAYS = {dt.date(2025, 11, 29), dt.date(2025, 11, 30), DAY3}
TABLES = ("bars_rejected", "bars_1m", "bars_5m", "bars_daily")
SELECT = ("--select", "+tag:bars")
DUPLICATE_TS = "2025-11-26T15:00:00.000000000Z"


def table(name: str) -> str:
    return f"{SCHEMA}.{name}"


# ---------------------------------------------------------------------------------------------
# the files, and what they say independently of the models


def read_bars(path: Path) -> list[dict]:
    """The bars of one OHLCV CSV file: ts_event as a UTC datetime, exact decimal prices."""
    rows = []
    for line in path.read_text().splitlines()[1:]:
        ts, rtype, _pub, _iid, o, h, lo, c, vol, symbol = line.split(",")
        rows.append(
            {
                "ts": dt.datetime.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S"),
                "rtype": int(rtype),
                "symbol": symbol,
                "open": Decimal(o),
                "high": Decimal(h),
                "low": Decimal(lo),
                "close": Decimal(c),
                "volume": int(vol),
            }
        )
    return rows


def aggregate(bars: list[dict]) -> tuple:
    """(open, high, low, close, volume, count) of bars: first open, max high, min low, last close."""
    bars = sorted(bars, key=lambda b: b["ts"])
    return (
        bars[0]["open"],
        max(b["high"] for b in bars),
        min(b["low"] for b in bars),
        bars[-1]["close"],
        sum(b["volume"] for b in bars),
        len(bars),
    )


def utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bars-generated")
    generate(out, days=3, rows_per_day=100, start=START, sets=("bars",), history_days=len(HISTORY))
    return out


def landing(tmp_path_factory, generated: Path, name: str, first: dt.date, last: dt.date) -> Path:
    """A landing folder with the generated files of the days first..last."""
    folder = tmp_path_factory.mktemp(name)
    for path in sorted(generated.glob("*.csv")):
        if first <= dt.datetime.strptime(path.name.split(".")[0][-8:], "%Y%m%d").date() <= last:
            shutil.copy(path, folder)
    return folder


def snapshots(spark, name: str) -> list[tuple]:
    rows = spark.sql(f"select snapshot_id, operation, summary from {table(name)}.snapshots order by committed_at")
    return [(r[0], r[1], dict(r[2])) for r in rows.collect()]


def per_day(spark, sql: str) -> dict[dt.date, int]:
    return {r[0]: r[1] for r in spark.sql(sql).collect()}


def daily_row(spark, symbol: str, day: dt.date) -> dict:
    rows = spark.sql(
        f"select * from {table('bars_daily')} where symbol = '{symbol}' and trade_date = date'{day}'"
    ).collect()
    assert len(rows) == 1, (symbol, day, rows)
    return rows[0].asDict()


def assert_minutes_reconcile(spark) -> None:
    """For every day: bars_1m + 1-minute rejects = Bronze 1-minute rows."""
    bronze = per_day(spark, f"select trade_date, count(*) from {table('bronze_bars')} where rtype = 33 group by 1")
    kept = per_day(spark, f"select trade_date, count(*) from {table('bars_1m')} group by 1")
    rejected = per_day(spark, f"select trade_date, count(*) from {table('bars_rejected')} where rtype = 33 group by 1")
    assert {d: kept.get(d, 0) + rejected.get(d, 0) for d in bronze} == bronze
    assert set(kept) <= set(bronze) and set(rejected) <= set(bronze)


# ---------------------------------------------------------------------------------------------
# 1. the first build


@pytest.fixture(scope="module")
def first_build(spark, dbt, generated, tmp_path_factory) -> dict:
    folder = landing(tmp_path_factory, generated, "bars-landing-1", HISTORY[0], EARLY)
    minute_file = folder / ohlcv.file_name("xnas-itch", DAY1)
    lines = minute_file.read_text().splitlines()
    spy = next(line for line in lines if line.startswith(DUPLICATE_TS) and line.endswith(",SPY"))
    fields = spy.split(",")
    fields[8] = str(int(fields[8]) + 1)  # the same SPY minute again, one more share traded
    with minute_file.open("a") as f:
        f.write(",".join(fields) + "\n")
        f.write(spy.replace(",SPY", ",ZZZZ") + "\n")
    spark.sql(f"create database if not exists {SCHEMA}")
    load(spark, LocalLanding(folder), SCHEMA)
    dbt(SCHEMA, "build", *SELECT)
    return {"spy_line": spy, "spy_volume": int(spy.split(",")[8]), "minute_file": minute_file.name}


def test_every_minute_is_kept_or_rejected(spark, first_build):
    assert_minutes_reconcile(spark)
    bronze = spark.sql(f"select count(*) from {table('bronze_bars')} where rtype = 33").collect()[0][0]
    kept = spark.sql(f"select count(*) from {table('bars_1m')}").collect()[0][0]
    assert kept == bronze - 2 > 0


def test_the_bar_delivered_twice_keeps_one_copy_and_rejects_the_other(spark, first_build):
    rejects = spark.sql(
        f"select symbol, reject_reason, duplicate_of, copy_rank, volume, file_name from {table('bars_rejected')}"
    ).collect()
    file_name = first_build["minute_file"]
    assert sorted(tuple(r) for r in rejects) == sorted(
        [
            # two copies in one file: the larger volume is kept (rule: newest load, file name, then values)
            ("SPY", "duplicate_bar", file_name, 2, first_build["spy_volume"], file_name),
            ("ZZZZ", "unknown_symbol", None, 1, first_build["spy_volume"], file_name),
        ]
    )
    kept = spark.sql(
        f"select volume from {table('bars_1m')} where symbol = 'SPY' and ts_event = timestamp'2025-11-26 15:00:00'"
    ).collect()
    assert [r[0] for r in kept] == [first_build["spy_volume"] + 1]


def test_spy_daily_is_the_regular_session_of_its_minute_file(spark, generated, first_build):
    for day, close in ((DAY1, utc(DAY1, 21)), (EARLY, utc(EARLY, 18))):  # 16:00 / 13:00 New York
        bars = [b for b in read_bars(generated / ohlcv.file_name("xnas-itch", day)) if b["symbol"] == "SPY"]
        if day == DAY1:  # the appended copy with one more share is the one kept
            bars = [{**b, "volume": b["volume"] + 1} if b["ts"] == utc(DAY1, 15) else b for b in bars]
        session = [b for b in bars if utc(day, 14, 30) <= b["ts"] < close]
        row = daily_row(spark, "SPY", day)
        assert (row["open"], row["high"], row["low"], row["close"], row["volume"], row["bar_count"]) == aggregate(
            session
        )
        assert row["source"] == "minute_bars" and row["asset_class"] == "etf"
    # the early close really cuts: the file has minutes after 13:00 New York, kept in bars_1m out of session
    after_close = [
        b
        for b in read_bars(generated / ohlcv.file_name("xnas-itch", EARLY))
        if b["symbol"] == "SPY" and b["ts"] >= utc(EARLY, 18)
    ]
    assert len(after_close) == 180
    counts = spark.sql(
        f"select in_session, count(*) from {table('bars_1m')} where symbol = 'SPY' "
        f"and trade_date = date'{EARLY}' group by 1"
    ).collect()
    assert dict((r[0], r[1]) for r in counts) == {True: 210, False: 180}
    assert daily_row(spark, "SPY", EARLY)["bar_count"] == 210


def test_crypto_daily_is_the_utc_day_of_its_minutes(spark, generated, first_build):
    for day in (DAY1, THANKSGIVING, EARLY):
        bars = [b for b in read_bars(generated / ohlcv.file_name("coinbase", day)) if b["symbol"] == "BTC-USD"]
        assert {b["ts"].date() for b in bars} == {day}
        row = daily_row(spark, "BTC-USD", day)
        assert (row["open"], row["high"], row["low"], row["close"], row["volume"], row["bar_count"]) == aggregate(bars)
        assert row["bar_count"] == 1440 and row["source"] == "minute_bars"
    assert (
        spark.sql(
            f"select count(*) from {table('bars_daily')} where trade_date = date'{THANKSGIVING}' "
            "and asset_class != 'crypto'"
        ).collect()[0][0]
        == 0
    ), "no equity day on a holiday"


def test_yields_and_history_days_come_from_the_vendor_daily_bars(spark, generated, first_build):
    checked = 0
    for day in (*HISTORY, DAY1, EARLY):
        files = [
            generated / ohlcv.file_name("treasury", day, "1d"),
            generated / ohlcv.file_name("xnas-itch", day, "1d"),
        ]
        for bar in (b for path in files for b in read_bars(path)):
            if bar["symbol"].startswith("^") or day in HISTORY:
                row = daily_row(spark, bar["symbol"], day)
                assert (row["open"], row["high"], row["low"], row["close"], row["volume"]) == (
                    bar["open"],
                    bar["high"],
                    bar["low"],
                    bar["close"],
                    bar["volume"],
                )
                assert (row["source"], row["bar_count"]) == ("vendor_daily", None)
                checked += 1
    assert checked == 4 * 5 + 19 * 3  # 4 yields on 5 trading days; 19 xnas symbols on 3 history days
    sources = spark.sql(f"select source, count(*) from {table('bars_daily')} group by 1").collect()
    # minute bars: 19 xnas symbols on 2 days + 5 crypto on 3 days; vendor: 4 yields x 5 days, the
    # 3 history days' 19 xnas symbols, and crypto's daily-only history days (11-21 to 11-25)
    assert dict((r[0], r[1]) for r in sources) == {"minute_bars": 19 * 2 + 5 * 3, "vendor_daily": 20 + 57 + 5 * 5}


def test_five_minute_bars_aggregate_the_session_minutes(spark, generated, first_build):
    spy = [b for b in read_bars(generated / ohlcv.file_name("xnas-itch", EARLY)) if b["symbol"] == "SPY"]
    buckets = defaultdict(list)
    for b in spy:
        if utc(EARLY, 14, 30) <= b["ts"] < utc(EARLY, 18):
            buckets[b["ts"].replace(minute=b["ts"].minute - b["ts"].minute % 5)].append(b)
    rows = spark.sql(f"select * from {table('bars_5m')} where symbol = 'SPY' and trade_date = date'{EARLY}'").collect()
    assert len(rows) == len(buckets) == 42
    for r in rows:
        assert (r["open"], r["high"], r["low"], r["close"], r["volume"], r["bar_count"]) == aggregate(
            buckets[r["ts_start"]]
        )
        assert r["session_date"] == EARLY
    per_symbol = spark.sql(
        f"select symbol, count(*) from {table('bars_5m')} where trade_date = date'{THANKSGIVING}' group by 1"
    ).collect()
    assert dict((r[0], r[1]) for r in per_symbol) == {
        s: 288 for s in ("BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD", "XRP-USD")
    }
    # a day's minutes, summed over its 5-minute buckets, are its in-session minutes
    totals = spark.sql(f"""
        select (select sum(bar_count) from {table("bars_5m")}),
               (select count(*) from {table("bars_1m")} where in_session),
               (select sum(bar_count) from {table("bars_daily")} where source = 'minute_bars')""").collect()[0]
    assert totals[0] == totals[1] == totals[2]


def test_versions_are_the_bronze_load(spark, first_build):
    loads = spark.sql(f"select distinct ingested_at from {table('bronze_bars')}").collect()
    assert len(loads) == 1
    for name, column in (
        ("bars_1m", "bronze_ingested_at"),
        ("bars_5m", "bars_version"),
        ("bars_daily", "bars_version"),
    ):
        assert [r[0] for r in spark.sql(f"select distinct {column} from {table(name)}").collect()] == [loads[0][0]]


# ---------------------------------------------------------------------------------------------
# 2.-4. incremental


@pytest.fixture(scope="module")
def second_build(spark, dbt, generated, first_build, tmp_path_factory) -> dict:
    before = {name: snapshots(spark, name) for name in TABLES}
    load(
        spark,
        LocalLanding(landing(tmp_path_factory, generated, "bars-landing-2", EARLY + dt.timedelta(days=1), DAY3)),
        SCHEMA,
    )
    dbt(SCHEMA, "build", *SELECT)
    return before


def test_a_new_day_writes_only_its_own_partitions(spark, second_build):
    for name in ("bars_1m", "bars_5m", "bars_daily"):
        new = snapshots(spark, name)[len(second_build[name]) :]
        assert len(new) == 1, name
        summary = new[0][2]
        assert summary["changed-partition-count"] == str(len(NEW_DAYS)), name
        assert summary.get("deleted-records", "0") == "0", name
    assert snapshots(spark, "bars_rejected") == second_build["bars_rejected"], "no rejects: no commit"
    days = per_day(spark, f"select trade_date, count(*) from {table('bars_daily')} group by 1")
    assert {d: days[d] for d in NEW_DAYS} == {dt.date(2025, 11, 29): 5, dt.date(2025, 11, 30): 5, DAY3: 19 + 5 + 4}
    assert_minutes_reconcile(spark)


@pytest.fixture(scope="module")
def unchanged_build(spark, dbt, second_build) -> dict:
    before = {name: (snapshots(spark, name), sorted(map(tuple, spark.table(table(name)).collect()))) for name in TABLES}
    dbt(SCHEMA, "run", *SELECT)
    return before


def test_nothing_new_commits_nothing(spark, unchanged_build):
    for name in TABLES:
        assert snapshots(spark, name) == unchanged_build[name][0], name
        assert sorted(map(tuple, spark.table(table(name)).collect())) == unchanged_build[name][1], name


@pytest.fixture(scope="module")
def reloaded_build(spark, dbt, generated, first_build, unchanged_build, tmp_path_factory) -> dict:
    """2025-11-26's minute file again, as generated: without the repeated SPY bar and the unknown symbol."""
    before = {name: snapshots(spark, name) for name in TABLES}
    others = {
        name: sorted(map(tuple, spark.sql(f"select * from {table(name)} where trade_date != date'{DAY1}'").collect()))
        for name in TABLES
    }
    folder = tmp_path_factory.mktemp("bars-landing-reload")
    shutil.copy(generated / first_build["minute_file"], folder)
    load(spark, LocalLanding(folder), SCHEMA)
    dbt(SCHEMA, "build", *SELECT)
    return {"snapshots": before, "others": others}


def test_a_reloaded_day_is_rebuilt_in_all_four_tables(spark, generated, reloaded_build):
    new_load = spark.sql(
        f"select max(ingested_at) from {table('bronze_bars')} where trade_date = date'{DAY1}'"
    ).collect()[0][0]
    for name in TABLES:
        new = snapshots(spark, name)[len(reloaded_build["snapshots"][name]) :]
        assert new, f"{name}: the reloaded day was not rewritten"
        for _, _, summary in new:
            assert summary["changed-partition-count"] == "1", name
        rest = sorted(map(tuple, spark.sql(f"select * from {table(name)} where trade_date != date'{DAY1}'").collect()))
        assert rest == reloaded_build["others"][name], f"{name}: other days touched"
    # the day's old rejects are gone: the reloaded file has neither the repeated bar nor ZZZZ
    assert spark.sql(f"select count(*) from {table('bars_rejected')}").collect()[0][0] == 0
    assert_minutes_reconcile(spark)
    spy = [b for b in read_bars(generated / ohlcv.file_name("xnas-itch", DAY1)) if b["symbol"] == "SPY"]
    row = daily_row(spark, "SPY", DAY1)
    session = [b for b in spy if utc(DAY1, 14, 30) <= b["ts"] < utc(DAY1, 21)]
    assert (row["open"], row["high"], row["low"], row["close"], row["volume"], row["bar_count"]) == aggregate(session)
    assert row["bars_version"] == new_load
    assert [
        r[0]
        for r in spark.sql(
            f"select distinct bronze_ingested_at from {table('bars_1m')} "
            f"where trade_date = date'{DAY1}' and publisher_id = 2"
        ).collect()
    ] == [new_load]


def test_after_the_reload_nothing_new_commits_nothing(spark, dbt, reloaded_build):
    before = {name: snapshots(spark, name) for name in TABLES}
    dbt(SCHEMA, "run", *SELECT)
    assert {name: snapshots(spark, name) for name in TABLES} == before
