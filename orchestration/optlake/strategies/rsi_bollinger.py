"""RSIBollingerStrategy (the old streaming processor's rules), with a model scorer and rule fallback.

``analyse_window(bars, output_day, params, scorer)`` takes ONE symbol's bars over its window (the
calendar days [output_day - lookback_days, output_day]), sorted by ``ts``, and returns the rows of
``output_day`` (columns OUTPUT_COLUMNS). The indicators are TA-Lib's (optlake.analytics.indicators),
seeded at the window's first bar as TA-Lib seeds them on that series, so a day's rows depend on its
window only.

Rule, per bar (strict inequalities: RSI exactly 30 or a close exactly on the band is a HOLD):
  BUY   rsi < rsi_buy (30)  and close < bb_lower
  SELL  rsi > rsi_sell (70) and close > bb_upper
  HOLD  otherwise, and whenever the close, RSI or the bands are not defined (NaN)
Rule confidence, in [0, 1], with %b = (close - bb_lower) / (bb_upper - bb_lower):
  BUY   0.5 + 0.5 * min(1, 2 * ((rsi_buy - rsi) / rsi_buy - %b)): how far RSI is past its threshold
        (a share of the way to 0) plus how far the close is below the lower band (in band widths);
        0.5 at the edge of both conditions, 1 when the two add up to half or more
  SELL  0.5 + 0.5 * min(1, 2 * ((rsi - rsi_sell) / (100 - rsi_sell) + %b - 1)), the mirror
  HOLD  1 - max(near_buy, near_sell), the strength of the nearest signal, with
          near_buy  = clip((rsi_buy + NEAR_RSI - rsi) / NEAR_RSI, 0, 1) * clip(1 - %b, 0, 1)
          near_sell = clip((rsi - rsi_sell + NEAR_RSI) / NEAR_RSI, 0, 1) * clip(%b, 0, 1)
        and NEAR_RSI = 20 RSI points: 1 in the middle of the range (RSI 50 with the default
        thresholds), falling as RSI and the close approach a signal
  0.5   while the close, RSI or the bands are undefined (the rule cannot tell)
When the bands coincide (bb_upper = bb_lower, a constant window) the band term of BUY and SELL counts
0 and HOLD takes %b = 0.5.

Feature vector (FEATURE_COLUMNS, the scorer's input, in this order; NaN while undefined):
  price          close_t
  momentum       ln(close_t / close_{t-k}), k = momentum_bars (10); NaN for the first k bars
  volatility     sample std (ddof 1) of the last n one-bar log returns r_t = ln(close_t / close_{t-1}),
                 n = volatility_bars (20); first defined at the (n+1)-th bar
  volume_ratio   volume_t / mean(volume_{t-w} .. volume_{t-1}), w = volume_window (20): the bar's
                 volume over the mean of the w bars before it (the bar itself left out); NaN for the
                 first w bars and when that mean is 0
  rsi            RSI(rsi_period = 14), Wilder's, TA-Lib's
  macd           MACD line, EMA(macd_fast = 12) - EMA(macd_slow = 26) (TA-Lib alignment: defined
                 from the bar where the signal is, index macd_slow + macd_signal - 2 = 33)
  macd_hist      MACD line - signal, signal = EMA(macd_signal = 9) of the line
  bb_position    %b = (close - bb_lower) / (bb_upper - bb_lower); NaN when the bands coincide
  sma_fast_gap   close / SMA(sma_fast = 20) - 1
  sma_slow_gap   close / SMA(sma_slow = 50) - 1
Bollinger bands (bb_period = 20, bb_stddev = 2, TA-Lib BBANDS with an SMA):
  bb_middle = SMA(close, 20), bb_upper / bb_lower = bb_middle +/- 2 * population std of the 20 closes.
Prices enter the features as they are (price, and the gaps relative to the SMAs); a model trained on
one price level sees another only through ``price``.
A row with any feature undefined is not sent to a model (fallback_reason features_incomplete): with
the defaults, the first 50 bars of a window (SMA(50)).

Decision: with a loaded scorer (optlake.strategies.scorer), the model's label and its probability
decide each complete row (decision_source 'model', fallback_reason null); otherwise the rule decides
(decision_source 'rule', fallback_reason: no_model_configured, model_file_missing, model_unreadable,
feature_mismatch, scoring_failed or features_incomplete). Both answers are kept (rule_signal and
rule_confidence, model_signal and model_confidence, null where no model scored the row).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from optlake.analytics import indicators as ta

STRATEGY_NAME = "RSIBollingerStrategy"
BUY, SELL, HOLD = "BUY", "SELL", "HOLD"
#: RSI points before a threshold where a HOLD's confidence starts to fall (module docstring).
NEAR_RSI = 20.0
#: Confidence of a rule that cannot tell (close, RSI or bands undefined).
UNDEFINED_CONFIDENCE = 0.5

#: The input columns the function reads, with their Spark SQL types.
INPUT_COLUMNS: dict[str, str] = {
    "symbol": "string",
    "trade_date": "date",
    "ts": "timestamp",
    "open": "double",
    "high": "double",
    "low": "double",
    "close": "double",
    "volume": "double",
}

#: The feature vector a scorer model receives, in this order (formulas: module docstring).
FEATURE_COLUMNS: list[str] = [
    "price",
    "momentum",
    "volatility",
    "volume_ratio",
    "rsi",
    "macd",
    "macd_hist",
    "bb_position",
    "sma_fast_gap",
    "sma_slow_gap",
]

#: One line per output column (the dbt docs are generated from it).
COLUMN_DOCS: dict[str, str] = {
    "symbol": "The bar's symbol.",
    "trade_date": "The bar's trading day (the output day of its window).",
    "ts": "Start of the bar (UTC); midnight of the day for daily bars.",
    "close": "The bar's close: the price the rule compares with the bands.",
    "price": "Feature: the close.",
    "momentum": "Feature: ln(close_t / close_{t-k}), k = momentum_bars (10).",
    "volatility": "Feature: sample standard deviation (ddof 1) of the last volatility_bars (20) one-bar log returns "
    "ln(close_t / close_{t-1}).",
    "volume_ratio": "Feature: volume_t / mean(volume_{t-w} .. volume_{t-1}), w = volume_window (20): the bar's volume "
    "over the mean of the w bars before it; null when that mean is 0.",
    "rsi": "RSI(rsi_period = 14): TA-Lib's Wilder RSI, 100 * avg_gain / (avg_gain + avg_loss), seeded at the "
    "window's first bar.",
    "macd": "Feature: MACD line, EMA(12) - EMA(26) of the closes (TA-Lib MACD alignment).",
    "macd_hist": "Feature: MACD histogram, line - signal, signal = EMA(9) of the line.",
    "bb_upper": "Upper Bollinger band: bb_middle + bb_stddev (2) * population std of the last bb_period (20) closes.",
    "bb_middle": "Middle Bollinger band: SMA(bb_period = 20) of the closes.",
    "bb_lower": "Lower Bollinger band: bb_middle - bb_stddev (2) * population std of the last bb_period (20) closes.",
    "bb_position": "Feature: %b = (close - bb_lower) / (bb_upper - bb_lower); null when the bands coincide.",
    "sma_fast_gap": "Feature: close / SMA(sma_fast = 20) - 1.",
    "sma_slow_gap": "Feature: close / SMA(sma_slow = 50) - 1.",
    "rule_signal": "The rule's answer: BUY when rsi < rsi_buy (30) and close < bb_lower, SELL when rsi > rsi_sell "
    "(70) and close > bb_upper, else HOLD (also while rsi or the bands are null).",
    "rule_confidence": "The rule's confidence in [0, 1]: BUY 0.5 + 0.5 * min(1, 2 * ((rsi_buy - rsi) / rsi_buy - "
    "%b)), SELL the mirror, HOLD 1 - the nearest signal's strength, 0.5 while undefined "
    "(optlake.strategies.rsi_bollinger).",
    "model_signal": "The model's label (HOLD, BUY or SELL); null when no model scored the row.",
    "model_confidence": "The model's probability of its label (the largest class probability); null when no model "
    "scored the row.",
    "signal": "The decision: model_signal where decision_source = 'model', else rule_signal.",
    "confidence": "The decision's confidence: model_confidence where decision_source = 'model', else rule_confidence.",
    "decision_source": "Which decided the row: 'model' or 'rule'.",
    "fallback_reason": "Why the rule decided: no_model_configured, model_file_missing, model_unreadable, "
    "feature_mismatch, scoring_failed or features_incomplete; null when the model decided.",
    "strategy_name": "Always 'RSIBollingerStrategy'.",
}

#: Output columns, in order, with their Spark SQL types.
OUTPUT_COLUMNS: dict[str, str] = {
    "symbol": "string",
    "trade_date": "date",
    "ts": "timestamp",
    "close": "double",
    "price": "double",
    "momentum": "double",
    "volatility": "double",
    "volume_ratio": "double",
    "rsi": "double",
    "macd": "double",
    "macd_hist": "double",
    "bb_upper": "double",
    "bb_middle": "double",
    "bb_lower": "double",
    "bb_position": "double",
    "sma_fast_gap": "double",
    "sma_slow_gap": "double",
    "rule_signal": "string",
    "rule_confidence": "double",
    "model_signal": "string",
    "model_confidence": "double",
    "signal": "string",
    "confidence": "double",
    "decision_source": "string",
    "fallback_reason": "string",
    "strategy_name": "string",
}


@dataclass(frozen=True)
class RsiBollingerParams:
    """Thresholds and periods (in bars). Every period is an int >= 2; 0 < rsi_buy < rsi_sell < 100;
    bb_stddev > 0; macd_fast < macd_slow; sma_fast < sma_slow."""

    rsi_period: int = 14
    rsi_buy: float = 30.0
    rsi_sell: float = 70.0
    bb_period: int = 20
    bb_stddev: float = 2.0
    momentum_bars: int = 10
    volatility_bars: int = 20
    volume_window: int = 20
    sma_fast: int = 20
    sma_slow: int = 50
    macd_fast: int = 12
    macd_slow: int = 26
    macd_signal: int = 9

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.type == "int" and (
                isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 2
            ):
                raise ValueError(f"{field.name} must be a whole number of bars >= 2, got {value!r}")
        if not 0 < self.rsi_buy < self.rsi_sell < 100:
            raise ValueError(f"need 0 < rsi_buy < rsi_sell < 100, got rsi_buy {self.rsi_buy}, rsi_sell {self.rsi_sell}")
        if not (self.bb_stddev > 0 and math.isfinite(self.bb_stddev)):
            raise ValueError(f"bb_stddev must be a positive number, got {self.bb_stddev}")
        if self.macd_fast >= self.macd_slow:
            raise ValueError(f"macd_fast ({self.macd_fast}) must be shorter than macd_slow ({self.macd_slow})")
        if self.sma_fast >= self.sma_slow:
            raise ValueError(f"sma_slow ({self.sma_slow}) must be longer than sma_fast ({self.sma_fast})")


def _require(bars: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in bars.columns]
    if missing:
        raise ValueError(f"bars lack the column(s) {missing}; need {list(INPUT_COLUMNS)}")


def _log_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """ln(numerator / denominator) elementwise with the C library's log (as indicators.log_returns, so a
    value does not depend on its position in the array); NaN where the ratio is not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    return np.array([math.log(v) if v > 0.0 and math.isfinite(v) else math.nan for v in ratio.tolist()])


