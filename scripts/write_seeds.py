"""Write the seeds that are derived from Python reference data, so that dbt and Python agree.

    .venv/bin/python scripts/write_seeds.py          # rewrite seeds/instruments.csv, seeds/trading_calendar.csv
    .venv/bin/python scripts/write_seeds.py --check  # exit 1 when a seed differs from what it would write

- instruments.csv: the instruments of the market data (optlake.generator.instruments).
- trading_calendar.csv: every NYSE trading day of CALENDAR_YEARS with its regular session in UTC
  (early closes at 13:00 New York), from optlake.reference.trading_calendar.
tests/test_seeds.py runs the check.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
from pathlib import Path

from optlake.generator.instruments import SEED_COLUMNS, seed_rows
from optlake.reference.trading_calendar import early_closes, is_trading_day, regular_session_utc
from optlake.settings import PROJECT_DIR

CALENDAR_YEARS = range(2015, 2036)
CALENDAR_COLUMNS = ("trade_date", "session_open_utc", "session_close_utc", "is_early_close")


def csv_text(columns: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def calendar_rows(years: range = CALENDAR_YEARS) -> list[dict[str, str]]:
    rows = []
    day, end = dt.date(years.start, 1, 1), dt.date(years.stop, 1, 1)
    while day < end:
        if is_trading_day(day):
            opens, closes = regular_session_utc(day)
            rows.append(
                {
                    "trade_date": day.isoformat(),
                    "session_open_utc": opens.strftime("%Y-%m-%d %H:%M:%S"),
                    "session_close_utc": closes.strftime("%Y-%m-%d %H:%M:%S"),
                    "is_early_close": str(day in early_closes(day.year)).lower(),
                }
            )
        day += dt.timedelta(days=1)
    return rows


def seeds() -> dict[Path, str]:
    """Seed path -> the text it should hold."""
    folder = PROJECT_DIR / "seeds"
    return {
        folder / "instruments.csv": csv_text(SEED_COLUMNS, seed_rows()),
        folder / "trading_calendar.csv": csv_text(CALENDAR_COLUMNS, calendar_rows()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report seeds that are out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in seeds().items():
        if not path.is_file() or path.read_text() != text:
            stale.append(path)
            if not args.check:
                path.write_text(text)
    if args.check and stale:
        print(f"out of date: {', '.join(str(p) for p in stale)}; run scripts/write_seeds.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
