"""Incremental runs: new bars computed from (last 200 raw bars, carried state) == one full pass, bit for bit.

Each run's state goes through its table columns (``to_columns`` -> NaN as null -> ``from_columns``), as it
will between two dbt runs.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from optlake.analytics import (
    DAILY_COLUMNS,
    DAILY_STATE_COLUMNS,
    HISTORY_BARS,
    INTRADAY_COLUMNS,
    INTRADAY_STATE_COLUMNS,
    DailyBars,
    DailyState,
    IntradayBars,
    IntradayState,
    compute_daily,
    compute_intraday,
)

talib = pytest.importorskip("talib")

SPLITS = [1, 5, 13, 14, 15, 25, 26, 33, 34, 60, 63, 64, 199, 200, 201, 250, 400, 599]


def make_daily(n: int, level: float, seed: int = 0) -> DailyBars:
    rng = np.random.default_rng(seed)
    close = level * np.exp(np.cumsum(rng.normal(0.0, 0.015, n)))
    open_ = close * np.exp(rng.normal(0, 0.005, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.005, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.005, n)))
    volume = rng.integers(0, 1_000_000, n).astype(float)
    spx = 4000.0 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    irx = 5.0 + np.cumsum(rng.normal(0, 0.02, n))
    return DailyBars(open_, high, low, close, volume, spx, irx)


def make_intraday(sessions: int, level: float, seed: int = 0) -> IntradayBars:
    d = make_daily(sessions * 78, level, seed)
    return IntradayBars(d.open, d.high, d.low, d.close, d.volume, np.repeat(20250101 + np.arange(sessions), 78))


def stored(state: DailyState | IntradayState) -> DailyState | IntradayState:
    """The state after a round trip through its table columns (NaN stored as null)."""
    row = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in state.to_columns().items()}
    return type(state).from_columns(row)


def run_in_pieces(compute, bars, cuts: list[int]):  # type: ignore[no-untyped-def]
    """Compute ``bars`` in runs ending at each cut; each run gets the last HISTORY_BARS bars and the stored state."""
    out: list[dict[str, np.ndarray]] = []
    state = None
    bounds = [0, *cuts, len(bars)]
    for a, b in itertools.pairwise(bounds):
        history = bars.slice(max(a - HISTORY_BARS, 0), a) if a else None
        cols, state = compute(bars.slice(a, b), history, state)
        state = stored(state)
        out.append(cols)
    return {k: np.concatenate([o[k] for o in out]) for k in out[0]}, state


def assert_same(pieces: dict[str, np.ndarray], full: dict[str, np.ndarray]) -> None:
    for name, values in full.items():
        np.testing.assert_array_equal(pieces[name], values, err_msg=name)


def assert_same_state(a: DailyState | IntradayState, b: DailyState | IntradayState) -> None:
    np.testing.assert_equal(a.to_columns(), b.to_columns())


@pytest.mark.parametrize("level", [0.5, 100.0, 60000.0])
@pytest.mark.parametrize("k", SPLITS)
def test_daily_split_anywhere_equals_full_pass(level: float, k: int) -> None:
    bars = make_daily(600, level, seed=k)
    full, full_state = compute_daily(bars)
    pieces, state = run_in_pieces(compute_daily, bars, [k])
    assert_same(pieces, full)
    assert_same_state(state, stored(full_state))


def test_daily_one_bar_per_run_across_the_warm_ups_and_history_limit() -> None:
    """Daily runs of one new bar each (bars 1..260), then the rest in one run."""
    bars = make_daily(400, 100.0, seed=42)
    full, full_state = compute_daily(bars)
    pieces, state = run_in_pieces(compute_daily, bars, list(range(1, 261)))
    assert_same(pieces, full)
    assert_same_state(state, stored(full_state))


def test_daily_random_chunks_equal_full_pass_and_talib() -> None:
    bars = make_daily(2000, 60000.0, seed=5)
    full, _ = compute_daily(bars)
    cuts = sorted({int(x) for x in np.random.default_rng(0).integers(1, 2000, 25)})
    pieces, _ = run_in_pieces(compute_daily, bars, cuts)
    assert_same(pieces, full)
    macd, signal, _ = talib.MACD(bars.close, 12, 26, 9)
    for name, ref in (("macd", macd), ("macd_signal", signal), ("rsi_14", talib.RSI(bars.close, 14))):
        ok = ~np.isnan(ref)
        np.testing.assert_array_equal(np.isnan(pieces[name]), ~ok)
        assert np.max(np.abs(pieces[name][ok] - ref[ok]) / np.maximum(1, np.abs(ref[ok]))) <= 1e-9, name


def test_daily_longer_history_gives_the_same_values() -> None:
    bars = make_daily(700, 100.0, seed=8)
    full, _ = compute_daily(bars)
    _, state = compute_daily(bars.slice(0, 500))
    cols, _ = compute_daily(bars.slice(500, 700), bars.slice(150, 500), state)
    for name in DAILY_COLUMNS:
        np.testing.assert_array_equal(cols[name], full[name][500:], err_msg=name)


@pytest.mark.parametrize("k", [1, 5, 14, 33, 77, 78, 79, 156, 200, 233, 234, 235, 300, 390, 401, 623])
def test_intraday_split_anywhere_equals_full_pass(k: int) -> None:
    bars = make_intraday(8, 100.0, seed=k)
    full, full_state = compute_intraday(bars)
    assert list(full) == INTRADAY_COLUMNS
    pieces, state = run_in_pieces(compute_intraday, bars, [k])
    assert_same(pieces, full)
    assert_same_state(state, stored(full_state))


def test_intraday_runs_per_session_and_within_sessions() -> None:
    """One run per session, and runs cut inside sessions: the VWAP continues within a session, resets at the next."""
    bars = make_intraday(10, 250.0, seed=3)
    full, _ = compute_intraday(bars)
    per_session, state = run_in_pieces(compute_intraday, bars, [78 * i for i in range(1, 10)])
    assert_same(per_session, full)
    assert state.session_id == 20250110
    inside, _ = run_in_pieces(compute_intraday, bars, [40, 100, 250, 300, 301, 500, 700])
    assert_same(inside, full)
    tp = (bars.high + bars.low + bars.close) / 3
    assert full["vwap"][312] == pytest.approx(tp[312], rel=1e-15)  # session 5's first bar: reset


def test_state_columns_are_plain_and_listed() -> None:
    _, state = compute_daily(make_daily(300, 100.0))
    row = state.to_columns()
    assert list(row) == DAILY_STATE_COLUMNS
    assert all(isinstance(v, int | float) for v in row.values())
    assert isinstance(row["st_bar_count"], int) and row["st_bar_count"] == 300
    _, istate = compute_intraday(make_intraday(3, 100.0))
    assert list(istate.to_columns()) == INTRADAY_STATE_COLUMNS
    assert istate.to_columns()["st_session_id"] == 20250103


def test_empty_run_keeps_the_state() -> None:
    bars = make_daily(300, 100.0)
    _, state = compute_daily(bars)
    cols, again = compute_daily(bars.slice(0, 0), bars.tail(HISTORY_BARS), state)
    assert all(len(v) == 0 for v in cols.values())
    assert again == state


def test_bad_history_or_state_is_refused() -> None:
    bars = make_daily(400, 100.0)
    _, state = compute_daily(bars.slice(0, 300))
    new = bars.slice(300, 400)
    with pytest.raises(ValueError, match="need the last 200 bars"):
        compute_daily(new, bars.slice(150, 300), state)
    with pytest.raises(ValueError, match="prev_close"):
        compute_daily(new, bars.slice(99, 299), state)
    with pytest.raises(ValueError, match="without a state"):
        compute_daily(new, bars.slice(100, 300), None)
    with pytest.raises(ValueError, match="has seen only"):
        compute_daily(new, bars.slice(0, 300), DailyState(bar_count=10))
