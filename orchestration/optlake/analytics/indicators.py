"""Indicator mathematics as small pure numpy functions, TA-Lib definitions where TA-Lib has them.

Conventions shared by every function here:

* Inputs are 1-d float64 arrays in time order; outputs have the same length, NaN where the indicator is
  not defined yet (warm-up) -- never a value over a partial window.
* **Windowed** indicators (SMA, Bollinger, ROC, momentum, rolling std / Sharpe / Sortino / beta /
  correlation) depend only on the values inside their window: every window is summed afresh, left to
  right (``((x[i-w+1] + x[i-w+2]) + ...) + x[i]``), with one vector addition per offset. A value is
  therefore bit-identical whatever came before the window, which is what makes the incremental runs
  exact. (TA-Lib keeps one running sum per series instead; the two agree to ~1e-14 relative.)
  Variances are two-pass (mean first, then the sum of squared deviations), not sum-of-squares.
* **Recursive** indicators (EMA, MACD, RSI, ATR, OBV, A/D, running peak) take their carried values as
  keyword arguments (NaN = "not seeded yet": start from the first value, seeding as TA-Lib does) and
  return them next to the output, so a run can resume exactly where the previous one stopped. Their
  loops do, in the same order, the floating-point operations TA-Lib's C code does.

No function here logs, reads globals or mutates its inputs.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

NAN = float("nan")


def _nan(n: int) -> np.ndarray:
    return np.full(n, np.nan)


def _f64(x: np.ndarray | list[float]) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _unseeded(value: float) -> bool:
    return value is None or math.isnan(value)


# --------------------------------------------------------------------------------------------------
# Windows
# --------------------------------------------------------------------------------------------------


def window_sums(x: np.ndarray, window: int) -> np.ndarray:
    """Sum of every full window: ``out[j] = x[j] + x[j+1] + ... + x[j+window-1]`` added left to right.

    Returns ``len(x) - window + 1`` values (empty when the series is shorter than the window); ``out[j]``
    belongs to the window ending at index ``j + window - 1``.
    """
    x = _f64(x)
    m = len(x) - window + 1
    if m <= 0:
        return np.empty(0)
    acc = x[0:m].copy()
    for j in range(1, window):
        acc += x[j : j + m]
    return acc


def _place(values: np.ndarray, n: int, window: int) -> np.ndarray:
    """Right-align per-window values (one per full window) in an n-long NaN array."""
    out = _nan(n)
    if len(values):
        out[window - 1 :] = values
    return out


def _window_means_and_devs(x: np.ndarray, window: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Window means (sum / window) and, per offset j, the deviations x[j+i] - mean_i."""
    m = len(x) - window + 1
    means = window_sums(x, window) / window
    return means, [x[j : j + m] - means for j in range(window)]


def sma(x: np.ndarray, period: int) -> np.ndarray:
    """Simple moving average (TA-Lib SMA): ``sma_t = (x[t-period+1] + ... + x[t]) / period``, from t = period-1."""
    x = _f64(x)
    return _place(window_sums(x, period) / period, len(x), period)


def constant_windows(x: np.ndarray, window: int) -> np.ndarray:
    """For every full window (``len(x) - window + 1`` of them): True when all its values are equal.

    A constant window has a variance of exactly 0; the two-pass formula could leave a rounding residue
    (its mean, a rounded sum / window, may differ from the value by an ulp), so the variance-based
    functions set such windows to 0 explicitly (TA-Lib also returns exactly 0 there).
    """
    x = _f64(x)
    if len(x) < window:
        return np.zeros(0, dtype=bool)
    view = np.lib.stride_tricks.sliding_window_view(x, window)
    return view.max(axis=1) == view.min(axis=1)


