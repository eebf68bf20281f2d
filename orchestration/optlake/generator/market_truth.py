"""The market truth sidecar: the model's betas, correlations and volatilities, and the realised ones.

Written to ``<out_dir>/truth/market.truth.json`` whenever bars are written. Layout::

    {
      "seed": 7, "anchor": "2025-01-27", "first_day": ..., "last_day": ...,
      "model": {"market": "SPX", "overnight_share": 0.2, "weekend_share": 0.1, "formula": {...},
                "vix": {"kappa": 5.0, "long_run": 17.0, "smile_roots": ["SPX", "SPXW", "SPY"]}},
      "instruments": {
        "QQQ": {"asset_class": "etf", "dataset": "xnas-itch", "instrument_id": ..., "start": 520.0,
                "beta_to_spx": 1.2,          # beta of its log returns to SPX's, every horizon
                "annualised_vol": 0.17,      # 252-day basis (crypto: 365-day basis)
                "corr_1m_with_spx": 0.91,    # one-minute log returns in the regular session
                "corr_1d_with_spx": 0.92,    # daily close-to-close log returns over the run's trading days
                "parent": "NDX", "ratio": 41.35, "tracking_bp": 0.3,
                "realised": {"beta_1m": ..., "corr_1m": ..., "beta_1d": ..., "corr_1d": ..., "vol_1d": ...}},
        ...},
      "pairs": {"QQQ~SPX": {"beta_1m": ..., "beta_1d": ..., "corr_1m": ..., "corr_1d": ...},
                "BTC-USD~SPY": {...}, "ETH-USD~SPY": {...}, "VIX~SPX": {...}, "BTC-USD~ETH-USD": {...}},
      "yields": {"^TNX": {"start": 4.6, "theta": 4.4, "kappa": 0.25, "sigma": 0.9}, ...,
                 "correlation": {"symbols": [...], "matrix": [[...]]}}
    }

Model moments. Over a minute of clock weight ``w`` the covariance of the log returns is affine in
``w``: ``Cov(w) = A * w + B + T`` (``A`` from the market-clocked loadings, ``B`` from the crypto
factor and a coin's constant variance, ``T`` = ``2 * tracking**2`` on trackers' diagonal: the level
noise at both ends of a return). Minute values use the session weight. A daily return runs from the
previous trading day's close to this day's close: 16:00 New York for regular instruments, 24:00 UTC
for crypto (its daily bar); the covariance of two instruments sums ``A * w + B`` over the minutes
both windows share, and the daily correlation pools those sums over the run's trading days.
"Realised" values are estimated from the generated closes: one-minute returns inside the output
days' sessions, daily returns over all trading days of the run (history included).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np

from optlake.generator.market import (
    DAY_MINUTES,
    OVERNIGHT_SHARE,
    TRADING_DAYS_PER_YEAR,
    VIX_KAPPA,
    VIX_LONG_RUN,
    WEEKEND_SHARE,
    Clock,
    Model,
    day_clock,
)
from optlake.generator.yields import CORRELATION, Curve
from optlake.reference.trading_calendar import SESSION_MINUTES

PAIRS = (
    ("QQQ", "SPX"),
    ("IWM", "SPX"),
    ("SPY", "SPX"),
    ("BTC-USD", "SPY"),
    ("ETH-USD", "SPY"),
    ("VIX", "SPX"),
    ("BTC-USD", "ETH-USD"),
)
SESSION_WEIGHT = (1 - OVERNIGHT_SHARE) / SESSION_MINUTES
FORMULA = {
    "clock": "w = (1-ON)/390 in the regular session, ON/1050 other minutes of a trading day, WEEKEND*ON/1050 on other days",
    "regular": "r = sqrt(w/252) * (beta*sigma_M*Z_M + sqrt(sigma**2 - beta**2*sigma_M**2)*Z_i) - sigma**2*w/504",
    "tracker": "log P = log P_parent - log(ratio) + e, e ~ N(0, tracking_bp**2) per minute",
    "vix": "x = log VIX: x(t) = m + exp(-kappa*w/252)*(x(t-1) - m) + sqrt(w/252)*(beta*sigma_M*Z_M + sqrt(sigma**2 - beta**2*sigma_M**2)*Z_V)",
    "crypto": "r = beta*sigma_M*sqrt(w/252)*Z_M + k*sqrt(V)*Z_C + sqrt(V*(1-k**2) - beta**2*sigma_M**2*w/252)*Z_i - V/2, "
    "V = sigma**2/(365*1440)",
    "smile": "SPX, SPXW and SPY option smiles: base_vol = VIX close / 100 at the quote's minute",
    "option_spot": "spot at ts_recv = close of the underlying's 1m bar whose ts_event is ts_recv - 60 s",
}


def covariance_parts(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``A``, ``B``, ``T`` with Cov(minute of weight w) = A * w + B + T (see the module docstring)."""
    n = len(model.instruments)
    factors = np.zeros((n, 1 + n))  # market-clocked loadings per sqrt(w): Z_M and each own shock
    factors[:, 0] = model.beta * model.sigma_m
    factors[np.arange(n), model.shock_row - 1] = model.own
    a = factors @ factors.T / TRADING_DAYS_PER_YEAR
    constant = model.crypto_loading * np.sqrt(model.crypto_var)
    b = np.outer(constant, constant)
    coins = np.flatnonzero(model.is_crypto)
    a[coins, coins] = 0.0  # a coin's variance is the same every minute
    b[coins, coins] = model.crypto_var[coins]
    t = np.zeros((n, n))
    t[model.trackers, model.trackers] = 2 * model.tracking**2
    return a, b, t


