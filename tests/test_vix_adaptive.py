"""VIXAdaptiveStrategy (optlake.strategies.vix_adaptive): thresholds, decisions, grades and beta, by hand."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pandas as pd
import pytest

from optlake.strategies.vix_adaptive import (
    OUTPUT_COLUMNS,
    VixAdaptiveParams,
    analyse_window,
    grade,
    rolling_fit,
    vix_threshold,
)

P = VixAdaptiveParams()


def test_the_threshold_is_the_base_up_to_the_reference_vix_then_widens_in_proportion() -> None:
    assert vix_threshold(12, P) == 1.5 and vix_threshold(20, P) == 1.5
    assert vix_threshold(30, P) == pytest.approx(2.25) and vix_threshold(40, P) == pytest.approx(3.0)
    assert vix_threshold(40, VixAdaptiveParams(vix_sensitivity=2)) == pytest.approx(6.0)  # 1.5 * 2^2
    grid = [vix_threshold(v, P) for v in np.linspace(5, 80, 200)]
    assert all(b >= a for a, b in itertools.pairwise(grid))
    assert math.isnan(vix_threshold(float("nan"), P)) and math.isnan(vix_threshold(None, P))


def test_grades_at_the_edges_of_the_points_table() -> None:
    assert grade(3.0, 2.0, 0.3, 1.0) == "A"  # 1.5x the threshold: 2 + fit 1 + liquidity 1
    assert grade(2.99, 2.0, 0.3, 1.0) == "B"  # just under 1.5x: 1 + 1 + 1
    assert grade(-2.0, 2.0, 0.29, 1.0) == "C"  # at the threshold (SELL side): 1 + 0 + 1
    assert grade(1.99, 2.0, 0.9, float("nan")) == "D"  # below the threshold, no liquidity: 0 + 1 + 0
    assert grade(float("nan"), 2.0, 0.5, 1.0) is None and grade(1.0, float("nan"), 0.5, 1.0) is None


def test_rolling_beta_recovers_a_known_beta() -> None:
    rng = np.random.default_rng(3)
    m = rng.normal(0, 1e-3, 2000)
    r = 1.3 * m + rng.normal(0, 1e-3, 2000)  # R^2 = 1.69 / 2.69 = 0.628
    beta, r2, sigma = rolling_fit(r, m, 500)
    assert np.isnan(beta[:499]).all() and np.isfinite(beta[499:]).all()
    assert np.abs(beta[499:] - 1.3).max() < 0.15 and abs(np.median(beta[499:]) - 1.3) < 0.03
    assert abs(np.median(r2[499:]) - 1.69 / 2.69) < 0.05 and abs(np.median(sigma[499:]) - 1e-3) < 1e-4
    # a missing pair is skipped: the fit is over the last 500 pairs with both returns
    r[1000] = np.nan
    b2, _, _ = rolling_fit(r, m, 500)
    assert b2[1000] == b2[999] and np.isfinite(b2[1001])


def window(symbol_moves: list[float], vix: float = 15.0, days: int = 2) -> pd.DataFrame:
    """Two sessions of bars: SPX and the symbol move together (beta 1 plus noise), then the symbol's own
    log-moves ``symbol_moves`` in the last bars of the second day."""
    rng = np.random.default_rng(11)
    n = 78 * days
    m = rng.normal(0, 1e-3, n)
    r = m + rng.normal(0, 5e-4, n)
    r[n - len(symbol_moves) :] = m[n - len(symbol_moves) :] + np.array(symbol_moves)
    start = dt.datetime(2025, 1, 27, 14, 30)
    ts = [start + dt.timedelta(days=i // 78, minutes=5 * (i % 78)) for i in range(n)]
    return pd.DataFrame(
        {
            "symbol": "AAPL",
            "trade_date": [t.date() for t in ts],
            "ts_start": ts,
            "close": 100 * np.exp(np.cumsum(r)),
            "volume": 1000.0,
            "spx_close": 5000 * np.exp(np.cumsum(m)),
            "vix_close": vix,
        }
    )


def test_decisions_follow_the_residual_move_and_the_vix() -> None:
    day2 = dt.date(2025, 1, 28)
    quiet = analyse_window(window([]), day2, P)
    assert list(quiet.columns) == list(OUTPUT_COLUMNS) and len(quiet) == 78
    assert set(quiet["trade_date"]) == {day2}
    assert (quiet["beta"].between(0.8, 1.2)).all()  # a full session of pairs precedes every day-2 bar
    jump = analyse_window(window([0.004] * 6), day2, P).iloc[-1]  # +2.4% residual over 30 minutes
    assert jump["signal"] == "BUY" and jump["signal_strength"] > 3 and jump["hold_reason"] is None
    drop = analyse_window(window([-0.004] * 6), day2, P).iloc[-1]
    assert drop["signal"] == "SELL" and drop["signal_strength"] < -3
    # the same move at a VIX of 200 needs z > 15: a HOLD
    calm = analyse_window(window([0.004] * 6, vix=200.0), day2, P).iloc[-1]
    assert calm["threshold"] == pytest.approx(15.0) and calm["signal"] == "HOLD"
    assert calm["hold_reason"] == "below_threshold"


def test_decisions_at_the_threshold_and_the_hold_reasons() -> None:
    day2 = dt.date(2025, 1, 28)
    base = analyse_window(window([0.004] * 6), day2, P).iloc[-1]
    z = base["signal_strength"]
    at = analyse_window(window([0.004] * 6, vix=20 * z / 1.5), day2, P).iloc[-1]  # threshold == z
    assert at["threshold"] == pytest.approx(z) and at["signal"] == "HOLD"
    above = analyse_window(window([0.004] * 6, vix=20 * z / 1.5 * 0.999), day2, P).iloc[-1]
    assert above["signal"] == "BUY"
    no_vix = window([0.004] * 6)
    no_vix["vix_close"] = np.nan
    assert set(analyse_window(no_vix, day2, P)["hold_reason"]) == {"no_vix"}
    first_day = analyse_window(window([]), dt.date(2025, 1, 27), P)
    assert set(first_day["hold_reason"][:77]) == {"no_beta"} and set(first_day["signal"]) == {"HOLD"}
    assert first_day["grade"][:77].isna().all()


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="beta_window"):
        VixAdaptiveParams(beta_window=1)
    with pytest.raises(ValueError, match="base_threshold"):
        VixAdaptiveParams(base_threshold=0)
