"""Underlying price paths: geometric Brownian motion at one-minute steps, continuous across days.

Bar ``i`` of a day (09:31 + i minutes New York) carries the price at that minute. Each minute
adds a log return ~ N(-v/2, v) with v = (1 - OVERNIGHT_SHARE) * vol**2 / 252 / 390; the first
bar of a day also adds the overnight gap ~ N(-g/2, g), g = OVERNIGHT_SHARE * vol**2 / 252, on
top of the previous day's close. The first day starts from ``Underlying.spot``.
"""

from __future__ import annotations

import numpy as np

from optlake.generator.catalogue import Underlying
from optlake.generator.seeding import PATH_STREAM, rng_for
from optlake.reference.trading_calendar import SESSION_MINUTES

TRADING_DAYS_PER_YEAR = 252
OVERNIGHT_SHARE = 0.2  # share of a day's variance that arrives between close and open


def day_log_returns(vols: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Log returns of one day, shape (underlyings, minutes); column 0 includes the overnight gap."""
    daily_var = vols**2 / TRADING_DAYS_PER_YEAR
    minute_var = (1 - OVERNIGHT_SHARE) * daily_var / SESSION_MINUTES
    gap_var = OVERNIGHT_SHARE * daily_var
    variance = np.repeat(minute_var[:, None], SESSION_MINUTES, axis=1)
    variance[:, 0] += gap_var
    shocks = rng.standard_normal(variance.shape)
    return shocks * np.sqrt(variance) - variance / 2


def simulate_paths(underlyings: tuple[Underlying, ...], n_days: int, seed: int) -> np.ndarray:
    """Minute prices, shape (days, underlyings, 390). Day k's draws depend only on (seed, k)."""
    vols = np.array([u.path_vol for u in underlyings])
    close = np.log([u.spot for u in underlyings])
    days = []
    for k in range(n_days):
        log_prices = close[:, None] + np.cumsum(day_log_returns(vols, rng_for(seed, PATH_STREAM, k)), axis=1)
        days.append(np.exp(log_prices))
        close = log_prices[:, -1]
    return np.stack(days)
