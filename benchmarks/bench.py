"""`make bench`: the daily job through ours, DuckDB and the old pipeline, side by side.

On the same generated files (OPRA quotes and the bar sets: every layer has input), in one run:
  duckdb     read_csv -> Parquet (zstd) of the new day: the single-machine lower bound
  ours       `optlake daily` for the new day (Bronze, Silver and bars, indicators and option
             analytics, the active strategies, in one process), on warehouses holding 1 and N
             days of history; the step times the command reports, and the whole process
  old        the old daily job (benchmarks/old_pipeline.py) on the same history
Sections (--only to choose): main (the 10M-row day), mid (a 3M-row day), small (the quick 40k-row
day: fixed costs), scaling (a day on 1, 20 and 250 small history days), bootstrap (20 days in one
`optlake bootstrap` against the old pipeline's jobs of 15 files), analytics (option_analytics
alone). Every step is a separate process, timed from start to exit, with the peak resident memory
of the largest process it starts. Short steps are repeated and the median is kept.

    python benchmarks/bench.py [--quick] [--only SECTION ...] [--repeats N] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import measure
from optlake.bronze.spec import trade_date_from_name
from optlake.bronze.specs import cbbo
from optlake.generator import generate
from optlake.reference.trading_calendar import trading_days
from optlake.settings import PROJECT_DIR, Settings

BIN = Path(sys.executable).parent
HISTORY_START = dt.date(2025, 1, 2)
SECTIONS = ("main", "mid", "small", "scaling", "bootstrap", "analytics")
#: The steps `optlake daily` reports (its last line: "daily: bronze 1.0 s, silver ...").
DAILY_STEPS = ("bronze", "silver", "analytics", "gold", "dbt")


@dataclass(frozen=True)
class Day:
    """A new day of ``rows`` quotes on ``history`` earlier days of ``history_rows`` each."""

    rows: int
    history: tuple[int, ...]  # the history day counts measured (the largest is generated)
    history_rows: int

    @property
    def key(self) -> str:
        return f"{self.rows}-{max(self.history)}x{self.history_rows}"


@dataclass(frozen=True)
class Sizes:
    main: Day
    mid: Day
    small: Day
    scaling: Day
    bootstrap_days: int
    bootstrap_rows: int
    old_batch_files: int  # the old pipeline's bootstrap: one job per this many quote files
    repeats: int

    @property
    def day_rows(self) -> int:
        return self.main.rows


FULL = Sizes(
    main=Day(10_000_000, (1, 20), 2_000_000),
    mid=Day(3_000_000, (5,), 500_000),
    small=Day(40_000, (3,), 10_000),
    scaling=Day(1_000_000, (1, 20, 250), 20_000),
    bootstrap_days=20,
    bootstrap_rows=100_000,
    old_batch_files=15,
    repeats=3,
)
# Checks the harness: every section's code path, on sizes that take seconds.
QUICK = Sizes(
    main=Day(40_000, (1, 2), 10_000),
    mid=Day(40_000, (1, 2), 10_000),
    small=Day(40_000, (1, 2), 10_000),
    scaling=Day(40_000, (1, 2), 10_000),
    bootstrap_days=2,
    bootstrap_rows=5_000,
    old_batch_files=1,
    repeats=1,
)


def say(message: str) -> None:
    print(message, flush=True)


def day_files(folder: Path, days: list[dt.date]) -> list[Path]:
    """Every generated vendor file of these days in the folder (quotes and bars)."""
    wanted = set(days)
    return sorted(p for p in folder.glob("*.csv") if trade_date_from_name(p.name) in wanted)


def make_data(root: Path, day: Day) -> tuple[list[list[Path]], list[Path], Path]:
    """The history days' files (one list per day, oldest first), the new day's files and its quote
    file; generated once per size with the quotes and the bar sets, then reused."""
    n = max(day.history)
    days = trading_days(HISTORY_START, n + 1)
    history_dir, day_dir = root / "history", root / "day"
    sets = ("options", "bars")
    if not (history_dir / cbbo.file_name(days[-2])).exists():
        say(f"generating {n} history days of {day.history_rows:,} quotes and their bars")
        generate(history_dir, n, day.history_rows, HISTORY_START, sets=sets)
    quotes = day_dir / cbbo.file_name(days[-1])
    if not quotes.exists():
        say(f"generating the new day, {days[-1]}, with {day.rows:,} quotes and its bars")
        generate(day_dir, 1, day.rows, days[-1], sets=sets)
    history = [day_files(history_dir, [d]) for d in days[:-1]]
    return history, day_files(day_dir, [days[-1]]), quotes


def link_into(folder: Path, files: list[Path]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        target = folder / f.name
        if not target.exists() and not (folder / "processed" / f.name).exists():
            os.link(f, target)
    return folder


def flat(days: list[list[Path]]) -> list[Path]:
    return [f for files in days for f in files]


def quote_files(files: list[Path]) -> list[Path]:
    return [f for f in files if f.name.endswith(".cbbo-1m.csv")]


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

    def optlake(self, *args: str) -> measure.Measurement:
        return self.run(str(BIN / "optlake"), *args)

    def dbt(self, *args: str) -> measure.Measurement:
        target = str(self.target)
        return self.run(str(BIN / "dbt"), *args, "--target-path", target, "--log-path", target)

    def model_seconds(self, model: str) -> float:
        """The execution time dbt recorded for ``model`` in its last invocation (run_results.json)."""
        results = json.loads((self.target / "run_results.json").read_text())["results"]
        return next(r["execution_time"] for r in results if r["unique_id"].endswith(f".{model}"))

    def load(self, landing: Path) -> measure.Measurement:
        return self.optlake("load", str(landing), "--reprocess")

    def query_count(self, sql: str) -> int:
        out = self.optlake("query", sql).output
        return int(out.strip().splitlines()[-2].strip())


def step(runs: list[measure.Measurement], rows: int, megabytes: float) -> dict:
    seconds = statistics.median(m.seconds for m in runs)
    return {
        "seconds": [round(m.seconds, 2) for m in runs],
        "median_seconds": round(seconds, 2),
        "peak_rss_mb": round(max(m.peak_rss_bytes for m in runs) / 1e6),
        "rows": rows,
        "rows_per_second": round(rows / seconds) if seconds else None,
        "mb_per_second": round(megabytes / seconds, 1) if seconds else None,
    }


def daily_steps(output: str) -> dict[str, float]:
    """The step seconds of `optlake daily`'s last line."""
    line = output.strip().splitlines()[-1].removeprefix("daily: ")
    return {name: float(seconds) for name, seconds, _ in (part.rsplit(" ", 2) for part in line.split(", "))}


