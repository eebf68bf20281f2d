"""`make bench`: one new trading day through ours, DuckDB and the old pipeline, side by side.

On the same generated files, in one run:
  duckdb    read_csv -> Parquet (zstd) of the new day: the single-machine lower bound
  ours      `optlake daily` for the new day (Bronze load, Silver incremental, active Gold
            strategies, in one process), on a warehouse holding 1 day of history and on one
            holding N days; step times as the command reports them
  old       the old daily job (benchmarks/old_pipeline.py) with 1 and with N days of history
Every step is a separate process, timed from start to exit, with the peak resident memory of the
largest process it starts. Short steps are repeated and the median is kept.

    python benchmarks/bench.py [--quick] [--day-rows N] [--history-days N] [--history-rows N]
                               [--repeats N] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import measure
from optlake.bronze.spec import trade_date_from_name
from optlake.bronze.specs import cbbo
from optlake.generator import generate
from optlake.reference.trading_calendar import trading_days
from optlake.settings import PROJECT_DIR, Settings

BIN = Path(sys.executable).parent
HISTORY_START = dt.date(2025, 1, 2)


@dataclass(frozen=True)
class Sizes:
    day_rows: int
    history_days: int
    history_rows: int
    repeats: int


FULL = Sizes(day_rows=10_000_000, history_days=20, history_rows=2_000_000, repeats=3)
QUICK = Sizes(day_rows=40_000, history_days=3, history_rows=10_000, repeats=1)


def say(message: str) -> None:
    print(message, flush=True)


def make_data(root: Path, sizes: Sizes) -> tuple[list[Path], Path]:
    """The history files and the new day's file (generated once per size, then reused)."""
    days = trading_days(HISTORY_START, sizes.history_days + 1)
    history_dir, day_dir = root / "history", root / "day"
    history = [history_dir / cbbo.file_name(d) for d in days[:-1]]
    day = day_dir / cbbo.file_name(days[-1])
    if not all(p.exists() for p in history):
        say(f"generating {sizes.history_days} history days of {sizes.history_rows:,} rows")
        generate(history_dir, sizes.history_days, sizes.history_rows, HISTORY_START)
    if not day.exists():
        say(f"generating the new day, {days[-1]}, with {sizes.day_rows:,} rows")
        generate(day_dir, 1, sizes.day_rows, days[-1])
    return history, day


