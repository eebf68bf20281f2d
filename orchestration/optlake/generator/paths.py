"""The option underlyings' minute prices, taken from the market model (``market``, ``bars``).

The spot of an underlying at ``ts_recv`` = the end of regular-session minute ``t`` is the close of
its one-minute bar starting at ``t`` (``bars.session_closes``), the exact 9-decimal price of the
bar file; every underlying of ``catalogue.UNDERLYINGS`` (F included) is a market instrument. Roots
whose smile has ``base_vol_from == "VIX"`` (SPX, SPXW, SPY) take ``base_vol = VIX close / 100`` at
each minute: the smile's 30-day ATM vol is the VIX of that minute.
"""

from __future__ import annotations

import numpy as np

from optlake.generator.bars import NANOS, session_closes
from optlake.generator.catalogue import ROOTS, UNDERLYINGS
from optlake.generator.market import VIX, MarketDay, Model


def underlying_spots(model: Model, day: MarketDay) -> np.ndarray:
    """(underlyings, session minutes) spots of a trading day, in ``UNDERLYINGS`` order."""
    closes = session_closes(model, day)
    return closes[[model.index(u.name) for u in UNDERLYINGS]] / NANOS


def smile_base_vols(model: Model, day: MarketDay) -> np.ndarray:
    """(roots, session minutes) base volatility of each root's smile at each minute, in ``ROOTS`` order."""
    vix = session_closes(model, day)[model.index(VIX)] / NANOS / 100
    return np.stack([vix if r.smile.base_vol_from == VIX else np.full(vix.size, r.smile.base_vol) for r in ROOTS])
