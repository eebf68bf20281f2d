"""RSIBollingerStrategy (the old streaming processor's rules), with a model scorer and rule fallback.

``analyse_window(bars, output_day, params, scorer)`` takes ONE symbol's bars over its window (the
calendar days [output_day - lookback_days, output_day]), sorted by ``ts``, and returns the rows of
``output_day``. The indicators are TA-Lib's (optlake.analytics.indicators), seeded at the window's
first bar as TA-Lib seeds them on that series, so a day's rows depend on its window only.

Rule, per bar (strict inequalities: RSI exactly 30 or a close exactly on the band is a HOLD):
  BUY   rsi < rsi_buy (30)  and close < bb_lower
  SELL  rsi > rsi_sell (70) and close > bb_upper
  HOLD  otherwise, and whenever RSI or the bands are not yet defined (NaN)
Rule confidence, in [0, 1], with %b = (close - bb_lower) / (bb_upper - bb_lower) (0.5 when the
bands coincide):
  BUY   0.5 + 0.5 * min(1, 2 * ((rsi_buy - rsi) / rsi_buy - %b)): 0.5 at the edge of both
        conditions, 1 when RSI and the close are together half a range past them
  SELL  0.5 + 0.5 * min(1, 2 * ((rsi - rsi_sell) / (100 - rsi_sell) + %b - 1)), the mirror
  HOLD  1 - max(near_buy, near_sell), near_buy = clip((rsi_buy + 20 - rsi) / 20, 0, 1) * clip(1 - %b,
        0, 1), near_sell = clip((rsi - rsi_sell + 20) / 20, 0, 1) * clip(%b, 0, 1): 1 in the middle
        of the range (RSI 50), falling as RSI and the close approach a signal
  0.5 while RSI or the bands are undefined

Feature vector (FEATURE_COLUMNS, the scorer's input, in this order):
  price          close
  momentum       ln(close_t / close_{t-10})
  volatility     sample std (ddof 1) of the last 20 one-bar log returns
  volume_ratio   volume / mean volume of the 20 bars before this one
  rsi            RSI(14)
  macd           MACD line (12, 26)
  macd_hist      MACD line - signal (9)
  bb_position    %b = (close - bb_lower) / (bb_upper - bb_lower)
  sma_fast_gap   close / SMA(20) - 1
  sma_slow_gap   close / SMA(50) - 1
A row with any feature undefined is not sent to a model (fallback_reason features_incomplete).

Decision: with a loaded scorer (optlake.strategies.scorer), the model's label and its probability
decide each complete row (decision_source 'model'); otherwise the rule decides (decision_source
'rule', fallback_reason: no_model_configured, model_file_missing, model_unreadable,
feature_mismatch, scoring_failed or features_incomplete). Both the rule's and the model's answers
are kept (rule_signal, model_signal, model_confidence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optlake.analytics import indicators as ta

STRATEGY_NAME = "RSIBollingerStrategy"

INPUT_COLUMNS = {
    "symbol": "string",
    "trade_date": "date",
    "ts": "timestamp",
    "open": "double",
    "high": "double",
    "low": "double",
    "close": "double",
    "volume": "double",
}

FEATURE_COLUMNS = [
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

COLUMN_DOCS = {
    "symbol": "The bar's symbol.",
    "trade_date": "The bar's trading day (partition column).",
    "ts": "Start of the bar (UTC); midnight of the day for daily bars.",
    "close": "The bar's close: the price the rules compare.",
    "price": "Feature: the close.",
    "momentum": "Feature: ln(close_t / close_{t-10}).",
    "volatility": "Feature: sample standard deviation of the last 20 one-bar log returns.",
    "volume_ratio": "Feature: volume / mean volume of the 20 bars before this one.",
    "rsi": "RSI(rsi_period = 14), TA-Lib's Wilder RSI seeded at the window's first bar.",
    "macd": "Feature: MACD line, EMA(12) - EMA(26) (TA-Lib alignment).",
    "macd_hist": "Feature: MACD line - its EMA(9) signal.",
    "bb_upper": "Upper Bollinger band: SMA(20) + 2 population sd of the last 20 closes.",
    "bb_middle": "Middle Bollinger band: SMA(20) of the closes.",
    "bb_lower": "Lower Bollinger band: SMA(20) - 2 population sd.",
    "bb_position": "Feature: %b = (close - bb_lower) / (bb_upper - bb_lower).",
    "sma_fast_gap": "Feature: close / SMA(20) - 1.",
    "sma_slow_gap": "Feature: close / SMA(50) - 1.",
    "rule_signal": "The rule's answer: BUY (rsi < rsi_buy and close < bb_lower), SELL (rsi > rsi_sell and close > "
    "bb_upper), else HOLD.",
    "rule_confidence": "The rule's confidence in [0, 1] (formula in optlake.strategies.rsi_bollinger).",
    "model_signal": "The model's label (HOLD/BUY/SELL); null when no model scored the row.",
    "model_confidence": "The model's probability of its label; null when no model scored the row.",
    "signal": "The decision: model_signal where the model decided, else rule_signal.",
    "confidence": "The decision's confidence: model_confidence or rule_confidence.",
    "decision_source": "model or rule: which decided this row.",
    "fallback_reason": "Why the rule decided: no_model_configured, model_file_missing, model_unreadable, "
    "feature_mismatch, scoring_failed or features_incomplete; null when the model decided.",
    "strategy_name": "Always RSIBollingerStrategy.",
}

OUTPUT_COLUMNS = {
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

    def __post_init__(self) -> None:
        for name in ("rsi_period", "bb_period", "momentum_bars", "volatility_bars", "volume_window", "sma_fast"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name} must be at least 2 bars, got {getattr(self, name)}")
        if self.sma_slow <= self.sma_fast:
            raise ValueError(f"sma_slow ({self.sma_slow}) must be longer than sma_fast ({self.sma_fast})")
        if not 0 < self.rsi_buy < self.rsi_sell < 100:
            raise ValueError(f"need 0 < rsi_buy < rsi_sell < 100, got rsi_buy {self.rsi_buy}, rsi_sell {self.rsi_sell}")
        if not self.bb_stddev > 0:
            raise ValueError(f"bb_stddev must be positive, got {self.bb_stddev}")


def features(bars: pd.DataFrame, params: RsiBollingerParams) -> pd.DataFrame:
    """The indicators and FEATURE_COLUMNS of one symbol's bars (sorted by ts); NaN where undefined."""
    close = bars["close"].to_numpy(dtype=float)
    volume = bars["volume"].to_numpy(dtype=float)
    bands = ta.bollinger(close, params.bb_period, params.bb_stddev)
    rsi, _ = ta.rsi(close, params.rsi_period)
    line, _, hist, _ = ta.macd(close)
    returns = ta.log_returns(close)
    with np.errstate(divide="ignore", invalid="ignore"):
        momentum = np.full(len(close), np.nan)
        k = params.momentum_bars
        momentum[k:] = np.log(close[k:] / close[:-k])
        previous = pd.Series(volume).shift(1).rolling(params.volume_window).mean().to_numpy()
        volume_ratio = np.where(previous > 0, volume / previous, np.nan)
        fast_gap = close / ta.sma(close, params.sma_fast) - 1
        slow_gap = close / ta.sma(close, params.sma_slow) - 1
    return pd.DataFrame(
        {
            "price": close,
            "momentum": momentum,
            "volatility": pd.Series(returns).rolling(params.volatility_bars).std(ddof=1).to_numpy(),
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
    close: np.ndarray, rsi: np.ndarray, bb_upper: np.ndarray, bb_lower: np.ndarray, params: RsiBollingerParams
) -> tuple[np.ndarray, np.ndarray]:
    """(signal, confidence) of the rule (module docstring), elementwise."""
    close, rsi, upper, lower = (np.asarray(a, dtype=float) for a in (close, rsi, bb_upper, bb_lower))
    buy = (rsi < params.rsi_buy) & (close < lower)
    sell = (rsi > params.rsi_sell) & (close > upper)
    signal = np.where(buy, "BUY", np.where(sell, "SELL", "HOLD")).astype(object)
    band = upper - lower
    with np.errstate(divide="ignore", invalid="ignore"):
        pct_b = np.where(band > 0, (close - lower) / band, 0.5)
        buy_depth = (params.rsi_buy - rsi) / params.rsi_buy - pct_b
        sell_depth = (rsi - params.rsi_sell) / (100 - params.rsi_sell) + (pct_b - 1)
        near_buy = np.clip((params.rsi_buy + 20 - rsi) / 20, 0, 1) * np.clip(1 - pct_b, 0, 1)
        near_sell = np.clip((rsi - params.rsi_sell + 20) / 20, 0, 1) * np.clip(pct_b, 0, 1)
    confidence = np.where(
        buy,
        0.5 + 0.5 * np.minimum(1, 2 * buy_depth),
        np.where(sell, 0.5 + 0.5 * np.minimum(1, 2 * sell_depth), 1 - np.maximum(near_buy, near_sell)),
    )
    undefined = ~(np.isfinite(rsi) & np.isfinite(upper) & np.isfinite(lower))
    return signal, np.where(undefined, 0.5, np.clip(confidence, 0.0, 1.0))


def analyse_window(bars: pd.DataFrame, output_day, params: RsiBollingerParams, scorer) -> pd.DataFrame:
    """The output_day rows of one symbol's window (module docstring), columns OUTPUT_COLUMNS.

    ``scorer``: what optlake.strategies.scorer.load_scorer returned (a scorer, or why there is none).
    """
    from optlake.strategies.scorer import score

    bars = bars.sort_values("ts", kind="stable").reset_index(drop=True)
    found = features(bars, params)
    rule, rule_confidence = rule_signals(
        found["price"].to_numpy(), found["rsi"].to_numpy(), found["bb_upper"], found["bb_lower"], params
    )
    today = (bars["trade_date"] == output_day).to_numpy()
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
    out["signal"] = np.where(by_model, labels, out["rule_signal"])
    out["confidence"] = np.where(by_model, probabilities, out["rule_confidence"])
    out["decision_source"] = np.where(by_model, "model", "rule")
    out["fallback_reason"] = reasons
    out["strategy_name"] = STRATEGY_NAME
    return out[list(OUTPUT_COLUMNS)]