def features(bars: pd.DataFrame, params: RsiBollingerParams) -> pd.DataFrame:
    """FEATURE_COLUMNS and the Bollinger bands of one symbol's bars (in ts order), on ``bars``' index.

    Every indicator is seeded at the first bar given (as TA-Lib on that series); NaN where undefined.
    """
    _require(bars, ["close", "volume"])
    close = bars["close"].to_numpy(dtype=np.float64)
    volume = bars["volume"].to_numpy(dtype=np.float64)
    n = len(close)
    bands = ta.bollinger(close, params.bb_period, params.bb_stddev)
    rsi, _ = ta.rsi(close, params.rsi_period)
    line, _, hist, _ = ta.macd(close, params.macd_fast, params.macd_slow, params.macd_signal)
    k = params.momentum_bars
    momentum = np.full(n, np.nan)
    if n > k:
        momentum[k:] = _log_ratio(close[k:], close[:-k])
    volatility = ta.rolling_std(ta.log_returns(close), params.volatility_bars, ddof=1)
    # mean of the volume_window bars before t = SMA of the volumes ending at t-1
    previous = np.concatenate(([np.nan], ta.sma(volume, params.volume_window)[:-1])) if n else np.empty(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        volume_ratio = np.where(previous > 0, volume / previous, np.nan)
        fast_gap = close / ta.sma(close, params.sma_fast) - 1.0
        slow_gap = close / ta.sma(close, params.sma_slow) - 1.0
    return pd.DataFrame(
        {
            "price": close,
            "momentum": momentum,
            "volatility": volatility,
            "volume_ratio": volume_ratio,
            "rsi": rsi,
            "macd": line,
            "macd_hist": hist,
            "bb_upper": bands.upper,
            "bb_middle": bands.middle,
            "bb_lower": bands.lower,
            "bb_position": bands.pct_b,
            "sma_fast_gap": fast_gap,
            "sma_slow_gap": slow_gap,
        },
        index=bars.index,
    )


def rule_signals(
    close: Any, rsi: Any, bb_upper: Any, bb_lower: Any, params: RsiBollingerParams
) -> tuple[np.ndarray, np.ndarray]:
    """(signal, confidence) of the rule (module docstring), elementwise over array-likes of one length.

    ``signal``: object array of BUY/SELL/HOLD; ``confidence``: floats in [0, 1].
    """
    close, rsi, upper, lower = (np.asarray(a, dtype=np.float64) for a in (close, rsi, bb_upper, bb_lower))
    defined = np.isfinite(close) & np.isfinite(rsi) & np.isfinite(upper) & np.isfinite(lower)
    buy = defined & (rsi < params.rsi_buy) & (close < lower)
    sell = defined & (rsi > params.rsi_sell) & (close > upper)
    signal = np.where(buy, BUY, np.where(sell, SELL, HOLD)).astype(object)
    band = upper - lower
    spread = band > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        pct_b = np.where(spread, (close - lower) / band, 0.5)
        below = np.where(spread, -pct_b, 0.0)  # how far below the lower band, in band widths
        above = np.where(spread, pct_b - 1.0, 0.0)  # how far above the upper band
        buy_depth = (params.rsi_buy - rsi) / params.rsi_buy + below
        sell_depth = (rsi - params.rsi_sell) / (100.0 - params.rsi_sell) + above
        near_buy = np.clip((params.rsi_buy + NEAR_RSI - rsi) / NEAR_RSI, 0, 1) * np.clip(1.0 - pct_b, 0, 1)
        near_sell = np.clip((rsi - params.rsi_sell + NEAR_RSI) / NEAR_RSI, 0, 1) * np.clip(pct_b, 0, 1)
        confidence = np.where(
            buy,
            0.5 + 0.5 * np.minimum(1.0, 2.0 * buy_depth),
            np.where(sell, 0.5 + 0.5 * np.minimum(1.0, 2.0 * sell_depth), 1.0 - np.maximum(near_buy, near_sell)),
        )
    return signal, np.where(defined, np.clip(confidence, 0.0, 1.0), UNDEFINED_CONFIDENCE)


def _as_date(value: Any) -> dt.date:
    """A date from a datetime.date, datetime, pandas Timestamp, numpy datetime64 or ISO text."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return pd.Timestamp(value).date()


def _dates(column: pd.Series) -> np.ndarray:
    """The column's values as datetime.date (Spark hands DateType over as datetime.date objects)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.dt.date.to_numpy()
    return np.array([_as_date(v) if v is not None and v is not pd.NaT else None for v in column], dtype=object)


def analyse_window(bars: pd.DataFrame, output_day: Any, params: RsiBollingerParams, scorer: Any) -> pd.DataFrame:
    """The ``output_day`` rows of one symbol's window (module docstring), columns exactly OUTPUT_COLUMNS.

    ``bars``: INPUT_COLUMNS of one symbol over [output_day - lookback_days, output_day] (sorted here by
    ts, stably). ``scorer``: what optlake.strategies.scorer.load_scorer returned (a scorer, or why there
    is none); rows the model does not decide are decided by the rule.
    """
    from optlake.strategies.scorer import score

    _require(bars, list(INPUT_COLUMNS))
    bars = bars.sort_values("ts", kind="stable").reset_index(drop=True)
    found = features(bars, params)
    rule, rule_confidence = rule_signals(found["price"], found["rsi"], found["bb_upper"], found["bb_lower"], params)
    today = _dates(bars["trade_date"]) == _as_date(output_day)
    labels, probabilities, reasons = score(scorer, found.loc[today, FEATURE_COLUMNS])
    out = found.loc[today].reset_index(drop=True)
    out.insert(0, "symbol", bars.loc[today, "symbol"].to_numpy())
    out.insert(1, "trade_date", bars.loc[today, "trade_date"].to_numpy())
    out.insert(2, "ts", bars.loc[today, "ts"].to_numpy())
    out.insert(3, "close", out["price"])
    out["rule_signal"] = rule[today]
    out["rule_confidence"] = rule_confidence[today]
    out["model_signal"] = labels
    out["model_confidence"] = probabilities
    by_model = pd.isna(reasons)
    out["signal"] = np.where(by_model, labels, out["rule_signal"].to_numpy())
    out["confidence"] = np.where(by_model, probabilities, out["rule_confidence"].to_numpy())
    out["decision_source"] = np.where(by_model, "model", "rule").astype(object)
    out["fallback_reason"] = reasons
    out["strategy_name"] = STRATEGY_NAME
    return out[list(OUTPUT_COLUMNS)]
