"""The pandas edge: frames in, indicator columns and last-row state out; two runs equal one."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optlake.analytics import DAILY_COLUMNS, DAILY_STATE_COLUMNS, INTRADAY_COLUMNS, INTRADAY_STATE_COLUMNS
from optlake.analytics.frames import daily_frame, intraday_frame


def bars_frame(n: int, seed: int = 0, sessions: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    frame = pd.DataFrame(
        {
            "trade_date": pd.date_range("2024-01-01", periods=n, freq="D"),
            "open": close,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "volume": rng.integers(1, 1000, n),
        }
    )
    if sessions:
        frame["session"] = np.repeat(np.arange(n // 78 + 1), 78)[:n]
    else:
        frame["benchmark_close"] = 4000 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
        frame["risk_free"] = 5.0
    return frame


def test_daily_frame_two_runs_equal_one() -> None:
    frame = bars_frame(500)
    full = daily_frame(frame)
    assert list(full.columns[-len(DAILY_STATE_COLUMNS) :]) == DAILY_STATE_COLUMNS
    assert full["st_bar_count"].isna().sum() == 499 and full["st_bar_count"].iloc[-1] == 500
    first = daily_frame(frame.iloc[:300])
    state_row = first.iloc[-1].to_dict()
    second = daily_frame(frame.iloc[300:], frame.iloc[100:300], state_row)
    both = pd.concat([first, second], ignore_index=True)
    pd.testing.assert_frame_equal(both[DAILY_COLUMNS], full[DAILY_COLUMNS])
    pd.testing.assert_series_equal(
        second.iloc[-1][DAILY_STATE_COLUMNS], full.iloc[-1][DAILY_STATE_COLUMNS], check_names=False
    )


def test_intraday_frame_two_runs_equal_one() -> None:
    frame = bars_frame(78 * 5, sessions=True)
    full = intraday_frame(frame)
    assert list(full.columns[-len(INTRADAY_STATE_COLUMNS) :]) == INTRADAY_STATE_COLUMNS
    first = intraday_frame(frame.iloc[:250])
    second = intraday_frame(frame.iloc[250:], frame.iloc[50:250], first.iloc[-1].to_dict())
    both = pd.concat([first, second], ignore_index=True)
    pd.testing.assert_frame_equal(both[INTRADAY_COLUMNS], full[INTRADAY_COLUMNS])


def test_state_from_a_row_with_nulls_takes_the_defaults() -> None:
    from optlake.analytics import IntradayState

    state = IntradayState.from_columns({"st_session_id": pd.NA, "st_bar_count": np.int64(5), "st_obv": np.float64(3)})
    assert state.session_id is None and state.bar_count == 5 and state.obv == 3.0
    assert np.isnan(state.ema_12) and state.vwap_pv == 0.0
