"""`optlake bootstrap` as a user runs it: killed with SIGKILL part-way and run again, it loads every
file once; the files the killed write left behind are orphans, and maintenance removes exactly those."""

from __future__ import annotations

import datetime as dt
import json
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
ROWS = 300_000  # per day: a batch takes seconds to write, long enough to be killed mid-write

#: Runs in its own process on the test's warehouse: maintenance of the Bronze options table (a dry
#: run, then a real one) and the table's row count, as JSON.
PROBE = """
import json, sys
from optlake.settings import Settings
from optlake.targets.spark_session import get_spark
from optlake.jobs.maintenance import run_maintenance
settings = Settings.from_env()
spark = get_spark(settings, "probe")
count = lambda: spark.sql("select count(*) from trading_db.bronze_options_chain").collect()[0][0]
before = count()
dry = run_maintenance(settings, ["bronze_options_chain"], dry_run=True).tables[0]
done = run_maintenance(settings, ["bronze_options_chain"]).tables[0]
print(json.dumps({"before": before, "after": count(), "orphans": dry["orphan_files"], "done": done}))
"""


def env(warehouse: Path) -> dict[str, str]:
    return {**os.environ, "OPTLAKE_WAREHOUSE": str(warehouse), "OPTLAKE_PROJECT_DIR": str(PROJECT_DIR)}


def files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_a_killed_bootstrap_resumes_without_duplicates_and_its_orphans_are_removed(tmp_path: Path) -> None:
    warehouse, landing = tmp_path / "warehouse", tmp_path / "landing"
    days = generate(landing, days=3, rows_per_day=ROWS, start=dt.date(2025, 2, 3), seed=5)
    table_dir = warehouse / "trading_db.db" / "bronze_options_chain"
    args = ["bootstrap", str(landing), "--batch-files", "1", "--no-build", "--no-compact"]

    proc = subprocess.Popen(
        [*OPTLAKE, *args],
        env=env(warehouse),
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # kill as the second batch writes: the first file is in processed/, new data files appear
    deadline, first_batch = time.monotonic() + 300, None
    while time.monotonic() < deadline and proc.poll() is None:
        if first_batch is None and (landing / "processed").exists() and any((landing / "processed").iterdir()):
            first_batch = files(table_dir / "data")
        elif first_batch is not None and files(table_dir / "data") - first_batch:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the bootstrap finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)  # the Python driver and its Spark JVM, mid-write
    proc.wait()
    at_kill = files(table_dir)
    pending = sorted(p.name for p in landing.glob("*.csv"))
    assert pending == sorted(d.name for d in days[1:]), "the killed batch's file stays pending"

    rerun = subprocess.run([*OPTLAKE, *args], env=env(warehouse), cwd=PROJECT_DIR, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "bootstrap: 2 pending file(s)" in rerun.stderr
    assert "bootstrap: batch 2/2 done: 1 file(s) loaded" in rerun.stderr
    assert f"bootstrap: 2 file(s), {2 * ROWS:,} rows loaded" in rerun.stderr
    assert sorted(p.name for p in (landing / "processed").iterdir()) == sorted(d.name for d in days)

    # Iceberg deletes only orphans older than orphan_min_age_hours (72): age every file by 4 days
    old = time.time() - 4 * 86400
    everything = files(table_dir)
    for path in everything:
        os.utime(path, (old, old))
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], env=env(warehouse), cwd=PROJECT_DIR, capture_output=True, text=True
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    result = json.loads(probe.stdout.strip().splitlines()[-1])

    assert result["before"] == result["after"] == 3 * ROWS  # every row once, before and after maintenance
    orphans = {Path(o.removeprefix("file:")) for o in result["orphans"]}
    assert orphans, "the killed write left data files no snapshot references"
    assert orphans <= at_kill - first_batch  # written by the killed batch, nothing older
    assert all(o.suffix == ".parquet" and (table_dir / "data") in o.parents for o in orphans)
    remaining = files(table_dir)
    assert not orphans & remaining  # removed ...
    assert everything - orphans <= remaining  # ... and nothing else
    assert result["done"]["after"]["data_files"] <= result["done"]["before"]["data_files"]
