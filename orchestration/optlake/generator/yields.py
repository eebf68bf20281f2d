"""Treasury yields (^IRX, ^FVX, ^TNX, ^TYX): correlated Vasicek (Ornstein-Uhlenbeck) daily paths.

Each yield ``y`` (in percent, e.g. 4.25) follows ``dy = kappa * (theta - y) dt + sigma dW`` on the
trading-day clock (``dt = 1/252`` per trading day), the ``dW`` of the four yields correlated by
``CORRELATION`` (the curve moves together, the long end most). A trading day has two exact OU
steps: overnight (a share ``ON = 0.2`` of the day) to the open, then the session to the close::

    open  = theta + phi_on * (prev_close - theta) + sd_on * z_on
    close = theta + phi_id * (open - theta) + sd_id * z_id
    phi = exp(-kappa * h),  sd = sigma * sqrt((1 - phi**2) / (2 * kappa)),  h = ON/252 or (1-ON)/252

High and low are the extremes of a Brownian bridge from open to close with variance
``sigma**2 * (1 - ON) / 252``. The close of the trading day before the start day is ``start``
(early-2025 levels); later days run forward, history days backward by the time-reversed steps
(``open = theta + phi_id * (close - theta) - sd_id * z_id``, ...), so a day's draws depend only on
(seed, date). Yields are quotes, not trades: their bars carry volume 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from optlake.generator.instruments import INSTRUMENTS, Instrument
from optlake.generator.seeding import YIELD_STREAM, rng_for

TRADING_DAYS_PER_YEAR = 252
OVERNIGHT_SHARE = 0.2
#: symbol -> (long-run level theta in percent, mean reversion kappa per year)
REVERSION: dict[str, tuple[float, float]] = {
    "^IRX": (4.00, 0.60),
    "^FVX": (4.20, 0.30),
    "^TNX": (4.40, 0.25),
    "^TYX": (4.60, 0.20),
}
#: correlation of the daily shocks, in the order ^IRX, ^FVX, ^TNX, ^TYX
CORRELATION = np.array(
    [
        [1.00, 0.50, 0.45, 0.40],
        [0.50, 1.00, 0.95, 0.88],
        [0.45, 0.95, 1.00, 0.96],
        [0.40, 0.88, 0.96, 1.00],
    ]
)


@dataclass(frozen=True)
class Curve:
    instruments: tuple[Instrument, ...]
    start: np.ndarray
    theta: np.ndarray
    kappa: np.ndarray
    sigma: np.ndarray
    chol: np.ndarray  # lower Cholesky factor of CORRELATION

    @property
    def symbols(self) -> list[str]:
        return [i.symbol for i in self.instruments]


def build_curve(instruments: tuple[Instrument, ...] = INSTRUMENTS) -> Curve:
    found = tuple(i for i in instruments if i.asset_class == "yield")
    return Curve(
        instruments=found,
        start=np.array([i.start for i in found]),
        theta=np.array([REVERSION[i.symbol][0] for i in found]),
        kappa=np.array([REVERSION[i.symbol][1] for i in found]),
        sigma=np.array([i.vol for i in found]),
        chol=np.linalg.cholesky(CORRELATION),
    )


def ou_coefficients(kappa: np.ndarray, sigma: np.ndarray, years: float) -> tuple[np.ndarray, np.ndarray]:
    """``phi`` and the shock sd of an exact OU step of ``years``."""
    phi = np.exp(-kappa * years)
    return phi, sigma * np.sqrt((1 - phi**2) / (2 * kappa))


def ou_step(y: np.ndarray, theta: np.ndarray, phi: np.ndarray, sd: np.ndarray, z: np.ndarray) -> np.ndarray:
    """One exact OU step: ``theta + phi * (y - theta) + sd * z`` (any broadcastable shapes)."""
    return theta + phi * (y - theta) + sd * z


def ou_step_back(y: np.ndarray, theta: np.ndarray, phi: np.ndarray, sd: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The time-reversed step: the level one step earlier, ``theta + phi * (y - theta) - sd * z``."""
    return theta + phi * (y - theta) - sd * z


@dataclass(frozen=True)
class YieldDay:
    day: dt.date
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    before: np.ndarray  # previous trading day's close (history runs backward through it)


def yield_day(curve: Curve, seed: int, day: dt.date, known: np.ndarray, forward: bool) -> YieldDay:
    """One trading day from the previous close (``forward``) or from this day's close."""
    rng = rng_for(seed, YIELD_STREAM, day.toordinal())
    z = rng.standard_normal((2, len(curve.instruments))) @ curve.chol.T  # correlated rows: overnight, session
    u = 1.0 - rng.random((2, len(curve.instruments)))
    phi_on, sd_on = ou_coefficients(curve.kappa, curve.sigma, OVERNIGHT_SHARE / TRADING_DAYS_PER_YEAR)
    phi_id, sd_id = ou_coefficients(curve.kappa, curve.sigma, (1 - OVERNIGHT_SHARE) / TRADING_DAYS_PER_YEAR)
    if forward:
        before = known
        open_ = ou_step(before, curve.theta, phi_on, sd_on, z[0])
        close = ou_step(open_, curve.theta, phi_id, sd_id, z[1])
    else:
        close = known
        open_ = ou_step_back(close, curve.theta, phi_id, sd_id, z[1])
        before = ou_step_back(open_, curve.theta, phi_on, sd_on, z[0])
    var = curve.sigma**2 * (1 - OVERNIGHT_SHARE) / TRADING_DAYS_PER_YEAR
    mid, gap = open_ + close, (close - open_) ** 2
    high = (mid + np.sqrt(gap - 2 * var * np.log(u[0]))) / 2
    low = (mid - np.sqrt(gap - 2 * var * np.log(u[1]))) / 2
    return YieldDay(day, open_, high, low, close, before)


def simulate_yields(curve: Curve, seed: int, days: list[dt.date], anchor: dt.date) -> list[YieldDay]:
    """The trading ``days`` (ascending): the close before ``anchor`` is ``curve.start``; in date order."""
    after = [d for d in days if d >= anchor]
    before = [d for d in days if d < anchor]
    found: list[YieldDay] = []
    known = curve.start
    for day in after:
        found.append(yield_day(curve, seed, day, known, forward=True))
        known = found[-1].close
    known = curve.start
    back: list[YieldDay] = []
    for day in reversed(before):
        back.append(yield_day(curve, seed, day, known, forward=False))
        known = back[-1].before
    return back[::-1] + found
