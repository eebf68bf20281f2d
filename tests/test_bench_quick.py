"""`make bench-quick`: the benchmark harness end to end on small sizes (correctness, no timings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from optlake.settings import PROJECT_DIR

pytestmark = pytest.mark.integration


def test_quick_benchmark_measures_every_path_and_writes_its_report(tmp_path: Path):
    out = tmp_path / "result.json"
    done = subprocess.run(
        [sys.executable, "benchmarks/bench.py", "--quick", "--work", str(tmp_path / "work"), "--out", str(out)],
        cwd=PROJECT_DIR,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    result = json.loads(out.read_text())

    assert result["sizes"] == result["sizes"] | {
        "day_rows": 40_000,
        "history_days": 2,
        "history_rows": 10_000,
        "repeats": 1,
    }
    assert result["sections"] == ["main", "mid", "small", "scaling", "bootstrap", "analytics"]
    steps = result["steps"]
    # The quick sizes give every section the main section's day: measured once, reported per section.
    for prefix in ("", "mid_", "small_", "scaling_"):
        for history in (1, 2):
            names = ("daily_total", "bronze_step", "silver_step", "analytics_step", "gold_step", "dbt_step")
            for name in (*names, "bronze_plus_silver"):
                measured = steps[f"{prefix}ours_{name}_history_{history}"]
                assert measured["rows"] == 40_000 and measured["median_seconds"] > 0, (prefix, name)
            total = steps[f"{prefix}ours_daily_total_history_{history}"]
            assert total["peak_rss_mb"] > 100  # the JVM is in the tree
            # The steps the command reports add up to less than its wall time (JVM start, imports).
            parts = sum(steps[f"{prefix}ours_{n}_history_{history}"]["median_seconds"] for n in names[1:])
            assert parts < total["median_seconds"]
        # The old job rebuilds Silver from every day it has: 1 or 3 history days plus the new one.
        assert steps[f"{prefix}old_bronze_plus_silver_history_1"]["silver_rows_rebuilt"] == 10_000 + 40_000
        assert steps[f"{prefix}old_bronze_plus_silver_history_2"]["silver_rows_rebuilt"] == 2 * 10_000 + 40_000
    assert steps["duckdb_csv_to_parquet"]["median_seconds"] > 0
    # Bootstrap: 2 days of 5,000 quotes; ours in one job, the old pipeline in jobs of 1 file.
    boot = result["bootstrap"]
    assert boot["ours_bootstrap"]["jobs"] == 1 and boot["ours_bootstrap"]["rows"] == 10_000
    assert boot["old_bootstrap"]["jobs"] == 2 and boot["old_bootstrap"]["silver_rows"] == 10_000
    assert set(result["ratios"]) == {
        "ours_vs_duckdb",
        "old_vs_ours_history_many",
        "ours_growth_history_many_vs_1",
        "old_growth_history_many_vs_1",
        "daily_vs_bronze_plus_silver",
        "old_vs_ours_mid",
        "small_day_daily_seconds",
        "ours_daily_growth_history_scaled_vs_1",
        "old_growth_history_scaled_vs_1",
        "old_vs_ours_bootstrap",
    }
    assert result["ratios"]["small_day_daily_seconds"] == steps["small_ours_daily_total_history_2"]["median_seconds"]
    assert set(result["targets_met"]) == {
        "ours_within_8x_of_duckdb",
        "at_least_3_5x_faster_than_old",
        "daily_within_2x_of_bronze_plus_silver",
        "at_least_2x_faster_than_old_mid",
        "small_day_daily_under_15_s",
        "daily_flat_within_1_10x",
        "peak_memory_within_6_gb",
    }
    assert "| ours_vs_duckdb |" in done.stdout and "| old_bootstrap |" in done.stdout and result["machine"]["cpus"] >= 1
    analytics = result["option_analytics"]
    # The quick day's quotes at the snapshot minutes (10:00 ... 16:00: 13 of the 390 minutes) and at every minute.
    assert 0 < analytics["default_cadence_30"]["rows"] < analytics["every_minute"]["rows"] == 40_000
    assert analytics["iv_solver"]["ivs_per_second"] > 0 and analytics["iv_solver"]["statuses"]["ok"] > 90_000
    assert "| option_analytics, every_minute |" in done.stdout
