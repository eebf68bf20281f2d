"""Black-Scholes-Merton prices with a volatility smile, vectorised over numpy arrays.

Two clocks are used. ``T`` is calendar time to the settlement (discounting, and the ``T`` of the
Black-Scholes formula): 16:00 New York of the expiry day (13:00 on early closes), 09:30 for the
AM-settled roots (reference.settlement). ``tau`` is trading time: session minutes left today
plus 390 minutes per full session after today before the settlement, over 252 * 390 minutes a
year, the clock the simulated paths run on. The smile gives a trading-time volatility; the
option's (calendar-time) implied volatility is ``sigma_tau * sqrt(tau / T)``, so a 0DTE option
carries a full session's variance in a quarter of a calendar day, as on the real market.

The exact formulas are in ``FORMULA`` (written into every truth sidecar), so an analytics
check can recompute any theoretical value from the sidecar alone.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

RATE = 0.043  # continuously compounded risk-free rate
YEAR_SECONDS = 365 * 86_400  # calendar year (ACT/365)
YEAR_TRADING_MINUTES = 252 * 390  # trading year
MIN_TIME_SECONDS = 60  # calendar time to expiry is floored at one minute
TAU_REF = 21 / 252  # reference tenor of the smile parameters (one month of trading)
TAU_SMILE_FLOOR = 1 / 252  # below one trading day the smile stops steepening
MONEYNESS_CAP = 4.0  # the smile is flat beyond 4 standard deviations
VOL_MIN, VOL_MAX = 0.01, 5.0

FORMULA: dict[str, str] = {
    "T": "max(expiry_close_utc - ts_recv, 60 s) / (365 * 86400 s); expiry_close_utc = the root's settlement "
    "on the expiry day: PM 16:00 America/New_York (13:00 on early closes), AM 09:30 America/New_York",
    "tau": "max(minutes_left_today + 390 * trading_days_to_expiry, 1) / (252 * 390); "
    "minutes_left_today = minutes from ts_recv to 16:00 New York of the trade date; "
    "trading_days_to_expiry = full sessions after the trade date before the settlement (AM: the expiry "
    "day's session does not count)",
    "tau_eff": "max(tau, 1/252)",
    "base_vol": "the root's base_vol, or base_vol_by_minute[i] at the quote's bar i when the root has it "
    "(SPX, SPXW, SPY: VIX close / 100)",
    "forward": "F = S * exp((r - q) * T)",
    "moneyness": "m = clip(ln(K / F) / (base_vol * sqrt(tau_eff)), -4, 4)",
    "atm_vol": "atm = base_vol * (tau_eff / (21/252)) ** term_slope",
    "sigma_tau": "clip(atm * (1 + skew * m + curvature * m**2), 0.01, 5.0)",
    "sigma": "sigma_tau * sqrt(tau / T)  (the implied volatility used below with T)",
    "d1": "(ln(S / K) + (r - q + sigma**2 / 2) * T) / (sigma * sqrt(T))",
    "d2": "d1 - sigma * sqrt(T)",
    "call": "S * exp(-q * T) * N(d1) - K * exp(-r * T) * N(d2)",
    "put": "K * exp(-r * T) * N(-d2) - S * exp(-q * T) * N(-d1)",
}


def calendar_years(seconds_to_expiry: np.ndarray) -> np.ndarray:
    """``T``: calendar time to expiry in years, floored at one minute."""
    return np.maximum(seconds_to_expiry, MIN_TIME_SECONDS) / YEAR_SECONDS


def trading_years(minutes_left_today: np.ndarray, trading_days_to_expiry: np.ndarray) -> np.ndarray:
    """``tau``: trading time to expiry in years, floored at one minute."""
    return np.maximum(minutes_left_today + 390 * trading_days_to_expiry, 1) / YEAR_TRADING_MINUTES


def implied_vol(
    spot: np.ndarray,
    strike: np.ndarray,
    t: np.ndarray,
    tau: np.ndarray,
    dividend_yield: np.ndarray,
    base_vol: np.ndarray,
    skew: np.ndarray,
    curvature: np.ndarray,
    term_slope: np.ndarray,
    rate: float = RATE,
) -> np.ndarray:
    """Calendar-time implied volatility of each option from its root's smile (``FORMULA``)."""
    tau_eff = np.maximum(tau, TAU_SMILE_FLOOR)
    forward = spot * np.exp((rate - dividend_yield) * t)
    m = np.clip(np.log(strike / forward) / (base_vol * np.sqrt(tau_eff)), -MONEYNESS_CAP, MONEYNESS_CAP)
    atm = base_vol * (tau_eff / TAU_REF) ** term_slope
    sigma_tau = np.clip(atm * (1.0 + skew * m + curvature * m * m), VOL_MIN, VOL_MAX)
    return sigma_tau * np.sqrt(tau / t)


def black_scholes(
    spot: np.ndarray,
    strike: np.ndarray,
    t: np.ndarray,
    vol: np.ndarray,
    is_call: np.ndarray,
    dividend_yield: np.ndarray,
    rate: float = RATE,
) -> np.ndarray:
    """Black-Scholes-Merton value of European calls (``is_call``) and puts."""
    sqrt_t = np.sqrt(t)
    d1 = (np.log(spot / strike) + (rate - dividend_yield + 0.5 * vol * vol) * t) / (vol * sqrt_t)
    d2 = d1 - vol * sqrt_t
    sign = np.where(is_call, 1.0, -1.0)
    discounted_spot = spot * np.exp(-dividend_yield * t)
    discounted_strike = strike * np.exp(-rate * t)
    return sign * (discounted_spot * ndtr(sign * d1) - discounted_strike * ndtr(sign * d2))
