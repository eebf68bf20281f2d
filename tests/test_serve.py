"""`optlake serve` end to end: Iceberg tables written by the project's Spark, a real uvicorn server in a
subprocess (no JVM, no metastore: it reads the table folders), queried over HTTP with httpx.

The tables have the real tables' key columns and types (a subset of their other columns), written in two
commits each. Answers must equal Spark's for the same questions; a new Spark commit must be served after a
refresh; bad requests get a 4xx with a message, never a 500.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from loopback import free_port
from optlake.settings import PROJECT_DIR

pytestmark = pytest.mark.integration

SCHEMA = "serve_it"

TABLES = {
    "gold_rsibollingerstrategy": (
        "symbol string, trade_date date, ts timestamp, close double, signal string, strategy_name string",
        """select s, date_add(date'2025-01-02', d), timestamp_seconds(1735830000 + d * 86400 + m * 300),
                  100 + d + m / 10.0 + o, case when m % 3 = 0 then 'BUY_CALL' when m % 3 = 1 then 'HOLD'
                  else 'BUY_PUT' end, 'RSIBollingerStrategy'
           from (select explode(sequence({d0}, {d1})) as d)
           cross join (select explode(sequence(0, 5)) as m)
           cross join (select * from values ('SPY', 0.0), ('QQQ', 50.0) as t(s, o))""",
    ),
    "gold_laymanspystrategy": (
        "symbol string, underlying string, trade_date date, ts_recv timestamp, strike_price decimal(11,3), "
        "mid_price decimal(20,10), signal string, strategy_name string",
        """select concat('SPY   2503', lpad(cast(d as string), 2, '0'), 'C00', cast(600000 + m * 125 as string)),
                  'SPY', date_add(date'2025-01-02', d), timestamp_seconds(1735830000 + d * 86400 + m * 60),
                  cast(600 + m * 0.125 as decimal(11,3)), cast(1.2345678901 + m as decimal(20,10)),
                  if(m % 2 = 0, 'BUY_CALL', 'HOLD'), 'LaymanSPYStrategy'
           from (select explode(sequence({d0}, {d1})) as d) cross join (select explode(sequence(0, 7)) as m)""",
    ),
    "indicators_daily": (
        "symbol string, asset_class string, trade_date date, close double, rsi_14 double, st_obv double",
        """select s, 'etf', date_add(date'2025-01-02', d), 100 + d * 0.5 + o, if(d < 2, null, 40 + d), d
           from (select explode(sequence({d0}, {d1})) as d)
           cross join (select * from values ('SPY', 0.0), ('QQQ', 50.0) as t(s, o))""",
    ),
    "indicators_intraday": (
        "symbol string, session_date date, ts_start timestamp, close double",
        """select 'SPY', date_add(date'2025-01-02', d), timestamp_seconds(1735830000 + d * 86400 + m * 300),
                  500 + d + m / 100.0
           from (select explode(sequence({d0}, {d1})) as d) cross join (select explode(sequence(0, 77)) as m)""",
    ),
    "iv_surface_daily": (
        "trade_date date, underlying string, ts_recv timestamp, tenor_days int, iv_d50 double, atm_iv double, "
        "rr_25 double, bf_25 double, in_range boolean",
        """select date_add(date'2025-01-02', d), u, timestamp_seconds(1735851600 + d * 86400), t,
                  0.2 + t / 1000.0 + d / 100.0, 0.2 + t / 1000.0 + d / 100.0, -0.05, 0.01, t <= 180
           from (select explode(sequence({d0}, {d1})) as d)
           cross join (select explode(array(7, 30, 60, 90, 365)) as t)
           cross join (select explode(array('SPX', 'SPY')) as u)""",
    ),
    "vol_index": (
        "trade_date date, ts_recv timestamp, underlying string, vol_index double, status string",
        """select date_add(date'2025-01-02', d), timestamp_seconds(1735826400 + d * 86400 + h * 1800), 'SPX',
                  15 + d + h / 10.0, 'ok'
           from (select explode(sequence({d0}, {d1})) as d) cross join (select explode(sequence(0, 13)) as h)""",
    ),
}


def insert(spark, table: str, first_day: int, last_day: int) -> None:
    select = TABLES[table][1].format(d0=first_day, d1=last_day)
    spark.sql(f"insert into {SCHEMA}.{table} {select}")


@pytest.fixture(scope="module")
def warehouse(spark, settings) -> Path:
    spark.sql(f"create database if not exists {SCHEMA}")
    for table, (columns, _) in TABLES.items():
        day = "session_date" if table == "indicators_intraday" else "trade_date"
        spark.sql(f"drop table if exists {SCHEMA}.{table}")
        spark.sql(f"create table {SCHEMA}.{table} ({columns}) using iceberg partitioned by ({day})")
        insert(spark, table, 0, 4)  # two commits: the server must find the second metadata file
        insert(spark, table, 5, 9)
    return settings.warehouse


@pytest.fixture(scope="module")
def server(warehouse) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "OPTLAKE_TARGET": "local", "OPTLAKE_PROJECT_DIR": str(PROJECT_DIR)}
    command = [
        *(sys.executable, "-m", "optlake.cli"),
        *("--warehouse", str(warehouse), "--schema", SCHEMA, "serve", "--port", str(port)),
        *("--refresh-seconds", "0.5", "--tables", *TABLES),
    ]
    log = warehouse / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            pytest.fail(f"server did not start: {log.read_text()}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert " 500 " not in log.read_text() and "Traceback" not in log.read_text(), log.read_text()


def epoch(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp())


def test_health_reports_every_table_loaded(server):
    health = httpx.get(f"{server}/health").json()
    assert health["status"] == "ok" and set(health["tables"]) == set(TABLES)
    for table in health["tables"].values():
        assert table["state"] == "loaded" and table["rows"] > 0 and table["load_seconds"] >= 0
        assert Path(table["metadata_location"]).name.startswith("00002-")  # create + two inserts


def test_signals_equal_spark(server, spark):
    got = httpx.get(f"{server}/signals/RSIBollinger", params={"symbol": "QQQ", "limit": 7}).json()
    want = spark.sql(
        f"select unix_timestamp(ts) as t, close, signal from {SCHEMA}.gold_rsibollingerstrategy "
        "where symbol = 'QQQ' order by ts desc limit 7"
    ).collect()
    assert [(epoch(r["ts"]), r["close"], r["signal"]) for r in got["rows"]] == [tuple(r) for r in want]
    assert got["matched"] == 60 and got["truncated"]

    day = httpx.get(f"{server}/signals/gold_laymanspystrategy", params={"symbol": "SPY", "day": "2025-01-05"}).json()
    want = spark.sql(
        f"select symbol, strike_price, mid_price, signal from {SCHEMA}.gold_laymanspystrategy "
        "where underlying = 'SPY' and trade_date = date'2025-01-05' order by ts_recv desc"
    ).collect()
    assert [(r["symbol"], r["strike_price"], r["mid_price"], r["signal"]) for r in day["rows"]] == [
        (r[0], float(r[1]), float(r[2]), r[3]) for r in want
    ]
    assert day["rows"][1]["strike_price"] == 600.75  # decimal(11,3) exact

    every = httpx.get(f"{server}/signals/rsibollingerstrategy", params={"limit": 1000}).json()
    want = spark.sql(
        f"select count(*) from {SCHEMA}.gold_rsibollingerstrategy "
        f"where trade_date = (select max(trade_date) from {SCHEMA}.gold_rsibollingerstrategy)"
    ).collect()[0][0]
    assert every["day"] == "2025-01-11" and every["count"] == want == 12


def test_indicators_equal_spark(server, spark):
    got = httpx.get(f"{server}/indicators/SPY", params={"start": "2025-01-03", "end": "2025-01-08"}).json()
    want = spark.sql(
        f"select cast(trade_date as string), close, rsi_14 from {SCHEMA}.indicators_daily "
        "where symbol = 'SPY' and trade_date between date'2025-01-03' and date'2025-01-08' order by trade_date"
    ).collect()
    assert [(r["trade_date"], r["close"], r["rsi_14"]) for r in got["rows"]] == [tuple(r) for r in want]
    assert "st_obv" not in got["rows"][0] and got["rows"][0]["rsi_14"] is None

    intraday = httpx.get(
        f"{server}/indicators/SPY", params={"frequency": "5m", "start": "2025-01-04", "end": "2025-01-04"}
    ).json()
    want = spark.sql(
        f"select unix_timestamp(ts_start), close from {SCHEMA}.indicators_intraday "
        "where symbol = 'SPY' and session_date = date'2025-01-04' order by ts_start"
    ).collect()
    assert [(epoch(r["ts_start"]), r["close"]) for r in intraday["rows"]] == [tuple(r) for r in want]


def test_surface_term_structure_and_vol_index_equal_spark(server, spark):
    surface = httpx.get(f"{server}/surface/SPY", params={"day": "2025-01-06"}).json()
    want = spark.sql(
        f"select tenor_days, iv_d50, in_range from {SCHEMA}.iv_surface_daily "
        "where underlying = 'SPY' and trade_date = date'2025-01-06' order by tenor_days"
    ).collect()
    assert [(r["tenor_days"], r["iv_d50"], r["in_range"]) for r in surface["rows"]] == [tuple(r) for r in want]

    terms = httpx.get(f"{server}/term-structure/SPX").json()
    assert terms["day"] == "2025-01-11" and [r["tenor_days"] for r in terms["rows"]] == [7, 30, 60, 90, 365]
    assert set(terms["rows"][0]) == {
        "trade_date",
        "underlying",
        "ts_recv",
        "tenor_days",
        "atm_iv",
        "rr_25",
        "bf_25",
        "in_range",
    }

    vix = httpx.get(f"{server}/vol-index", params={"underlying": "SPX", "start": "2025-01-09"}).json()
    want = spark.sql(
        f"select unix_timestamp(ts_recv), vol_index from {SCHEMA}.vol_index "
        "where underlying = 'SPX' and trade_date >= date'2025-01-09' order by ts_recv"
    ).collect()
    assert [(epoch(r["ts_recv"]), r["vol_index"]) for r in vix["rows"]] == [tuple(r) for r in want]


def test_bad_requests_get_a_4xx_with_a_message(server):
    cases = {
        "/signals/NoSuchStrategy": (404, "unknown strategy"),
        "/signals/rsibollinger?symbol=IWM": (404, "no symbol 'IWM' in gold_rsibollingerstrategy; known: QQQ, SPY"),
        "/indicators/SPY?start=2025-02-01&end=2025-01-01": (400, "after end"),
        "/indicators/SPY?start=2025-02-31": (422, "date"),
        "/surface/SPX?day=2024-01-01": (404, "it has days 2025-01-02 to 2025-01-11"),
        "/vol-index?limit=-5": (422, "greater than or equal to 1"),
    }
    for url, (status, message) in cases.items():
        got = httpx.get(server + url)
        assert got.status_code == status, (url, got.text)
        assert message in got.text, (url, got.text)
    with httpx.Client(base_url=server) as client:
        for path in ("/signals/%s", "/indicators/%s", "/surface/%s", "/term-structure/%s"):
            for value in ("", "%25", "a" * 500, "..%2F..", "SPY?day=x", "SPY?limit=99999999999999999999"):
                assert client.get(path % value).status_code < 500


def test_a_new_commit_is_served_after_a_refresh(server, spark):
    before = httpx.get(f"{server}/health").json()["tables"]["vol_index"]
    insert(spark, "vol_index", 10, 10)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = httpx.get(f"{server}/health").json()["tables"]["vol_index"]
        if now["snapshot_id"] != before["snapshot_id"]:
            break
        time.sleep(0.2)
    want = spark.sql(f"select snapshot_id from {SCHEMA}.vol_index.snapshots order by committed_at desc limit 1")
    assert now["snapshot_id"] == want.collect()[0][0] and now["rows"] == before["rows"] + 14
    latest = httpx.get(f"{server}/vol-index", params={"limit": 1}).json()
    assert latest["rows"][0]["trade_date"] == "2025-01-12"
    assert httpx.get(f"{server}/signals/rsibollinger").status_code == 200  # the other tables still served
