"""One optlake command at a time on an embedded warehouse: wait with one clear line, or give up cleanly."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optlake.generator import generate
from optlake.settings import PROJECT_DIR
from optlake.targets.lock import LOCK_FILE, WarehouseBusy, warehouse_lock

OPTLAKE = [sys.executable, "-m", "optlake.cli"]


def test_a_second_holder_waits_then_gives_up_with_who_holds_it(tmp_path: Path) -> None:
    with warehouse_lock(tmp_path, "optlake load"):
        info = json.loads((tmp_path / LOCK_FILE).read_text())
        assert (info["command"], info["pid"]) == ("optlake load", os.getpid())
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as err:
            with warehouse_lock(tmp_path, "optlake summary", timeout_s=0.5):
                pass
        assert 0.5 <= time.monotonic() - started < 5
    message = str(err.value)
    assert message.startswith(f"the warehouse {tmp_path} is busy: `optlake load` (pid {os.getpid()} on ")
    assert "still holds it after 0 s" in message or "still holds it after 1 s" in message
    with warehouse_lock(tmp_path, "optlake summary", timeout_s=0.5):  # free again
        assert json.loads((tmp_path / LOCK_FILE).read_text())["command"] == "optlake summary"


@pytest.mark.integration
def test_two_real_commands_on_one_warehouse(tmp_path: Path) -> None:
    warehouse, landing = tmp_path / "warehouse", tmp_path / "landing"
    generate(landing, days=1, rows_per_day=200_000, start=dt.date(2025, 2, 3), seed=5)
    env = {**os.environ, "OPTLAKE_WAREHOUSE": str(warehouse), "OPTLAKE_PROJECT_DIR": str(PROJECT_DIR)}
    run = dict(env=env, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    first = subprocess.Popen([*OPTLAKE, "load", str(landing)], **run)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the load holds the lock
        lock = warehouse / LOCK_FILE
        if lock.exists() and lock.read_text() and json.loads(lock.read_text()).get("pid") == first.pid:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the load never took the warehouse lock")

    impatient = subprocess.run([*OPTLAKE, "--lock-timeout", "1", "summary"], timeout=120, **run)
    patient = subprocess.Popen([*OPTLAKE, "summary"], **run)
    _load_out, load_err = first.communicate(timeout=600)
    summary_out, summary_err = patient.communicate(timeout=600)

    assert first.returncode == 0, load_err
    assert impatient.returncode == 2 and impatient.stdout == ""
    said = impatient.stderr.splitlines()
    assert len(said) == 2 and said[0].startswith(
        f"waiting for the warehouse {warehouse}: `optlake load` (pid {first.pid}"
    )
    assert said[1].startswith(f"error: the warehouse {warehouse} is busy: `optlake load` (pid {first.pid}")
    assert "nothing was changed by this command" in said[1]
    for err in (impatient.stderr, summary_err):
        assert "Traceback" not in err and "Another instance of Derby" not in err
    assert patient.returncode == 0, summary_err
    waiting = [line for line in summary_err.splitlines() if line.startswith("waiting for the warehouse")]
    assert len(waiting) == 1 and f"`optlake load` (pid {first.pid}" in waiting[0]
    # The summary ran after the load: it sees every row the load committed.
    counts = dict(line.split("|") for line in summary_out.splitlines() if line.startswith("bronze_options_chain"))
    assert [int(n) for n in counts.values()] == [200_000]
