"""The one correlated minute model behind the market bars and the option underlyings.

Time runs in UTC minutes of calendar days. Every minute ``t`` carries a market-clock weight
``w(t)``: ``(1 - ON) / 390`` in the regular session of an NYSE trading day, ``ON / 1050`` in any
other minute of a trading day, ``WEEKEND * ON / 1050`` in a minute of a weekend or holiday
(``ON = 0.2``: a fifth of a day's variance arrives overnight; ``WEEKEND = 0.1``). The 1440
minutes of a trading day weigh one trading day, 1/252 of a year. With ``Z`` independent
standard normal draws per minute, the log return of instrument ``i`` over minute ``t`` is:

- SPX, the market factor (``sigma_M`` = SPX's vol, 0.13)::

      r_SPX = sigma_M * sqrt(w / 252) * Z_M - sigma_M**2 * w / 504

- equities, ETFs, NDX, RUT (``beta_i``, ``sigma_i`` from ``instruments``)::

      r_i = sqrt(w / 252) * (beta_i * sigma_M * Z_M + sqrt(sigma_i**2 - beta_i**2 * sigma_M**2) * Z_i)
            - sigma_i**2 * w / 504

  so the beta to SPX is ``beta_i`` and the correlation ``beta_i * sigma_M / sigma_i`` at every
  horizon;
- trackers (SPY, QQQ, IWM): ``log P = log P_parent - log(ratio) + e(t)``, ``e`` iid
  ``N(0, tracking_bp**2)`` at each minute, ``ratio = parent.start / start`` (SPY = SPX / 10,
  QQQ = NDX / 41.35, IWM = RUT / 10.22): the parent's beta, a tiny tracking noise;
- VIX: ``x = log VIX`` is an Ornstein-Uhlenbeck process on the market clock::

      x(t) = m + phi * (x(t-1) - m) + sqrt(w / 252) * (beta_V * sigma_M * Z_M + sqrt(sigma_V**2 - beta_V**2 * sigma_M**2) * Z_V)
      phi = exp(-VIX_KAPPA * w / 252),  m = log(VIX_LONG_RUN)

  with ``beta_V = -5.2``, ``sigma_V = 0.9``: its log changes correlate ``beta_V * sigma_M / sigma_V
  = -0.75`` with SPX returns. The SPX, SPXW and SPY option smiles take ``base_vol = VIX / 100``
  at each minute (the smile's 30-day ATM vol is the VIX), so the two agree;
- crypto (every minute of every day, ``V_i = sigma_i**2 / (365 * 1440)``, ``k_i`` its loading
  on the common crypto factor ``Z_C``)::

      r_i = beta_i * sigma_M * sqrt(w / 252) * Z_M + k_i * sqrt(V_i) * Z_C
            + sqrt(V_i * (1 - k_i**2) - beta_i**2 * sigma_M**2 * w / 252) * Z_i - V_i / 2

  its variance is the same every minute; it co-moves with SPX mostly in the US session.

Anchor and history. Every log level equals ``log(start)`` at the anchor, the start day's 00:00
UTC. Days on or after it run forward from there; days before it (``--history-days``) run
backward from it: the same draws, ``x(t-1) = x(t) - r(t)``, and for the VIX the time-reversed OU
``y(t-1) = phi * y(t) - eta(t)`` (a stationary OU process is reversible). A day's draws depend
only on (seed, date), so the files of a day do not depend on how many history days are asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from optlake.generator.instruments import INSTRUMENTS, Instrument, by_symbol
from optlake.generator.seeding import MARKET_STREAM, rng_for
from optlake.reference.trading_calendar import SESSION_MINUTES, is_trading_day, session_minutes_utc

DAY_MINUTES = 1440
TRADING_DAYS_PER_YEAR = 252
CALENDAR_DAYS_PER_YEAR = 365
OVERNIGHT_SHARE = 0.2  # share of a trading day's variance outside the regular session
WEEKEND_SHARE = 0.1  # a weekend or holiday minute carries this fraction of a weeknight minute's variance
VIX_KAPPA = 5.0  # mean reversion of log VIX per (trading) year: half-life ~35 trading days
VIX_LONG_RUN = 17.0
MARKET = "SPX"
VIX = "VIX"


@dataclass(frozen=True)
class Model:
    """The minute instruments (regular and 24x7, ``INSTRUMENTS`` order) as arrays."""

    instruments: tuple[Instrument, ...]
    log_start: np.ndarray  # (n,) log level at the anchor (trackers: parent's minus log ratio)
    beta: np.ndarray  # (n,) beta to SPX (trackers: the parent's)
    vol: np.ndarray  # (n,) annualised vol (regular: 252-day basis, trackers: the parent's; crypto: 365-day)
    own: np.ndarray  # (n,) regular: sqrt(sigma**2 - beta**2 sigma_M**2), the coefficient of its own shock
    shock_row: np.ndarray  # (n,) int, row of its own shock in the day's draws (trackers: the parent's)
    is_crypto: np.ndarray  # (n,) bool
    crypto_var: np.ndarray  # (n,) V_i, per-minute variance of a coin (0 for regular)
    crypto_loading: np.ndarray  # (n,) k_i
    trackers: np.ndarray  # (n_trackers,) int, indices of the trackers
    tracking: np.ndarray  # (n_trackers,) tracking noise sd in log units
    vix: int
    market: int

    @property
    def symbols(self) -> list[str]:
        return [i.symbol for i in self.instruments]

    def index(self, symbol: str) -> int:
        return self.symbols.index(symbol)

    @property
    def sigma_m(self) -> float:
        return float(self.vol[self.market])


def build_model(instruments: tuple[Instrument, ...] = INSTRUMENTS) -> Model:
    """The model arrays of the minute instruments (yields are in ``yields``)."""
    minute = tuple(i for i in instruments if i.session in ("regular", "24x7"))
    symbols = [i.symbol for i in minute]
    sigma_m = by_symbol(MARKET).vol
    log_start, beta, vol, own, row = [], [], [], [], []
    for k, inst in enumerate(minute):
        base = by_symbol(inst.parent) if inst.parent else inst
        log_start.append(np.log(inst.start))
        beta.append(base.beta)
        vol.append(base.vol)
        regular_var = base.vol**2 - base.beta**2 * sigma_m**2
        if inst.session == "regular" and regular_var < -1e-15:
            raise ValueError(f"{inst.symbol}: beta * sigma_M exceeds its volatility")
        own.append(np.sqrt(max(regular_var, 0.0)) if inst.session == "regular" else 0.0)
        row.append(2 + (symbols.index(inst.parent) if inst.parent else k))
    is_crypto = np.array([i.session == "24x7" for i in minute])
    crypto_var = np.where(is_crypto, np.array(vol) ** 2 / (CALENDAR_DAYS_PER_YEAR * DAY_MINUTES), 0.0)
    loading = np.array([i.crypto_loading for i in minute])
    session_w = (1 - OVERNIGHT_SHARE) / SESSION_MINUTES
    room = crypto_var * (1 - loading**2) - np.array(beta) ** 2 * sigma_m**2 * session_w / TRADING_DAYS_PER_YEAR
    if np.any(is_crypto & (room < 0)):
        raise ValueError("a coin's beta is too large for its volatility and crypto loading")
    trackers = np.array([k for k, i in enumerate(minute) if i.parent], dtype=np.int64)
    return Model(
        instruments=minute,
        log_start=np.array(log_start),
        beta=np.array(beta),
        vol=np.array(vol),
        own=np.array(own),
        shock_row=np.array(row, dtype=np.int64),
        is_crypto=is_crypto,
        crypto_var=crypto_var,
        crypto_loading=loading,
        trackers=trackers,
        tracking=np.array([minute[k].tracking_bp * 1e-4 for k in trackers]),
        vix=symbols.index(VIX),
        market=symbols.index(MARKET),
    )


@dataclass(frozen=True)
class Clock:
    """One calendar day's market clock: the weights and where the regular session is."""

    day: dt.date
    weights: np.ndarray  # (1440,) w(t) of each UTC minute
    session_start: int  # UTC minute of the day of the first session bar (0 when not trading)
    session_len: int  # 0 when not a trading day

    @property
    def trading(self) -> bool:
        return self.session_len > 0

    @property
    def session(self) -> slice:
        return slice(self.session_start, self.session_start + self.session_len)


