"""Synthetic vendor files: OPRA CBBO-1m option quotes and OHLCV market bars, from one correlated model.

``generate`` writes, for each NYSE trading day from ``start``:

- set ``options`` (the default): one Databento-format CBBO CSV per trading day with exactly
  ``rows_per_day`` rows: one-minute quotes of real option roots (SPX, SPXW, SPY, QQQ, NDX, NDXP,
  IWM, RUT, VIX, AAPL, TSLA, NVDA, F and the adjusted F1) priced by Black-Scholes with a
  volatility smile, plus a truth sidecar (``truth/opra-pillar-YYYYMMDD.truth.json``);
- set ``bars``: OHLCV bars of the instruments of ``instruments`` (equities, ETFs, indices,
  crypto, Treasury yields): ``xnas-itch-YYYYMMDD.ohlcv-1m.csv`` and ``.ohlcv-1d.csv`` per trading
  day, ``coinbase-YYYYMMDD.ohlcv-1m.csv`` / ``-1d`` for every calendar day (crypto trades 24/7),
  ``treasury-YYYYMMDD.ohlcv-1d.csv`` per trading day, and ``truth/market.truth.json``;
- ``history_days``: daily bars only (``.ohlcv-1d`` files of every dataset) for that many trading
  days before ``start`` (crypto: every calendar day from the first of them), whatever the sets.

Both sets come from one model (``market``: a market factor, betas, trackers, the VIX, crypto;
``yields``: Vasicek yields): an option's spot is its underlying's one-minute bar close, and the
SPX-family smiles follow the VIX. The same seed gives byte-identical files.

Modules: ``instruments`` (bar instruments, as seed data), ``market`` (the minute model), ``yields``,
``bars`` (OHLCV from the model), ``bar_text`` (OHLCV CSV text), ``market_truth`` (its sidecar),
``catalogue`` (option roots and underlyings), ``expiries``, ``universe`` (contracts of a day),
``paths`` (option spots from the model), ``pricing``, ``quotes``, ``writer`` (CBBO CSV text),
``truth`` (CBBO sidecar), ``day`` (one CBBO day end to end), ``seeding`` (random streams), ``ids``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from optlake.generator import bar_text
from optlake.generator.bars import NANOS, DailyBars, MinuteBars, daily_bars, day_bars, session_closes
from optlake.generator.day import plan_day, write_day
from optlake.generator.instruments import Instrument
from optlake.generator.market import Clock, MarketDay, Model, build_model, simulate
from optlake.generator.market_truth import truth_document
from optlake.generator.paths import smile_base_vols, underlying_spots
from optlake.generator.truth import TRUTH_DIR
from optlake.generator.yields import YieldDay, build_curve, simulate_yields
from optlake.reference.trading_calendar import is_trading_day, trading_days

log = logging.getLogger(__name__)

__all__ = ["SETS", "generate"]

SETS = ("options", "bars")
MARKET_TRUTH = "market.truth.json"


def history_trading_days(start: dt.date, n: int) -> list[dt.date]:
    """The ``n`` trading days before ``start``, ascending."""
    found: list[dt.date] = []
    day = start - dt.timedelta(days=1)
    while len(found) < n:
        if is_trading_day(day):
            found.append(day)
        day -= dt.timedelta(days=1)
    return found[::-1]


def _write_bar_file(
    path: Path,
    rows: bar_text.BarRows,
    instruments: Sequence[Instrument],
    stamps: pa.StringArray,
    rtype: int,
    gzip: bool,
) -> Path:
    began = time.perf_counter()
    text = bar_text.lines(
        stamps,
        rows,
        rtype,
        [i.publisher_id for i in instruments],
        [i.instrument_id for i in instruments],
        [i.symbol for i in instruments],
    )
    bar_text.write_file(path, text, gzip)
    log.info("wrote %s: %s bars in %.2f s", path.name, f"{len(text):,}", time.perf_counter() - began)
    return path


def _minute_file(out_dir: Path, model: Model, dataset: str, bars: MinuteBars, day: dt.date, gzip: bool) -> Path:
    rows, order = bar_text.minute_rows(bars, model.symbols)
    path = out_dir / bar_text.file_name(dataset, day, "1m", gzip)
    stamps = bar_text.minute_stamps(day)
    return _write_bar_file(path, rows, [model.instruments[k] for k in order], stamps, bar_text.RTYPE["1m"], gzip)


def _daily_file(
    out_dir: Path, dataset: str, day: dt.date, bars: DailyBars, instruments: Sequence[Instrument], gzip: bool
) -> Path:
    symbols = [i.symbol for i in instruments]
    rows, order = bar_text.daily_rows(bars, symbols)
    path = out_dir / bar_text.file_name(dataset, day, "1d", gzip)
    stamps = bar_text.day_stamp(day)
    return _write_bar_file(path, rows, [instruments[k] for k in order], stamps, bar_text.RTYPE["1d"], gzip)


def _yield_bars(day: YieldDay, ticks: np.ndarray) -> DailyBars:
    def nanos(values: np.ndarray) -> np.ndarray:
        return np.rint(values * NANOS / ticks).astype(np.int64) * ticks

    open_, close = nanos(day.open), nanos(day.close)
    return DailyBars(
        instruments=np.arange(open_.size),
        open=open_,
        high=np.maximum(nanos(day.high), np.maximum(open_, close)),
        low=np.minimum(nanos(day.low), np.minimum(open_, close)),
        close=close,
        volume=np.zeros(open_.size, dtype=np.int64),
    )


def _daily_close(model: Model, day: MarketDay) -> np.ndarray:
    """Log closes of a trading day: the session's last close (regular), the UTC day's close (crypto)."""
    end = day.clock.session.stop
    return np.where(model.is_crypto, day.log_levels[:, -1], day.log_levels[:, end])


def generate(
    out_dir: Path,
    days: int,
    rows_per_day: int,
    start: dt.date,
    gzip: bool = False,
    seed: int = 7,
    *,
    sets: Collection[str] = ("options",),
    history_days: int = 0,
) -> list[Path]:
    """Write ``days`` trading days (first trading day on/after start) of the chosen ``sets`` into
    out_dir, and daily bars of ``history_days`` trading days before start; returns the CSV paths."""
    if days < 1 or rows_per_day < 1:
        raise ValueError(f"days and rows_per_day must be positive, got {days} and {rows_per_day}")
    if history_days < 0:
        raise ValueError(f"history_days must be >= 0, got {history_days}")
    unknown = set(sets) - set(SETS)
    if unknown or not sets:
        raise ValueError(f"sets must be some of {', '.join(SETS)}, got {', '.join(sorted(sets)) or 'none'}")
    options, bars = "options" in sets, "bars" in sets
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    calendar = trading_days(start, days)
    history = history_trading_days(start, history_days)
    model, curve = build_model(), build_curve()
    written: list[Path] = []
    daily: dict[dt.date, list[tuple[str, DailyBars]]] = {}
    minute_log: list[np.ndarray] = []
    closes: dict[dt.date, np.ndarray] = {}
    clocks: dict[dt.date, Clock] = {}
    first = history[0] if history else start
    for market_day in simulate(model, seed, first, calendar[-1], anchor=start):
        day = market_day.clock.day
        clocks[day] = market_day.clock
        output = day >= start
        if market_day.clock.trading:
            closes[day] = _daily_close(model, market_day)
        if output and market_day.clock.trading:
            minute_log.append(np.log(session_closes(model, market_day) / NANOS))
        if output and options and market_day.clock.trading:
            began = time.perf_counter()
            plan = plan_day(
                day, underlying_spots(model, market_day), smile_base_vols(model, market_day), rows_per_day, seed
            )
            path = write_day(out_dir, plan, gzip, seed)
            written.append(path)
            megabytes, seconds = path.stat().st_size / 1e6, time.perf_counter() - began
            log.info("wrote %s: %s rows, %.1f MB in %.1f s", path.name, f"{rows_per_day:,}", megabytes, seconds)
        if output and not bars:
            continue
        regular, crypto = day_bars(model, market_day, seed)
        daily[day] = [("coinbase", daily_bars(crypto))]
        if regular is not None:
            daily[day].insert(0, ("xnas-itch", daily_bars(regular)))
        if output:
            if regular is not None:
                written.append(_minute_file(out_dir, model, "xnas-itch", regular, day, gzip))
            written.append(_minute_file(out_dir, model, "coinbase", crypto, day, gzip))
    yield_days = simulate_yields(curve, seed, history + calendar, anchor=start)
    ticks = np.array([round(i.tick * NANOS) for i in curve.instruments], dtype=np.int64)
    for yd in yield_days:
        if yd.day in daily:
            daily[yd.day].append(("treasury", _yield_bars(yd, ticks)))
    for day in sorted(daily):
        for dataset, found in daily[day]:
            instruments = curve.instruments if dataset == "treasury" else model.instruments
            written.append(_daily_file(out_dir, dataset, day, found, instruments, gzip))
    if bars or history:
        trading = sorted(closes)
        document = truth_document(
            model, curve, seed, start, trading, minute_log, np.stack([closes[d] for d in trading]), clocks
        )
        (out_dir / TRUTH_DIR).mkdir(parents=True, exist_ok=True)
        (out_dir / TRUTH_DIR / MARKET_TRUTH).write_text(json.dumps(document, indent=1) + "\n")
    return written
