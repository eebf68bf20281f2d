"""VIXAdaptiveStrategy (optlake.strategies.vix_adaptive): thresholds, decisions, grades, beta and windows, by hand."""

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
    decide,
    grade,
    one_bar_returns,
    rolling_fit,
    vix_threshold,
)

P = VixAdaptiveParams()
NAN = float("nan")
#: Mon 27 Jan .. Mon 3 Feb 2025: six sessions around a weekend.
DAYS = [dt.date(2025, 1, d) for d in (27, 28, 29, 30, 31)] + [dt.date(2025, 2, 3)]
BARS = 78  # 14:30 to 20:55 UTC


def bars(days=DAYS, beta=1.3, seed=7, moves=None, vix=15.0) -> pd.DataFrame:
    """Regular sessions of 5-minute bars: SPX returns m ~ N(0, 1e-3), the symbol's r = beta * m + N(0, 1e-3),
    plus ``moves`` {row: extra log move}; closes are the cumulated returns (the overnight one included)."""
    rng = np.random.default_rng(seed)
    n = BARS * len(days)
    m = rng.normal(0, 1e-3, n)
    r = beta * m + rng.normal(0, 1e-3, n)
    for row, move in (moves or {}).items():
        r[row] += move
    ts = [dt.datetime.combine(d, dt.time(14, 30)) + dt.timedelta(minutes=5 * i) for d in days for i in range(BARS)]
    return pd.DataFrame(
        {
            "symbol": "AAPL",
            "trade_date": [t.date() for t in ts],
            "ts_start": pd.to_datetime(ts),
            "close": 100 * np.exp(np.cumsum(r)),
            "volume": 1000.0 + 10 * (np.arange(n) % 7),
            "spx_close": 5000 * np.exp(np.cumsum(m)),
            "vix_close": vix,
        }
    )


def last_row_of(day: dt.date) -> int:
    return BARS * (DAYS.index(day) + 1) - 1


# -- thresholds ------------------------------------------------------------------------------------


def test_the_threshold_is_the_base_up_to_the_reference_vix_then_widens() -> None:
    # 12 / 20 = 0.6 -> max(1, 0.6) = 1 -> 1.5;  40 / 20 = 2 -> 1.5 * 2 = 3.0
    assert vix_threshold(12, P) == 1.5 and vix_threshold(20, P) == 1.5
    assert vix_threshold(30, P) == pytest.approx(2.25) and vix_threshold(40, P) == pytest.approx(3.0)
    assert vix_threshold(40, VixAdaptiveParams(vix_sensitivity=0.5)) == pytest.approx(1.5 * math.sqrt(2))
    assert vix_threshold(40, VixAdaptiveParams(vix_sensitivity=2)) == pytest.approx(6.0)
    assert vix_threshold(80, VixAdaptiveParams(vix_sensitivity=0)) == 1.5  # sensitivity 0: never widens
    for params in (P, VixAdaptiveParams(vix_sensitivity=0.5), VixAdaptiveParams(vix_sensitivity=3)):
        grid = [vix_threshold(v, params) for v in np.linspace(0.5, 90, 400)]
        assert all(b >= a for a, b in itertools.pairwise(grid)) and min(grid) == params.base_threshold
    for missing in (None, NAN, 0.0, -5.0, math.inf):
        assert math.isnan(vix_threshold(missing, P))


# -- decisions -------------------------------------------------------------------------------------


def test_decisions_at_and_around_the_threshold() -> None:
    z = np.array([1.49, 1.5, 1.51, -1.49, -1.5, -1.51, 0.0, 2.99, 3.0, 3.01])
    th = np.array([1.5] * 7 + [3.0] * 3)  # VIX 12 and VIX 40
    signal, reason = decide(z, th, np.ones(len(z)), P)
    assert list(signal) == ["HOLD", "HOLD", "BUY", "HOLD", "HOLD", "SELL", "HOLD", "HOLD", "HOLD", "BUY"]
    assert list(reason) == [
        *["below_threshold"] * 2,
        None,
        *["below_threshold"] * 2,
        None,
        *["below_threshold"] * 3,
        None,
    ]
    # the same z at VIX 12 and at VIX 40: a BUY becomes a HOLD as the VIX widens the threshold
    assert decide(np.array([2.0, 2.0]), np.array([vix_threshold(12), vix_threshold(40)]), np.ones(2))[0].tolist() == [
        "BUY",
        "HOLD",
    ]
    rev, _ = decide(z[[2, 5, 1]], th[[2, 5, 1]], np.ones(3), VixAdaptiveParams(direction="reversion"))
    assert list(rev) == ["SELL", "BUY", "HOLD"]  # reversion fades the move


