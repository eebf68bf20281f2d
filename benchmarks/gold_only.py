"""The Gold step of the daily job alone, on the bench's data (default: 20 history days of 2M quotes,
then a 10M-quote day): `optlake daily` on the new day, then again with the day reloaded, with the
seconds of the Gold step and of each strategy model (dbt's run_results.json).

    python benchmarks/gold_only.py [--day-rows N] [--history-days N] [--history-rows N] [--out FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path

import bench
from optlake.settings import PROJECT_DIR


def gold_models() -> dict[str, float]:
    """Seconds per Gold model of the last dbt invocation (the daily job's Gold step is its last)."""
    results = json.loads((PROJECT_DIR / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].rsplit(".", 1)[1]: round(r["execution_time"], 2) for r in results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    main_day = bench.FULL.main
    parser.add_argument("--day-rows", type=int, default=main_day.rows)
    parser.add_argument("--history-days", type=int, default=max(main_day.history))
    parser.add_argument("--history-rows", type=int, default=main_day.history_rows)
    parser.add_argument("--work", type=Path, default=PROJECT_DIR / "benchmarks" / "data")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    day = bench.Day(args.day_rows, (args.history_days,), args.history_rows)
    work = args.work / day.key
    history, new_day, _ = bench.make_data(work / "files", day)
    wh = bench.Warehouse(work / "gold")
    bench.say(f"gold: loading {len(history)} history days and building every layer")
    wh.optlake("bootstrap", str(bench.link_into(wh.path / "landing-history", bench.flat(history))), "--no-compact")
    landing = bench.link_into(wh.path / "landing", new_day)
    result: dict = {
        "date": dt.date.today().isoformat(),
        "machine": bench.measure.machine(),
        "sizes": dataclasses.asdict(day),
    }
    for name, extra in (("new_day", ()), ("reloaded_day", ("--reprocess",))):
        run = wh.run(str(bench.BIN / "optlake"), "daily", str(landing), *extra)
        steps = dict(
            part.rsplit(" ", 2)[:2] for part in run.output.strip().splitlines()[-1].removeprefix("daily: ").split(", ")
        )
        result[name] = {
            "daily_seconds": round(run.seconds, 2),
            "steps": {k: float(v) for k, v in steps.items()},
            "gold_models": gold_models(),
        }
        bench.say(f"  {name}: {json.dumps(result[name])}")
    out = args.out or PROJECT_DIR / "benchmarks" / "results" / f"{result['date']}-gold.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
