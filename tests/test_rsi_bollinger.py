"""RSIBollingerStrategy (optlake.strategies.rsi_bollinger): the rule at its edges, the features
against TA-Lib, and one day's rows out of a window."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import talib

from optlake.strategies.rsi_bollinger import (
    OUTPUT_COLUMNS,
    RsiBollingerParams,
    analyse_window,
    features,
    rule_signals,
)
from optlake.strategies.scorer import Unavailable

P = RsiBollingerParams()


def decide(close: float, rsi: float, upper: float = 110.0, lower: float = 90.0):
    signal, confidence = rule_signals(np.array([close]), np.array([rsi]), np.array([upper]), np.array([lower]), P)
    return signal[0], float(confidence[0])


def test_buy_needs_rsi_strictly_below_30_and_the_close_strictly_below_the_lower_band() -> None:
    assert decide(89.99, 29.99)[0] == "BUY"
    assert decide(89.99, 30.0)[0] == "HOLD"  # RSI at the threshold
    assert decide(89.99, 30.01)[0] == "HOLD"
    assert decide(90.0, 29.99)[0] == "HOLD"  # on the band
    assert decide(90.01, 10.0)[0] == "HOLD"  # inside the bands


def test_sell_needs_rsi_strictly_above_70_and_the_close_strictly_above_the_upper_band() -> None:
    assert decide(110.01, 70.01)[0] == "SELL"
    assert decide(110.01, 70.0)[0] == "HOLD"
    assert decide(110.01, 69.99)[0] == "HOLD"
    assert decide(110.0, 90.0)[0] == "HOLD"
    assert decide(float("nan"), 80.0)[0] == "HOLD" and decide(120.0, float("nan")) == ("HOLD", 0.5)


def test_confidences_by_hand() -> None:
    # BUY at the edge: 0.5; RSI 15 (half of 30 past it) and %b -0.25: 0.5 + 0.5 * min(1, 2 * (0.5 + 0.25)) = 1
    assert decide(89.9999, 29.9999)[1] == pytest.approx(0.5, abs=1e-4)
    assert decide(85.0, 15.0)[1] == pytest.approx(1.0)
    # RSI 25 (1/6 past), %b -0.05: 0.5 + 0.5 * 2 * (1/6 + 0.05) = 0.7167
    assert decide(89.0, 25.0)[1] == pytest.approx(0.5 + (1 / 6 + 0.05), abs=1e-9)
    # SELL, RSI 80 (1/3 past 70 on a 30-wide range), %b 1.1: 0.5 + 0.5 * min(1, 2 * (1/3 + 0.1)) = 0.9333
    assert decide(112.0, 80.0)[1] == pytest.approx(0.5 + (1 / 3 + 0.1), abs=1e-9)
    # HOLD in the middle (RSI 50, %b 0.5): near_buy = 0 (RSI 50 >= 30 + 20), near_sell = 0: confidence 1
    assert decide(100.0, 50.0) == ("HOLD", 1.0)
    # HOLD near a BUY (RSI 31, %b 0.25): near_buy = (50 - 31) / 20 * 0.75 = 0.7125 -> 0.2875
    assert decide(95.0, 31.0)[1] == pytest.approx(1 - 19 / 20 * 0.75)


def random_walk(n: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    start = dt.datetime(2025, 1, 27, 14, 30)
    ts = [start + dt.timedelta(days=i // 78, minutes=5 * (i % 78)) for i in range(n)]
    return pd.DataFrame(
        {
            "symbol": "AAPL",
            "trade_date": [t.date() for t in ts],
            "ts": ts,
            "open": close,
            "high": close * 1.001,
            "low": close * 0.999,
            "close": close,
            "volume": rng.integers(100, 1000, n).astype(float),
        }
    )


def test_features_match_talib() -> None:
    bars = random_walk(400)
    found = features(bars, P)
    close = bars["close"].to_numpy()
    upper, middle, lower = talib.BBANDS(close, 20, 2.0, 2.0, 0)
    macd, _, hist = talib.MACD(close, 12, 26, 9)
    pairs = {
        "rsi": talib.RSI(close, 14),
        "bb_upper": upper,
        "bb_middle": middle,
        "bb_lower": lower,
        "macd": macd,
        "macd_hist": hist,
        "sma_fast_gap": close / talib.SMA(close, 20) - 1,
        "sma_slow_gap": close / talib.SMA(close, 50) - 1,
        "momentum": np.log(close / talib.SMA(np.r_[np.full(10, np.nan), close[:-10]], 1)),
    }
    for name, expected in pairs.items():
        got = found[name].to_numpy()
        assert np.array_equal(np.isnan(got), np.isnan(expected)), name
        assert np.nanmax(np.abs(got - expected)) < 1e-9, name
    log_r = np.diff(np.log(close))
    assert found["volatility"].iloc[-1] == pytest.approx(np.std(log_r[-20:], ddof=1), rel=1e-12)
    volume = bars["volume"].to_numpy()
    assert found["volume_ratio"].iloc[-1] == pytest.approx(volume[-1] / volume[-21:-1].mean(), rel=1e-12)


def test_a_window_gives_its_last_days_rows_decided_by_the_rule_without_a_model() -> None:
    bars = random_walk(78 * 3)
    day = dt.date(2025, 1, 29)
    out = analyse_window(bars, day, P, Unavailable("no_model_configured"))
    assert list(out.columns) == list(OUTPUT_COLUMNS) and len(out) == 78 and set(out["trade_date"]) == {day}
    assert set(out["decision_source"]) == {"rule"} and set(out["fallback_reason"]) == {"no_model_configured"}
    assert (out["signal"] == out["rule_signal"]).all() and out["model_signal"].isna().all()
    assert out["confidence"].between(0, 1).all()
    expected, _ = rule_signals(out["close"], out["rsi"], out["bb_upper"], out["bb_lower"], P)
    assert list(out["signal"]) == list(expected)


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="rsi_buy < rsi_sell"):
        RsiBollingerParams(rsi_buy=70, rsi_sell=30)
    with pytest.raises(ValueError, match="bb_period"):
        RsiBollingerParams(bb_period=1)