def test_hold_reasons_when_an_input_is_missing_first_one_wins() -> None:
    z = np.array([5.0, 5.0, NAN, NAN, NAN, 5.0])
    th = np.array([NAN, 1.5, 1.5, NAN, 1.5, 1.5])
    beta = np.array([1.0, NAN, NAN, NAN, 1.0, 1.0])
    signal, reason = decide(z, th, beta, P)
    assert list(reason) == ["no_vix", "no_beta", "no_beta", "no_vix", "no_signal_strength", None]
    assert list(signal) == ["HOLD"] * 5 + ["BUY"]


# -- grades ----------------------------------------------------------------------------------------


def test_grade_table_edges() -> None:
    # strength: |z| / threshold >= 1.5 -> 2, > 1 -> 1, else 0; fit: R^2 >= 0.3 -> 1; liquidity >= 1 -> 1
    assert grade(3.0, 2.0, 0.3, 1.0) == "A"  # exactly 1.5x, exactly the fit and liquidity cut-offs: 2 + 1 + 1
    assert grade(-3.0, 2.0, 0.9, 5.0) == "A"  # SELL side counts |z|
    assert grade(2.99, 2.0, 0.3, 1.0) == "B"  # just under 1.5x: 1 + 1 + 1
    assert grade(3.0, 2.0, 0.2999, 1.0) == "B"  # 2 + 0 + 1
    assert grade(3.0, 2.0, 0.3, 0.9999) == "B"  # 2 + 1 + 0
    assert grade(3.0, 2.0, 0.3, NAN) == "B"  # unknown liquidity scores 0
    assert grade(2.01, 2.0, 0.1, 1.0) == "C"  # just above the threshold: 1 + 0 + 1
    assert grade(2.0, 2.0, 0.9, 3.0) == "C"  # exactly at the threshold (a HOLD): 0 + 1 + 1
    assert grade(0.0, 1.5, 0.9, 3.0) == "C"  # the best a HOLD can get
    assert grade(2.01, 2.0, 0.1, 0.5) == "D" and grade(0.1, 2.0, 0.1, 0.5) == "D"  # 1 and 0 points
    strict = VixAdaptiveParams(strong_ratio=2.0, min_r2=0.5, min_liquidity=1.5)
    assert grade(3.0, 2.0, 0.5, 1.5, strict) == "B" and grade(4.0, 2.0, 0.5, 1.5, strict) == "A"
    for missing in ((NAN, 2.0, 0.5, 1.0), (1.0, NAN, 0.5, 1.0), (1.0, 2.0, NAN, 1.0), (None, 2.0, 0.5, 1.0)):
        assert grade(*missing) is None


# -- returns and beta ------------------------------------------------------------------------------


def test_a_return_needs_the_bar_five_minutes_earlier() -> None:
    ts = pd.Series(pd.to_datetime(["2025-01-27 20:50", "2025-01-27 20:55", "2025-01-28 14:30", "2025-01-28 14:35",
                                   "2025-01-28 14:45", "2025-01-28 14:50", "2025-01-28 14:55", "2025-01-28 15:00"]))  # fmt: skip
    close = np.array([100.0, 101.0, 105.0, 104.0, 103.0, NAN, 102.0, 0.0])
    r = one_bar_returns(ts, close)
    assert math.isnan(r[0])  # the first row
    assert r[1] == pytest.approx(math.log(101 / 100))
    assert math.isnan(r[2])  # overnight gap
    assert r[3] == pytest.approx(math.log(104 / 105))
    assert math.isnan(r[4])  # 14:40 is missing
    assert math.isnan(r[5]) and math.isnan(r[6])  # a missing close: no return into it nor out of it
    assert math.isnan(r[7])  # a close of 0


