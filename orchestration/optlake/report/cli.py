"""`optlake report`: the command and the function that writes the page."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from optlake.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from optlake.report.queries import Choice

log = logging.getLogger(__name__)


def write_report(spark: SparkSession, choice: Choice, project_dir: Path, out: Path) -> Path:
    """Query the warehouse, draw the panels and write the page to ``out``; returns its absolute path."""
    from optlake.report.figures import panels
    from optlake.report.page import render
    from optlake.report.queries import collect

    drawn = panels(collect(spark, choice, project_dir), choice)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(drawn, choice, dt.datetime.now(dt.UTC)), encoding="utf-8")
    missing = [p.key for p in drawn if p.figure is None]
    log.info("report: %d chart(s), missing: %s", len(drawn) - len(missing), ", ".join(missing) or "none")
    return out


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.cli import spark_for
    from optlake.report.queries import Choice

    choice = Choice(settings.schema, underlying=args.underlying, symbol=args.symbol, day=args.day)
    with spark_for(args, settings, "optlake-report") as spark:
        path = write_report(spark, choice, settings.project_dir, Path(args.out))
    print(path)
    return 0


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from exc


def add_report_parser(sub) -> argparse.ArgumentParser:
    """The `report` subcommand on the CLI's subparsers."""
    rp = sub.add_parser(
        "report",
        help="write one static HTML page of charts: volatility surface, term structure, vol index, signals, "
        "indicators, load health",
        description="Write one self-contained HTML page (plotly.js inlined: opens offline, no server): the "
        "underlying's implied-volatility surface and ATM term structure (iv_surface_daily), its volatility index "
        "over time (vol_index), signals per active strategy per day (gold_*), a symbol's daily indicators "
        "(indicators_daily) and Bronze load health per trade date (bronze_load_audit, bronze_quarantine). A table "
        "not built gives a panel saying so. Prints the page's path.",
    )
    rp.add_argument("--out", default="report.html", help="page to write (default report.html)")
    rp.add_argument("--symbol", default="SPY", help="symbol of the indicators chart (default SPY)")
    rp.add_argument("--underlying", default="SPX", help="underlying of the surface and the vol index (default SPX)")
    rp.add_argument("--day", type=_day, help="trade date of the surface (default: its latest); later days are left out")
    rp.set_defaults(func=cmd_report)
    return rp
