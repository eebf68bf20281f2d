"""The generator's reference data: underlyings and option roots, at early-2025 levels.

An ``Underlying`` is one market-model instrument (``instruments``) whose one-minute bar closes
are the options' spots; several roots can share it (SPX and SPXW, NDX and NDXP, F and its
adjusted root F1). Its start price and volatility are the instrument's. A ``Root`` carries what the option market of
that root looks like: its expiry cycle, strike increments, tick rule, spread and volatility
smile. ``ROOTS`` is ordered by importance: when only a few contracts are asked for, the
generator uses the first roots of this list.
"""

from __future__ import annotations

from dataclasses import dataclass

from optlake.generator.instruments import by_symbol
from optlake.reference.settlement import AM, PM


@dataclass(frozen=True)
class Underlying:
    name: str  # the market-model instrument (instruments.INSTRUMENTS)
    dividend_yield: float  # continuous, used in pricing

    @property
    def spot(self) -> float:
        """The instrument's level at the anchor (the start day's 00:00 UTC)."""
        return by_symbol(self.name).start

    @property
    def path_vol(self) -> float:
        """Annualised volatility of the instrument's path (252 days; a tracker's is its parent's)."""
        instrument = by_symbol(self.name)
        return by_symbol(instrument.parent).vol if instrument.parent else instrument.vol


@dataclass(frozen=True)
class Smile:
    """Implied-volatility smile of one root; the formula is in ``pricing.smile_vol``."""

    base_vol: float  # ATM volatility at the 30-day reference tenor
    skew: float  # slope in standardised log-moneyness (negative: puts richer; VIX: calls richer)
    curvature: float  # convexity in standardised log-moneyness; skew**2 < 4 * curvature
    term_slope: float  # ATM vol ~ (tau / 21 trading days) ** term_slope
    base_vol_from: str | None = (
        None  # "VIX": base_vol is the VIX close / 100 at each minute (base_vol sizes strike grids)
    )


@dataclass(frozen=True)
class Root:
    symbol: str  # OSI root, 1-6 characters
    underlying: str  # Underlying.name
    weight: float  # share of the day's contracts
    expiry_cycle: str  # "daily", "weekly", "monthly" or "vix" (see expiries.py)
    strike_steps: tuple[float, ...]  # allowed strike increments, finest first
    tick_rule: str  # "index" (0.05 < $3 <= 0.10), "penny" (0.01 < $3 <= 0.05) or "penny_all" (0.01)
    spread_rel: float  # quoted spread as a fraction of the option value, before caps
    smile: Smile
    strike_offset: float = 0.0  # adjusted roots: strikes are offset + n * step
    settlement: str = PM  # AM: settles at the expiry day's open, last traded the session before


_SPX_SMILE = Smile(base_vol=0.15, skew=-0.20, curvature=0.050, term_slope=0.06, base_vol_from="VIX")
_NDX_SMILE = Smile(base_vol=0.20, skew=-0.18, curvature=0.050, term_slope=0.05)
_RUT_SMILE = Smile(base_vol=0.22, skew=-0.15, curvature=0.045, term_slope=0.04)
_F_SMILE = Smile(base_vol=0.33, skew=-0.10, curvature=0.050, term_slope=0.02)

UNDERLYINGS: tuple[Underlying, ...] = (
    Underlying("SPX", 0.013),
    Underlying("SPY", 0.012),
    Underlying("QQQ", 0.006),
    Underlying("NDX", 0.007),
    Underlying("IWM", 0.011),
    Underlying("RUT", 0.012),
    Underlying("TSLA", 0.0),
    Underlying("NVDA", 0.0003),
    Underlying("AAPL", 0.0045),
    Underlying("VIX", 0.0),
    Underlying("F", 0.06),
)

# Root(symbol, underlying, weight, expiry_cycle, strike_steps, tick_rule, spread_rel, smile[, strike_offset, settlement])
ROOTS: tuple[Root, ...] = (
    Root("SPXW", "SPX", 20.0, "daily", (5, 25, 50, 100), "index", 0.012, _SPX_SMILE),
    Root("SPY", "SPY", 12.0, "daily", (1, 5, 10), "penny_all", 0.004, _SPX_SMILE),
    Root("QQQ", "QQQ", 8.0, "daily", (1, 5, 10), "penny_all", 0.005, _NDX_SMILE),
    Root("SPX", "SPX", 6.0, "monthly", (5, 25, 50, 100), "index", 0.012, _SPX_SMILE, settlement=AM),
    Root("NDXP", "NDX", 4.0, "daily", (10, 25, 50, 100, 250), "index", 0.015, _NDX_SMILE),
    Root("IWM", "IWM", 4.0, "daily", (1, 5, 10), "penny_all", 0.006, _RUT_SMILE),
    Root(
        "TSLA",
        "TSLA",
        4.0,
        "weekly",
        (2.5, 5, 10, 25),
        "penny",
        0.010,
        Smile(base_vol=0.62, skew=-0.05, curvature=0.040, term_slope=0.0),
    ),
    Root(
        "NVDA",
        "NVDA",
        4.0,
        "weekly",
        (1, 2.5, 5, 10),
        "penny",
        0.010,
        Smile(base_vol=0.52, skew=-0.08, curvature=0.040, term_slope=0.02),
    ),
    Root(
        "AAPL",
        "AAPL",
        3.0,
        "weekly",
        (2.5, 5, 10),
        "penny",
        0.010,
        Smile(base_vol=0.27, skew=-0.12, curvature=0.040, term_slope=0.03),
    ),
    Root(
        "VIX",
        "VIX",
        3.0,
        "vix",
        (0.5, 1, 2.5, 5),
        "index",
        0.030,
        Smile(base_vol=0.90, skew=0.15, curvature=0.040, term_slope=-0.15),
        settlement=AM,
    ),
    Root("NDX", "NDX", 2.0, "monthly", (10, 25, 50, 100, 250), "index", 0.015, _NDX_SMILE, settlement=AM),
    Root("RUT", "RUT", 2.0, "monthly", (5, 10, 25, 50), "index", 0.015, _RUT_SMILE, settlement=AM),
    Root("F", "F", 1.5, "weekly", (0.5, 1, 2.5), "penny", 0.020, _F_SMILE),
    # Adjusted after a special dividend: strikes moved down by 0.125 (12.375, 11.875, ...).
    Root("F1", "F", 0.5, "monthly", (0.5, 1, 2.5), "penny", 0.030, _F_SMILE, strike_offset=-0.125),
)


def underlying_index(name: str) -> int:
    """Position of an underlying in ``UNDERLYINGS``."""
    return next(i for i, u in enumerate(UNDERLYINGS) if u.name == name)
