"""The contracts quoted on one trade date: which roots, which expiries, which strikes.

A day of ``n`` contracts is shared among the roots of ``catalogue.ROOTS`` by weight; with few
contracts only the most important roots are used, so that each still gets a small chain.
Each root's share is split evenly over its nearest listed expiries (0DTE first), and each
expiry gets a strike grid centred on the opening spot with a call and a put at every strike.
Grids reach into the smile's wings, where the out-of-the-money options are worth about nothing
(see ``strike_grid``), so longer expiries get wider grids; long chains also list two deep wing
strikes (about 1/6 and 1/5 of spot), like the real file's SPX 1000 and 1200 strikes.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

import numpy as np

from optlake.generator.catalogue import ROOTS, Root, underlying_index
from optlake.generator.expiries import expiries
from optlake.generator.ids import unique_ids
from optlake.generator.pricing import MONEYNESS_CAP
from optlake.reference.osi import format_osi
from optlake.reference.settlement import AM, PM, settlement_utc
from optlake.reference.trading_calendar import trading_days_after

MIN_ROOT_CONTRACTS = 8  # a root is used only when its share is at least this many contracts
MIN_EXPIRY_CONTRACTS = 12  # an expiry is added only when it gets at least this many contracts
MIN_STRIKES = 2  # every expiry has at least two calls and two puts
WING_STDEVS = 4.5  # the grid reaches this many wing-vol standard deviations from spot (log scale)
CORE_STDEVS = 1.0  # the inner half of the strikes spans at least this many ATM standard deviations
LOW_STRIKE_FRACTION = 0.5
WING_FRACTIONS = (1 / 6, 1 / 5)
WING_MIN_STRIKES = 16
WING_MIN_DAYS = 14


@dataclass(frozen=True)
class Contracts:
    """One day's contracts, columnar, ordered by root, expiry, strike, then call before put."""

    symbols: list[str]
    instrument_ids: np.ndarray  # int64
    root_index: np.ndarray  # int64, into catalogue.ROOTS
    underlying_index: np.ndarray  # int64, into catalogue.UNDERLYINGS
    expiries: list[dt.date]
    expiry_close_ns: np.ndarray  # int64, the settlement instant (reference.settlement), ns since the epoch
    trading_days_to_expiry: np.ndarray  # int64, full sessions after the trade date before the settlement
    strike_mills: np.ndarray  # int64, strike * 1000
    is_call: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.symbols)


