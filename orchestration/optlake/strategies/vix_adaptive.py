"""VIXAdaptiveStrategy: beta-adjusted (idiosyncratic) moves of one equity against thresholds that widen with the VIX.

``analyse_window(frame, output_day, params)`` takes ONE symbol's 5-minute bars over its window (the
calendar days [output_day - lookback_days, output_day]), each joined with the SPX and VIX 5-minute
closes at the same ``ts_start`` (NaN when that index has no such bar), and returns the rows of
``output_day``. Everything is computed from the frame alone (no state, no clock, no other day), with
windowed sums that do not depend on what precedes the window (optlake.analytics.indicators), so a
day's rows are a function of its window: an incremental run computes what a full rebuild computes.

Per bar t, in ``ts_start`` order (the frame is re-sorted; a symbol or ts_start given twice is an error):

  r_t, m_t         one-bar log returns of the symbol's close and of spx_close, ln(c_t / c_{t-1}), where
                   c_{t-1} is the close of the bar that starts exactly 5 minutes earlier. NaN when that
                   bar is missing from the frame (so the first bar of every session, whose previous
                   bar is yesterday's close, has no return: the overnight gap is not a 5-minute move;
                   and neither has the bar after a missing one), or when either close is missing or
                   not positive. m_t is NaN for the same reasons on the SPX side.
  pairs            the bars where both r and m exist.
  beta, beta_r2    OLS of r on m with an intercept over the last ``beta_window`` pairs at or before t
                   (t's own pair included): beta = S_rm / S_mm, beta_r2 = S_rm^2 / (S_rr * S_mm) (the
                   squared correlation), S the sums of (cross-)products of deviations from the window
                   means (indicators.rolling_cov_var / rolling_beta_corr). NaN while fewer than
                   ``beta_window`` pairs precede t in the frame, or when S_mm = 0 (beta) or
                   S_rr * S_mm = 0 (beta_r2).
  sigma_e          standard error of the regression: sqrt(SSE / (beta_window - 2)), SSE = S_rr *
                   (1 - beta_r2) = the sum of the squared one-bar residuals over the same pairs.
  residual_return  R_t = (r_{t-k+1} + ... + r_t) - beta_t * (m_{t-k+1} + ... + m_t), k = ``signal_bars``:
                   the move of the last k bars (30 minutes) the market does not explain. The intercept
                   (a per-bar drift) is left out of the move. NaN when any of the k returns of either
                   series is missing.
  signal_strength  z_t = R_t / (sigma_e * sqrt(k)): the residual move in standard deviations of a k-bar
                   residual (one-bar residuals taken as independent). NaN when R_t is, or sigma_e is
                   NaN or 0.
  vix              the VIX close of the bar, else the latest VIX close of an earlier bar of the same
                   trade_date; NaN when the day has none yet (yesterday's VIX is not carried over the
                   overnight gap).
  threshold        vix_threshold(vix) = base_threshold * max(1, (vix / vix_reference) ** vix_sensitivity);
                   NaN when vix is missing or not positive. At or below the reference VIX the base
                   z-score; above it, wider, so a high VIX asks for a larger residual move (more
                   conservative). Monotone non-decreasing in the VIX for vix_sensitivity >= 0.
                   Worked example with the defaults (base 1.5, reference 20, sensitivity 1):
                     VIX 12: 12 / 20 = 0.6 -> max(1, 0.6) = 1   -> threshold 1.5
                     VIX 40: 40 / 20 = 2.0 -> max(1, 2.0) = 2   -> threshold 3.0
                   (with sensitivity 0.5, VIX 40 gives 1.5 * sqrt(2) = 2.12; with 2, 1.5 * 4 = 6.0).
  signal           direction ``momentum`` (the default; residual momentum: an idiosyncratic move is
                   followed): BUY when z > threshold, SELL when z < -threshold. Direction
                   ``reversion`` (the move is faded): SELL when z > threshold, BUY when z < -threshold.
                   Strict inequalities: |z| exactly at the threshold is a HOLD. HOLD otherwise.
  hold_reason      null for BUY/SELL; for a HOLD the first that applies of
                     no_vix              threshold NaN: no VIX close yet that day
                     no_beta             beta NaN: fewer than beta_window pairs in the frame (or S_mm = 0)
                     no_signal_strength  z NaN: a missing return among the last k bars (always the first
                                         k bars of a session), or sigma_e = 0
                     below_threshold     |z| <= threshold
  liquidity_ratio  volume_t / mean(volume of the ``volume_window`` rows before t in the frame), the
                   previous session's last bars included; NaN while fewer rows precede t, when a volume
                   among them is missing, or when their mean is 0.
  grade            trade quality, for every bar with a signal_strength, a threshold and a beta_r2 (null
                   otherwise), from points:
                     strength   |z| / threshold >= strong_ratio (1.5): 2;  > 1: 1;  else 0 (strict like
                                the signal: |z| exactly at the threshold is a HOLD and scores 0)
                     fit        beta_r2 >= min_r2 (0.3): 1;  else 0
                     liquidity  liquidity_ratio >= min_liquidity (1.0): 1;  else 0 (NaN: 0, unknown
                                liquidity is no evidence of liquidity)
                   total 4 -> A, 3 -> B, 2 -> C, 0 or 1 -> D. A HOLD scores at most 0 + 1 + 1 = 2 (C:
                   a good fit and liquid, the move not there yet), so A and B are always BUY or SELL.

Defaults (VixAdaptiveParams) and why:
  beta_window 231      three regular sessions of one-bar returns (3 x 77: 78 bars a session, the first
                       without a return). One session (77 pairs) leaves beta a standard error of about
                       14% of itself at a typical R^2 of 0.4; three bring it to about 8% and average
                       over the intraday pattern of volatility (busy open and close, quiet lunch).
  signal_bars 6        30 minutes: long enough for a move to be more than bid-ask noise, short enough
                       to be intraday.
  base_threshold 1.5   a 1.5-sigma residual move: about 6.7% of bars per side under normal noise,
                       before the grade filters them.
  vix_reference 20     the conventional line between a calm and a stressed market (the VIX's long-run
                       median is in the high teens).
  vix_sensitivity 1    above 20 the threshold grows in proportion to the VIX: doubled at VIX 40. The
                       z-score is already scaled by the last three sessions' residual volatility; the
                       VIX term adds conservatism for regimes where that estimate lags and
                       correlations rise, so idiosyncratic moves say less.
  direction momentum   the old pipeline followed the beta-adjusted move.
  volume_window 20     100 minutes of volume for the liquidity ratio.
  strong_ratio 1.5, min_r2 0.3, min_liquidity 1.0   grade cut-offs: 1.5 thresholds is a decisive break;
                       below an R^2 of 0.3 the beta adjustment removes little of the move; at least the
                       recent average volume.

History the defaults need (lookback_days belongs to the model's config): every bar of output_day has a
beta once the window holds the three previous sessions. That is 3 calendar days for a Thursday or a
Friday and 5 for Monday to Wednesday (the weekend inside), so lookback_days 5 covers ordinary weeks
and 7 covers a holiday next to a weekend or a half day in the span (the Monday after Thanksgiving reads
Tuesday, Wednesday, the half-day Friday and needs the Monday before for 231 pairs). A shorter window is
never wrong, only later: the day's first bars wait (no_beta) until 231 pairs have accumulated. Extended
hours bars, when the frame has them, count as pairs like any other contiguous 5-minute bars.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from optlake.analytics import indicators as ta

logger = logging.getLogger(__name__)

STRATEGY_NAME = "VIXAdaptiveStrategy"
BUY, SELL, HOLD = "BUY", "SELL", "HOLD"
MOMENTUM, REVERSION = "momentum", "reversion"
#: Hold reasons, in the order they are checked.
HOLD_REASONS = ("no_vix", "no_beta", "no_signal_strength", "below_threshold")
#: The bar length: a one-bar return needs the bar that starts exactly this much earlier.
BAR = pd.Timedelta(minutes=5)

#: The input columns the function reads (other columns are ignored), with their Spark SQL types.
INPUT_COLUMNS: dict[str, str] = {
    "symbol": "string",
    "trade_date": "date",
    "ts_start": "timestamp",
    "close": "double",
    "volume": "double",
    "spx_close": "double",
    "vix_close": "double",
}

#: Output columns, in order, with their Spark SQL types.
OUTPUT_COLUMNS: dict[str, str] = {
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
    """The strategy's parameters (defaults and their reasons in the module docstring)."""

    beta_window: int = 231
    signal_bars: int = 6
    base_threshold: float = 1.5
    vix_reference: float = 20.0
    vix_sensitivity: float = 1.0
    direction: str = MOMENTUM
    volume_window: int = 20
    strong_ratio: float = 1.5
    min_r2: float = 0.3
    min_liquidity: float = 1.0

    @classmethod
    def from_config(cls, values: dict[str, Any]) -> VixAdaptiveParams:
        """Parameters from a model's config: each set value cast to its field's type; unset (None) keeps the default."""
        kinds = {f.name: type(f.default) for f in fields(cls)}
        unknown = set(values) - set(kinds)
        if unknown:
            raise ValueError(f"unknown VIX-adaptive parameters: {sorted(unknown)}")
        return cls(**{name: kinds[name](value) for name, value in values.items() if value is not None})

    def __post_init__(self) -> None:
        for name in ("beta_window", "signal_bars", "volume_window"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ValueError(f"{name} must be an integer number of bars, got {value!r}")
        if self.beta_window < 3:
            raise ValueError(f"beta_window must be at least 3 pairs (a slope and a residual), got {self.beta_window}")
        if not 1 <= self.signal_bars <= self.beta_window:
            raise ValueError(f"signal_bars must be in [1, beta_window={self.beta_window}], got {self.signal_bars}")
        if self.volume_window < 1:
            raise ValueError(f"volume_window must be at least 1 bar, got {self.volume_window}")
        if not (math.isfinite(self.base_threshold) and self.base_threshold > 0):
            raise ValueError(f"base_threshold must be a positive z-score, got {self.base_threshold}")
        if not (math.isfinite(self.vix_reference) and self.vix_reference > 0):
            raise ValueError(f"vix_reference must be a positive VIX level, got {self.vix_reference}")
        if not (math.isfinite(self.vix_sensitivity) and self.vix_sensitivity >= 0):
            raise ValueError(f"vix_sensitivity must be >= 0 (higher VIX, wider threshold), got {self.vix_sensitivity}")
        if self.direction not in (MOMENTUM, REVERSION):
            raise ValueError(f"direction must be {MOMENTUM!r} or {REVERSION!r}, got {self.direction!r}")
        if not (math.isfinite(self.strong_ratio) and self.strong_ratio >= 1):
            raise ValueError(f"strong_ratio must be >= 1 (a multiple of the threshold), got {self.strong_ratio}")
        if not 0 <= self.min_r2 <= 1:
            raise ValueError(f"min_r2 must be in [0, 1], got {self.min_r2}")
        if not (math.isfinite(self.min_liquidity) and self.min_liquidity >= 0):
            raise ValueError(f"min_liquidity must be >= 0, got {self.min_liquidity}")


DEFAULTS = VixAdaptiveParams()
_AT_VIX_40 = DEFAULTS.base_threshold * max(1.0, (40 / DEFAULTS.vix_reference) ** DEFAULTS.vix_sensitivity)

#: One line per output column, with its formula (the dbt docs are generated from it).
COLUMN_DOCS: dict[str, str] = {
    "symbol": "The equity's symbol.",
    "trade_date": "The bar's trading day (partition column).",
    "ts_start": "Start of the 5-minute bar (UTC).",
    "close": "The symbol's close of the bar.",
    "volume": "The symbol's volume of the bar.",
    "spx_close": "The market's (SPX) close of the same bar; null when SPX has no such bar.",
    "vix": "The VIX close of the bar, else the latest earlier VIX close of the same trade_date; null when the day "
    "has none yet.",
    "beta": "OLS slope (with intercept) of the symbol's one-bar log returns on SPX's over the last beta_window "
    "bars with both returns (dbt_project.yml: one session, 77), S_rm / S_mm; null until the window holds that many. A return "
    "needs the bar 5 minutes earlier: none across a missing bar or the overnight gap.",
    "beta_r2": "R^2 of that regression, S_rm^2 / (S_rr x S_mm) (the squared correlation): how well beta explains "
    "the symbol.",
    "residual_return": f"R = sum of the symbol's log returns over the last signal_bars ({DEFAULTS.signal_bars}) bars "
    "- beta x the same sum of SPX's: the move the market does not explain; null when one of those returns is missing.",
    "signal_strength": "z = residual_return / (sigma_e x sqrt(signal_bars)), sigma_e = sqrt(S_rr x (1 - beta_r2) / "
    "(beta_window - 2)), the regression's standard error over the beta's bars.",
    "threshold": f"base_threshold x max(1, (vix / vix_reference) ^ vix_sensitivity): {DEFAULTS.base_threshold:g} up to "
    f"VIX {DEFAULTS.vix_reference:g}, {_AT_VIX_40:g} at VIX 40 (defaults); null without a vix.",
    "signal": "BUY when signal_strength > threshold, SELL when signal_strength < -threshold (direction momentum, the "
    "default; reversed for reversion), else HOLD.",
    "hold_reason": "Why a HOLD, the first of: no_vix, no_beta, no_signal_strength, below_threshold; null for BUY/SELL.",
    "liquidity_ratio": f"volume / mean volume of the volume_window ({DEFAULTS.volume_window}) bars before this one; "
    "null until that many precede it or when their mean is 0.",
    "grade": f"Trade quality A-D from points: |z| / threshold >= {DEFAULTS.strong_ratio:g}: 2, > 1: 1; beta_r2 >= "
    f"{DEFAULTS.min_r2:g}: 1; liquidity_ratio >= {DEFAULTS.min_liquidity:g}: 1; 4 A, 3 B, 2 C, else D. Null without "
    "a signal_strength, threshold or beta_r2.",
    "strategy_name": f"Always {STRATEGY_NAME}.",
}


# --------------------------------------------------------------------------------------------------
# Small pure pieces
# --------------------------------------------------------------------------------------------------


def vix_thresholds(vix: np.ndarray, params: VixAdaptiveParams = DEFAULTS) -> np.ndarray:
    """``base_threshold * max(1, (vix / vix_reference) ** vix_sensitivity)`` per value; NaN where the VIX is
    missing or not positive."""
    v = np.asarray(vix, dtype=np.float64)
    ok = np.isfinite(v) & (v > 0)
    safe = np.where(ok, v, params.vix_reference)
    widening = np.maximum(1.0, (safe / params.vix_reference) ** params.vix_sensitivity)
    return np.where(ok, params.base_threshold * widening, np.nan)


def vix_threshold(vix: float | None, params: VixAdaptiveParams = DEFAULTS) -> float:
    """The threshold at one VIX level (see vix_thresholds); NaN for a missing or non-positive VIX."""
    value = np.nan if vix is None else vix
    return float(vix_thresholds(np.array([value], dtype=np.float64), params)[0])


def _finite(x: Any) -> bool:
    return x is not None and not pd.isna(x) and math.isfinite(x)


def grade_points(
    signal_strength: float,
    threshold: float,
    beta_r2: float,
    liquidity_ratio: float,
    params: VixAdaptiveParams = DEFAULTS,
) -> int | None:
    """Points of the grade table (0-4); None without a signal strength, threshold or beta fit."""
    if not (_finite(signal_strength) and _finite(threshold) and _finite(beta_r2)) or threshold <= 0:
        return None
    ratio = abs(signal_strength) / threshold
    points = 2 if ratio >= params.strong_ratio else 1 if ratio > 1.0 else 0
    points += 1 if beta_r2 >= params.min_r2 else 0
    points += 1 if _finite(liquidity_ratio) and liquidity_ratio >= params.min_liquidity else 0
    return points


GRADES = {4: "A", 3: "B", 2: "C", 1: "D", 0: "D"}


def grade(
    signal_strength: float,
    threshold: float,
    beta_r2: float,
    liquidity_ratio: float,
    params: VixAdaptiveParams = DEFAULTS,
) -> str | None:
    """The A-D grade of the module docstring; None without a signal strength, threshold or beta fit."""
    points = grade_points(signal_strength, threshold, beta_r2, liquidity_ratio, params)
    return None if points is None else GRADES[points]


def decide(
    signal_strength: np.ndarray, threshold: np.ndarray, beta: np.ndarray, params: VixAdaptiveParams = DEFAULTS
) -> tuple[np.ndarray, np.ndarray]:
    """``(signal, hold_reason)`` per bar (object arrays; hold_reason None for BUY/SELL) by the module's rule."""
    z = np.asarray(signal_strength, dtype=np.float64)
    th = np.asarray(threshold, dtype=np.float64)
    b = np.asarray(beta, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        up, down = z > th, z < -th
    if params.direction == REVERSION:
        up, down = down, up
    reason = np.select(
        [~np.isfinite(th), ~np.isfinite(b), ~np.isfinite(z), ~(up | down)],
        list(HOLD_REASONS),
        default="",
    ).astype(object)
    signal = np.where(reason != "", HOLD, np.where(up, BUY, SELL)).astype(object)
    reason[reason == ""] = None
    return signal, reason


# --------------------------------------------------------------------------------------------------
# Series
# --------------------------------------------------------------------------------------------------


def one_bar_returns(ts: pd.Series, close: np.ndarray) -> np.ndarray:
    """``ln(c_t / c_{t-1})`` where row t-1 starts exactly one BAR before row t; NaN otherwise (a missing bar,
    the overnight gap, the first row), and where a close is missing or not positive."""
    r = ta.log_returns(np.asarray(close, dtype=np.float64))
    contiguous = pd.to_datetime(ts).diff().eq(BAR).to_numpy()
    r[~contiguous | ~np.isfinite(r)] = np.nan
    return r


class BetaFit(NamedTuple):
    """Per bar: the rolling regression of r on m over the last ``window`` pairs at or before it."""

    beta: np.ndarray
    r2: np.ndarray
    sigma: np.ndarray  # standard error of the regression, sqrt(SSE / (window - 2))


def rolling_fit(r: np.ndarray, m: np.ndarray, window: int) -> BetaFit:
    """Beta, R^2 and sigma_e of r on m over the last ``window`` bars where both are finite (NaN before).

    The pairs are taken in order with the bars lacking one left out; each bar gets the fit of the last
    pair at or before it. Windowed sums (indicators.rolling_cov_var) make a value depend only on its
    ``window`` pairs, whatever precedes them.
    """
    r = np.asarray(r, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    n = len(r)
    beta, r2, sigma = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    valid = np.flatnonzero(np.isfinite(r) & np.isfinite(m))
    if len(valid) < window:
        return BetaFit(beta, r2, sigma)
    rv, mv = r[valid], m[valid]
    b, corr = ta.rolling_beta_corr(rv, mv, window)
    _, s_rr, _ = ta.rolling_cov_var(rv, mv, window)
    rho2 = np.clip(corr * corr, 0.0, 1.0)
    s = np.sqrt(s_rr * (1.0 - rho2) / (window - 2))  # SSE = S_rr - S_rm^2 / S_mm; NaN with rho2
    position = np.searchsorted(valid, np.arange(n), side="right") - 1
    has = position >= 0
    beta[has], r2[has], sigma[has] = b[position[has]], rho2[position[has]], s[position[has]]
    return BetaFit(beta, r2, sigma)


def rolling_sum(x: np.ndarray, window: int) -> np.ndarray:
    """Sum of the last ``window`` values (indicators.window_sums), right-aligned; NaN before or over a NaN."""
    x = np.asarray(x, dtype=np.float64)
    out = np.full(len(x), np.nan)
    sums = ta.window_sums(x, window)
    if len(sums):
        out[window - 1 :] = sums
    return out


def signal_strength(residual: np.ndarray, sigma: np.ndarray, signal_bars: int) -> np.ndarray:
    """``z = residual / (sigma * sqrt(signal_bars))``; NaN where sigma is NaN or 0."""
    scale = np.asarray(sigma, dtype=np.float64) * math.sqrt(signal_bars)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, np.asarray(residual, dtype=np.float64) / scale, np.nan)


def liquidity_ratios(volume: np.ndarray, window: int) -> np.ndarray:
    """``volume_t / mean(volume_{t-window} .. volume_{t-1})`` (indicators.sma of the rows before); NaN while
    fewer than ``window`` rows precede t, over a missing volume, or when that mean is 0."""
    v = np.asarray(volume, dtype=np.float64)
    previous = np.concatenate(([np.nan], ta.sma(v, window)[:-1])) if len(v) else v
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(previous > 0, v / previous, np.nan)


def session_vix(trade_date: pd.Series, vix_close: pd.Series) -> np.ndarray:
    """The VIX close of the bar, else the latest earlier one of the same trade_date; NaN when none."""
    vix = pd.to_numeric(vix_close, errors="coerce").astype(float)
    return vix.groupby(trade_date.to_numpy(), sort=False).ffill().to_numpy()


def _day(value: Any) -> Any:
    return pd.Timestamp(value).date()


# --------------------------------------------------------------------------------------------------
# The window
# --------------------------------------------------------------------------------------------------


def analyse_window(frame: pd.DataFrame, output_day: Any, params: VixAdaptiveParams | None = None) -> pd.DataFrame:
    """The rows (OUTPUT_COLUMNS, in ts_start order) of ``output_day`` from ONE symbol's window of bars.

    ``frame`` holds INPUT_COLUMNS (other columns are ignored); every value is computed on the whole frame
    and only output_day's rows are returned (none when it has no bar). Raises ValueError when the frame
    mixes symbols or holds a ts_start twice.
    """
    params = params or DEFAULTS
    if frame.empty:
        return pd.DataFrame(columns=list(OUTPUT_COLUMNS))
    if frame["symbol"].nunique(dropna=False) > 1:
        raise ValueError("frame holds more than one symbol: one symbol's window at a time")
    frame = frame.sort_values("ts_start", kind="mergesort").reset_index(drop=True)
    if frame["ts_start"].duplicated().any():
        raise ValueError(f"{frame['symbol'].iloc[0]}: a ts_start appears twice in the window")
    day = _day(output_day)
    days = pd.to_datetime(frame["trade_date"]).dt.date
    wanted = (days == day).to_numpy()
    if not wanted.any():
        return pd.DataFrame(columns=list(OUTPUT_COLUMNS))

    close = pd.to_numeric(frame["close"], errors="coerce").to_numpy(dtype=np.float64)
    spx = pd.to_numeric(frame["spx_close"], errors="coerce").to_numpy(dtype=np.float64)
    volume = pd.to_numeric(frame["volume"], errors="coerce").to_numpy(dtype=np.float64)
    k = params.signal_bars

    r = one_bar_returns(frame["ts_start"], close)
    m = one_bar_returns(frame["ts_start"], spx)
    fit = rolling_fit(r, m, params.beta_window)
    residual = rolling_sum(r, k) - fit.beta * rolling_sum(m, k)
    z = signal_strength(residual, fit.sigma, k)
    vix = session_vix(days, frame["vix_close"])
    threshold = vix_thresholds(vix, params)
    signal, reason = decide(z, threshold, fit.beta, params)
    liquidity = liquidity_ratios(volume, params.volume_window)

    rows = np.flatnonzero(wanted)
    grades = [grade(z[i], threshold[i], fit.r2[i], liquidity[i], params) for i in rows]
    out = pd.DataFrame(
        {
            "symbol": frame["symbol"].to_numpy()[rows],
            "trade_date": frame["trade_date"].to_numpy()[rows],
            "ts_start": frame["ts_start"].to_numpy()[rows],
            "close": close[rows],
            "volume": volume[rows],
            "spx_close": spx[rows],
            "vix": vix[rows],
            "beta": fit.beta[rows],
            "beta_r2": fit.r2[rows],
            "residual_return": residual[rows],
            "signal_strength": z[rows],
            "threshold": threshold[rows],
            "signal": signal[rows],
            "hold_reason": reason[rows],
            "liquidity_ratio": liquidity[rows],
            "grade": pd.Series(grades, dtype=object),
            "strategy_name": STRATEGY_NAME,
        },
        columns=list(OUTPUT_COLUMNS),
    )
    if logger.isEnabledFor(logging.DEBUG):
        counts = out["signal"].value_counts().to_dict()
        logger.debug("%s %s: %d bars of %d in the window, %s", out["symbol"].iloc[0], day, len(out), len(frame), counts)
    return out
