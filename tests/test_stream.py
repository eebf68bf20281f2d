"""`optlake stream` on Spark: once mode, late data, malformed lines, SIGKILL + restart, compaction, dbt bars."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from optlake.settings import PROJECT_DIR, Settings
from optlake.streaming.generator import generate_messages, to_jsonl, write_atomic, write_files
from optlake.streaming.messages import load_instruments
from optlake.streaming.stream import StreamConfig, ensure_stream_tables, run, start
from streamcheck import bar_tuples, expected_bars

pytestmark = pytest.mark.integration

INSTRUMENTS = load_instruments(PROJECT_DIR / "seeds" / "instruments.csv")
OPTLAKE = [sys.executable, "-m", "optlake.cli"]


def stream_once(spark, schema: str, landing: Path, tmp_path: Path, **kw) -> None:
    config = StreamConfig(str(landing), "s1", str(tmp_path / "ckpt"), schema, once=True, **kw)
    run(spark, config, INSTRUMENTS)


def table_bars(spark, schema: str) -> list[tuple]:
    rows = spark.sql(
        f"select symbol, ts_event, open, high, low, close, volume from {schema}.bronze_bars order by symbol, ts_event"
    ).collect()
    return [(r[0], r[1], *(Decimal(v).normalize() for v in r[2:6]), r[6]) for r in rows]


def quarantine(spark, schema: str) -> list[tuple]:
    return [
        tuple(r)
        for r in spark.sql(
            f"select file_name, line_number, reason from {schema}.bronze_quarantine order by 1, 2"
        ).collect()
    ]


def test_once_mode_late_data_and_malformed_lines(spark, schema: str, tmp_path: Path, dbt) -> None:
    landing = tmp_path / "landing"
    messages = generate_messages(("AAPL", "BTC-USD", "SPY"), 4, 11, bar_symbols=("SPY",), shuffle_seconds=5)
    write_files(messages, landing, 60, prefix="a")
    stream_once(spark, schema, landing, tmp_path)
    assert table_bars(spark, schema) == bar_tuples(expected_bars(messages))
    # the stream's max event time is now 14:35:00 (SPY's last bar ends then): watermark 14:34:30
    late_ok = {"type": "trade", "symbol": "AAPL", "ts_event": "2025-01-28T14:34:45Z", "price": "999", "size": 7}
    too_late = {"type": "trade", "symbol": "AAPL", "ts_event": "2025-01-28T14:33:10Z", "price": "1", "size": 5}
    bad = ['{"type": "trade", "symbol": "AAPL"', json.dumps({"type": "trade", "symbol": "AAPL", "price": 1, "size": 1})]
    write_atomic(landing / "b-late.jsonl", to_jsonl([late_ok, too_late]) + "\n".join(bad) + "\n")
    stream_once(spark, schema, landing, tmp_path)
    expected = expected_bars([*messages, late_ok])
    assert table_bars(spark, schema) == bar_tuples(expected)  # the 14:34 bar updated, not duplicated
    assert expected.loc[(expected.symbol == "AAPL") & (expected.ts_event == "2025-01-28 14:34"), "high"].item() == 999
    q = quarantine(spark, schema)
    assert q[0] == (
        "b-late.jsonl",
        2,
        "late: event time 2025-01-28T14:33:10.000000000Z before watermark 2025-01-28T14:34:30.000000000Z",
    )
    assert q[1][:2] == ("b-late.jsonl", 3) and q[1][2].startswith("malformed JSON")
    assert q[2] == ("b-late.jsonl", 4, "trade missing field(s): ts_event")
    # reconciliation: every line read is a message kept or a quarantined line
    kept = spark.sql(f"select count(*) from {schema}.bronze_market_messages").first()[0]
    assert kept + len(q) == len(messages) + 4
    lineage = spark.sql(f"select distinct file_name, rtype, trade_date from {schema}.bronze_bars order by 1").collect()
    assert [tuple(map(str, r)) for r in lineage] == [("stream-s1-20250128.ohlcv-1m", "33", "2025-01-28")]

    # the indicators' input: bars_1m from the streamed bars exactly as from loaded files
    dbt(schema, "seed", "--select", "instruments", "trading_calendar")
    dbt(schema, "run", "--select", "+bars_1m")
    built = spark.sql(
        f"select symbol, ts_event, open, high, low, close, volume from {schema}.bars_1m order by symbol, ts_event"
    ).collect()
    assert [(r[0], r[1], *(Decimal(v).normalize() for v in r[2:6]), r[6]) for r in built] == bar_tuples(expected)


def test_many_micro_batches_compacted_by_maintenance(spark, schema: str, tmp_path: Path, settings: Settings) -> None:
    from optlake.jobs.maintenance import run_maintenance

    landing = tmp_path / "landing"
    messages = generate_messages(("AAPL", "ETH-USD"), 6, 5)
    write_files(messages, landing, 12)
    # continuous mode: a processing-time trigger, stopped once every message is in
    config = StreamConfig(str(landing), "c1", str(tmp_path / "ckpt"), schema, interval_s=0.5, max_files_per_trigger=2)
    ensure_stream_tables(spark, schema)
    query = start(spark, config, INSTRUMENTS)
    try:
        query.processAllAvailable()
        assert query.isActive and query.exception() is None
    finally:
        query.stop()
    tables = ["bronze_market_messages", "bronze_bars"]
    before = {t: spark.sql(f"select count(*) from {schema}.{t}.files").first()[0] for t in tables}
    assert before["bronze_market_messages"] >= 3  # small files from the micro-batches
    report = run_maintenance(Settings(PROJECT_DIR, settings.warehouse, schema, "local"), tables)
    done = {e["table"].rsplit(".", 1)[-1]: e for e in report.done()}
    entry = done["bronze_market_messages"]
    assert entry["before"]["data_files"] == before["bronze_market_messages"] > entry["after"]["data_files"]
    after = spark.sql(f"select count(*) from {schema}.bronze_market_messages.files").first()[0]
    assert after < before["bronze_market_messages"]
    assert table_bars(spark, schema) == bar_tuples(expected_bars(messages))


def cli_env(warehouse: Path) -> dict[str, str]:
    return {**os.environ, "OPTLAKE_WAREHOUSE": str(warehouse), "OPTLAKE_PROJECT_DIR": str(PROJECT_DIR)}


def test_sigkill_mid_stream_then_restart_writes_every_bar_exactly_once(tmp_path: Path) -> None:
    warehouse, landing = tmp_path / "warehouse", tmp_path / "landing"
    messages = generate_messages(("AAPL", "MSFT", "BTC-USD"), 6, 3, bar_symbols=("MSFT",), shuffle_seconds=5)
    files = write_files(messages, landing, 20)
    assert len(files) >= 5
    args = ["stream", str(landing), "--once", "--max-files-per-trigger", "1"]
    proc = subprocess.Popen(
        [*OPTLAKE, *args],
        env=cli_env(warehouse),
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    offsets = warehouse / "_checkpoints" / "stream-landing" / "offsets"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None and not (offsets / "2").exists():
        time.sleep(0.05)
    time.sleep(1.0)  # batch 2 under way: some of its commits may be written, its checkpoint commit not
    assert proc.poll() is None, "the stream finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its JVM, mid-batch
    proc.wait()

    rerun = subprocess.run(
        [*OPTLAKE, *args], env=cli_env(warehouse), cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "stream landing batch" in rerun.stderr
    # read the table's newest snapshot with PyIceberg (no third JVM): the highest-numbered metadata file
    from pyiceberg.table import StaticTable

    metadata = max((warehouse / "trading_db.db" / "bronze_bars" / "metadata").glob("*.metadata.json"))
    frame = StaticTable.from_metadata(str(metadata)).scan().to_pandas().sort_values(["symbol", "ts_event"])
    rows = [
        (
            r.symbol,
            r.ts_event.tz_localize(None).to_pydatetime(),
            *(Decimal(r[c]).normalize() for c in ("open", "high", "low", "close")),
            int(r.volume),
        )
        for _, r in frame.iterrows()
    ]
    assert rows == bar_tuples(expected_bars(messages))  # every bar once, none missing
