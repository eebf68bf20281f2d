"""The option-analytics part of `make bench` alone, on a generated day (default 10M quotes):
option_analytics at the default cadence and every minute, and the IV solver on one core.

    python benchmarks/option_analytics_only.py [--day-rows N] [--repeats N] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import bench
from optlake.bronze.specs import cbbo
from optlake.generator import generate
from optlake.settings import PROJECT_DIR

DAY = dt.date(2025, 1, 31)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--day-rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--work", type=Path, default=PROJECT_DIR / "benchmarks" / "data")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    work = args.work / f"analytics-{args.day_rows}"
    day = work / "files" / cbbo.file_name(DAY)
    if not day.exists():
        bench.say(f"generating {DAY} with {args.day_rows:,} rows")
        generate(day.parent, 1, args.day_rows, DAY)
    sizes = bench.Sizes(day_rows=args.day_rows, history_days=0, history_rows=0, repeats=args.repeats)
    result = {"date": dt.date.today().isoformat(), "machine": bench.measure.machine(), "day_rows": args.day_rows}
    result |= bench.bench_option_analytics(day, work, sizes)
    out = args.out or PROJECT_DIR / "benchmarks" / "results" / f"{result['date']}-option-analytics.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