def test_rolling_beta_recovers_a_known_beta_and_matches_ols() -> None:
    rng = np.random.default_rng(3)
    n, window = 3000, 231
    m = rng.normal(0, 1e-3, n)
    r = 1.3 * m + rng.normal(0, 1e-3, n)  # R^2 = 1.69 / (1.69 + 1) = 0.628; sigma_e = 1e-3
    fit = rolling_fit(r, m, window)
    assert np.isnan(fit.beta[: window - 1]).all() and np.isfinite(fit.beta[window - 1 :]).all()
    beta, r2, sigma = fit.beta[window - 1 :], fit.r2[window - 1 :], fit.sigma[window - 1 :]
    # standard error of beta = sigma_e / (sd_m sqrt(window)) = 1 / sqrt(231) = 0.066: every window within
    # 4.5 standard errors, the average of the windows within 0.03
    assert np.abs(beta - 1.3).max() < 0.3 and abs(beta.mean() - 1.3) < 0.03
    assert abs(np.median(r2) - 1.69 / 2.69) < 0.05 and abs(np.median(sigma) - 1e-3) < 5e-5
    # one window by hand: numpy's least squares on the last 231 pairs, the residuals' std with ddof 2
    t = 1234
    slope, intercept = np.polyfit(m[t - window + 1 : t + 1], r[t - window + 1 : t + 1], 1)
    resid = r[t - window + 1 : t + 1] - (slope * m[t - window + 1 : t + 1] + intercept)
    corr = np.corrcoef(m[t - window + 1 : t + 1], r[t - window + 1 : t + 1])[0, 1]
    assert fit.beta[t] == pytest.approx(slope, rel=1e-10) and fit.r2[t] == pytest.approx(corr**2, rel=1e-10)
    assert fit.sigma[t] == pytest.approx(resid.std(ddof=2), rel=1e-9)
    # a missing pair is skipped: the fit is over the last 231 pairs with both returns, carried over the gap
    r[2000] = NAN
    gap = rolling_fit(r, m, window)
    assert gap.beta[2000] == gap.beta[1999] and gap.beta[2001] == pytest.approx(
        np.polyfit(np.delete(m[1770:2002], 230), np.delete(r[1770:2002], 230), 1)[0], rel=1e-10
    )


# -- the window ------------------------------------------------------------------------------------


def test_analyse_window_returns_the_output_day_only_with_the_columns_in_order() -> None:
    frame = bars()
    day = DAYS[4]  # Friday: Tue, Wed, Thu before it
    out = analyse_window(frame, day, P)
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert out["ts_start"].tolist() == frame.loc[frame["trade_date"] == day, "ts_start"].tolist()
    assert set(out["trade_date"]) == {day} and set(out["strategy_name"]) == {"VIXAdaptiveStrategy"}
    # beta recovered through the frame: 231 pairs, standard error 0.066
    assert out["beta"].between(1.3 - 0.25, 1.3 + 0.25).all() and abs(out["beta_r2"].median() - 0.628) < 0.08
    # the first 6 bars of the session have no 30-minute move (the overnight gap has no return)
    assert set(out["hold_reason"][:6]) == {"no_signal_strength"} and out["grade"][:6].isna().all()
    assert out["signal_strength"][6:].notna().all() and out["grade"][6:].notna().all()
    assert ((out["signal"] == "HOLD") == out["hold_reason"].notna()).all()
    assert analyse_window(frame, dt.date(2025, 2, 1), P).empty  # a Saturday: no bars, no rows
    assert list(analyse_window(frame.iloc[:0], day, P).columns) == list(OUTPUT_COLUMNS)