def link_into(folder: Path, files: list[Path]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        target = folder / f.name
        if not target.exists() and not (folder / "processed" / f.name).exists():
            os.link(f, target)
    return folder


class Warehouse:
    """A project warehouse of its own, and the commands that run on it."""

    def __init__(self, path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)
        self.target = path / "dbt-target"
        self.path = path
        settings = Settings(project_dir=PROJECT_DIR, warehouse=path, schema="trading_db", target="local")
        self.env = {**os.environ, **settings.dbt_env(), "PYSPARK_PYTHON": sys.executable}

    def run(self, *cmd: str) -> measure.Measurement:
        return measure.run(list(cmd), self.env, PROJECT_DIR)

    def dbt(self, *args: str) -> measure.Measurement:
        target = str(self.target)
        return self.run(str(BIN / "dbt"), *args, "--target-path", target, "--log-path", target)

    def model_seconds(self, model: str) -> float:
        """The execution time dbt recorded for ``model`` in its last invocation (run_results.json)."""
        results = json.loads((self.target / "run_results.json").read_text())["results"]
        return next(r["execution_time"] for r in results if r["unique_id"].endswith(f".{model}"))

    def load(self, landing: Path) -> measure.Measurement:
        return self.run(str(BIN / "optlake"), "load", str(landing), "--reprocess")

    def query_count(self, sql: str) -> int:
        out = self.run(str(BIN / "optlake"), "query", sql).output
        return int(out.strip().splitlines()[-2].strip())


def step(runs: list[measure.Measurement], rows: int, megabytes: float) -> dict:
    seconds = statistics.median(m.seconds for m in runs)
    return {
        "seconds": [round(m.seconds, 2) for m in runs],
        "median_seconds": round(seconds, 2),
        "peak_rss_mb": round(max(m.peak_rss_bytes for m in runs) / 1e6),
        "rows": rows,
        "rows_per_second": round(rows / seconds),
        "mb_per_second": round(megabytes / seconds, 1),
    }


def bench_duckdb(day: Path, work: Path, sizes: Sizes) -> list[measure.Measurement]:
    out = work / "duckdb.parquet"
    code = (
        "import duckdb, sys; duckdb.sql(f\"copy (select * from read_csv('{sys.argv[1]}', header=true)) "
        "to '{sys.argv[2]}' (format parquet, compression zstd)\")"
    )
    return [
        measure.run([sys.executable, "-c", code, str(day), str(out)], dict(os.environ), work)
        for _ in range(sizes.repeats)
    ]


def bench_ours(
    history: list[Path], day: Path, work: Path, sizes: Sizes
) -> dict[str, list[float] | list[measure.Measurement]]:
    """`optlake daily` on the new day: wall and peak memory of the process, and its step times."""
    wh = Warehouse(work / f"ours-{len(history)}")
    say(f"ours, {len(history)} day(s) of history: loading history and building Silver and Gold")
    wh.load(link_into(wh.path / "landing-history", history))
    wh.dbt("build")
    runs: dict[str, list] = {"daily": [], "bronze": [], "silver": [], "gold": []}
    landing = link_into(wh.path / "landing", [day])
    for i in range(sizes.repeats):
        run = wh.run(str(BIN / "optlake"), "daily", str(landing), "--reprocess")
        steps = dict(
            part.rsplit(" ", 2)[:2] for part in run.output.strip().splitlines()[-1].removeprefix("daily: ").split(", ")
        )
        runs["daily"].append(run)
        for name in ("bronze", "silver", "gold"):
            runs[name].append(float(steps[name]))
        say(f"  run {i + 1}: {run.seconds:.1f} s wall; " + run.output.strip().splitlines()[-1])
    day_rows = wh.query_count(
        f"select count(*) from trading_db.enriched_options_silver where trade_date = date'{trade_date_from_name(day.name)}'"
    )
    if day_rows != sizes.day_rows:
        raise RuntimeError(f"Silver holds {day_rows} rows of the new day, expected {sizes.day_rows}")
    return runs


def bench_option_analytics(day: Path, work: Path, sizes: Sizes) -> dict:
    """option_analytics alone on the new day, at the default cadence (30 minutes) and every minute:
    dbt's execution time of the model (no JVM start) and the rows written, on a warehouse holding
    the day only. Plus the implied-volatility solver's throughput on one core."""
    import iv_solver

    wh = Warehouse(work / "analytics")
    say("option analytics: loading the new day and building Silver")
    wh.load(link_into(wh.path / "landing", [day]))
    wh.dbt("build", "--select", "+enriched_options_silver", "option_roots", "+yield_curve_daily", "+bars_1m")
    found: dict = {}
    for name, minutes in (("default_cadence_30", 30), ("every_minute", 1)):
        seconds = []
        for i in range(sizes.repeats):
            vars_ = f"{{analytics_snapshot_minutes: {minutes}}}"
            wh.dbt("run", "--select", "option_analytics", "--full-refresh", "--vars", vars_)
            seconds.append(wh.model_seconds("option_analytics"))
            say(f"  option_analytics every {minutes} min, run {i + 1}: {seconds[-1]:.1f} s")
        rows = wh.query_count("select count(*) from trading_db.option_analytics")
        median = statistics.median(seconds)
        found[name] = {
            "seconds": [round(x, 2) for x in seconds],
            "median_seconds": round(median, 2),
            "rows": rows,
            "rows_per_second": round(rows / median),
        }
    n = 1_000_000 if sizes.day_rows >= 1_000_000 else 100_000  # the quick run checks the harness only
    say(f"implied_vol solver, {n:,} options on one core")
    found["iv_solver"] = iv_solver.measure(n=n)
    return found


def bench_old(history: list[Path], day: Path, work: Path) -> tuple[measure.Measurement, int]:
    wh = Warehouse(work / f"old-{len(history)}")
    say(f"old pipeline, {len(history)} day(s) of history")
    run = wh.run(sys.executable, str(PROJECT_DIR / "benchmarks" / "old_pipeline.py"), *map(str, [*history, day]))
    rows = int(run.output.strip().splitlines()[-1].rsplit(" ", 1)[1])
    return run, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat: checks the harness in ~3 min")
    parser.add_argument("--day-rows", type=int)
    parser.add_argument("--history-days", type=int)
    parser.add_argument("--history-rows", type=int)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--work", type=Path, default=PROJECT_DIR / "benchmarks" / "data")
    parser.add_argument("--out", type=Path, help="result JSON (default benchmarks/results/<date>.json)")
    args = parser.parse_args(argv)
    base = QUICK if args.quick else FULL
    sizes = Sizes(
        day_rows=args.day_rows or base.day_rows,
        history_days=args.history_days or base.history_days,
        history_rows=args.history_rows or base.history_rows,
        repeats=args.repeats or base.repeats,
    )
    work = args.work / f"{sizes.day_rows}-{sizes.history_days}x{sizes.history_rows}"
    history, day = make_data(work / "files", sizes)
    day_mb = day.stat().st_size / 1e6
    total_rows = sizes.day_rows + sizes.history_days * sizes.history_rows

    say(f"duckdb read_csv -> parquet, {sizes.repeats} run(s)")
    duck = bench_duckdb(day, work, sizes)
    ours = {n: bench_ours(history[-n:], day, work, sizes) for n in (1, sizes.history_days)}
    old = {n: bench_old(history[-n:], day, work) for n in (1, sizes.history_days)}
    analytics = bench_option_analytics(day, work, sizes)

    steps = {"duckdb_csv_to_parquet": step(duck, sizes.day_rows, day_mb)}
    for n, runs in ours.items():
        daily_runs = runs["daily"]
        steps[f"ours_daily_total_history_{n}"] = step(daily_runs, sizes.day_rows, day_mb)
        for name in ("bronze", "silver", "gold"):
            timed = [measure.Measurement(s, 0, "") for s in runs[name]]
            steps[f"ours_{name}_step_history_{n}"] = step(timed, sizes.day_rows, day_mb) | {"peak_rss_mb": None}
        # Bronze + Silver: the daily process's wall time (JVM start included) minus its Gold step.
        both = [
            measure.Measurement(d.seconds - g, d.peak_rss_bytes, "")
            for d, g in zip(daily_runs, runs["gold"], strict=True)
        ]
        steps[f"ours_bronze_plus_silver_history_{n}"] = step(both, sizes.day_rows, day_mb)
    for n, (run, rows) in old.items():
        steps[f"old_bronze_plus_silver_history_{n}"] = step([run], sizes.day_rows, day_mb) | {
            "silver_rows_rebuilt": rows
        }

    many = sizes.history_days
    t = {k: v["median_seconds"] for k, v in steps.items()}
    ratios = {
        "ours_vs_duckdb": t[f"ours_bronze_plus_silver_history_{many}"] / t["duckdb_csv_to_parquet"],
        "old_vs_ours_history_many": t[f"old_bronze_plus_silver_history_{many}"]
        / t[f"ours_bronze_plus_silver_history_{many}"],
        "ours_growth_history_many_vs_1": t[f"ours_bronze_plus_silver_history_{many}"]
        / t["ours_bronze_plus_silver_history_1"],
        "old_growth_history_many_vs_1": t[f"old_bronze_plus_silver_history_{many}"]
        / t["old_bronze_plus_silver_history_1"],
    }
    peak_gb = max(v["peak_rss_mb"] or 0 for v in steps.values()) / 1000
    targets = {
        "ours_within_6x_of_duckdb": ratios["ours_vs_duckdb"] <= 6,
        "at_least_3x_faster_than_old": ratios["old_vs_ours_history_many"] >= 3,
        "flat_within_1_15x": ratios["ours_growth_history_many_vs_1"] <= 1.15,
        "peak_memory_within_6_gb": peak_gb <= 6,
    }
    result = {
        "date": dt.date.today().isoformat(),
        "machine": measure.machine(),
        "sizes": sizes.__dict__ | {"day_mb": round(day_mb, 1), "total_rows_generated": total_rows},
        "steps": steps,
        "ratios": {k: round(v, 2) for k, v in ratios.items()},
        "targets_met": targets,
        "option_analytics": analytics,
    }
    out = args.out or PROJECT_DIR / "benchmarks" / "results" / f"{result['date']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(report(result))
    print(f"\nwritten to {out}")
    return 0


def report(result: dict) -> str:
    """The comparison as Markdown tables (pasted into the README)."""
    m, s = result["machine"], result["sizes"]
    lines = [
        f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['memory_gib']} GiB. New day: {s['day_rows']:,} rows "
        f"({s['day_mb']:,} MB); history {s['history_days']} days x {s['history_rows']:,} rows; "
        f"median of {s['repeats']} run(s) per step of ours and DuckDB, one run of the old pipeline.",
        "",
        "| step | median s | peak RSS MB | rows/s | MB/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, v in result["steps"].items():
        peak = "" if v["peak_rss_mb"] is None else f"{v['peak_rss_mb']:,}"
        lines.append(f"| {name} | {v['median_seconds']} | {peak} | {v['rows_per_second']:,} | {v['mb_per_second']} |")
    lines += ["", "| ratio | value |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in result["ratios"].items()]
    lines += ["", "| target | met |", "|---|---|"]
    lines += [f"| {k} | {'yes' if v else 'NO'} |" for k, v in result["targets_met"].items()]
    analytics = result.get("option_analytics")
    if analytics:
        solver = analytics["iv_solver"]
        lines += ["", "| option analytics (the new day) | median s | rows | rows/s |", "|---|---:|---:|---:|"]
        for name in ("default_cadence_30", "every_minute"):
            v = analytics[name]
            lines.append(
                f"| option_analytics, {name} | {v['median_seconds']} | {v['rows']:,} | {v['rows_per_second']:,} |"
            )
        lines.append(
            f"| implied_vol solver, one core | {solver['median_seconds']} | {solver['n']:,} | {solver['ivs_per_second']:,} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
