"""Bid/ask quotes around a theoretical value, on the exchange tick grid, in integer cents.

- Spread: ``spread_rel * theo``, at least one tick, at most ``SPREAD_CAP * spot`` (deep
  in-the-money index options quote about 0.3% of spot wide, like the real file's SPX 1000
  call at 5014.30 / 5031.10), then scaled by a random factor in [0.75, 1.25).
- Mid: ``theo`` shifted by at most a quarter of the spread, so ``bid <= theo <= ask``.
- ``bid = floor_tick(mid - spread / 2)``, ``ask = ceil_tick(mid + spread / 2)``; a negative
  bid becomes 0 with size 0 (a one-sided quote, like ``0.00 / 0.05``); ask is always above
  bid by at least one tick.
- Tick rules (cents): ``index`` 5 below $3 and 10 from $3; ``penny`` 1 below $3 and 5 from $3;
  ``penny_all`` 1 everywhere.
- Sizes: log-normal around 12 contracts, mostly 1-200.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TICK_RULES: dict[str, tuple[int, int]] = {"index": (5, 10), "penny": (1, 5), "penny_all": (1, 1)}
TICK_BREAK_CENTS = 300
SPREAD_CAP = 0.0028
MEDIAN_SIZE = 12
SIZE_SIGMA = 1.0
MAX_SIZE = 2500


@dataclass(frozen=True)
class Quotes:
    bid_cents: np.ndarray  # int64
    ask_cents: np.ndarray  # int64
    bid_size: np.ndarray  # int64, 0 when bid is 0
    ask_size: np.ndarray  # int64, >= 1


def _tick(cents: np.ndarray, small: np.ndarray, large: np.ndarray, at_break_is_large: bool) -> np.ndarray:
    above = cents >= TICK_BREAK_CENTS if at_break_is_large else cents > TICK_BREAK_CENTS
    return np.where(above, large, small)


def floor_to_tick(cents: np.ndarray, small: np.ndarray, large: np.ndarray) -> np.ndarray:
    """Largest tick-grid price <= ``cents`` (the grid switches from small to large ticks at $3)."""
    tick = _tick(cents, small, large, at_break_is_large=True)
    return (np.floor(cents / tick) * tick).astype(np.int64)


def ceil_to_tick(cents: np.ndarray, small: np.ndarray, large: np.ndarray) -> np.ndarray:
    """Smallest tick-grid price >= ``cents``."""
    tick = _tick(cents, small, large, at_break_is_large=False)
    return (np.ceil(cents / tick) * tick).astype(np.int64)


def make_quotes(
    theo: np.ndarray,
    spot: np.ndarray,
    spread_rel: np.ndarray,
    small_tick: np.ndarray,
    large_tick: np.ndarray,
    rng: np.random.Generator,
) -> Quotes:
    """Quotes for theoretical values ``theo`` (dollars); ticks are in cents per row."""
    theo_cents = theo * 100
    min_spread = _tick(theo_cents, small_tick, large_tick, at_break_is_large=True)
    spread = np.clip(spread_rel * theo_cents, min_spread, np.maximum(SPREAD_CAP * spot * 100, min_spread))
    spread *= rng.uniform(0.75, 1.25, theo.shape)
    mid = theo_cents + spread * (rng.random(theo.shape) - 0.5) / 2
    bid = np.maximum(floor_to_tick(mid - spread / 2, small_tick, large_tick), 0)
    ask = ceil_to_tick(mid + spread / 2, small_tick, large_tick)
    ask = np.maximum(ask, bid + _tick(bid, small_tick, large_tick, at_break_is_large=True))
    sizes = np.clip(np.rint(rng.lognormal(np.log(MEDIAN_SIZE), SIZE_SIGMA, (2, theo.size))), 1, MAX_SIZE)
    sizes = sizes.astype(np.int64)
    return Quotes(bid, ask, np.where(bid > 0, sizes[0], 0), sizes[1])