def bench_duckdb(quotes: Path, work: Path, repeats: int) -> list[measure.Measurement]:
    out = work / "duckdb.parquet"
    code = (
        "import duckdb, sys; duckdb.sql(f\"copy (select * from read_csv('{sys.argv[1]}', header=true)) "
        "to '{sys.argv[2]}' (format parquet, compression zstd)\")"
    )
    return [
        measure.run([sys.executable, "-c", code, str(quotes), str(out)], dict(os.environ), work) for _ in range(repeats)
    ]


def bench_ours(
    history: list[list[Path]], day: list[Path], quotes: Path, work: Path, day_rows: int, repeats: int
) -> dict:
    """`optlake daily` on the new day over ``history``: each run's measurement and step times."""
    wh = Warehouse(work / f"ours-{len(history)}")
    say(f"ours, {len(history)} day(s) of history: loading history and building every layer")
    wh.optlake("bootstrap", str(link_into(wh.path / "landing-history", flat(history))), "--no-compact")
    runs: dict[str, list] = {"daily": [], **{name: [] for name in DAILY_STEPS}}
    landing = link_into(wh.path / "landing", day)
    for i in range(repeats):
        run = wh.optlake("daily", str(landing), "--reprocess")
        steps = daily_steps(run.output)
        runs["daily"].append(run)
        for name in DAILY_STEPS:
            runs[name].append(steps.get(name, 0.0))
        say(f"  run {i + 1}: {run.seconds:.1f} s wall; " + run.output.strip().splitlines()[-1])
    found = wh.query_count(
        f"select count(*) from trading_db.enriched_options_silver where trade_date = date'{trade_date_from_name(quotes.name)}'"
    )
    if found != day_rows:
        raise RuntimeError(f"Silver holds {found} rows of the new day, expected {day_rows}")
    return runs


def bench_old(history: list[list[Path]], quotes: Path, work: Path) -> tuple[measure.Measurement, int]:
    """The old daily job on the history's quote files and the new day's."""
    wh = Warehouse(work / f"old-{len(history)}")
    say(f"old pipeline, {len(history)} day(s) of history")
    files = [*quote_files(flat(history)), quotes]
    run = wh.run(sys.executable, str(PROJECT_DIR / "benchmarks" / "old_pipeline.py"), *map(str, files))
    rows = int(run.output.strip().splitlines()[-1].rsplit(" ", 1)[1])
    return run, rows