def test_the_signal_strength_by_hand() -> None:
    frame = bars()
    day = DAYS[4]
    out = analyse_window(frame, day, P)
    t = last_row_of(day)  # 20:55 of Friday
    r = np.log(frame["close"] / frame["close"].shift())
    m = np.log(frame["spx_close"] / frame["spx_close"].shift())
    pairs = [i for i in range(1, t + 1) if frame["ts_start"][i] - frame["ts_start"][i - 1] == pd.Timedelta(minutes=5)]
    last = pairs[-231:]
    slope, intercept = np.polyfit(m[last], r[last], 1)
    sigma_e = (r[last] - slope * m[last] - intercept).std(ddof=2)
    residual = r[t - 5 : t + 1].sum() - slope * m[t - 5 : t + 1].sum()
    row = out.iloc[-1]
    assert row["beta"] == pytest.approx(slope, rel=1e-9)
    assert row["residual_return"] == pytest.approx(residual, rel=1e-9, abs=1e-12)
    assert row["signal_strength"] == pytest.approx(residual / (sigma_e * math.sqrt(6)), rel=1e-8, abs=1e-10)
    volumes = frame["volume"]
    assert row["liquidity_ratio"] == pytest.approx(volumes[t] / volumes[t - 20 : t].mean())


def test_an_idiosyncratic_jump_is_a_buy_or_a_sell_unless_the_vix_is_high() -> None:
    day = DAYS[4]
    t = last_row_of(day)
    jump = {t - i: 0.003 for i in range(6)}  # +1.8% of the symbol's own over the last 30 minutes
    up = analyse_window(bars(moves=jump), day, P).iloc[-1]
    assert up["signal"] == "BUY" and up["signal_strength"] > 4 and up["hold_reason"] is None
    assert up["threshold"] == 1.5 and up["grade"] in {"A", "B"}
    down = analyse_window(bars(moves={k: -v for k, v in jump.items()}), day, P).iloc[-1]
    assert down["signal"] == "SELL" and down["signal_strength"] < -4
    fade = analyse_window(bars(moves=jump), day, VixAdaptiveParams(direction="reversion")).iloc[-1]
    assert fade["signal"] == "SELL"
    # at a VIX of 80 the threshold is 1.5 * 4 = 6
    z = up["signal_strength"]
    calm = analyse_window(bars(moves=jump, vix=20 * z / 1.5), day, P).iloc[-1]  # threshold == z (to rounding)
    assert calm["threshold"] == pytest.approx(z, rel=1e-12)
    wide = analyse_window(bars(moves=jump, vix=20 * z / 1.5 * 1.01), day, P).iloc[-1]
    assert wide["signal"] == "HOLD" and wide["hold_reason"] == "below_threshold"
    narrow = analyse_window(bars(moves=jump, vix=20 * z / 1.5 * 0.99), day, P).iloc[-1]
    assert narrow["signal"] == "BUY"


def test_hold_without_a_vix_or_a_beta() -> None:
    frame = bars()
    day = DAYS[4]
    no_vix = frame.assign(vix_close=NAN)
    out = analyse_window(no_vix, day, P)
    assert set(out["hold_reason"]) == {"no_vix"} and out["grade"].isna().all() and out["vix"].isna().all()
    # a missing VIX bar takes the day's previous VIX close, but never yesterday's
    holes = frame.copy()
    first = BARS * DAYS.index(day)
    holes.loc[first - 3 :, "vix_close"] = 30.0
    holes.loc[[first, first + 1, first + 40], "vix_close"] = NAN
    out = analyse_window(holes, day, P)
    assert out["vix"][:2].isna().all() and set(out["hold_reason"][:2]) == {"no_vix"}
    assert out["vix"][40] == 30.0 and out["threshold"][40] == pytest.approx(2.25)
    # Monday with only the previous Friday in the frame: 77 pairs + the day's, fewer than 231 all day
    monday = analyse_window(frame[frame["trade_date"] >= DAYS[4]], DAYS[5], P)
    assert set(monday["hold_reason"]) == {"no_beta"} and monday["beta"].isna().all()
    assert (monday["signal"] == "HOLD").all() and monday["grade"].isna().all()
    # SPX missing at a bar: no pair there nor at the next bar, so no 30-minute move for 7 bars
    spx_hole = frame.copy()
    spx_hole.loc[first + 30, "spx_close"] = NAN
    out = analyse_window(spx_hole, day, P)
    assert set(out["hold_reason"][30:37]) == {"no_signal_strength"} and out["beta"].notna().all()
    assert out["signal_strength"][37:].notna().all()


