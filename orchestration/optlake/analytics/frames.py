"""Thin pandas edge for ``groupBy(symbol).applyInPandas``: one symbol's rows in, indicator rows out.

Input frames hold one symbol's bars in time order with the columns ``open, high, low, close, volume`` and,
for the daily set, optionally ``benchmark_close`` (SPX close) and ``risk_free`` (^IRX, percent); for the
intraday set ``session`` (an integer id per session). The output is a copy of the new rows with every
indicator column added, and the state columns (``st_...``) filled on the last row only (null elsewhere):
that row is the one the next run reads its state from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from optlake.analytics.bars import DailyBars, IntradayBars
from optlake.analytics.daily import compute_daily
from optlake.analytics.intraday import compute_intraday
from optlake.analytics.state import DailyState, IntradayState, TechState

_OHLCV = ["open", "high", "low", "close", "volume"]


def _column(frame: pd.DataFrame, name: str) -> np.ndarray | None:
    return frame[name].to_numpy(dtype=np.float64, na_value=np.nan) if name in frame else None


def _daily_bars(frame: pd.DataFrame) -> DailyBars:
    return DailyBars(
        *(frame[c].to_numpy(dtype=np.float64) for c in _OHLCV),
        benchmark_close=_column(frame, "benchmark_close"),
        risk_free=_column(frame, "risk_free"),
    )


def _intraday_bars(frame: pd.DataFrame) -> IntradayBars:
    return IntradayBars(*(frame[c].to_numpy(dtype=np.float64) for c in _OHLCV), session=frame["session"].to_numpy())


def _with_columns(new: pd.DataFrame, cols: dict[str, np.ndarray], state: TechState) -> pd.DataFrame:
    out = new.copy()
    for name, values in cols.items():
        out[name] = values
    last = len(out) - 1
    for name, value in state.to_columns().items():
        if isinstance(value, int) or value is None:
            col = pd.array([None] * len(out), dtype="Int64")
            if last >= 0 and value is not None:
                col[last] = value
        else:
            col = np.full(len(out), np.nan)
            if last >= 0 and not math.isnan(value):
                col[last] = value
        out[name] = col
    return out


def daily_frame(
    new: pd.DataFrame, history: pd.DataFrame | None = None, state_row: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """``compute_daily`` on frames: ``history`` = the previous bars (the last 200, or all), ``state_row`` = the
    ``st_`` columns of the symbol's last stored indicator row (None on a first run)."""
    state = DailyState.from_columns(state_row) if state_row is not None else None
    hist = _daily_bars(history) if history is not None and len(history) else None
    cols, new_state = compute_daily(_daily_bars(new), hist, state)
    return _with_columns(new, cols, new_state)


def intraday_frame(
    new: pd.DataFrame, history: pd.DataFrame | None = None, state_row: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """``compute_intraday`` on frames (same conventions as ``daily_frame``; frames need a ``session`` column)."""
    state = IntradayState.from_columns(state_row) if state_row is not None else None
    hist = _intraday_bars(history) if history is not None and len(history) else None
    cols, new_state = compute_intraday(_intraday_bars(new), hist, state)
    return _with_columns(new, cols, new_state)