def bench_option_analytics(quotes: Path, work: Path, sizes: Sizes) -> dict:
    """option_analytics alone on the new day, at the default cadence (30 minutes) and every minute:
    dbt's execution time of the model (no JVM start) and the rows written, on a warehouse holding
    the day only. Plus the implied-volatility solver's throughput on one core."""
    import iv_solver

    wh = Warehouse(work / "analytics")
    say("option analytics: loading the new day and building Silver")
    wh.load(link_into(wh.path / "landing", [quotes]))
    wh.dbt("seed")
    wh.dbt("run", "--select", "+enriched_options_silver", "+yield_curve_daily", "+bars_1m")
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


def bench_bootstrap(root: Path, sizes: Sizes) -> dict:
    """Ours: `optlake bootstrap` of every day in one job (load in batches, dbt build of every layer,
    compaction). Old: one job per ``old_batch_files`` quote files, each appending its files to
    Bronze and rebuilding Silver from all of it (the old bootstrap mode), jobs run one after another."""
    days = trading_days(HISTORY_START, sizes.bootstrap_days)
    files_dir = root / "files"
    if not (files_dir / cbbo.file_name(days[-1])).exists():
        say(f"generating {sizes.bootstrap_days} days of {sizes.bootstrap_rows:,} quotes and their bars")
        generate(files_dir, sizes.bootstrap_days, sizes.bootstrap_rows, HISTORY_START, sets=("options", "bars"))
    files = day_files(files_dir, days)
    quotes = quote_files(files)
    rows = sizes.bootstrap_days * sizes.bootstrap_rows
    megabytes = sum(f.stat().st_size for f in quotes) / 1e6

    say(f"bootstrap, ours: {len(files)} files in one job")
    wh = Warehouse(root / "ours")
    ours = wh.optlake("bootstrap", str(link_into(wh.path / "landing", files)))
    silver = wh.query_count("select count(*) from trading_db.enriched_options_silver")
    if silver != rows:
        raise RuntimeError(f"bootstrap: Silver holds {silver} rows, expected {rows}")

    batches = [quotes[i : i + sizes.old_batch_files] for i in range(0, len(quotes), sizes.old_batch_files)]
    say(f"bootstrap, old: {len(batches)} jobs of up to {sizes.old_batch_files} quote files")
    old_wh = Warehouse(root / "old")
    script = str(PROJECT_DIR / "benchmarks" / "old_pipeline.py")
    jobs = [old_wh.run(sys.executable, script, "--append", *map(str, batch)) for batch in batches]
    old_rows = int(jobs[-1].output.strip().splitlines()[-1].rsplit(" ", 1)[1])
    old = measure.Measurement(sum(j.seconds for j in jobs), max(j.peak_rss_bytes for j in jobs), "")
    return {
        "ours_bootstrap": step([ours], rows, megabytes) | {"files": len(files), "jobs": 1},
        "old_bootstrap": step([old], rows, megabytes)
        | {"files": len(quotes), "jobs": len(jobs), "silver_rows": old_rows},
    }


def bench_day(day: Day, work: Path, repeats: int, duck: bool = False) -> dict:
    """A new day's daily job over each of ``day.history``'s history sizes, ours and the old job's
    (and DuckDB's time on the day): step entries named as in the JSON, without a section prefix."""
    root = work / day.key
    history, new_day, quotes = make_data(root / "files", day)
    megabytes = quotes.stat().st_size / 1e6
    steps: dict[str, dict] = {}
    if duck:
        say(f"duckdb read_csv -> parquet, {repeats} run(s)")
        steps["duckdb_csv_to_parquet"] = step(bench_duckdb(quotes, root, repeats), day.rows, megabytes)
    for n in day.history:
        runs = bench_ours(history[-n:], new_day, quotes, root, day.rows, repeats)
        daily = runs["daily"]
        steps[f"ours_daily_total_history_{n}"] = step(daily, day.rows, megabytes)
        for name in DAILY_STEPS:
            timed = [measure.Measurement(s, 0, "") for s in runs[name]]
            steps[f"ours_{name}_step_history_{n}"] = step(timed, day.rows, megabytes) | {"peak_rss_mb": None}
        # Bronze + Silver: the daily process's wall time (JVM and dbt start included) minus the
        # models of the later layers (analytics and Gold).
        both = [
            measure.Measurement(d.seconds - a - g, d.peak_rss_bytes, "")
            for d, a, g in zip(daily, runs["analytics"], runs["gold"], strict=True)
        ]
        steps[f"ours_bronze_plus_silver_history_{n}"] = step(both, day.rows, megabytes)
    for n in day.history:
        run, rows = bench_old(history[-n:], quotes, root)
        steps[f"old_bronze_plus_silver_history_{n}"] = step([run], day.rows, megabytes) | {"silver_rows_rebuilt": rows}
    return steps


