"""Independent, reproducible random streams: one per (seed, purpose, key)."""

from __future__ import annotations

import numpy as np

#: Purposes of the random streams; a new purpose gets a new number, never a reused one.
PATH_STREAM = 1  # retired: the independent GBM paths before the market model
QUOTE_STREAM = 2
DROP_STREAM = 3
MARKET_STREAM = 4  # market model shocks of a calendar day
BAR_STREAM = 5  # bar ranges, volumes and missing minutes of a calendar day
YIELD_STREAM = 6  # Treasury yield shocks of a trading day


def rng_for(seed: int, stream: int, key: int) -> np.random.Generator:
    """A generator that depends only on its arguments (any int seed, negative included)."""
    return np.random.default_rng(np.random.SeedSequence([seed & (2**64 - 1), stream, key]))