def minute_covariance(model: Model) -> np.ndarray:
    """Covariance of one-minute log returns in the regular session."""
    a, b, t = covariance_parts(model)
    return a * SESSION_WEIGHT + b + t


def _window_sums(days: list[dt.date], known: Mapping[dt.date, Clock]) -> dict[str, np.ndarray]:
    """Per trading day: clock weight and minute count of the regular, crypto and shared daily windows."""
    first = days[0] - dt.timedelta(days=7)
    calendar = [first + dt.timedelta(days=k) for k in range((days[-1] - first).days + 1)]
    clocks = [known[d] if d in known else day_clock(d) for d in calendar]
    cum = np.concatenate([[0.0], np.cumsum(np.concatenate([c.weights for c in clocks]))])
    offset = {c.day: k * DAY_MINUTES for k, c in enumerate(clocks)}
    close = {c.day: offset[c.day] + c.session_start + c.session_len for c in clocks if c.trading}
    trading = [c.day for c in clocks if c.trading]
    sums: dict[str, list[float]] = {"w_rr": [], "w_rc": [], "w_cc": [], "n_rc": [], "n_cc": []}
    for day in days:
        prev = trading[trading.index(day) - 1]
        end_prev, end = offset[prev] + DAY_MINUTES, offset[day] + DAY_MINUTES
        sums["w_rr"].append(cum[close[day]] - cum[close[prev]])
        sums["w_rc"].append(cum[close[day]] - cum[end_prev])
        sums["w_cc"].append(cum[end] - cum[end_prev])
        sums["n_rc"].append(close[day] - end_prev)
        sums["n_cc"].append(end - end_prev)
    return {k: np.array(v) for k, v in sums.items()}


def daily_covariance(model: Model, days: list[dt.date], clocks: Mapping[dt.date, Clock] | None = None) -> np.ndarray:
    """Pooled covariance of daily log returns over ``days`` (each from the previous trading day's close);
    ``clocks`` may hold the days' clocks already computed."""
    a, b, t = covariance_parts(model)
    s = _window_sums(days, clocks or {})
    coin = model.is_crypto
    both = np.logical_and.outer(coin, coin)
    mixed = np.logical_xor.outer(coin, coin)
    w = np.where(both, s["w_cc"].sum(), np.where(mixed, s["w_rc"].sum(), s["w_rr"].sum()))
    count = np.where(both, s["n_cc"].sum(), np.where(mixed, s["n_rc"].sum(), 0.0))
    return (a * w + b * count) / len(days) + t


