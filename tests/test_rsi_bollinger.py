"""RSIBollingerStrategy (optlake.strategies.rsi_bollinger): the rule at its edges, the confidences by
hand, the features against TA-Lib, and one day's rows out of a window."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import talib

from optlake.strategies.rsi_bollinger import (
    COLUMN_DOCS,
    FEATURE_COLUMNS,
    INPUT_COLUMNS,
    OUTPUT_COLUMNS,
    RsiBollingerParams,
    analyse_window,
    features,
    rule_signals,
)
from optlake.strategies.scorer import Unavailable

P = RsiBollingerParams()
NAN = float("nan")
NO_MODEL = Unavailable("no_model_configured")


def decide(close: float, rsi: float, upper: float = 110.0, lower: float = 90.0, params=P) -> tuple[str, float]:
    signal, confidence = rule_signals(np.array([close]), np.array([rsi]), np.array([upper]), np.array([lower]), params)
    return signal[0], float(confidence[0])


@pytest.mark.parametrize(
    ("close", "rsi", "expected"),
    [
        (89.99, 29.99, "BUY"),
        (89.99, 30.0, "HOLD"),  # RSI exactly at the threshold
        (89.99, 30.01, "HOLD"),
        (90.0, 29.99, "HOLD"),  # exactly on the lower band
        (90.01, 29.99, "HOLD"),  # just inside the bands
        (90.01, 10.0, "HOLD"),
        (110.01, 70.01, "SELL"),
        (110.01, 70.0, "HOLD"),  # RSI exactly at the threshold
        (110.01, 69.99, "HOLD"),
        (110.0, 70.01, "HOLD"),  # exactly on the upper band
        (109.99, 70.01, "HOLD"),  # just inside the bands
        (109.99, 95.0, "HOLD"),
        (89.99, 70.01, "HOLD"),  # below the lower band with a high RSI: neither
        (110.01, 29.99, "HOLD"),  # above the upper band with a low RSI: neither
    ],
)
def test_the_rule_at_and_around_its_edges(close: float, rsi: float, expected: str) -> None:
    assert decide(close, rsi)[0] == expected


def test_the_thresholds_are_parameters() -> None:
    loose = RsiBollingerParams(rsi_buy=40.0, rsi_sell=60.0)
    assert decide(89.99, 35.0, params=loose)[0] == "BUY" and decide(89.99, 35.0)[0] == "HOLD"
    assert decide(110.01, 65.0, params=loose)[0] == "SELL" and decide(110.01, 65.0)[0] == "HOLD"
    assert decide(89.99, 40.0, params=loose)[0] == "HOLD"


def test_undefined_inputs_hold_with_confidence_one_half() -> None:
    assert decide(NAN, 10.0) == ("HOLD", 0.5)
    assert decide(80.0, NAN) == ("HOLD", 0.5)
    assert decide(80.0, 10.0, upper=NAN) == ("HOLD", 0.5)
    assert decide(80.0, 10.0, lower=NAN) == ("HOLD", 0.5)


def test_confidences_by_hand() -> None:
    # BUY at the edge of both conditions: 0.5
    assert decide(89.9999, 29.9999)[1] == pytest.approx(0.5, abs=1e-4)
    # RSI 15 (half of 30 past it) and %b -0.25: 0.5 + 0.5 * min(1, 2 * (0.5 + 0.25)) = 1
    assert decide(85.0, 15.0)[1] == pytest.approx(1.0)
    # RSI 25 (1/6 past), %b -0.05: 0.5 + 0.5 * 2 * (1/6 + 0.05)
    assert decide(89.0, 25.0)[1] == pytest.approx(0.5 + (1 / 6 + 0.05), abs=1e-12)
    # SELL, RSI 80 (1/3 of the 30 points past 70), %b 1.1: 0.5 + 0.5 * 2 * (1/3 + 0.1)
    assert decide(112.0, 80.0)[1] == pytest.approx(0.5 + (1 / 3 + 0.1), abs=1e-12)
    # SELL at the edge: 0.5
    assert decide(110.0001, 70.0001)[1] == pytest.approx(0.5, abs=1e-4)
    # HOLD in the middle (RSI 50, %b 0.5): near_buy = near_sell = 0, confidence 1
    assert decide(100.0, 50.0) == ("HOLD", 1.0)
    # HOLD near a BUY (RSI 31, %b 0.25): near_buy = (50 - 31) / 20 * 0.75 = 0.7125 -> 0.2875
    assert decide(95.0, 31.0)[1] == pytest.approx(1 - 19 / 20 * 0.75, abs=1e-12)
    # HOLD near a SELL (RSI 65, %b 0.9): near_sell = (65 - 50) / 20 * 0.9 = 0.675 -> 0.325
    assert decide(108.0, 65.0)[1] == pytest.approx(1 - 15 / 20 * 0.9, abs=1e-12)
    # RSI at 30 exactly but the close far below the band: HOLD, near_buy = 1 * 1 -> 0
    assert decide(80.0, 30.0) == ("HOLD", 0.0)
    # coinciding bands: the band term counts 0 (BUY on RSI 20: 0.5 + 0.5 * 2 * 1/3), a HOLD takes %b 0.5
    assert decide(99.0, 20.0, upper=100.0, lower=100.0) == ("BUY", pytest.approx(0.5 + 1 / 3, abs=1e-12))
    assert decide(100.0, 40.0, upper=100.0, lower=100.0) == ("HOLD", pytest.approx(1 - 10 / 20 * 0.5))


def test_confidence_is_always_between_zero_and_one() -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    lower = rng.uniform(50, 150, n)
    upper = lower + rng.choice([0.0, 1e-9, 1.0, 20.0], n)  # coinciding and near-coinciding bands too
    close = rng.uniform(0, 300, n)
    rsi = rng.uniform(0, 100, n)
    rsi[::97] = NAN
    signal, confidence = rule_signals(close, rsi, upper, lower, P)
    assert set(signal) == {"BUY", "SELL", "HOLD"}
    assert np.isfinite(confidence).all() and (confidence >= 0).all() and (confidence <= 1).all()
    assert (confidence[signal != "HOLD"] >= 0.5).all()


def bars(n: int, seed: int = 5, symbol: str = "AAPL") -> pd.DataFrame:
    """n 5-minute bars, 78 a day from 2025-01-27, a random walk."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    start = dt.datetime(2025, 1, 27, 14, 30)
    ts = [start + dt.timedelta(days=i // 78, minutes=5 * (i % 78)) for i in range(n)]
    return pd.DataFrame(
        {
            "symbol": symbol,
            "trade_date": [t.date() for t in ts],
            "ts": ts,
            "open": close,
            "high": close * 1.001,
            "low": close * 0.999,
            "close": close,
            "volume": rng.integers(100, 1000, n).astype(float),
        }
    )


def assert_close(name: str, got: np.ndarray, expected: np.ndarray) -> None:
    assert np.array_equal(np.isnan(got), np.isnan(expected)), name
    assert np.nanmax(np.abs(got - expected)) < 1e-9, name


def test_features_match_talib_on_the_same_series() -> None:
    frame = bars(400)
    found = features(frame, P)
    close = frame["close"].to_numpy()
    volume = frame["volume"].to_numpy()
    upper, middle, lower = talib.BBANDS(close, 20, 2.0, 2.0, 0)
    macd, _, hist = talib.MACD(close, 12, 26, 9)
    log_r = np.r_[NAN, np.diff(np.log(close))]
    previous_volume = np.r_[NAN, talib.SMA(volume, 20)[:-1]]
    expected = {
        "price": close,
        "momentum": np.log(talib.ROCR(close, 10)),
        "volatility": talib.STDDEV(log_r, 20, 1.0) * np.sqrt(20 / 19),  # sample std from the population one
        "volume_ratio": volume / previous_volume,
        "rsi": talib.RSI(close, 14),
        "macd": macd,
        "macd_hist": hist,
        "bb_upper": upper,
        "bb_middle": middle,
        "bb_lower": lower,
        "bb_position": (close - lower) / (upper - lower),
        "sma_fast_gap": close / talib.SMA(close, 20) - 1,
        "sma_slow_gap": close / talib.SMA(close, 50) - 1,
    }
    assert list(found.columns) == list(expected) and set(FEATURE_COLUMNS) <= set(found.columns)
    for name, values in expected.items():
        assert_close(name, found[name].to_numpy(), values)
    # warm-ups: RSI from bar 14, volatility and volume_ratio from bar 20, MACD from 33, SMA(50) from 49
    first = {name: int(np.argmax(found[name].notna())) for name in FEATURE_COLUMNS}
    assert first == {
        "price": 0,
        "momentum": 10,
        "volatility": 20,
        "volume_ratio": 20,
        "rsi": 14,
        "macd": 33,
        "macd_hist": 33,
        "bb_position": 19,
        "sma_fast_gap": 19,
        "sma_slow_gap": 49,
    }
    # a hand check of two of them at the last bar
    assert found["volatility"].iloc[-1] == pytest.approx(np.std(np.diff(np.log(close))[-20:], ddof=1), rel=1e-12)
    assert found["volume_ratio"].iloc[-1] == pytest.approx(volume[-1] / volume[-21:-1].mean(), rel=1e-12)


def test_features_follow_their_parameters() -> None:
    frame = bars(200)
    params = RsiBollingerParams(rsi_period=7, bb_period=10, bb_stddev=1.5, macd_fast=5, macd_slow=13, macd_signal=4)
    found = features(frame, params)
    close = frame["close"].to_numpy()
    upper, _, lower = talib.BBANDS(close, 10, 1.5, 1.5, 0)
    _, _, hist = talib.MACD(close, 5, 13, 4)
    assert_close("rsi", found["rsi"].to_numpy(), talib.RSI(close, 7))
    assert_close("bb_upper", found["bb_upper"].to_numpy(), upper)
    assert_close("bb_lower", found["bb_lower"].to_numpy(), lower)
    assert_close("macd_hist", found["macd_hist"].to_numpy(), hist)


def test_a_window_gives_its_days_rows_decided_by_the_rule_without_a_model() -> None:
    frame = bars(78 * 3)
    for day in (dt.date(2025, 1, 27), dt.date(2025, 1, 28), dt.date(2025, 1, 29)):
        out = analyse_window(frame, day, P, NO_MODEL)
        assert list(out.columns) == list(OUTPUT_COLUMNS) and len(out) == 78 and set(out["trade_date"]) == {day}
        assert set(out["decision_source"]) == {"rule"} and set(out["fallback_reason"]) == {"no_model_configured"}
        assert (out["signal"] == out["rule_signal"]).all() and out["model_signal"].isna().all()
        assert out["model_confidence"].isna().all() and (out["confidence"] == out["rule_confidence"]).all()
        assert out["confidence"].between(0, 1).all() and set(out["strategy_name"]) == {"RSIBollingerStrategy"}
        assert (out["close"] == out["price"]).all()
        expected, _ = rule_signals(out["close"], out["rsi"], out["bb_upper"], out["bb_lower"], P)
        assert list(out["signal"]) == list(expected)
    # the rows are the whole window's values, not a recomputation on the day alone
    whole = features(frame, P)
    assert np.array_equal(out["rsi"].to_numpy(), whole["rsi"].to_numpy()[-78:])
    assert analyse_window(frame, dt.date(2025, 1, 30), P, NO_MODEL).empty


def test_a_window_is_sorted_and_its_day_may_come_in_any_date_form() -> None:
    frame = bars(78 * 2)
    day = dt.date(2025, 1, 28)
    expected = analyse_window(frame, day, P, NO_MODEL)
    shuffled = frame.sample(frac=1, random_state=1)
    pd.testing.assert_frame_equal(analyse_window(shuffled, day, P, NO_MODEL), expected)
    as_timestamps = frame.assign(trade_date=pd.to_datetime(frame["trade_date"]))
    for form in (pd.Timestamp(day), "2025-01-28", np.datetime64("2025-01-28")):
        got = analyse_window(as_timestamps, form, P, NO_MODEL)
        assert list(got["ts"]) == list(expected["ts"])


def test_a_short_window_holds_until_the_indicators_exist() -> None:
    out = analyse_window(bars(15), dt.date(2025, 1, 27), P, NO_MODEL)
    assert len(out) == 15 and set(out["rule_signal"]) == {"HOLD"} and set(out["rule_confidence"]) == {0.5}
    assert out["bb_upper"].isna().all() and out["rsi"].iloc[:14].isna().all()


def test_every_output_column_is_documented() -> None:
    assert list(COLUMN_DOCS) == list(OUTPUT_COLUMNS)
    assert all(text.strip() and "\n" not in text for text in COLUMN_DOCS.values())
    assert set(OUTPUT_COLUMNS.values()) <= {"string", "date", "timestamp", "double"}
    assert list(INPUT_COLUMNS) == ["symbol", "trade_date", "ts", "open", "high", "low", "close", "volume"]
    assert set(FEATURE_COLUMNS) <= set(OUTPUT_COLUMNS)


def test_missing_input_columns_are_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"lack the column\(s\) \['volume'\]"):
        analyse_window(bars(30).drop(columns="volume"), dt.date(2025, 1, 27), P, NO_MODEL)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rsi_buy": 70, "rsi_sell": 30}, "rsi_buy < rsi_sell"),
        ({"rsi_buy": 50, "rsi_sell": 50}, "rsi_buy < rsi_sell"),
        ({"rsi_buy": 0}, "0 < rsi_buy"),
        ({"rsi_sell": 100}, "rsi_sell < 100"),
        ({"bb_period": 1}, "bb_period must be a whole number of bars >= 2"),
        ({"rsi_period": 14.5}, "rsi_period must be a whole number"),
        ({"volume_window": 0}, "volume_window"),
        ({"bb_stddev": 0.0}, "bb_stddev must be a positive number"),
        ({"bb_stddev": NAN}, "bb_stddev"),
        ({"sma_fast": 50, "sma_slow": 20}, "sma_slow"),
        ({"macd_fast": 26, "macd_slow": 12}, "macd_fast"),
    ],
)
def test_parameters_are_checked(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RsiBollingerParams(**kwargs)


def test_numpy_integers_are_whole_numbers_of_bars() -> None:
    assert RsiBollingerParams(rsi_period=np.int64(7)).rsi_period == 7