def ratios_and_targets(sizes: Sizes, steps: dict[str, dict], bootstrap: dict | None) -> tuple[dict, dict]:
    """The ratio keys of the sections that ran, and the targets they decide."""
    t = {k: v["median_seconds"] for k, v in steps.items()}
    many = max(sizes.main.history)
    ratios: dict[str, float] = {}
    targets: dict[str, bool] = {}
    if "duckdb_csv_to_parquet" in t:
        ratios["ours_vs_duckdb"] = t[f"ours_bronze_plus_silver_history_{many}"] / t["duckdb_csv_to_parquet"]
        ratios["old_vs_ours_history_many"] = (
            t[f"old_bronze_plus_silver_history_{many}"] / t[f"ours_bronze_plus_silver_history_{many}"]
        )
        ratios["ours_growth_history_many_vs_1"] = (
            t[f"ours_bronze_plus_silver_history_{many}"] / t["ours_bronze_plus_silver_history_1"]
        )
        ratios["old_growth_history_many_vs_1"] = (
            t[f"old_bronze_plus_silver_history_{many}"] / t["old_bronze_plus_silver_history_1"]
        )
        ratios["daily_vs_bronze_plus_silver"] = (
            t[f"ours_daily_total_history_{many}"] / t[f"ours_bronze_plus_silver_history_{many}"]
        )
        targets["ours_within_8x_of_duckdb"] = ratios["ours_vs_duckdb"] <= 8
        targets["at_least_3_5x_faster_than_old"] = ratios["old_vs_ours_history_many"] >= 3.5
        targets["daily_within_2x_of_bronze_plus_silver"] = ratios["daily_vs_bronze_plus_silver"] <= 2
    mid = max(sizes.mid.history)
    if f"mid_ours_bronze_plus_silver_history_{mid}" in t:
        ratios["old_vs_ours_mid"] = (
            t[f"mid_old_bronze_plus_silver_history_{mid}"] / t[f"mid_ours_bronze_plus_silver_history_{mid}"]
        )
        targets["at_least_2x_faster_than_old_mid"] = ratios["old_vs_ours_mid"] >= 2
    small = max(sizes.small.history)
    if f"small_ours_daily_total_history_{small}" in t:
        ratios["small_day_daily_seconds"] = t[f"small_ours_daily_total_history_{small}"]
        targets["small_day_daily_under_15_s"] = ratios["small_day_daily_seconds"] < 15
    scaled, first = max(sizes.scaling.history), min(sizes.scaling.history)
    if f"scaling_ours_daily_total_history_{scaled}" in t:
        ratios["ours_daily_growth_history_scaled_vs_1"] = (
            t[f"scaling_ours_daily_total_history_{scaled}"] / t[f"scaling_ours_daily_total_history_{first}"]
        )
        ratios["old_growth_history_scaled_vs_1"] = (
            t[f"scaling_old_bronze_plus_silver_history_{scaled}"] / t[f"scaling_old_bronze_plus_silver_history_{first}"]
        )
        targets["daily_flat_within_1_10x"] = ratios["ours_daily_growth_history_scaled_vs_1"] <= 1.10
    if bootstrap:
        ratios["old_vs_ours_bootstrap"] = (
            bootstrap["old_bootstrap"]["median_seconds"] / bootstrap["ours_bootstrap"]["median_seconds"]
        )
    peaks = [v["peak_rss_mb"] or 0 for v in [*steps.values(), *(bootstrap or {}).values()]]
    targets["peak_memory_within_6_gb"] = max(peaks, default=0) / 1000 <= 6
    return {k: round(v, 2) for k, v in ratios.items()}, targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat: checks the harness")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SECTIONS,
        default=list(SECTIONS),
        metavar="SECTION",
        help=f"the sections to run (default all: {', '.join(SECTIONS)})",
    )
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--work", type=Path, default=PROJECT_DIR / "benchmarks" / "data")
    parser.add_argument("--out", type=Path, help="result JSON (default benchmarks/results/<date>.json)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.repeats:
        sizes = replace(sizes, repeats=args.repeats)
    only = set(args.only)

    # A section whose day and history equal another's is measured once (the quick sizes).
    measured: dict[tuple, dict] = {}

    def section(day: Day) -> dict:
        if day not in measured:
            measured[day] = bench_day(day, args.work, sizes.repeats, duck=day == sizes.main)
        return measured[day]

    steps: dict[str, dict] = {}
    if "main" in only:
        steps |= section(sizes.main)
    for name in ("mid", "small", "scaling"):
        if name in only:
            found = section(getattr(sizes, name))
            steps |= {f"{name}_{k}": v for k, v in found.items() if k != "duckdb_csv_to_parquet"}
    bootstrap = None
    if "bootstrap" in only:
        bootstrap = bench_bootstrap(args.work / f"bootstrap-{sizes.bootstrap_days}x{sizes.bootstrap_rows}", sizes)
    analytics = None
    if "analytics" in only:
        _, _, quotes = make_data(args.work / sizes.main.key / "files", sizes.main)
        analytics = bench_option_analytics(quotes, args.work / sizes.main.key, sizes)

    ratios, targets = ratios_and_targets(sizes, steps, bootstrap)
    main_day = sizes.main
    result = {
        "date": dt.date.today().isoformat(),
        "machine": measure.machine(),
        "load_average_at_end": list(os.getloadavg()),
        "sections": sorted(only, key=SECTIONS.index),
        "sizes": {
            "day_rows": main_day.rows,
            "history_days": max(main_day.history),
            "history_rows": main_day.history_rows,
            "repeats": sizes.repeats,
            "mid": mid_sizes(sizes.mid),
            "small": mid_sizes(sizes.small),
            "scaling": mid_sizes(sizes.scaling),
            "bootstrap": {
                "days": sizes.bootstrap_days,
                "rows_per_day": sizes.bootstrap_rows,
                "old_batch_files": sizes.old_batch_files,
            },
        },
        "steps": steps,
        "bootstrap": bootstrap,
        "ratios": ratios,
        "targets_met": targets,
        "option_analytics": analytics,
    }
    out = args.out or PROJECT_DIR / "benchmarks" / "results" / f"{result['date']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(report(result))
    print(f"\nwritten to {out}")
    return 0


def mid_sizes(day: Day) -> dict:
    return {"day_rows": day.rows, "history_days": list(day.history), "history_rows": day.history_rows}


def report(result: dict) -> str:
    """The comparison as Markdown tables (pasted into the README)."""
    m, s = result["machine"], result["sizes"]

    def sized(name: str, d: dict) -> str:
        return f"{name}: a day of {d['day_rows']:,} quotes on {', '.join(map(str, d['history_days']))} history days of {d['history_rows']:,}"

    b = s["bootstrap"]
    lines = [
        f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['memory_gib']} GiB; load average at the end "
        f"{', '.join(str(round(x, 1)) for x in result.get('load_average_at_end', []))}. Sections: "
        f"{', '.join(result.get('sections', []))}. main: a day of {s['day_rows']:,} quotes on 1 and "
        f"{s['history_days']} history days of {s['history_rows']:,}; {sized('mid', s['mid'])}; "
        f"{sized('small', s['small'])}; {sized('scaling', s['scaling'])}; bootstrap: {b['days']} days of "
        f"{b['rows_per_day']:,} quotes (old: jobs of {b['old_batch_files']} files). Every day has its bar "
        f"files. Median of {s['repeats']} run(s) per step of ours and DuckDB, one run of the old pipeline.",
        "",
        "| step | median s | peak RSS MB | rows/s | MB/s |",
        "|---|---:|---:|---:|---:|",
    ]
    rows = list(result["steps"].items()) + list((result.get("bootstrap") or {}).items())
    for name, v in rows:
        peak = "" if v["peak_rss_mb"] is None else f"{v['peak_rss_mb']:,}"
        rate = "" if v["rows_per_second"] is None else f"{v['rows_per_second']:,}"
        lines.append(f"| {name} | {v['median_seconds']} | {peak} | {rate} | {v['mb_per_second'] or ''} |")
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