def largest_remainder(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (Hamilton's method)."""
    shares = [total * w / sum(weights) for w in weights]
    counts = [math.floor(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def root_budgets(n_contracts: int) -> list[tuple[Root, int]]:
    """The roots used for ``n_contracts`` contracts and each one's share.

    As many roots as possible (in catalogue order) such that the lightest one still gets
    MIN_ROOT_CONTRACTS; at least the first root.
    """
    for n_roots in range(len(ROOTS), 1, -1):
        weights = [r.weight for r in ROOTS[:n_roots]]
        if n_contracts * min(weights) / sum(weights) >= MIN_ROOT_CONTRACTS:
            return list(zip(ROOTS[:n_roots], largest_remainder(n_contracts, weights), strict=True))
    return [(ROOTS[0], n_contracts)]


def strike_counts(budget: int, n_listed: int) -> list[int]:
    """Strikes per expiry for a root's contract budget: nearest expiries first, two minimum."""
    n_expiries = min(n_listed, max(1, budget // MIN_EXPIRY_CONTRACTS))
    parts = largest_remainder(budget, [1.0] * n_expiries)
    return [max(MIN_STRIKES, math.ceil(p / 2)) for p in parts]


def years_to_expiry(trade_date: dt.date, expiry: dt.date) -> float:
    """Approximate time from the trade date's open to the expiry's close, in years."""
    return ((expiry - trade_date).days + 6.5 / 24) / 365


def _mills(value: float) -> int:
    return round(value * 1000)


def centred_grid(spot: float, n_strikes: int, step_m: int, offset_m: int, floor_m: float) -> np.ndarray:
    """``n_strikes`` grid points (offset + j * step, in mills) around ``spot``, none below ``floor_m``."""
    lowest = math.ceil((floor_m - offset_m) / step_m)
    low = max(round((spot * 1000 - offset_m) / step_m) - n_strikes // 2, lowest)
    return offset_m + (low + np.arange(n_strikes, dtype=np.int64)) * step_m


def outer_grid(inner: np.ndarray, n_strikes: int, step_m: int, offset_m: int, floor_m: float) -> np.ndarray:
    """``n_strikes`` grid points outside ``inner``: half below it (none under ``floor_m``), the rest above."""
    below = offset_m + ((inner[0] - offset_m - 1) // step_m - np.arange(n_strikes // 2, dtype=np.int64)) * step_m
    below = below[below >= floor_m]
    above = offset_m + ((inner[-1] - offset_m) // step_m + 1 + np.arange(n_strikes - below.size)) * step_m
    return np.concatenate([below[::-1], above])


def wing_vol(root: Root, base_vol: float | None = None) -> float:
    """The smile's largest volatility: at the moneyness cap on the skew's rich side."""
    smile = root.smile
    vol = smile.base_vol if base_vol is None else base_vol
    return vol * (1 + abs(smile.skew) * MONEYNESS_CAP + smile.curvature * MONEYNESS_CAP**2)


def half_width(root: Root, spot: float, years: float, base_vol: float | None = None) -> float:
    """How far the grid reaches from spot: WING_STDEVS wing-vol standard deviations down (log scale),
    where a put is worth about nothing even at the wing's volatility."""
    return spot * (1 - math.exp(-WING_STDEVS * wing_vol(root, base_vol) * math.sqrt(max(years, 1 / 365))))


def strike_grid(root: Root, spot: float, n_strikes: int, years: float, base_vol: float | None = None) -> np.ndarray:
    """``n_strikes`` distinct positive strikes in mills around ``spot``, ascending.

    The grid spans +-``half_width``: at the finest increment when it can, else half the strikes
    around spot at the finest increment whose half spans +-CORE_STDEVS ATM standard deviations
    (deltas of about 0.16 to 0.84: 5-point SPX strikes for a 0DTE, 25-point for a month), and the
    other half outside them at the finest coarser increment that reaches, or at a multiple of the
    coarsest one (a vendor file quotes some of the listed strikes).
    ``base_vol`` (the day's, for roots whose smile follows the VIX) sizes the wings. Strikes stay
    above LOW_STRIKE_FRACTION of spot, wings aside.
    """
    width_m = half_width(root, spot, years, base_vol) * 1000
    steps_m = [_mills(s) for s in root.strike_steps]
    offset_m = _mills(root.strike_offset)
    floor_m = LOW_STRIKE_FRACTION * spot * 1000
    if steps_m[0] * (n_strikes - 1) / 2 >= width_m or len(steps_m) == 1:
        grid = centred_grid(spot, n_strikes, steps_m[0], offset_m, floor_m)
    else:
        n_inner = max(n_strikes // 2, MIN_STRIKES)
        core_m = CORE_STDEVS * (root.smile.base_vol if base_vol is None else base_vol) * math.sqrt(max(years, 1 / 365))
        core_m *= spot * 1000
        inner_step = next((s for s in steps_m if s * n_inner / 2 >= core_m), steps_m[-1])
        reach = inner_step * n_inner / 2
        n_outer = n_strikes - n_inner
        coarser = [s for s in steps_m if s > inner_step]
        stretched = steps_m[-1] * max(1, math.ceil((width_m - reach) / (steps_m[-1] * max(n_outer / 2, 1))))
        outer_step = next((s for s in coarser if reach + s * n_outer / 2 >= width_m), stretched)
        inner = centred_grid(spot, n_inner, inner_step, offset_m, floor_m)
        grid = np.sort(np.concatenate([inner, outer_grid(inner, n_outer, outer_step, offset_m, floor_m)]))
    if n_strikes >= WING_MIN_STRIKES and years * 365 >= WING_MIN_DAYS:
        grid = with_wings(grid, root, spot)
    return grid


def with_wings(grid: np.ndarray, root: Root, spot: float) -> np.ndarray:
    """Replace the lowest grid strikes by deep wing strikes (fractions of spot, coarsest step)."""
    step_m = _mills(root.strike_steps[-1])
    offset_m = _mills(root.strike_offset)
    candidates = {offset_m + round((spot * f * 1000 - offset_m) / step_m) * step_m for f in WING_FRACTIONS}
    wings = sorted(w for w in candidates if 0 < w < grid[0])
    return np.concatenate([np.array(wings, dtype=np.int64), grid[len(wings) :]])


class Listing(NamedTuple):
    """One contract; tuples sort in file order: root, expiry, strike, then call before put."""

    padded_root: str
    expiry: dt.date
    strike_mills: int
    cp: str
    root_index: int


def listings(
    trade_date: dt.date, open_spots: np.ndarray, n_contracts: int, open_base_vols: np.ndarray | None = None
) -> list[Listing]:
    """The day's contracts in file order: at least ``n_contracts``, >= 2 calls and puts per expiry.
    ``open_base_vols`` (indexed like ``catalogue.ROOTS``): each root's smile base_vol at the open."""
    budgets = dict(root_budgets(n_contracts))
    found = []
    for index, root in enumerate(ROOTS):
        if root not in budgets:
            continue
        spot = float(open_spots[underlying_index(root.underlying)])
        listed = [e for e in expiries(root.expiry_cycle, trade_date) if root.settlement == PM or e > trade_date]
        for expiry, n_strikes in zip(listed, strike_counts(budgets[root], len(listed)), strict=False):
            base_vol = None if open_base_vols is None else float(open_base_vols[index])
            years = years_to_expiry(trade_date, expiry)
            for strike in strike_grid(root, spot, n_strikes, years, base_vol).tolist():
                found += [Listing(f"{root.symbol:<6}", expiry, strike, cp, index) for cp in ("C", "P")]
    return sorted(found)


def build_contracts(
    trade_date: dt.date, open_spots: np.ndarray, n_contracts: int, open_base_vols: np.ndarray | None = None
) -> Contracts:
    """The day's contracts as columns; ``open_spots`` is indexed like ``catalogue.UNDERLYINGS``,
    ``open_base_vols`` like ``catalogue.ROOTS``."""
    found = listings(trade_date, open_spots, n_contracts, open_base_vols)
    symbols = [format_osi(c.padded_root.strip(), c.expiry, c.cp, Decimal(c.strike_mills) / 1000) for c in found]
    settles = sorted({(c.expiry, ROOTS[c.root_index].settlement) for c in found})
    closes = {k: int(settlement_utc(*k).timestamp()) * 10**9 for k in settles}
    days_to = {k: trading_days_after(trade_date, k[0]) - (k[1] == AM) for k in settles}
    root_underlying = [underlying_index(r.underlying) for r in ROOTS]
    keys = [(c.expiry, ROOTS[c.root_index].settlement) for c in found]
    return Contracts(
        symbols=symbols,
        instrument_ids=np.array(unique_ids(symbols), dtype=np.int64),
        root_index=np.array([c.root_index for c in found], dtype=np.int64),
        underlying_index=np.array([root_underlying[c.root_index] for c in found], dtype=np.int64),
        expiries=[c.expiry for c in found],
        expiry_close_ns=np.array([closes[k] for k in keys], dtype=np.int64),
        trading_days_to_expiry=np.array([days_to[k] for k in keys], dtype=np.int64),
        strike_mills=np.array([c.strike_mills for c in found], dtype=np.int64),
        is_call=np.array([c.cp == "C" for c in found]),
    )