def _sum_sq_devs(x: np.ndarray, window: int) -> np.ndarray:
    """Per full window, ``sum((x_i - mean)^2)`` added left to right; exactly 0 for a constant window."""
    _, devs = _window_means_and_devs(x, window)
    acc = devs[0] * devs[0]
    for d in devs[1:]:
        acc += d * d
    acc[constant_windows(x, window)] = 0.0
    return acc


def rolling_var(x: np.ndarray, window: int, ddof: int = 0) -> np.ndarray:
    """Rolling variance, two-pass: ``sum((x_i - mean)^2) / (window - ddof)`` over each full window
    (exactly 0 over a constant window; NaN when the window holds a NaN).

    ``ddof=0`` is the population variance (TA-Lib VAR / STDDEV / BBANDS), ``ddof=1`` the sample one.
    """
    x = _f64(x)
    n = len(x)
    if n < window:
        return _nan(n)
    return _place(_sum_sq_devs(x, window) / (window - ddof), n, window)


def rolling_std(x: np.ndarray, window: int, ddof: int = 0) -> np.ndarray:
    """Rolling standard deviation: ``sqrt(rolling_var(x, window, ddof))``."""
    return np.sqrt(rolling_var(x, window, ddof))


class Bollinger(NamedTuple):
    """Bollinger bands and the two derived columns."""

    upper: np.ndarray
    middle: np.ndarray
    lower: np.ndarray
    width: np.ndarray
    pct_b: np.ndarray


def bollinger(close: np.ndarray, period: int = 20, nb_dev: float = 2.0) -> Bollinger:
    """TA-Lib BBANDS(period, nb_dev, nb_dev, SMA) plus width and %b.

    ``middle = SMA(period)``; ``sd = population std of the same window``;
    ``upper = middle + nb_dev*sd``; ``lower = middle - nb_dev*sd``;
    ``width = (upper - lower) / middle``; ``pct_b = (close - lower) / (upper - lower)``,
    NaN when the bands coincide (constant window: sd = 0, width = 0).
    """
    close = _f64(close)
    middle = sma(close, period)
    dev = rolling_std(close, period, ddof=0) * nb_dev
    upper = middle + dev
    lower = middle - dev
    spread = upper - lower
    with np.errstate(divide="ignore", invalid="ignore"):
        width = spread / middle
        pct_b = np.where(spread > 0.0, (close - lower) / spread, np.nan)
    return Bollinger(upper, middle, lower, width, pct_b)


def roc(x: np.ndarray, period: int = 10) -> np.ndarray:
    """TA-Lib ROC: ``((x_t / x_{t-period}) - 1) * 100``; 0 when ``x_{t-period}`` is 0 (TA-Lib's rule)."""
    x = _f64(x)
    out = _nan(len(x))
    if len(x) > period:
        prev = x[:-period]
        cur = x[period:]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[period:] = np.where(prev != 0.0, ((cur / prev) - 1.0) * 100.0, 0.0)
    return out


def momentum(x: np.ndarray, period: int = 10) -> np.ndarray:
    """TA-Lib MOM: ``x_t - x_{t-period}``."""
    x = _f64(x)
    out = _nan(len(x))
    if len(x) > period:
        out[period:] = x[period:] - x[:-period]
    return out


