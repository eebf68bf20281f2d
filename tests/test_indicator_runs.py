"""One symbol's incremental run as the indicator models call it: two runs equal one, SPY correlation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optlake.analytics.runs import PREVIOUS, corr_to_reference, daily_run
from optlake.analytics.state import HISTORY_BARS, DailyState


def bars(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    spy = 600 * np.exp(np.cumsum(rng.normal(0, 0.008, n)))
    spy[rng.random(n) < 0.25] = np.nan  # days SPY does not trade (a crypto symbol's weekends)
    return pd.DataFrame(
        {
            "trade_date": pd.date_range("2024-01-01", periods=n, freq="D").date,
            "open": close * 0.999,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "volume": rng.integers(1, 1000, n).astype(float),
            "benchmark_close": spy * 10,
            "risk_free": np.full(n, 4.3),
            "spy_close": spy,
        }
    )


def frame(history: pd.DataFrame, new: pd.DataFrame, state: dict | None) -> pd.DataFrame:
    both = pd.concat([history.assign(is_new=False), new.assign(is_new=True)], ignore_index=True)
    for name in DailyState.column_names():
        both[PREVIOUS + name] = None if state is None else state[name]
    return both


def test_a_run_resumed_from_the_stored_state_equals_one_full_run() -> None:
    series = bars(500)
    full = daily_run(frame(series.iloc[:0], series, None))
    for cut in (1, 30, 199, 200, 260, 499):
        first = daily_run(frame(series.iloc[:0], series.iloc[:cut], None))
        state = {c: first[c].iloc[-1] for c in DailyState.column_names()}
        history = series.iloc[max(0, cut - HISTORY_BARS) : cut] if cut > HISTORY_BARS else series.iloc[:cut]
        second = daily_run(frame(history, series.iloc[cut:], state))
        compared = ["sma_200", "ema_12", "macd_signal", "rsi_14", "atr_14", "obv", "beta_60", "corr_spy_60"]
        both = pd.concat([first[compared], second[compared]], ignore_index=True)
        for column in compared:
            np.testing.assert_array_equal(
                both[column].to_numpy(), full[column].to_numpy(), err_msg=f"{column} at {cut}"
            )


def test_spy_correlation_uses_the_dates_both_have() -> None:
    series = bars(300)
    got = corr_to_reference(series["close"].to_numpy(), series["spy_close"].to_numpy())
    both = series.dropna(subset=["spy_close"])
    r = np.diff(np.log(both["close"].to_numpy()))
    m = np.diff(np.log(both["spy_close"].to_numpy()))
    expected = np.corrcoef(r[-60:], m[-60:])[0, 1]
    assert abs(got[both.index[-1]] - expected) < 1e-12
    assert np.isnan(got[series["spy_close"].isna().to_numpy()]).all()
    assert np.isnan(got[both.index[59]]) and not np.isnan(got[both.index[60]])  # 60 return pairs need 61 dates
