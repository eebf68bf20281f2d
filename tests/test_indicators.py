"""Indicator mathematics: TA-Lib parity, numpy references, warm-up positions and edge cases.

TA-Lib (``ta-lib`` 0.8.2, a test dependency only) is the reference wherever it has the indicator; the
others are checked against direct numpy computations over explicit windows.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from optlake.analytics import (
    BARS_PER_YEAR,
    COLUMN_DOCS,
    DAILY_COLUMNS,
    DAILY_STATE_COLUMNS,
    INTRADAY_COLUMNS,
    INTRADAY_STATE_COLUMNS,
    STATE_COLUMN_DOCS,
    DailyBars,
    IntradayBars,
    compute_daily,
    compute_intraday,
    rolling_corr,
    yield_curve_slopes,
)
from optlake.analytics import indicators as ind

talib = pytest.importorskip("talib")

LEVELS = [0.5, 100.0, 60000.0]
N = 3000
TOL = 1e-9  # |ours - reference| <= TOL * max(1, |reference|)


def make_daily(n: int, level: float, seed: int = 0, vol: float = 0.015) -> DailyBars:
    """A geometric random walk with consistent OHLC, integer volumes (some 0), SPX and ^IRX series."""
    rng = np.random.default_rng(seed)
    close = level * np.exp(np.cumsum(rng.normal(0.0002, vol, n)))
    open_ = close * np.exp(rng.normal(0, vol / 3, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, vol / 3, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, vol / 3, n)))
    volume = rng.integers(0, 1_000_000, n).astype(float)
    volume[rng.random(n) < 0.02] = 0.0
    steps = np.diff(np.log(close), prepend=math.log(level))
    spx = 4000.0 * np.exp(np.cumsum(0.6 * steps + rng.normal(0, 0.004, n)))
    irx = np.clip(5.0 + np.cumsum(rng.normal(0, 0.02, n)), 0.0, None)
    return DailyBars(open_, high, low, close, volume, spx, irx)


def make_intraday(sessions: int, level: float, seed: int = 0) -> IntradayBars:
    """``sessions`` sessions of 78 five-minute bars, session ids yyyymmdd-like."""
    d = make_daily(sessions * 78, level, seed, vol=0.002)
    session = np.repeat(20250101 + np.arange(sessions), 78)
    return IntradayBars(d.open, d.high, d.low, d.close, d.volume, session)


def rel_err(ours: np.ndarray, ref: np.ndarray) -> float:
    """Worst |ours - ref| / max(1, |ref|) over the defined values (after checking the NaN positions)."""
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref), err_msg="NaN positions differ")
    ok = ~np.isnan(ref)
    if not ok.any():
        return 0.0
    return float(np.max(np.abs(ours[ok] - ref[ok]) / np.maximum(1.0, np.abs(ref[ok]))))


def talib_reference(b: DailyBars | IntradayBars) -> dict[str, np.ndarray]:
    """TA-Lib's value for every column it has (plus bb_width / bb_pct_b derived from its bands)."""
    c, h, lo, v = b.close, b.high, b.low, b.volume
    macd, sig, hist = talib.MACD(c, 12, 26, 9)
    up, mid, low = talib.BBANDS(c, 20, 2.0, 2.0, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct_b = np.where(up - low > 0, (c - low) / (up - low), np.nan)
    return {
        "sma_20": talib.SMA(c, 20),
        "sma_50": talib.SMA(c, 50),
        "sma_200": talib.SMA(c, 200),
        "ema_12": talib.EMA(c, 12),
        "ema_26": talib.EMA(c, 26),
        "macd": macd,
        "macd_signal": sig,
        "macd_hist": hist,
        "roc_10": talib.ROC(c, 10),
        "mom_10": talib.MOM(c, 10),
        "rsi_14": talib.RSI(c, 14),
        "bb_upper": up,
        "bb_middle": mid,
        "bb_lower": low,
        "bb_width": (up - low) / mid,
        "bb_pct_b": pct_b,
        "atr_14": talib.ATR(h, lo, c, 14),
        "obv": talib.OBV(c, v),
        "ad": talib.AD(h, lo, c, v),
    }


# --------------------------------------------------------------------------------------------------
# TA-Lib parity
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_daily_set_equals_talib(level: float, record_property: pytest.RecordProperty) -> None:
    bars = make_daily(N, level, seed=int(level) % 97)
    cols, _ = compute_daily(bars)
    worst = {}
    for name, ref in talib_reference(bars).items():
        worst[name] = rel_err(cols[name], ref)
        record_property(f"rel_err_{name}", worst[name])
    assert max(worst.values()) <= TOL, f"worst relative errors at level {level}: {worst}"


@pytest.mark.parametrize("level", LEVELS)
def test_intraday_set_equals_talib(level: float) -> None:
    bars = make_intraday(20, level, seed=3)
    cols, _ = compute_intraday(bars)
    worst = {name: rel_err(cols[name], ref) for name, ref in talib_reference(bars).items()}
    assert max(worst.values()) <= TOL, f"worst relative errors at level {level}: {worst}"


def test_macd_fast_ema_starts_late() -> None:
    """TA-Lib's MACD fast EMA is seeded at bar 25 by SMA(c_14..c_25): not EMA(12) minus EMA(26)."""
    c = make_daily(200, 100.0, seed=5).close
    line, sig, _, carry = ind.macd(c)
    fast = np.mean(c[14:26])
    for x in c[26:34]:
        fast = (x - fast) * (2.0 / 13.0) + fast
    slow = talib.EMA(c, 26)[33]
    assert line[33] == pytest.approx(fast - slow, rel=1e-12)
    assert abs((talib.EMA(c, 12) - talib.EMA(c, 26))[33] - line[33]) > 1e-6
    assert np.isnan(line[:33]).all() and np.isnan(sig[:33]).all() and not np.isnan(line[33:]).any()
    assert not math.isnan(carry.signal_ema)


def test_standalone_functions_equal_talib() -> None:
    b = make_daily(1500, 60000.0, seed=11)
    c = b.close
    assert rel_err(ind.rolling_std(c, 20, ddof=0), talib.STDDEV(c, 20, 1.0)) <= TOL
    assert rel_err(ind.rolling_var(c, 30, ddof=0), talib.VAR(c, 30, 1.0)) <= TOL
    assert rel_err(ind.true_range(b.high, b.low, c), talib.TRANGE(b.high, b.low, c)) <= TOL
    r1, r2 = np.log(c[1:] / c[:-1]), np.log(b.benchmark_close[1:] / b.benchmark_close[:-1])
    assert rel_err(rolling_corr(r1, r2, 60), talib.CORREL(r1, r2, 60)) <= 1e-8


# --------------------------------------------------------------------------------------------------
# numpy references
# --------------------------------------------------------------------------------------------------


def windows(x: np.ndarray, w: int) -> list[tuple[int, np.ndarray]]:
    return [(t, x[t - w + 1 : t + 1]) for t in range(w - 1, len(x))]


@pytest.mark.parametrize("level", LEVELS)
def test_quant_columns_equal_numpy(level: float) -> None:
    b = make_daily(700, level, seed=7)
    cols, _ = compute_daily(b)
    c = b.close
    r = np.concatenate(([np.nan], np.log(c[1:] / c[:-1])))
    m = np.concatenate(([np.nan], np.log(b.benchmark_close[1:] / b.benchmark_close[:-1])))
    e = np.concatenate(([np.nan], c[1:] / c[:-1] - 1.0)) - b.risk_free / 100.0 / 252.0

    np.testing.assert_allclose(cols["log_return"], r, rtol=1e-14, atol=0)  # libm log vs numpy's SIMD log
    np.testing.assert_array_equal(cols["cum_return"], c / c[0] - 1.0)
    peak = np.maximum.accumulate(c)
    np.testing.assert_array_equal(cols["drawdown"], c / peak - 1.0)
    np.testing.assert_array_equal(cols["max_drawdown"], np.minimum.accumulate(c / peak - 1.0))

    hv, sh, so, beta, corr = (np.full(len(c), np.nan) for _ in range(5))
    for t, win in windows(r, 20):
        hv[t] = np.std(win, ddof=1) * math.sqrt(252)
    for t, win in windows(e, 63):
        sh[t] = np.mean(win) / np.std(win, ddof=1) * math.sqrt(252)
        so[t] = np.mean(win) / math.sqrt(np.mean(np.minimum(win, 0.0) ** 2)) * math.sqrt(252)
    for t, win in windows(r, 60):
        mw = m[t - 59 : t + 1]
        beta[t] = np.cov(win, mw, ddof=1)[0, 1] / np.var(mw, ddof=1)
        corr[t] = np.corrcoef(win, mw)[0, 1]
    # warm-up: hv from bar 20 (20 returns), Sharpe/Sortino from bar 63, beta/corr from bar 60
    for name, ref, first in (("hv_20", hv, 20), ("sharpe_63", sh, 63), ("sortino_63", so, 63)):
        assert np.isnan(cols[name][:first]).all() and not np.isnan(cols[name][first:]).any(), name
        np.testing.assert_allclose(cols[name], ref, rtol=1e-10, atol=1e-12, err_msg=name)
    for name, ref in (("beta_60", beta), ("corr_60", corr)):
        assert np.isnan(cols[name][:60]).all() and not np.isnan(cols[name][60:]).any(), name
        np.testing.assert_allclose(cols[name], ref, rtol=1e-9, atol=1e-12, err_msg=name)


def test_intraday_hv_is_annualised_per_bar() -> None:
    b = make_intraday(3, 100.0, seed=2)
    cols, _ = compute_intraday(b)
    r = np.log(b.close[1:] / b.close[:-1])
    assert cols["hv_20"][100] == pytest.approx(np.std(r[80:100], ddof=1) * math.sqrt(BARS_PER_YEAR), rel=1e-12)


def test_vwap_equals_numpy_and_resets_per_session() -> None:
    b = make_intraday(4, 250.0, seed=9)
    cols, state = compute_intraday(b)
    tp = (b.high + b.low + b.close) / 3.0
    ref = np.full(len(b), np.nan)
    for s in np.unique(b.session):
        idx = np.flatnonzero(b.session == s)
        cv = np.cumsum(b.volume[idx])
        with np.errstate(divide="ignore", invalid="ignore"):
            ref[idx] = np.where(cv > 0, np.cumsum(tp[idx] * b.volume[idx]) / cv, np.nan)
    np.testing.assert_allclose(cols["vwap"], ref, rtol=1e-13)
    # the first bar of each session is its own typical price (when it traded)
    for start in range(0, len(b), 78):
        if b.volume[start] > 0:
            assert cols["vwap"][start] == pytest.approx(tp[start], rel=1e-15)
    assert state.session_id == int(b.session[-1])


def test_vwap_is_null_until_volume_trades() -> None:
    h = np.array([10.0, 11, 12, 13])
    lo = h - 1
    c = h - 0.5
    v = np.array([0.0, 0.0, 5.0, 0.0])
    out, carry = ind.vwap(h, lo, c, v, np.array([1, 1, 1, 2]))
    assert np.isnan(out[0]) and np.isnan(out[1]) and out[2] == pytest.approx((12 + 11 + 11.5) / 3)
    assert np.isnan(out[3]) and carry == (2, 0.0, 0.0)


def test_yield_curve_slopes_are_exact_differences() -> None:
    rng = np.random.default_rng(1)
    tnx, irx, fvx = (4 + rng.normal(0, 0.5, 300) for _ in range(3))
    slopes = yield_curve_slopes(tnx, irx, fvx)
    np.testing.assert_array_equal(slopes["slope_10y_3m"], tnx - irx)
    np.testing.assert_array_equal(slopes["slope_10y_5y"], tnx - fvx)


def test_rolling_corr_of_two_return_series_equals_numpy() -> None:
    rng = np.random.default_rng(4)
    spy = rng.normal(0, 0.01, 400)
    btc = 0.4 * spy + rng.normal(0, 0.03, 400)
    out = rolling_corr(btc, spy, 60)
    assert np.isnan(out[:59]).all()
    for t in (59, 200, 399):
        assert out[t] == pytest.approx(np.corrcoef(btc[t - 59 : t + 1], spy[t - 59 : t + 1])[0, 1], rel=1e-12)


# --------------------------------------------------------------------------------------------------
# Warm-up and edge cases
# --------------------------------------------------------------------------------------------------

FIRST_VALUE = {
    "sma_20": 19,
    "sma_50": 49,
    "sma_200": 199,
    "ema_12": 11,
    "ema_26": 25,
    "macd": 33,
    "macd_signal": 33,
    "macd_hist": 33,
    "roc_10": 10,
    "mom_10": 10,
    "rsi_14": 14,
    "bb_upper": 19,
    "bb_middle": 19,
    "bb_lower": 19,
    "bb_width": 19,
    "bb_pct_b": 19,
    "atr_14": 14,
    "hv_20": 20,
    "obv": 0,
    "ad": 0,
    "log_return": 1,
    "cum_return": 0,
    "sharpe_63": 63,
    "sortino_63": 63,
    "drawdown": 0,
    "max_drawdown": 0,
    "beta_60": 60,
    "corr_60": 60,
    "vwap": 0,
}


def test_warm_up_positions() -> None:
    """NaN exactly before each column's first bar (TA-Lib's lookback where it has the indicator), never after."""
    cols, _ = compute_daily(make_daily(400, 100.0, seed=1))
    assert set(cols) == set(DAILY_COLUMNS)
    for name in DAILY_COLUMNS:
        first = FIRST_VALUE[name]
        assert np.isnan(cols[name][:first]).all(), name
        assert not np.isnan(cols[name][first:]).any(), name
    b = make_intraday(4, 100.0, seed=1)
    b = IntradayBars(b.open, b.high, b.low, b.close, np.maximum(b.volume, 1.0), b.session)
    icols, _ = compute_intraday(b)
    for name in INTRADAY_COLUMNS:
        first = FIRST_VALUE[name]
        assert np.isnan(icols[name][:first]).all() and not np.isnan(icols[name][first:]).any(), name


@pytest.mark.parametrize("n", [0, 1, 5, 14, 19])
def test_series_shorter_than_every_period(n: int) -> None:
    """Fewer bars than a period: that column is all null (no partial window); the cumulative ones are set."""
    cols, state = compute_daily(make_daily(n, 100.0, seed=2))
    for name in DAILY_COLUMNS:
        assert len(cols[name]) == n
        first = FIRST_VALUE[name]
        assert np.isnan(cols[name][:first]).all(), name
        assert not np.isnan(cols[name][first:]).any(), name
    assert state.bar_count == n
    if n:
        ref = talib_reference(make_daily(n, 100.0, seed=2))
        worst = {k: rel_err(cols[k], v) for k, v in ref.items()}
        assert max(worst.values()) <= TOL, worst


@pytest.mark.parametrize("level", [0.1, 1 / 3, 123.456789, 60000.123])
def test_constant_prices(level: float) -> None:
    """Constant prices: RSI as TA-Lib (0), Bollinger width 0 and %b null, ATR / HV 0, OBV flat."""
    n = 300
    c = np.full(n, level)
    rf = np.full(n, 4.5)
    b = DailyBars(c, c, c, c, np.full(n, 1000.0), np.full(n, 4000.0), rf)
    cols, _ = compute_daily(b)
    ref = talib_reference(b)
    for name in ("rsi_14", "atr_14", "bb_upper", "bb_lower", "bb_middle", "obv", "ad", "macd", "ema_26"):
        assert rel_err(cols[name], ref[name]) <= TOL, name
    assert (cols["rsi_14"][14:] == 0.0).all()
    assert (cols["bb_width"][19:] == 0.0).all() and np.isnan(cols["bb_pct_b"]).all()
    assert (cols["atr_14"][14:] == 0.0).all() and (cols["hv_20"][20:] == 0.0).all()
    assert (cols["obv"] == 1000.0).all() and (cols["ad"] == 0.0).all()
    assert (cols["drawdown"] == 0.0).all() and (cols["cum_return"] == 0.0).all()
    # constant excess return: std 0 -> Sharpe null; all excess returns negative -> Sortino = -sqrt(252)
    assert np.isnan(cols["sharpe_63"]).all()
    np.testing.assert_allclose(cols["sortino_63"][63:], -math.sqrt(252), rtol=1e-12)
    # constant benchmark: var(m) = 0 -> beta and corr null
    assert np.isnan(cols["beta_60"]).all() and np.isnan(cols["corr_60"]).all()


def test_zero_volume() -> None:
    b = make_daily(300, 100.0, seed=3)
    b = DailyBars(b.open, b.high, b.low, b.close, np.zeros(300), b.benchmark_close, b.risk_free)
    cols, _ = compute_daily(b)
    assert (cols["obv"] == 0.0).all() and (cols["ad"] == 0.0).all()
    assert rel_err(cols["obv"], talib.OBV(b.close, b.volume)) == 0.0
    ib = make_intraday(2, 100.0)
    ib = IntradayBars(ib.open, ib.high, ib.low, ib.close, np.zeros(len(ib)), ib.session)
    icols, _ = compute_intraday(ib)
    assert np.isnan(icols["vwap"]).all()


def test_no_nan_after_warm_up_across_levels() -> None:
    for level in LEVELS:
        cols, _ = compute_daily(make_daily(500, level, seed=8))
        for name in DAILY_COLUMNS:
            assert not np.isnan(cols[name][FIRST_VALUE[name] :]).any(), (level, name)


def test_missing_benchmark_or_risk_free_gives_null_columns() -> None:
    b = make_daily(200, 100.0)
    cols, _ = compute_daily(DailyBars(b.open, b.high, b.low, b.close, b.volume))
    for name in ("beta_60", "corr_60", "sharpe_63", "sortino_63"):
        assert np.isnan(cols[name]).all(), name
    assert not np.isnan(cols["hv_20"][20:]).any()


def test_every_column_is_documented() -> None:
    for name in [*DAILY_COLUMNS, *INTRADAY_COLUMNS, "slope_10y_3m", "slope_10y_5y"]:
        assert COLUMN_DOCS.get(name), name
    for name in DAILY_STATE_COLUMNS + INTRADAY_STATE_COLUMNS:
        assert STATE_COLUMN_DOCS.get(name), name


def test_timings_30_symbols(record_property: pytest.RecordProperty) -> None:
    """30 symbols x 300 daily bars, and 30 symbols x 10 sessions of 5-minute bars (full passes)."""
    import time

    daily = [make_daily(300, 100.0, seed=s) for s in range(30)]
    intraday = [make_intraday(10, 100.0, seed=s) for s in range(30)]
    t0 = time.perf_counter()
    for b in daily:
        compute_daily(b)
    t1 = time.perf_counter()
    for ib in intraday:
        compute_intraday(ib)
    t2 = time.perf_counter()
    record_property("daily_30x300_s", t1 - t0)
    record_property("intraday_30x780_s", t2 - t1)
    assert t1 - t0 < 5 and t2 - t1 < 5, (t1 - t0, t2 - t1)
