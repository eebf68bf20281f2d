"""VIXAdaptiveStrategy: beta-adjusted moves of one equity against thresholds that widen with the VIX.

``analyse_window(frame, output_day, params)`` takes ONE symbol's 5-minute bars over its window (the
calendar days [output_day - lookback_days, output_day]), sorted by ``ts_start``, each joined with the
SPX and VIX 5-minute closes at the same bar (NaN when that bar is missing), and returns the rows of
``output_day``. Everything is computed from the window alone, so a day's rows depend only on it.

Per bar t (all returns are log returns of consecutive bars of the window, the overnight gap included;
a return is NaN when either bar's close is missing):
  r_t, m_t        the symbol's and SPX's one-bar returns
  beta, beta_r2   OLS slope of r on m (with intercept) over the last ``beta_window`` bars (78: one
                  session) where both returns exist, and its R^2 = corr(r, m)^2; NaN until there are
                  that many pairs in the window
  residual_return R_k = (sum of r over the last k = ``signal_bars`` bars) - beta * (sum of m over
                  them): the move of the last 30 minutes (k = 6) that the market does not explain
  signal_strength z = R_k / (sigma_e * sqrt(k)), sigma_e = sqrt(var(r) * (1 - R^2)) over the same
                  pairs as beta (sample variance): the residual move in residual standard deviations
  vix             the VIX close at the bar, else the last one before it in the window
  threshold       base_threshold * max(1, (vix / vix_reference) ** vix_sensitivity): at or below the
                  reference VIX (20) the base (1.5); above it, proportionally wider. Worked example
                  with the defaults: VIX 12 -> 1.5; VIX 20 -> 1.5; VIX 30 -> 2.25; VIX 40 -> 3.0.
  signal          residual momentum: BUY when z > threshold, SELL when z < -threshold, else HOLD.
                  Strict inequalities: z exactly at the threshold is a HOLD.
  hold_reason     null for BUY/SELL; else the first of no_vix (no VIX close yet in the window),
                  no_beta (fewer than beta_window return pairs), no_signal_strength (a missing return
                  in the last k bars, or sigma_e = 0), below_threshold
  liquidity_ratio volume / mean volume of the ``volume_window`` (20) bars before this one; NaN until
                  20 bars precede it or when their mean is 0
  grade           trade quality, for every bar with a signal_strength and a beta: points =
                    strength  |z| / threshold >= 1.5: 2, >= 1.0: 1, else 0
                    fit       beta_r2 >= min_r2 (0.3): 1
                    liquidity liquidity_ratio >= 1.0: 1 (NaN: 0)
                  4 -> A, 3 -> B, 2 -> C, 0-1 -> D; null otherwise.

History the defaults need: beta_window 78 bars = one regular session of 5-minute bars, so a day's
first bars have a beta when the window holds the previous session: lookback_days 4 covers it over a
weekend (Monday reads Thursday and Friday); after a holiday Monday the first bars wait for 78 pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

STRATEGY_NAME = "VIXAdaptiveStrategy"

INPUT_COLUMNS = {
    "symbol": "string",
    "trade_date": "date",
    "ts_start": "timestamp",
    "close": "double",
    "volume": "double",
    "spx_close": "double",
    "vix_close": "double",
}

COLUMN_DOCS = {
    "symbol": "The equity's symbol.",
    "trade_date": "The bar's trading day (partition column).",
    "ts_start": "Start of the 5-minute bar (UTC).",
    "close": "The symbol's close of the bar.",
    "volume": "The symbol's volume of the bar.",
    "spx_close": "The market's (SPX) close of the same bar; null when SPX has no such bar.",
    "vix": "The VIX close of the bar, else the last one before it in the window; null when none.",
    "beta": "OLS slope of the symbol's one-bar log returns on SPX's over the last beta_window (78) bars "
    "with both returns; null until there are that many in the window.",
    "beta_r2": "R^2 of that regression (the squared correlation): how well beta explains the symbol.",
    "residual_return": "R_k = sum of the symbol's log returns over the last signal_bars (6) bars - beta x the "
    "same sum of SPX's: the move the market does not explain.",
    "signal_strength": "z = residual_return / (sigma_e x sqrt(k)), sigma_e = sqrt(var(r) x (1 - R^2)) over the "
    "beta's bars.",
    "threshold": "base_threshold x max(1, (vix / vix_reference) ^ vix_sensitivity): 1.5 up to VIX 20, 3.0 at VIX "
    "40 (defaults).",
    "signal": "BUY when signal_strength > threshold, SELL when < -threshold, else HOLD (residual momentum).",
    "hold_reason": "Why a HOLD: no_vix, no_beta, no_signal_strength or below_threshold; null for BUY/SELL.",
    "liquidity_ratio": "volume / mean volume of the 20 bars before this one; null until 20 bars precede it.",
    "grade": "Trade quality A-D: 2 points for |z|/threshold >= 1.5 (1 for >= 1), 1 for beta_r2 >= 0.3, 1 for "
    "liquidity_ratio >= 1; 4 A, 3 B, 2 C, else D. Null without a signal_strength or beta.",
    "strategy_name": "Always VIXAdaptiveStrategy.",
}

OUTPUT_COLUMNS = {
    "symbol": "string",
    "trade_date": "date",
    "ts_start": "timestamp",
    "close": "double",
    "volume": "double",
    "spx_close": "double",
    "vix": "double",
    "beta": "double",
    "beta_r2": "double",
    "residual_return": "double",
    "signal_strength": "double",
    "threshold": "double",
    "signal": "string",
    "hold_reason": "string",
    "liquidity_ratio": "double",
    "grade": "string",
    "strategy_name": "string",
}


@dataclass(frozen=True)
class VixAdaptiveParams:
    beta_window: int = 78
    signal_bars: int = 6
    base_threshold: float = 1.5
    vix_reference: float = 20.0
    vix_sensitivity: float = 1.0
    volume_window: int = 20
    min_r2: float = 0.3

    def __post_init__(self) -> None:
        if self.beta_window < 3:
            raise ValueError(f"beta_window must be at least 3 bars, got {self.beta_window}")
        if self.signal_bars < 1:
            raise ValueError(f"signal_bars must be at least 1 bar, got {self.signal_bars}")
        if not self.base_threshold > 0:
            raise ValueError(f"base_threshold must be positive, got {self.base_threshold}")
        if not self.vix_reference > 0:
            raise ValueError(f"vix_reference must be positive, got {self.vix_reference}")
        if self.vix_sensitivity < 0:
            raise ValueError(f"vix_sensitivity must be 0 or more, got {self.vix_sensitivity}")
        if self.volume_window < 1:
            raise ValueError(f"volume_window must be at least 1 bar, got {self.volume_window}")


def vix_threshold(vix: float, params: VixAdaptiveParams) -> float:
    """base_threshold * max(1, (vix / vix_reference) ** vix_sensitivity); NaN for a missing VIX."""
    if vix is None or not math.isfinite(vix) or vix <= 0:
        return math.nan
    return params.base_threshold * max(1.0, (vix / params.vix_reference) ** params.vix_sensitivity)


def grade(signal_strength: float, threshold: float, beta_r2: float, liquidity_ratio: float, min_r2: float = 0.3):
    """The A-D grade of the module docstring; None without a signal strength, threshold or fit."""
    if not all(math.isfinite(x) for x in (signal_strength, threshold, beta_r2)):
        return None
    ratio = abs(signal_strength) / threshold
    points = (2 if ratio >= 1.5 else 1 if ratio >= 1.0 else 0) + (1 if beta_r2 >= min_r2 else 0)
    points += 1 if math.isfinite(liquidity_ratio) and liquidity_ratio >= 1.0 else 0
    return {4: "A", 3: "B", 2: "C"}.get(points, "D")


def log_returns(prices: np.ndarray) -> np.ndarray:
    out = np.full(len(prices), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[1:] = np.log(prices[1:] / prices[:-1])
    out[~np.isfinite(out)] = np.nan
    return out


def rolling_fit(r: np.ndarray, m: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bar: beta, R^2 and sigma_e over the last ``window`` bars with both returns (NaN before)."""
    n = len(r)
    beta, r2, sigma = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    valid = np.flatnonzero(np.isfinite(r) & np.isfinite(m))
    if len(valid) < window:
        return beta, r2, sigma
    rv, mv = pd.Series(r[valid]), pd.Series(m[valid])
    cov = rv.rolling(window).cov(mv).to_numpy()
    var_m = mv.rolling(window).var().to_numpy()
    var_r = rv.rolling(window).var().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(var_m > 0, cov / var_m, np.nan)
        rho2 = np.where((var_m > 0) & (var_r > 0), cov * cov / (var_m * var_r), np.nan)
    rho2 = np.clip(rho2, 0.0, 1.0)
    s = np.sqrt(np.clip(var_r * (1 - rho2), 0.0, None))
    # each bar takes the fit of the last valid pair at or before it
    position = np.searchsorted(valid, np.arange(n), side="right") - 1
    has = position >= 0
    beta[has], r2[has], sigma[has] = b[position[has]], rho2[position[has]], s[position[has]]
    return beta, r2, sigma