def rolling_cov_var(r: np.ndarray, m: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-pass rolling co-moments of two aligned series over each full window.

    Returns ``(s_rm, s_rr, s_mm)`` = sums of products of deviations from the window means
    (``sum((r_i - mean_r)(m_i - mean_m))``, ``sum((r_i - mean_r)^2)``, ``sum((m_i - mean_m)^2)``),
    right-aligned, NaN during the warm-up or when a window holds a NaN; a constant series' sums are 0.
    """
    r = _f64(r)
    m = _f64(m)
    n = len(r)
    if n < window:
        return _nan(n), _nan(n), _nan(n)
    _, dr = _window_means_and_devs(r, window)
    _, dm = _window_means_and_devs(m, window)
    s_rm = dr[0] * dm[0]
    for a, b in zip(dr[1:], dm[1:], strict=True):
        s_rm += a * b
    s_rm[constant_windows(r, window) | constant_windows(m, window)] = 0.0
    s_rr = _sum_sq_devs(r, window)
    s_mm = _sum_sq_devs(m, window)
    return _place(s_rm, n, window), _place(s_rr, n, window), _place(s_mm, n, window)


def rolling_beta_corr(r: np.ndarray, m: np.ndarray, window: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Rolling beta of r on m and Pearson correlation, over the last ``window`` aligned pairs.

    ``beta = cov(r, m) / var(m)``; ``corr = cov(r, m) / (sd(r) * sd(m))`` (the ddof cancels).
    NaN when var(m) = 0 (beta) or either variance is 0 (corr).
    """
    s_rm, s_rr, s_mm = rolling_cov_var(r, m, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = np.where(s_mm > 0.0, s_rm / s_mm, np.nan)
        denom = np.sqrt(s_rr * s_mm)
        corr = np.where(denom > 0.0, s_rm / denom, np.nan)
    return beta, corr


def rolling_corr(r1: np.ndarray, r2: np.ndarray, window: int = 60) -> np.ndarray:
    """Rolling Pearson correlation of two aligned series (e.g. BTC vs SPY daily log returns)."""
    return rolling_beta_corr(r1, r2, window)[1]


def sharpe(excess: np.ndarray, window: int = 63, periods_per_year: int = 252) -> np.ndarray:
    """Rolling annualised Sharpe ratio of excess returns ``e``.

    ``sharpe = mean(e) / std(e, ddof=1) * sqrt(periods_per_year)`` over the last ``window`` values;
    NaN when std(e) = 0.
    """
    e = _f64(excess)
    n = len(e)
    if n < window:
        return _nan(n)
    mean = _place(window_sums(e, window) / window, n, window)
    sd = np.sqrt(rolling_var(e, window, ddof=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0.0, mean / sd * math.sqrt(periods_per_year), np.nan)


def sortino(excess: np.ndarray, window: int = 63, periods_per_year: int = 252) -> np.ndarray:
    """Rolling annualised Sortino ratio of excess returns ``e`` (target 0).

    ``downside_dev = sqrt(sum(min(e_i, 0)^2) / window)`` (every observation counts in the
    denominator, the usual "target downside deviation"); ``sortino = mean(e) / downside_dev *
    sqrt(periods_per_year)``; NaN when no excess return in the window is negative (downside_dev = 0).
    """
    e = _f64(excess)
    n = len(e)
    if n < window:
        return _nan(n)
    mean = _place(window_sums(e, window) / window, n, window)
    neg = np.minimum(e, 0.0)
    dd = np.sqrt(_place(window_sums(neg * neg, window) / window, n, window))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(dd > 0.0, mean / dd * math.sqrt(periods_per_year), np.nan)


# --------------------------------------------------------------------------------------------------
# Returns
# --------------------------------------------------------------------------------------------------


def _ln(x: float) -> float:
    if x > 0.0:
        return math.log(x)
    return NAN if not x == 0.0 else -math.inf


def log_returns(close: np.ndarray, prev_close: float = NAN) -> np.ndarray:
    """``r_t = ln(close_t / close_{t-1})``; the first value uses ``prev_close`` (NaN when unknown).

    The logarithm is the C library's (``math.log``), element by element: numpy's SIMD ``log`` may round
    differently in its vector body and its remainder loop, which would make a value depend on its position
    in the array, and so differ between a full and an incremental run.
    """
    c = _f64(close)
    prev = np.concatenate(([prev_close], c[:-1])) if len(c) else c
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = c / prev
    return np.array([_ln(v) for v in ratio.tolist()], dtype=np.float64)


def simple_returns(close: np.ndarray, prev_close: float = NAN) -> np.ndarray:
    """``R_t = close_t / close_{t-1} - 1``; the first value uses ``prev_close`` (NaN when unknown)."""
    c = _f64(close)
    prev = np.concatenate(([prev_close], c[:-1])) if len(c) else c
    with np.errstate(divide="ignore", invalid="ignore"):
        return c / prev - 1.0


def cum_return(close: np.ndarray, first_close: float) -> np.ndarray:
    """``close_t / first_close - 1`` (first_close = the first close of the stored series)."""
    return _f64(close) / first_close - 1.0


def drawdown(close: np.ndarray, peak: float = NAN, max_dd: float = NAN) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Drawdown from the running peak and the worst drawdown so far.

    ``peak_t = max(close_0..close_t)``; ``drawdown_t = close_t / peak_t - 1`` (<= 0);
    ``max_drawdown_t = min(drawdown_0..drawdown_t)`` (<= 0). Returns ``(drawdown, max_drawdown,
    peak, max_dd)`` with the carried values after the last bar.
    """
    c = _f64(close).tolist()
    dd_out = _nan(len(c))
    mdd_out = _nan(len(c))
    for i, x in enumerate(c):
        if _unseeded(peak) or x > peak:
            peak = x
        dd = x / peak - 1.0
        if _unseeded(max_dd) or dd < max_dd:
            max_dd = dd
        dd_out[i] = dd
        mdd_out[i] = max_dd
    return dd_out, mdd_out, peak, max_dd


# --------------------------------------------------------------------------------------------------
# Recursions
# --------------------------------------------------------------------------------------------------


def ema(x: np.ndarray, period: int, prev: float = NAN, seed_start: int = 0) -> tuple[np.ndarray, float]:
    """TA-Lib EMA: ``k = 2 / (period + 1)``; ``ema_t = (x_t - ema_{t-1}) * k + ema_{t-1}``.

    Unseeded (``prev`` NaN): the seed is the SMA of ``x[seed_start : seed_start + period]`` (summed left
    to right) placed at index ``seed_start + period - 1``; NaN before. ``seed_start > 0`` is how MACD
    starts its fast EMA late. Seeded: the recursion runs from index 0 on ``prev``.
    Returns ``(values, last_ema)``.
    """
    xs = _f64(x).tolist()
    n = len(xs)
    out = _nan(n)
    k = 2.0 / (period + 1.0)
    if _unseeded(prev):
        first = seed_start + period - 1
        if first >= n:
            return out, NAN
        total = 0.0
        for i in range(seed_start, first + 1):
            total += xs[i]
        prev = total / period
        out[first] = prev
        start = first + 1
    else:
        start = 0
    for i in range(start, n):
        prev = ((xs[i] - prev) * k) + prev
        out[i] = prev
    return out, prev


class MacdCarry(NamedTuple):
    """MACD's carried EMAs (NaN until seeded)."""

    fast_ema: float
    slow_ema: float
    signal_ema: float


def macd(
    x: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9, carry: MacdCarry | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, MacdCarry]:
    """TA-Lib MACD(fast, slow, signal) with TA-Lib's alignment.

    Both EMAs start at index ``slow - 1``: the slow EMA is seeded by SMA(x[0:slow]) (= EMA(slow)), the fast
    one *late*, by SMA(x[slow-fast : slow]) (so it differs from EMA(fast)). ``line = fast_ema - slow_ema``;
    ``signal = EMA(signal)`` of the line seeded by the SMA of its first ``signal`` values (index
    ``slow + signal - 2`` = 33); ``hist = line - signal``. All three are NaN before index 33 (TA-Lib's
    lookback). With ``carry`` the recursions continue from the carried EMAs (all seeded).
    Returns ``(line, signal, hist, carry_after)``.
    """
    x = _f64(x)
    if carry is None:
        slow_vals, slow_last = ema(x, slow)
        fast_vals, fast_last = ema(x, fast, seed_start=slow - fast)
        line = fast_vals - slow_vals
        sig, sig_last = ema(line, signal, seed_start=slow - 1)
    else:
        slow_vals, slow_last = ema(x, slow, prev=carry.slow_ema)
        fast_vals, fast_last = ema(x, fast, prev=carry.fast_ema)
        line = fast_vals - slow_vals
        sig, sig_last = ema(line, signal, prev=carry.signal_ema)
    line = np.where(np.isnan(sig), np.nan, line)
    return line, sig, line - sig, MacdCarry(fast_last, slow_last, sig_last)


class WilderCarry(NamedTuple):
    """RSI's carried values: previous close and Wilder averages (NaN until seeded)."""

    prev_close: float
    avg_gain: float
    avg_loss: float


def rsi(x: np.ndarray, period: int = 14, carry: WilderCarry | None = None) -> tuple[np.ndarray, WilderCarry]:
    """TA-Lib RSI (classic Wilder).

    Seed at index ``period``: ``avg_gain = sum(max(d,0)) / period``, ``avg_loss = sum(max(-d,0)) / period``
    over the first ``period`` differences ``d_t = x_t - x_{t-1}``; then
    ``avg = (avg * (period - 1) + today's gain or loss) / period``.
    ``rsi = 100 * avg_gain / (avg_gain + avg_loss)``, and 0 when both averages are 0 (TA-Lib's rule,
    e.g. constant prices). Returns ``(values, carry_after)``.
    """
    xs = _f64(x).tolist()
    n = len(xs)
    out = _nan(n)
    if not xs:
        return out, carry or WilderCarry(NAN, NAN, NAN)
    if carry is None or _unseeded(carry.avg_gain):
        if n < period + 1:
            return out, WilderCarry(xs[-1], NAN, NAN)
        gain = loss = 0.0
        prev = xs[0]
        for i in range(1, period + 1):
            d = xs[i] - prev
            prev = xs[i]
            if d < 0.0:
                loss -= d
            else:
                gain += d
        loss /= period
        gain /= period
        total = gain + loss
        out[period] = 100.0 * (gain / total) if total != 0.0 else 0.0
        start = period + 1
    else:
        prev, gain, loss = carry
        start = 0
    for i in range(start, n):
        d = xs[i] - prev
        prev = xs[i]
        loss *= period - 1
        gain *= period - 1
        if d < 0.0:
            loss -= d
        else:
            gain += d
        loss /= period
        gain /= period
        total = gain + loss
        out[i] = 100.0 * (gain / total) if total != 0.0 else 0.0
    return out, WilderCarry(prev, gain, loss)


def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray, prev_close: float = NAN) -> np.ndarray:
    """TA-Lib TRANGE: ``max(h - l, |c_{t-1} - h|, |c_{t-1} - l|)``; NaN at the first bar without a previous close."""
    h, lo, c = _f64(high), _f64(low), _f64(close)
    prev = np.concatenate(([prev_close], c[:-1])) if len(c) else c
    return np.maximum(np.maximum(h - lo, np.abs(prev - h)), np.abs(prev - lo))


def atr(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    period: int = 14,
    prev_close: float = NAN,
    prev_atr: float = NAN,
) -> tuple[np.ndarray, float]:
    """TA-Lib ATR (Wilder).

    Unseeded: TR at index 0 is undefined; ``atr_period = mean(TR_1..TR_period)`` (summed left to right),
    then ``atr_t = (atr_{t-1} * (period - 1) + TR_t) / period``. Seeded (``prev_atr``, ``prev_close``
    given): the recursion continues from index 0. Returns ``(values, last_atr)``.
    """
    tr = true_range(high, low, close, prev_close).tolist()
    n = len(tr)
    out = _nan(n)
    if _unseeded(prev_atr):
        if n < period + 1:
            return out, NAN
        total = 0.0
        for i in range(1, period + 1):
            total += tr[i]
        prev_atr = total / period
        out[period] = prev_atr
        start = period + 1
    else:
        start = 0
    for i in range(start, n):
        prev_atr *= period - 1
        prev_atr += tr[i]
        prev_atr /= period
        out[i] = prev_atr
    return out, prev_atr


def obv(
    close: np.ndarray, volume: np.ndarray, prev_close: float = NAN, prev_obv: float = NAN
) -> tuple[np.ndarray, float]:
    """TA-Lib OBV: starts at the first volume (``obv_0 = v_0``); then ``+v_t`` on an up close, ``-v_t`` on a
    down close, unchanged on an equal close. Returns ``(values, last_obv)``."""
    cs = _f64(close).tolist()
    vs = _f64(volume).tolist()
    out = _nan(len(cs))
    start = 0
    if _unseeded(prev_obv):
        if not cs:
            return out, NAN
        prev_obv = vs[0]
        prev_close = cs[0]
        out[0] = prev_obv
        start = 1
    for i in range(start, len(cs)):
        c = cs[i]
        if c > prev_close:
            prev_obv += vs[i]
        elif c < prev_close:
            prev_obv -= vs[i]
        out[i] = prev_obv
        prev_close = c
    return out, prev_obv


def ad(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray, prev_ad: float = 0.0
) -> tuple[np.ndarray, float]:
    """TA-Lib AD (Chaikin accumulation/distribution line), cumulated from ``prev_ad`` (0 at the start):
    ``ad_t = ad_{t-1} + ((c - l) - (h - c)) / (h - l) * v`` when ``h > l``, else unchanged.
    Returns ``(values, last_ad)``."""
    hs, ls, cs, vs = (_f64(a).tolist() for a in (high, low, close, volume))
    out = _nan(len(hs))
    total = 0.0 if _unseeded(prev_ad) else prev_ad
    for i in range(len(hs)):
        h, lo, c = hs[i], ls[i], cs[i]
        rng = h - lo
        if rng > 0.0:
            total += (((c - lo) - (h - c)) / rng) * vs[i]
        out[i] = total
    return out, total


class VwapCarry(NamedTuple):
    """Session VWAP's carried values: the last bar's session and its running sums."""

    session: int | None
    cum_pv: float
    cum_volume: float


def vwap(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    session: np.ndarray,
    carry: VwapCarry | None = None,
) -> tuple[np.ndarray, VwapCarry]:
    """Session-anchored VWAP: ``tp = (h + l + c) / 3``; ``vwap_t = sum(tp * v) / sum(v)`` cumulated from the
    session's first bar (reset whenever the session id changes), NaN while the cumulated volume is 0.
    ``carry`` continues the running sums when the first bar belongs to the carried session.
    Returns ``(values, carry_after)``."""
    tp = ((_f64(high) + _f64(low) + _f64(close)) / 3.0).tolist()
    vs = _f64(volume).tolist()
    ss = np.asarray(session).tolist()
    out = _nan(len(tp))
    cur, pv, cv = carry if carry is not None else (None, 0.0, 0.0)
    for i in range(len(tp)):
        if ss[i] != cur:
            cur, pv, cv = ss[i], 0.0, 0.0
        pv += tp[i] * vs[i]
        cv += vs[i]
        if cv != 0.0:
            out[i] = pv / cv
    return out, VwapCarry(cur, pv, cv)


# --------------------------------------------------------------------------------------------------
# Cross-series helpers
# --------------------------------------------------------------------------------------------------


def yield_curve_slopes(tnx: np.ndarray, irx: np.ndarray, fvx: np.ndarray) -> dict[str, np.ndarray]:
    """Yield-curve slopes from date-aligned index yields (same units as the inputs, percent):
    ``slope_10y_3m = ^TNX - ^IRX``, ``slope_10y_5y = ^TNX - ^FVX`` (exact differences)."""
    t = _f64(tnx)
    return {"slope_10y_3m": t - _f64(irx), "slope_10y_5y": t - _f64(fvx)}
