"""Synthetic OPRA CBBO-1m files: realistic, deterministic for a seed, and fast.

``generate`` writes one Databento-format CSV per NYSE trading day, each with exactly
``rows_per_day`` rows: one-minute quotes of real option roots (SPX, SPXW, SPY, QQQ, NDX, NDXP,
IWM, RUT, VIX, AAPL, TSLA, NVDA, F and the adjusted F1) priced by Black-Scholes with a
volatility smile off GBM underlying paths that continue from day to day. Next to each day's
file it writes a truth sidecar (``truth/``) with the paths and parameters used.

Modules: ``catalogue`` (roots and underlyings), ``expiries``, ``universe`` (contracts of a
day), ``paths``, ``pricing``, ``quotes``, ``writer`` (CSV text), ``truth`` (sidecar), ``day``
(one day end to end), ``seeding`` (random streams).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

from optlake.generator.catalogue import UNDERLYINGS
from optlake.generator.day import plan_day, write_day
from optlake.generator.paths import simulate_paths
from optlake.reference.trading_calendar import trading_days

log = logging.getLogger(__name__)

__all__ = ["generate"]


def generate(
    out_dir: Path,
    days: int,
    rows_per_day: int,
    start: dt.date,
    gzip: bool = False,
    seed: int = 7,
) -> list[Path]:
    """Write `days` trading-day files (first trading day on/after start) into out_dir; returns the CSV paths."""
    if days < 1 or rows_per_day < 1:
        raise ValueError(f"days and rows_per_day must be positive, got {days} and {rows_per_day}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    calendar = trading_days(start, days)
    paths = simulate_paths(UNDERLYINGS, len(calendar), seed)
    written = []
    for trade_date, spots in zip(calendar, paths, strict=True):
        began = time.perf_counter()
        path = write_day(out_dir, plan_day(trade_date, spots, rows_per_day, seed), gzip, seed)
        written.append(path)
        megabytes = path.stat().st_size / 1e6
        seconds = time.perf_counter() - began
        log.info("wrote %s: %s rows, %.1f MB in %.1f s", path.name, f"{rows_per_day:,}", megabytes, seconds)
    return written
