"""Put-call parity forwards (optlake.analytics.options.parity) on chains quoted exactly as the
synthetic generator quotes them, plus the method and degenerate-input rules."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from optlake.analytics.options.parity import (
    NONE,
    PARITY_FIT,
    PARITY_RATE_DISCOUNT,
    ParityFit,
    fit_forward,
    group_median,
    rank_within,
)
from optlake.generator.catalogue import ROOTS, UNDERLYINGS, underlying_index
from optlake.generator.pricing import RATE, black_scholes, calendar_years, implied_vol, trading_years
from optlake.generator.quotes import TICK_RULES, make_quotes
from optlake.generator.universe import strike_grid
from optlake.reference.trading_calendar import trading_days_after

TRADE_DATE = dt.date(2025, 1, 28)
SESSION_MINUTES = 390
EXPIRY_DAYS = (0, 1, 2, 3, 7, 10, 14, 21, 30, 45, 60, 90)
SNAPSHOT_MINUTES = (0, 97, 195, 292, 389)
STRIKE_COUNTS = (6, 12, 40, 120)
SPOTS = {"SPX": 6012.35, "SPY": 601.17, "TSLA": 398.6}
ROOT_NAMES = ("SPXW", "SPX", "SPY", "TSLA")


def root_named(symbol: str):
    return next(r for r in ROOTS if r.symbol == symbol)


def generator_chains(seed: int = 11) -> dict[str, np.ndarray]:
    """One row per (group, strike): generator-made call and put quotes and the true forward.

    Groups are root x expiry (0-90 calendar days) x snapshot minute x strike count; strikes
    come from the generator's own grid (universe.strike_grid), prices from pricing.implied_vol
    and black_scholes, quotes from quotes.make_quotes.
    """
    rng = np.random.default_rng(seed)
    rows: dict[str, list[np.ndarray]] = {k: [] for k in ("group", "strike", "call", "put", "cs", "ps")}
    truth: dict[str, list] = {"forward": [], "years": [], "n": [], "root": []}
    group = 0
    for symbol in ROOT_NAMES:
        root = root_named(symbol)
        under = UNDERLYINGS[underlying_index(root.underlying)]
        small, large = TICK_RULES[root.tick_rule]
        for days in EXPIRY_DAYS:
            expiry = TRADE_DATE + dt.timedelta(days=days)
            trading_days = trading_days_after(TRADE_DATE, expiry)
            for minute in SNAPSHOT_MINUTES:
                spot = SPOTS[root.underlying] * float(np.exp(rng.normal(0, 0.004)))
                left = SESSION_MINUTES - 1 - minute
                t = float(calendar_years(np.array(days * 86_400 + left * 60.0)))
                tau = float(trading_years(np.array(left), np.array(trading_days)))
                base_vol = 0.17 if root.smile.base_vol_from == "VIX" else root.smile.base_vol
                for n in STRIKE_COUNTS:
                    strikes = strike_grid(root, spot, n, (days + 6.5 / 24) / 365) / 1000
                    m = strikes.size
                    vol = implied_vol(
                        np.full(m, spot),
                        strikes,
                        np.full(m, t),
                        np.full(m, tau),
                        np.full(m, under.dividend_yield),
                        np.full(m, base_vol),
                        np.full(m, root.smile.skew),
                        np.full(m, root.smile.curvature),
                        np.full(m, root.smile.term_slope),
                    )
                    both = np.concatenate([strikes, strikes])
                    is_call = np.repeat([True, False], m)
                    theo = black_scholes(
                        np.full(2 * m, spot),
                        both,
                        np.full(2 * m, t),
                        np.concatenate([vol, vol]),
                        is_call,
                        np.full(2 * m, under.dividend_yield),
                    )
                    q = make_quotes(
                        theo,
                        np.full(2 * m, spot),
                        np.full(2 * m, root.spread_rel),
                        np.full(2 * m, small),
                        np.full(2 * m, large),
                        rng,
                    )
                    mid = (q.bid_cents + q.ask_cents) / 200
                    spread = (q.ask_cents - q.bid_cents) / 100
                    rows["group"].append(np.full(m, group))
                    rows["strike"].append(strikes)
                    rows["call"].append(mid[:m])
                    rows["put"].append(mid[m:])
                    rows["cs"].append(spread[:m])
                    rows["ps"].append(spread[m:])
                    truth["forward"].append(spot * np.exp((RATE - under.dividend_yield) * t))
                    truth["years"].append(t)
                    truth["n"].append(m)
                    truth["root"].append(symbol)
                    group += 1
    out = {k: np.concatenate(v) for k, v in rows.items()}
    out.update({k: np.array(v) for k, v in truth.items()})
    return out


@pytest.fixture(scope="module")
def chains() -> dict[str, np.ndarray]:
    return generator_chains()


@pytest.fixture(scope="module")
def fitted(chains: dict[str, np.ndarray]) -> ParityFit:
    c = chains
    return fit_forward(
        c["group"],
        c["forward"].size,
        c["strike"],
        c["call"],
        c["put"],
        c["cs"],
        c["ps"],
        c["years"],
        np.exp(-RATE * c["years"]),
    )


def predicted_standard_error(chains: dict[str, np.ndarray]) -> np.ndarray:
    """Standard error of the weighted-mean forward implied by the generator's mid noise.

    quotes.make_quotes puts the mid uniformly within a quarter spread of the theoretical value
    (standard deviation 0.144 spread) and rounds bid and ask outwards to the tick; 0.15 x the
    quoted spread per mid models both. Over the 8 strikes nearest the true forward, weighted
    like fit_forward: se = sqrt(sum w^2 0.15^2 (s_C^2 + s_P^2)) / sum w / D.
    """
    g, n_groups = chains["group"], chains["forward"].size
    order, rank = rank_within(g, np.abs(chains["strike"] - chains["forward"][g]), n_groups)
    near = order[rank < 8]
    cs, ps = chains["cs"][near], chains["ps"][near]
    w = 1 / (cs + ps) ** 2
    total = np.bincount(g[near], w, n_groups)
    var = np.bincount(g[near], w * w * 0.15**2 * (cs**2 + ps**2), n_groups)
    return np.sqrt(var) / total / np.exp(-RATE * chains["years"])


def test_forward_matches_the_generator_truth(chains: dict[str, np.ndarray], fitted: ParityFit) -> None:
    """Relative forward error |F_fit / F_true - 1| on generator quotes.

    Measured (960 groups: SPXW, SPX, SPY, TSLA x 12 expiries of 0-90 days x 5 minutes x 4
    strike counts; seeds 11-14): median 7e-6, 99th percentile 1.1e-4 to 1.3e-4, max 1.6e-4 to
    2.6e-4; 1.3-2.1% of the groups exceed 1e-4, all of them TSLA, SPX or SPXW expiries of 30+
    days. That is the information limit of the quotes, not the method: the error divided by the
    standard error the mid noise implies (predicted_standard_error) has a standard deviation of
    0.85-0.89 and a maximum of 2.6-2.9, and that standard error itself reaches 1.3e-4 of the
    forward for 90-day TSLA (a 1% spread on a $50 option, 8 strikes). So the asserts are: every
    group within 4 standard errors; at least 95% of the groups within 1e-4; all within 4e-4 (4 x
    the largest standard error); SPY, whose quotes are a third as wide, within 1e-4 everywhere.
    """
    err = fitted.forward - chains["forward"]
    rel = np.abs(err / chains["forward"])
    z = err / predicted_standard_error(chains)
    assert np.all(np.isfinite(fitted.forward))
    assert np.max(np.abs(z)) < 4, np.max(np.abs(z))
    assert np.mean(rel < 1e-4) >= 0.95, (np.quantile(rel, 0.99), np.max(rel))
    assert np.max(rel) < 4e-4
    spy = chains["root"] == "SPY"
    assert np.max(rel[spy]) < 1e-4


def test_methods_and_discounts(chains: dict[str, np.ndarray], fitted: ParityFit) -> None:
    assert set(fitted.method.tolist()) <= {PARITY_FIT, PARITY_RATE_DISCOUNT}
    assert np.all(fitted.n_strikes <= 8)
    assert np.all(fitted.n_strikes >= np.minimum(chains["n"], 2))
    curve = np.exp(-RATE * chains["years"])
    joint = fitted.method == PARITY_FIT
    np.testing.assert_array_equal(fitted.discount[~joint], curve[~joint])
    # a jointly fitted discount is plausible: its rate within 100 bp of the curve
    gap = np.log(curve[joint] / fitted.discount[joint]) / chains["years"][joint]
    assert np.all(np.abs(gap) <= 0.01)
    # 0DTE and next-day groups never identify D
    assert not np.any(joint & (chains["years"] < 2 / 365))
    assert np.all(np.isfinite(fitted.residual))


def test_exact_parity_identifies_the_discount() -> None:
    """Noise-free quotes over a wide strike span: the joint fit recovers D and F exactly."""
    strike = np.arange(80.0, 121.0, 2.5)
    years, rate, forward = 0.5, 0.05, 101.3
    discount = np.exp(-rate * years)
    put = np.linspace(1.0, 20.0, strike.size)
    call = put + discount * (forward - strike)
    spread = np.full(strike.size, 0.02)
    fit = fit_forward(
        np.zeros(strike.size, int), 1, strike, call, put, spread, spread, [years], [np.exp(-0.045 * years)]
    )
    assert fit.method[0] == PARITY_FIT
    assert fit.forward[0] == pytest.approx(forward, rel=1e-12)
    assert fit.discount[0] == pytest.approx(discount, rel=1e-12)
    assert fit.n_strikes[0] == 8
    assert fit.residual[0] == pytest.approx(0, abs=1e-9)


def test_implausible_discount_falls_back_to_the_curve() -> None:
    strike = np.arange(80.0, 121.0, 2.5)
    years, forward = 0.5, 100.0
    put = np.linspace(1.0, 20.0, strike.size)
    call = put + 0.9 * (forward - strike)  # D = 0.9 at T = 0.5: a 21% rate
    spread = np.full(strike.size, 0.02)
    curve = np.exp(-0.04 * years)
    fit = fit_forward(np.zeros(strike.size, int), 1, strike, call, put, spread, spread, [years], [curve])
    assert fit.method[0] == PARITY_RATE_DISCOUNT
    assert fit.discount[0] == curve


def test_outlier_strike_is_dropped() -> None:
    strike = np.arange(90.0, 111.0, 1.0)
    years, forward = 30 / 365, 100.2
    discount = np.exp(-0.04 * years)
    put = np.linspace(1.0, 20.0, strike.size)
    call = put + discount * (forward - strike)
    call[10] += 2.0  # strike 100: a stale call quote, 100 spreads off
    spread = np.full(strike.size, 0.01)
    fit = fit_forward(np.zeros(strike.size, int), 1, strike, call, put, spread, spread, [years], [discount])
    assert fit.n_strikes[0] == 7
    assert fit.forward[0] == pytest.approx(forward, rel=1e-12)


def test_single_strike_one_sided_and_empty_groups() -> None:
    years = np.array([0.1, 0.1, 0.1, 0.1])
    discount = np.exp(-0.04 * years)
    # group 0: one strike; group 1: calls only (put mids NaN); group 2: no rows; group 3: NaN strike
    group = np.array([0, 1, 1, 3])
    strike = np.array([100.0, 100.0, 105.0, np.nan])
    call = np.array([3.0, 3.0, 1.0, 2.0])
    put = np.array([2.0, np.nan, np.nan, 2.0])
    spread = np.full(4, 0.05)
    fit = fit_forward(group, 4, strike, call, put, spread, spread, years, discount)
    assert fit.method.tolist() == [PARITY_RATE_DISCOUNT, NONE, NONE, NONE]
    assert fit.forward[0] == pytest.approx(100 + 1 / discount[0])
    assert fit.discount[0] == discount[0]
    assert np.isnan(fit.forward[1:]).all() and np.isnan(fit.discount[1:]).all()
    assert fit.n_strikes.tolist() == [1, 0, 0, 0]


def test_empty_input() -> None:
    empty = np.array([])
    fit = fit_forward(empty.astype(int), 0, empty, empty, empty, empty, empty, empty, empty)
    assert all(len(a) == 0 for a in fit)
    fit = fit_forward(empty.astype(int), 2, empty, empty, empty, empty, empty, [0.1, 0.2], [0.99, 0.98])
    assert fit.method.tolist() == [NONE, NONE]


def test_expired_group_uses_the_curve_discount() -> None:
    strike = np.array([95.0, 100.0, 105.0])
    call = np.array([5.0, 0.0, 0.0])
    put = np.array([0.0, 0.0, 5.0])
    spread = np.full(3, 0.05)
    fit = fit_forward(np.zeros(3, int), 1, strike, call, put, spread, spread, [0.0], [1.0])
    assert fit.method[0] == PARITY_RATE_DISCOUNT
    assert fit.forward[0] == pytest.approx(100.0)


def test_group_median() -> None:
    group = np.array([0, 0, 0, 2, 2, 2, 2])
    values = np.array([3.0, 1.0, 2.0, 4.0, 1.0, 3.0, 2.0])
    np.testing.assert_array_equal(group_median(group, values, 3), [2.0, np.nan, 2.5])


def test_many_groups_without_a_python_loop() -> None:
    """50,000 groups of 10 strikes fit in well under a second's worth of vectorised work."""
    rng = np.random.default_rng(3)
    n_groups, per = 50_000, 10
    group = np.repeat(np.arange(n_groups), per)
    forward = rng.uniform(50, 5000, n_groups)
    years = rng.uniform(1 / 365, 1.0, n_groups)
    discount = np.exp(-0.04 * years)
    strike = forward[group] * (1 + 0.01 * (np.tile(np.arange(per), n_groups) - per / 2))
    put = np.full(strike.size, 1.0)
    call = put + discount[group] * (forward[group] - strike)
    spread = 0.001 * forward[group]
    fit = fit_forward(group, n_groups, strike, call, put, spread, spread, years, discount)
    np.testing.assert_allclose(fit.forward, forward, rtol=1e-10)