def test_a_day_depends_on_its_window_only() -> None:
    frame = bars()
    day = DAYS[5]  # Monday: Wed, Thu, Fri hold its 231 pairs
    full = analyse_window(frame, day, P)
    window = frame[frame["trade_date"] >= DAYS[2]]  # [Monday - 5 days, Monday]
    exact = analyse_window(window, day, P)
    pd.testing.assert_frame_equal(full, exact, check_exact=True)  # bit for bit: earlier bars do not matter
    shuffled = window.sample(frac=1, random_state=1)
    pd.testing.assert_frame_equal(analyse_window(shuffled, day, P), exact, check_exact=True)
    assert analyse_window(window, day, P).equals(exact)  # deterministic
    # a window one session short (Thu, Fri): the bars whose 231 pairs reach into Wednesday lose their
    # beta; from the bar whose last 231 pairs are all in the window (2 x 77 + 77 = the session's last
    # bar) on, nothing changes
    short = analyse_window(frame[frame["trade_date"] >= DAYS[3]], day, P)
    assert short["beta"][:-1].isna().all() and set(short["hold_reason"][:-1]) == {"no_beta"}
    pd.testing.assert_frame_equal(short.iloc[-1:], exact.iloc[-1:], check_exact=True)
    # what differs is what needs the earlier data, and only that
    same = [c for c in OUTPUT_COLUMNS if c not in {"beta", "beta_r2", "residual_return", "signal_strength", "signal",
                                                   "hold_reason", "grade"}]  # fmt: skip
    pd.testing.assert_frame_equal(short[same], exact[same], check_exact=True)


def test_bad_inputs_and_parameters_are_refused() -> None:
    frame = bars(days=DAYS[:1])
    with pytest.raises(ValueError, match="more than one symbol"):
        analyse_window(pd.concat([frame, frame.assign(symbol="MSFT")]), DAYS[0], P)
    with pytest.raises(ValueError, match="appears twice"):
        analyse_window(pd.concat([frame, frame.iloc[:1]]), DAYS[0], P)
    for bad, match in (
        ({"beta_window": 2}, "beta_window"),
        ({"beta_window": 78.0}, "beta_window"),
        ({"signal_bars": 0}, "signal_bars"),
        ({"signal_bars": 300}, "signal_bars"),
        ({"base_threshold": 0}, "base_threshold"),
        ({"vix_reference": -1}, "vix_reference"),
        ({"vix_sensitivity": -0.5}, "vix_sensitivity"),
        ({"direction": "sideways"}, "direction"),
        ({"volume_window": 0}, "volume_window"),
        ({"strong_ratio": 0.5}, "strong_ratio"),
        ({"min_r2": 1.5}, "min_r2"),
        ({"min_liquidity": -1}, "min_liquidity"),
    ):
        with pytest.raises(ValueError, match=match):
            VixAdaptiveParams(**bad)


def test_parameters_from_a_models_config_cast_and_keep_defaults() -> None:
    # dbt hands YAML numbers and strings; an unset key (None) keeps the code's default
    params = VixAdaptiveParams.from_config(
        {"beta_window": 77, "base_threshold": 2, "direction": "reversion", "min_r2": None}
    )
    assert (params.beta_window, params.base_threshold, params.direction) == (77, 2.0, "reversion")
    assert isinstance(params.base_threshold, float) and params.min_r2 == VixAdaptiveParams().min_r2
    with pytest.raises(ValueError, match="unknown VIX-adaptive parameters: \\['beta'\\]"):
        VixAdaptiveParams.from_config({"beta": 77})
    with pytest.raises(ValueError, match="direction must be"):
        VixAdaptiveParams.from_config({"direction": "sideways"})
