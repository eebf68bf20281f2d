"""OHLCV bars from the market model: one-minute bars and the daily bars that aggregate them.

A one-minute bar starting at UTC minute ``t`` of a day has ``open`` = the model level at ``t``
and ``close`` = the level at ``t + 1`` minute (so a bar's open is the previous bar's close). Its
``high`` and ``low`` are the extremes of a Brownian bridge from open to close with the minute's
variance ``v`` (exact samples: ``high = (a + b + sqrt((b - a)**2 - 2 v ln U)) / 2`` in log price,
``low`` likewise with another ``U``). Prices are rounded to the instrument's tick (rounding is
monotone, so ``low <= open, close <= high`` survives it). Bars exist for the regular session
(equities, ETFs, indices; trading days only) or for all 1440 minutes (crypto).

Volume: ``median * profile * exp(0.6 z - 0.18) * (1 + |b - a| / sqrt(v)) / 1.8``, at least 1;
``profile`` is U-shaped over the session (regular) or peaks at 15:00 UTC (crypto); indices are
computed, not traded: volume 0. A deterministic share ``missing_rate`` of an instrument's minutes
has no trade and no row. A daily bar aggregates the day's present minute bars: first open, last
close, extreme high and low, summed volume; its ``ts_event`` is the day's 00:00 UTC.

Prices are carried as integer nanos (price * 1e9), exactly what the file shows with 9 decimals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optlake.generator.market import DAY_MINUTES, MarketDay, Model
from optlake.generator.seeding import BAR_STREAM, rng_for

NANOS = 10**9
VOLUME_SIGMA = 0.6


@dataclass(frozen=True)
class MinuteBars:
    """One day's one-minute bars of some instruments, as (instruments, minutes) arrays."""

    instruments: np.ndarray  # (k,) indices into the model's instruments
    minutes: np.ndarray  # (m,) UTC minute of the day at which each bar starts
    open: np.ndarray  # (k, m) int64 nanos
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray  # (k, m) int64
    present: np.ndarray  # (k, m) bool: the bar has a row


@dataclass(frozen=True)
class DailyBars:
    """One day's daily bars, one per instrument that had at least one minute bar."""

    instruments: np.ndarray  # (k,)
    open: np.ndarray  # (k,) int64 nanos
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray  # (k,) int64


def tick_nanos(model: Model) -> np.ndarray:
    """(n,) each instrument's tick in nanos."""
    return np.array([round(i.tick * NANOS) for i in model.instruments], dtype=np.int64)


def to_nanos(log_price: np.ndarray, ticks: np.ndarray) -> np.ndarray:
    """Prices (from log prices) rounded to the tick, in integer nanos; ``ticks`` broadcasts on axis 0."""
    tick = ticks.reshape((-1,) + (1,) * (log_price.ndim - 1))
    return np.rint(np.exp(log_price) * NANOS / tick).astype(np.int64) * tick


def bridge_extremes(
    a: np.ndarray, b: np.ndarray, var: np.ndarray, u_high: np.ndarray, u_low: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Samples of the maximum and minimum of a Brownian bridge from a to b with variance ``var``; u in (0, 1]."""
    mid, gap = a + b, (b - a) ** 2
    return (mid + np.sqrt(gap - 2 * var * np.log(u_high))) / 2, (mid - np.sqrt(gap - 2 * var * np.log(u_low))) / 2


def session_profile(m: int) -> np.ndarray:
    """U-shaped relative volume over a session of ``m`` minutes (mean 1)."""
    x = 2 * (np.arange(m) + 0.5) / m - 1
    return (0.5 + 3 * x * x) / 1.5


def crypto_profile(minutes: np.ndarray) -> np.ndarray:
    """Relative volume over the UTC day, highest at 15:00 UTC (mean 1)."""
    return 1 + 0.5 * np.cos(2 * np.pi * (minutes / DAY_MINUTES - 15 / 24))


def block_bars(
    model: Model, day: MarketDay, instruments: np.ndarray, minutes: slice, profile: np.ndarray, rng: np.random.Generator
) -> MinuteBars:
    """The bars of ``instruments`` over a contiguous range of minutes."""
    a = day.log_levels[instruments, minutes.start : minutes.stop]
    b = day.log_levels[instruments, minutes.start + 1 : minutes.stop + 1]
    var = day.variance[instruments, minutes]
    u = 1.0 - rng.random((3, *a.shape))
    z = rng.standard_normal(a.shape)
    high, low = bridge_extremes(a, b, var, u[0], u[1])
    ticks = tick_nanos(model)[instruments]
    open_, close = to_nanos(a, ticks), to_nanos(b, ticks)
    high_n = np.maximum(to_nanos(high, ticks), np.maximum(open_, close))
    low_n = np.minimum(to_nanos(low, ticks), np.minimum(open_, close))
    median = np.array([model.instruments[i].volume for i in instruments])[:, None]
    size = median * profile[None, :] * np.exp(VOLUME_SIGMA * z - 0.18) * (1 + np.abs(b - a) / np.sqrt(var)) / 1.8
    volume = np.where(median > 0, np.maximum(np.rint(size), 1), 0).astype(np.int64)
    missing = np.array([model.instruments[i].missing_rate for i in instruments])[:, None]
    return MinuteBars(
        instruments=instruments,
        minutes=np.arange(minutes.start, minutes.stop),
        open=open_,
        high=high_n,
        low=low_n,
        close=close,
        volume=volume,
        present=u[2] > missing,
    )


def day_bars(model: Model, day: MarketDay, seed: int) -> tuple[MinuteBars | None, MinuteBars]:
    """The day's regular-session bars (None when not a trading day) and its 24x7 crypto bars."""
    rng = rng_for(seed, BAR_STREAM, day.clock.day.toordinal())
    regular = None
    if day.clock.trading:
        which = np.flatnonzero(~model.is_crypto)
        regular = block_bars(model, day, which, day.clock.session, session_profile(day.clock.session_len), rng)
    coins = np.flatnonzero(model.is_crypto)
    crypto = block_bars(model, day, coins, slice(0, DAY_MINUTES), crypto_profile(np.arange(DAY_MINUTES)), rng)
    return regular, crypto


def session_closes(model: Model, day: MarketDay) -> np.ndarray:
    """(n, session minutes) nanos: every instrument's close at the end of each session minute.

    For an instrument with minute bars these are the bars' closes (present or not): the option
    quote at ``ts_recv`` = the end of minute ``t`` is priced off the close of the bar starting at ``t``.
    """
    s = day.clock.session
    return to_nanos(day.log_levels[:, s.start + 1 : s.stop + 1], tick_nanos(model))


def daily_bars(bars: MinuteBars) -> DailyBars:
    """The daily bars of the instruments with at least one present minute bar."""
    present = bars.present
    keep = present.any(axis=1)
    first = np.argmax(present, axis=1)
    last = present.shape[1] - 1 - np.argmax(present[:, ::-1], axis=1)
    rows = np.arange(present.shape[0])
    big = np.iinfo(np.int64).max
    return DailyBars(
        instruments=bars.instruments[keep],
        open=bars.open[rows, first][keep],
        high=np.where(present, bars.high, -1).max(axis=1)[keep],
        low=np.where(present, bars.low, big).min(axis=1)[keep],
        close=bars.close[rows, last][keep],
        volume=np.where(present, bars.volume, 0).sum(axis=1)[keep],
    )