def day_clock(day: dt.date) -> Clock:
    """The market clock of a UTC calendar day (see the module docstring for the weights)."""
    off = OVERNIGHT_SHARE / (DAY_MINUTES - SESSION_MINUTES)
    if not is_trading_day(day):
        return Clock(day, np.full(DAY_MINUTES, WEEKEND_SHARE * off), 0, 0)
    ends = session_minutes_utc(day)
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
    start = int((ends[0] - midnight).total_seconds()) // 60 - 1
    weights = np.full(DAY_MINUTES, off)
    weights[start : start + len(ends)] = (1 - OVERNIGHT_SHARE) / SESSION_MINUTES
    return Clock(day, weights, start, len(ends))


def minute_variance(model: Model, weights: np.ndarray) -> np.ndarray:
    """(n, minutes) variance of each instrument's log return over each minute (trackers: the parent's)."""
    clocked = model.vol[:, None] ** 2 * weights[None, :] / TRADING_DAYS_PER_YEAR
    return np.where(model.is_crypto[:, None], model.crypto_var[:, None], clocked)


def day_draws(model: Model, seed: int, day: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """The day's shocks: (2 + n, 1440) rows Z_M, Z_C and each instrument's own; (trackers, 1440) noise."""
    rng = rng_for(seed, MARKET_STREAM, day.toordinal())
    shocks = rng.standard_normal((2 + len(model.instruments), DAY_MINUTES))
    return shocks, rng.standard_normal((model.trackers.size, DAY_MINUTES))


def log_returns(model: Model, weights: np.ndarray, shocks: np.ndarray) -> np.ndarray:
    """(n, 1440) log returns of each minute; the VIX row is its OU shock ``eta`` (no reversion yet)."""
    scale = np.sqrt(weights / TRADING_DAYS_PER_YEAR)
    market = scale * shocks[0]
    found = np.empty((len(model.instruments), weights.size))
    regular, coins = np.flatnonzero(~model.is_crypto), np.flatnonzero(model.is_crypto)
    own = shocks[model.shock_row[regular]] * scale
    found[regular] = (model.beta * model.sigma_m)[regular, None] * market + model.own[regular, None] * own
    drift = model.vol[regular] ** 2 / (2 * TRADING_DAYS_PER_YEAR) * (regular != model.vix)
    found[regular] -= drift[:, None] * weights
    beta_m = (model.beta * model.sigma_m)[coins, None]
    var = model.crypto_var[coins, None]
    loading = model.crypto_loading[coins, None]
    idio = np.sqrt(np.maximum(var * (1 - loading**2) - beta_m**2 * scale**2, 0))
    found[coins] = (
        beta_m * market + loading * np.sqrt(var) * shocks[1] + idio * shocks[model.shock_row[coins]] - var / 2
    )
    return found


def ou_forward(y0: float, eta: np.ndarray, weights: np.ndarray, kappa: float) -> np.ndarray:
    """Levels y(0..n) of ``y(t) = phi(t) * y(t-1) + eta(t)``, ``phi(t) = exp(-kappa * w(t) / 252)``, from y(0)."""
    log_p = np.concatenate([[0.0], -kappa * np.cumsum(weights) / TRADING_DAYS_PER_YEAR])
    p = np.exp(log_p)
    return p * (y0 + np.concatenate([[0.0], np.cumsum(eta / p[1:])]))


def ou_backward(y_end: float, eta: np.ndarray, weights: np.ndarray, kappa: float) -> np.ndarray:
    """Levels y(0..n) of the time-reversed OU ``y(t-1) = phi(t) * y(t) - eta(t)`` ending at y(n)."""
    log_p = np.concatenate([[0.0], -kappa * np.cumsum(weights) / TRADING_DAYS_PER_YEAR])
    q = np.exp(log_p[-1] - log_p)  # Q(t) = prod_{s > t} phi(s)
    tail = np.concatenate([np.cumsum((eta / q[:-1])[::-1])[::-1], [0.0]])  # sum_{s > t} eta(s) / Q(s - 1)
    return q * (y_end - tail)


def latent_levels(model: Model, clock: Clock, returns: np.ndarray, known: np.ndarray, forward: bool) -> np.ndarray:
    """(n, 1441) log levels at the day's minute boundaries from the level at its start (forward) or end."""
    cum = np.concatenate([np.zeros((returns.shape[0], 1)), np.cumsum(returns, axis=1)], axis=1)
    levels = known[:, None] + cum if forward else known[:, None] - cum[:, -1:] + cum
    m = np.log(VIX_LONG_RUN)
    eta = returns[model.vix]
    ou = ou_forward if forward else ou_backward
    levels[model.vix] = m + ou(float(known[model.vix]) - m, eta, clock.weights, VIX_KAPPA)
    return levels


@dataclass(frozen=True)
class MarketDay:
    """One calendar day of the model: observed log levels at the 1441 minute boundaries."""

    clock: Clock
    log_levels: np.ndarray  # (n, 1441); trackers include their tracking noise (boundary 0 excepted)
    variance: np.ndarray  # (n, 1440) variance of each minute's log return (for the bar ranges)
    start: np.ndarray  # (n,) latent log levels at 00:00
    end: np.ndarray  # (n,) latent log levels at 24:00


def simulate_day(model: Model, seed: int, day: dt.date, known: np.ndarray, forward: bool) -> MarketDay:
    """One day from the latent levels at its start (``forward``) or at its end."""
    clock = day_clock(day)
    shocks, noise = day_draws(model, seed, day)
    levels = latent_levels(model, clock, log_returns(model, clock.weights, shocks), known, forward)
    observed = levels.copy()
    observed[model.trackers, 1:] += model.tracking[:, None] * noise
    variance = minute_variance(model, clock.weights)
    variance[model.vix] = model.vol[model.vix] ** 2 * clock.weights / TRADING_DAYS_PER_YEAR
    return MarketDay(clock, observed, variance, levels[:, 0], levels[:, -1])


def simulate(model: Model, seed: int, first: dt.date, last: dt.date, anchor: dt.date) -> Iterator[MarketDay]:
    """Every calendar day from ``first`` to ``last``: forward from the anchor, then backward before it.

    Yields the days on/after the anchor in date order, then those before it latest first.
    """
    known = model.log_start.copy()
    day = max(anchor, first)
    while day <= last:
        market_day = simulate_day(model, seed, day, known, forward=True)
        known = market_day.end
        yield market_day
        day += dt.timedelta(days=1)
    known = model.log_start.copy()
    day = min(anchor, last + dt.timedelta(days=1)) - dt.timedelta(days=1)
    while day >= first:
        market_day = simulate_day(model, seed, day, known, forward=False)
        known = market_day.start
        yield market_day
        day -= dt.timedelta(days=1)