def correlation(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def regression(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """OLS beta of y on x and their correlation."""
    xc, yc = x - x.mean(), y - y.mean()
    return float(xc @ yc / (xc @ xc)), float(xc @ yc / np.sqrt((xc @ xc) * (yc @ yc)))


def realised(model: Model, minute_log: list[np.ndarray], daily_log: np.ndarray) -> dict[str, dict[str, float | None]]:
    """Estimates per instrument from session closes ``minute_log`` [(n, minutes) per output trading day]
    and daily closes ``daily_log`` (trading days, n) of log prices."""
    minute = np.concatenate([np.diff(day, axis=1) for day in minute_log], axis=1) if minute_log else np.zeros((0, 0))
    daily = np.diff(daily_log, axis=0).T if daily_log.shape[0] > 2 else None
    found: dict[str, dict[str, float | None]] = {}
    for k, inst in enumerate(model.instruments):
        entry: dict[str, float | None] = {}
        if minute.shape[-1] > 2:
            entry["beta_1m"], entry["corr_1m"] = regression(minute[model.market], minute[k])
        if daily is not None:
            entry["beta_1d"], entry["corr_1d"] = regression(daily[model.market], daily[k])
            # returns between trading days: sqrt(252) annualises crypto too (a Monday's return spans the weekend)
            entry["vol_1d"] = float(np.std(daily[k], ddof=1) * np.sqrt(TRADING_DAYS_PER_YEAR))
        found[inst.symbol] = entry
    return found


def truth_document(
    model: Model,
    curve: Curve,
    seed: int,
    anchor: dt.date,
    trading: list[dt.date],
    minute_log: list[np.ndarray],
    daily_log: np.ndarray,
    clocks: Mapping[dt.date, Clock] | None = None,
) -> dict[str, Any]:
    """The market sidecar; ``trading`` are the run's trading days (history and output)."""
    minute_cov = minute_covariance(model)
    daily_cov = daily_covariance(model, trading, clocks)
    minute_corr, daily_corr = correlation(minute_cov), correlation(daily_cov)
    spx = model.market
    measured = realised(model, minute_log, daily_log)
    instruments = {}
    for k, inst in enumerate(model.instruments):
        entry: dict[str, Any] = {
            "asset_class": inst.asset_class,
            "dataset": inst.dataset,
            "session": inst.session,
            "instrument_id": inst.instrument_id,
            "start": inst.start,
            "beta_to_spx": float(model.beta[k]),
            "annualised_vol": float(model.vol[k]),
            "vol_basis_days": 365 if inst.session == "24x7" else TRADING_DAYS_PER_YEAR,
            "corr_1m_with_spx": float(minute_corr[k, spx]),
            "corr_1d_with_spx": float(daily_corr[k, spx]),
            "realised": measured[inst.symbol],
        }
        if inst.parent:
            parent = next(i for i in model.instruments if i.symbol == inst.parent)
            entry |= {"parent": inst.parent, "ratio": parent.start / inst.start, "tracking_bp": inst.tracking_bp}
        if inst.session == "24x7":
            entry["crypto_loading"] = inst.crypto_loading
        instruments[inst.symbol] = entry
    pairs = {}
    for x, y in PAIRS:
        i, j = model.index(x), model.index(y)
        pairs[f"{x}~{y}"] = {
            "beta_1m": float(minute_cov[i, j] / minute_cov[j, j]),
            "beta_1d": float(daily_cov[i, j] / daily_cov[j, j]),
            "corr_1m": float(minute_corr[i, j]),
            "corr_1d": float(daily_corr[i, j]),
        }
    yields = {
        s: {
            "start": float(curve.start[k]),
            "theta": float(curve.theta[k]),
            "kappa": float(curve.kappa[k]),
            "sigma": float(curve.sigma[k]),
        }
        for k, s in enumerate(curve.symbols)
    }
    yields["correlation"] = {"symbols": curve.symbols, "matrix": CORRELATION.tolist()}
    return {
        "seed": seed,
        "anchor": anchor.isoformat(),
        "first_trading_day": trading[0].isoformat(),
        "last_trading_day": trading[-1].isoformat(),
        "trading_days": len(trading),
        "model": {
            "market": "SPX",
            "overnight_share": OVERNIGHT_SHARE,
            "weekend_share": WEEKEND_SHARE,
            "formula": FORMULA,
            "vix": {"kappa": VIX_KAPPA, "long_run": VIX_LONG_RUN, "smile_roots": ["SPX", "SPXW", "SPY"]},
        },
        "instruments": instruments,
        "pairs": pairs,
        "yields": yields,
    }