def analyse_window(frame: pd.DataFrame, output_day, params: VixAdaptiveParams) -> pd.DataFrame:
    """The output_day rows of one symbol's window (see the module docstring), columns OUTPUT_COLUMNS."""
    frame = frame.sort_values("ts_start", kind="stable").reset_index(drop=True)
    close = frame["close"].to_numpy(dtype=float)
    spx = frame["spx_close"].to_numpy(dtype=float)
    volume = frame["volume"].to_numpy(dtype=float)
    r, m = log_returns(close), log_returns(spx)
    beta, r2, sigma = rolling_fit(r, m, params.beta_window)
    k = params.signal_bars
    r_k = pd.Series(r).rolling(k).sum().to_numpy()  # NaN when any return in the k bars is missing
    m_k = pd.Series(m).rolling(k).sum().to_numpy()
    residual = r_k - beta * m_k
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sigma > 0, residual / (sigma * math.sqrt(k)), np.nan)
    vix = frame["vix_close"].astype(float).ffill().to_numpy()
    threshold = np.array([vix_threshold(v, params) for v in vix])
    previous = pd.Series(volume).shift(1).rolling(params.volume_window).mean().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        liquidity = np.where(previous > 0, volume / previous, np.nan)

    signal = np.where(z > threshold, "BUY", np.where(z < -threshold, "SELL", "HOLD"))
    reason = np.select(
        [~np.isfinite(threshold), ~np.isfinite(beta), ~np.isfinite(z), signal == "HOLD"],
        ["no_vix", "no_beta", "no_signal_strength", "below_threshold"],
        default=None,
    )
    signal = np.where(pd.isna(reason), signal, "HOLD")
    grades = [
        grade(zi, ti, ri, li, params.min_r2) if np.isfinite(bi) else None
        for zi, ti, ri, li, bi in zip(z, threshold, r2, liquidity, beta, strict=True)
    ]
    out = pd.DataFrame(
        {
            "symbol": frame["symbol"],
            "trade_date": frame["trade_date"],
            "ts_start": frame["ts_start"],
            "close": close,
            "volume": volume,
            "spx_close": spx,
            "vix": vix,
            "beta": beta,
            "beta_r2": r2,
            "residual_return": residual,
            "signal_strength": z,
            "threshold": threshold,
            "signal": signal,
            "hold_reason": reason,
            "liquidity_ratio": liquidity,
            "grade": grades,
            "strategy_name": STRATEGY_NAME,
        }
    )
    return out[out["trade_date"] == output_day].reset_index(drop=True)[list(OUTPUT_COLUMNS)]
