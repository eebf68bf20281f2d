"""The optlake command line as a user runs it: separate processes, their own warehouse."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optlake.generator import generate
from optlake.settings import PROJECT_DIR

pytestmark = pytest.mark.integration

OPTLAKE = [sys.executable, "-m", "optlake.cli"]


def cli_env(warehouse: Path) -> dict[str, str]:
    return {**os.environ, "OPTLAKE_WAREHOUSE": str(warehouse), "OPTLAKE_PROJECT_DIR": str(PROJECT_DIR)}


def optlake(warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*OPTLAKE, *args], env=cli_env(warehouse), capture_output=True, text=True, timeout=600, cwd=PROJECT_DIR
    )


def test_interrupted_load_then_rerun_leaves_no_duplicates(tmp_path: Path) -> None:
    warehouse, landing = tmp_path / "warehouse", tmp_path / "landing"
    rows = 1_500_000
    [day] = generate(landing, days=1, rows_per_day=rows, start=dt.date(2025, 2, 3), seed=3)
    data_dir = warehouse / "trading_db.db" / "bronze_options_chain" / "data"

    proc = subprocess.Popen(
        [*OPTLAKE, "load", str(landing)],
        env=cli_env(warehouse),
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if data_dir.exists() and any(data_dir.rglob("*.parquet")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the load finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)  # the Python driver and its Spark JVM, mid-write
    proc.wait()
    assert day.exists(), "an interrupted load must leave its file in the landing folder"

    rerun = optlake(warehouse, "load", str(landing))
    assert rerun.returncode == 0, rerun.stderr
    assert f"read {rows:,}, loaded {rows:,}, quarantined 0" in rerun.stderr
    assert (landing / "processed" / day.name).exists()

    out = optlake(
        warehouse,
        "query",
        "select count(*) as n, count(distinct symbol, ts_recv_ns) as k, count(distinct load_id) as loads "
        "from trading_db.bronze_options_chain",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[2].split("|") == [f"{rows:>7} ", f" {rows:>7} ", "     1"]


def test_query_and_summary_answer_on_a_loaded_warehouse(tmp_path: Path, fixture_csv: Path) -> None:
    warehouse, landing = tmp_path / "warehouse", tmp_path / "landing"
    landing.mkdir()
    (landing / fixture_csv.name).write_bytes(fixture_csv.read_bytes())
    assert optlake(warehouse, "load", str(landing)).returncode == 0
    out = optlake(
        warehouse,
        "query",
        "select trade_date, count(*) from trading_db.bronze_options_chain group by trade_date",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[2] == "2025-01-28 |        9"
    query_file = tmp_path / "by_symbol.sql"
    query_file.write_text(
        "-- a commented query file\nselect count(distinct symbol) as symbols\nfrom trading_db.bronze_options_chain\n"
    )
    from_file = optlake(warehouse, "query", str(query_file))
    assert from_file.returncode == 0, from_file.stderr
    assert from_file.stdout.splitlines()[2].strip() == "9"
    bad = optlake(warehouse, "query", "select * from trading_db.no_such_table")
    assert bad.returncode != 0 and "no_such_table" in bad.stderr


def test_missing_landing_folder_is_a_clear_error(tmp_path: Path) -> None:
    out = optlake(tmp_path / "warehouse", "load", str(tmp_path / "nowhere"))
    assert out.returncode == 2
    assert f"error: landing folder {tmp_path / 'nowhere'} does not exist" in out.stderr


def test_strategy_and_train_scorer_mistakes_are_clear_errors(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    unknown = optlake(warehouse, "strategy", "--strategies", "Momentum")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert "error: unknown strategy 'Momentum'; known: laymanspystrategy, ironcondorstrategy" in unknown.stderr
    symbols_only = optlake(warehouse, "strategy", "--symbols", "AAPL")
    assert symbols_only.returncode == 2
    assert "error: --symbols re-runs named strategies: add --strategies NAME" in symbols_only.stderr
    empty = optlake(warehouse, "train-scorer", "--out", str(tmp_path / "m.onnx"))
    assert empty.returncode == 2 and "Traceback" not in empty.stderr
    assert "trading_db.bars_5m does not exist: load bars and run Silver first" in empty.stderr
