"""One symbol's incremental indicator run, as the dbt Python models call it through applyInPandas.

The model hands each affected symbol one frame: its history bars (``is_new`` false: the bars just
before the first bar to compute, at most ``HISTORY_BARS`` of them, or all while the series is
shorter) followed by the new bars, ordered by time, with ``prev_st_*`` columns holding the state
stored on the symbol's last kept indicator row (the same on every row; null on a first run). The
result is the new rows with the indicator columns and the ``st_*`` state on the last row.

``corr_spy_60``: the 60-day correlation of the symbol's daily log returns with SPY's, over the
dates both have a close (crypto trades on weekends, SPY does not): log returns are taken between
consecutive common dates, then the rolling Pearson correlation of the last 60 pairs. A windowed
value: recomputed from the history, which must hold at least 61 common dates before a new bar for
the value to equal a full pass (200 history bars hold at least 138 trading days).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optlake.analytics import indicators as ind
from optlake.analytics.frames import daily_frame, intraday_frame
from optlake.analytics.state import STATE_PREFIX, DailyState, IntradayState

PREVIOUS = "prev_"
CORR_WINDOW = 60


def corr_to_reference(close: np.ndarray, reference: np.ndarray, window: int = CORR_WINDOW) -> np.ndarray:
    """Rolling correlation of log returns with a reference series, over the rows where both exist."""
    both = ~np.isnan(close) & ~np.isnan(reference)
    out = np.full(len(close), np.nan)
    idx = np.flatnonzero(both)
    if len(idx) > window:
        corr = ind.rolling_corr(ind.log_returns(close[idx]), ind.log_returns(reference[idx]), window)
        out[idx] = corr
    return out


def _state_row(frame: pd.DataFrame, names: list[str]) -> dict | None:
    """The carried state on the frame's first row, or None when the symbol has none (first run)."""
    first = frame.iloc[0]
    row = {name: first.get(PREVIOUS + name) for name in names}
    count = row.get(f"{STATE_PREFIX}bar_count")
    return None if count is None or pd.isna(count) else row


def _split(frame: pd.DataFrame, order: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = frame.sort_values(order, kind="stable").reset_index(drop=True)
    new = frame["is_new"].astype(bool).to_numpy()
    return frame[~new].reset_index(drop=True), frame[new].reset_index(drop=True)


def daily_run(frame: pd.DataFrame) -> pd.DataFrame:
    """The daily indicators of one symbol's new bars (see the module docstring)."""
    history, new = _split(frame, "trade_date")
    state = _state_row(frame, DailyState.column_names())
    out = daily_frame(new, history if state is not None else None, state)
    both = pd.concat([history, new], ignore_index=True)
    corr = corr_to_reference(
        both["close"].to_numpy(dtype=np.float64), both["spy_close"].to_numpy(dtype=np.float64, na_value=np.nan)
    )
    out["corr_spy_60"] = corr[len(history) :]
    return out


def intraday_run(frame: pd.DataFrame) -> pd.DataFrame:
    """The intraday indicators of one symbol's new 5-minute bars (frames carry ``session``)."""
    history, new = _split(frame, "ts_start")
    state = _state_row(frame, IntradayState.column_names())
    return intraday_frame(new, history if state is not None else None, state)
