"""The Cboe-method volatility index (optlake.analytics.options.vix) against the synthetic
generator's truth, a flat-volatility textbook chain and hand-made strike strips."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import pytest
from scipy.special import ndtr

from optlake.analytics.options.vix import (
    EXTRAPOLATED,
    FLAT,
    NEGATIVE_VARIANCE,
    NO_NEAR_TERM,
    NO_NEXT_TERM,
    NO_TERMS,
    OK,
    delta_k,
    expiry_variance,
    strip_side,
    vol_index,
    vol_indices,
)
from optlake.generator.catalogue import ROOTS, UNDERLYINGS, Root, underlying_index
from optlake.generator.instruments import by_symbol
from optlake.generator.pricing import RATE, black_scholes, calendar_years, implied_vol, trading_years
from optlake.generator.quotes import TICK_RULES, make_quotes
from optlake.generator.universe import listings, strike_grid, years_to_expiry
from optlake.reference.trading_calendar import session_close_utc, session_minutes_utc, trading_days_after

TRADE_DATE = dt.date(2025, 1, 28)
PRODUCTION_CONTRACTS = 25_641  # 10 million rows a day / 390 minutes
WIDE_STRIKES = 1200  # 5-point strikes +-3000 around spot: past the smile's put wing
SPXW = next(i for i, r in enumerate(ROOTS) if r.symbol == "SPXW")
SPX_Q = UNDERLYINGS[underlying_index("SPX")].dividend_yield
SPX_OPEN = by_symbol("SPX").start


class Expiry(NamedTuple):
    years: float
    tau: float
    strikes: np.ndarray


def smile_vol(root: Root, spot: float, base_vol: float, strike: np.ndarray, t: float, tau: float) -> np.ndarray:
    """The generator's implied volatility (pricing.implied_vol) at ``strike``."""
    n = strike.size
    s = root.smile

    def full(x: float) -> np.ndarray:
        return np.full(n, x)

    return implied_vol(
        full(spot),
        strike,
        full(t),
        full(tau),
        full(SPX_Q),
        full(base_vol),
        full(s.skew),
        full(s.curvature),
        full(s.term_slope),
    )


def snapshot_expiries(minute: int, wide: bool) -> list[Expiry]:
    """SPXW expiries of a production-sized day at a session minute, strikes as the generator lists
    them (universe.listings), or, ``wide``, WIDE_STRIKES per expiry from universe.strike_grid."""
    root = ROOTS[SPXW]
    found = [
        c
        for c in listings(TRADE_DATE, np.array([by_symbol(u.name).start for u in UNDERLYINGS]), PRODUCTION_CONTRACTS)
        if c.root_index == SPXW
    ]
    ts = session_minutes_utc(TRADE_DATE)[minute]
    out = []
    for expiry in sorted({c.expiry for c in found}):
        if wide:
            strikes = strike_grid(root, SPX_OPEN, WIDE_STRIKES, years_to_expiry(TRADE_DATE, expiry)) / 1000
        else:
            strikes = np.array(sorted({c.strike_mills for c in found if c.expiry == expiry})) / 1000
        t = float(calendar_years(np.array((session_close_utc(expiry) - ts).total_seconds())))
        tau = float(trading_years(np.array(389 - minute), np.array(trading_days_after(TRADE_DATE, expiry))))
        out.append(Expiry(t, tau, strikes))
    return out


def quote(root: Root, spot: float, base_vol: float, e: Expiry, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Call and put mids and bids at every strike, made like day.price_rows and quotes.make_quotes."""
    m = e.strikes.size
    vol = smile_vol(root, spot, base_vol, e.strikes, e.years, e.tau)
    is_call = np.repeat([True, False], m)
    theo = black_scholes(
        np.full(2 * m, spot),
        np.concatenate([e.strikes, e.strikes]),
        np.full(2 * m, e.years),
        np.concatenate([vol, vol]),
        is_call,
        np.full(2 * m, SPX_Q),
    )
    small, large = TICK_RULES[root.tick_rule]
    q = make_quotes(
        theo, np.full(2 * m, spot), np.full(2 * m, root.spread_rel), np.full(2 * m, small), np.full(2 * m, large), rng
    )
    mid, bid = (q.bid_cents + q.ask_cents) / 200, q.bid_cents / 100
    return {"call_mid": mid[:m], "put_mid": mid[m:], "call_bid": bid[:m], "put_bid": bid[m:]}


def variance_swap(
    root: Root, spot: float, base_vol: float, e: Expiry, k_low: float = 0.0, k_high: float = np.inf
) -> float:
    """Fair variance from the truth smile: (2 e^{rT} / T) int Q(K) / K^2 dK over a continuous strike
    range (out-of-the-money theoretical prices, calls above F and puts below, so the forward
    correction vanishes), on 200,001 log-strike points out to 30 base-vol standard deviations,
    optionally clipped to [k_low, k_high]."""
    forward = spot * np.exp((RATE - SPX_Q) * e.years)
    sd = base_vol * np.sqrt(max(e.tau, 1 / 252))
    lo, hi = max(np.log(forward) - 30 * sd, np.log(max(k_low, 1e-9))), min(np.log(forward) + 30 * sd, np.log(k_high))
    x = np.linspace(lo, hi, 200_001)
    k = np.exp(x)
    vol = smile_vol(root, spot, base_vol, k, e.years, e.tau)
    q = black_scholes(np.full(k.size, spot), k, np.full(k.size, e.years), vol, k >= forward, np.full(k.size, SPX_Q))
    return float(2 * np.exp(RATE * e.years) / e.years * np.trapz(q / k, x))


def index_and_truth(minute: int, base_vol: float, wide: bool, seed: int) -> tuple[float, float, float]:
    """(index from quotes, variance-swap index over all strikes, over the strips' strike ranges)."""
    root = ROOTS[SPXW]
    rng = np.random.default_rng(seed)
    spot = SPX_OPEN * float(np.exp(rng.normal(0, 0.005)))
    terms, full, clipped = [], [], []
    for e in snapshot_expiries(minute, wide):
        q = quote(root, spot, base_vol, e, rng)
        ev = expiry_variance(e.strikes, **q, years=e.years, discount=np.exp(-RATE * e.years))
        terms.append((e.years, ev.variance))
        if 7 < e.years * 365 < 60:  # only the terms near 30 days can be used: skip the slow others
            full.append((e.years, variance_swap(root, spot, base_vol, e)))
            clipped.append((e.years, variance_swap(root, spot, base_vol, e, ev.k_low, ev.k_high)))
    index, truth, truth_clipped = vol_index(terms), vol_index(full), vol_index(clipped)
    assert index.status == truth.status == OK
    assert (index.near_years, index.next_years) == (truth.near_years, truth.next_years)
    return index.value, truth.value, truth_clipped.value


CASES = [(30, 0.13, 1), (200, 0.17, 2), (389, 0.30, 3)]


@pytest.mark.parametrize(("minute", "base_vol", "seed"), CASES)
def test_index_matches_the_variance_swap_on_a_wide_generator_chain(minute: int, base_vol: float, seed: int) -> None:
    """Generator quotes (smile with base_vol = VIX / 100, tick-rounded mids) on 5-point strikes
    wide enough to reach the smile's flat wings: the index equals the 30-day variance swap of the
    truth smile. Measured index - variance swap: -0.004, -0.002, -0.017 vol points (index 16.9,
    21.9, 38.8; two more cases: -0.005 at 28.7, -0.002 at 14.0)."""
    index, truth, _ = index_and_truth(minute, base_vol, wide=True, seed=seed)
    assert index == pytest.approx(truth, abs=0.5)
    assert index == pytest.approx(truth, abs=0.1)


@pytest.mark.parametrize(("minute", "base_vol", "seed"), CASES)
def test_index_on_the_generators_own_strikes(minute: int, base_vol: float, seed: int) -> None:
    """The strikes a production-sized generated day lists (universe.strike_grid reaches 4.5 wing-vol
    standard deviations into the smile's wings) give the index of the full variance swap."""
    index, truth, truth_clipped = index_and_truth(minute, base_vol, wide=False, seed=seed)
    assert index == pytest.approx(truth_clipped, abs=0.1)
    assert index == pytest.approx(truth, abs=0.5)


def flat_chain(vol: float, years: float, spot: float = 100.0, step: float = 0.25) -> dict[str, np.ndarray]:
    """Exact Black-Scholes prices at constant vol on dense strikes out to far beyond the tails."""
    strike = np.arange(step, 5 * spot, step)
    forward = spot * np.exp(RATE * years)
    d1 = (np.log(forward / strike) + 0.5 * vol**2 * years) / (vol * np.sqrt(years))
    d2 = d1 - vol * np.sqrt(years)
    discount = np.exp(-RATE * years)
    call = discount * (forward * ndtr(d1) - strike * ndtr(d2))
    put = discount * (strike * ndtr(-d2) - forward * ndtr(-d1))
    return {"strike": strike, "call_mid": call, "put_mid": put, "call_bid": call, "put_bid": put, "discount": discount}


def test_flat_volatility_returns_that_volatility() -> None:
    terms = []
    for days in (23, 37):
        years = days / 365
        chain = flat_chain(0.2, years)
        discount = chain.pop("discount")
        ev = expiry_variance(**chain, years=years, discount=discount)
        assert np.sqrt(ev.variance) == pytest.approx(0.2, abs=2e-4)
        assert ev.forward == pytest.approx(100 * np.exp(RATE * years), rel=1e-12)
        assert ev.k0 <= ev.forward < ev.k0 + 0.25
        terms.append((years, ev.variance))
    index = vol_index(terms)
    assert index.status == OK
    assert index.value == pytest.approx(20.0, abs=0.02)


def test_zero_bid_cut_off_and_delta_k_edges() -> None:
    """A hand-made strip: K0 = 100 (F = 100.5); below it a zero bid at 95 (dropped, the walk goes
    on), then two zero bids at 85 and 80 (the walk stops: 75 is never reached); above it 110, a
    zero bid at 115, the missing call quote at 120 is skipped, 125 is used, 130 and 135 are zero:
    stop (140 never reached)."""
    strike = np.array([75, 80, 85, 90, 95, 100, 105, 110, 115, 120, 125, 130, 135, 140], dtype=float)
    nan = np.nan
    put_bid = np.array([1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1], dtype=float)
    call_bid = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0, nan, 1, 0, 0, 1], dtype=float)
    put_mid = np.array([0.9, 0.01, 0.01, 0.5, 0.02, 2.0, 5, 10, 15, 20, 25, 30, 35, 40], dtype=float)
    call_mid = np.array([26, 21, 16, 11, 6.5, 2.5, 0.6, 0.3, 0.02, nan, 0.1, 0.01, 0.01, 0.05], dtype=float)
    years, discount = 0.1, 1.0
    ev = expiry_variance(strike, call_mid, put_mid, call_bid, put_bid, years, discount)
    assert ev.forward == pytest.approx(100.5)  # |C - P| smallest at 100: 100 + (2.5 - 2.0)
    assert ev.k0 == 100
    strip_k = np.array([90, 100, 105, 110, 125], dtype=float)
    strip_q = np.array([0.5, 2.25, 0.6, 0.3, 0.1])
    dk = np.array([10, 7.5, 5, 10, 15], dtype=float)  # one-sided at 90 and 125
    expected = 2 / years * np.sum(dk / strip_k**2 * strip_q) - (100.5 / 100 - 1) ** 2 / years
    assert ev.variance == pytest.approx(expected, rel=1e-12)
    assert (ev.n_strikes, ev.k_low, ev.k_high) == (5, 90, 125)


def test_strip_side_and_delta_k() -> None:
    nan = np.nan
    assert strip_side(np.array([1.0, 0.0, 2.0, 0.0, 0.0, 3.0])).tolist() == [0, 2]
    assert strip_side(np.array([1.0, nan, 0.0, nan, 0.0, 3.0])).tolist() == [0]
    assert strip_side(np.array([0.0, 1.0, 0.0])).tolist() == [1]
    assert strip_side(np.array([])).tolist() == []
    np.testing.assert_array_equal(delta_k(np.array([10.0, 20.0, 25.0, 40.0])), [10.0, 7.5, 10.0, 15.0])
    np.testing.assert_array_equal(delta_k(np.array([10.0, 20.0])), [10.0, 10.0])


def test_degenerate_expiries() -> None:
    empty = np.array([])
    assert np.isnan(expiry_variance(empty, empty, empty, empty, empty, 0.1, 0.99).variance)
    one = np.array([100.0])
    ev = expiry_variance(one, one * 0.03, one * 0.02, one, one, 0.1, 0.99)
    assert np.isnan(ev.variance) and ev.n_strikes == 1  # a single strike has no dK
    nan = np.full(3, np.nan)
    k = np.array([90.0, 100, 110])
    assert np.isnan(expiry_variance(k, nan, nan, nan, nan, 0.1, 0.99).forward)
    chain = flat_chain(0.2, 0.1)
    chain.pop("discount")
    assert np.isnan(expiry_variance(**chain, years=0.0, discount=1.0).variance)
    # a forward below every strike has no K0
    assert np.isnan(expiry_variance(k, k * 0 + 1, k * 0 + 1, k, k, 0.1, 0.99, forward=50.0).k0)


def test_term_selection_and_interpolation() -> None:
    v = 0.04
    exact = vol_index([(30 / 365, v), (60 / 365, 0.09)])
    assert exact.status == OK and exact.value == pytest.approx(20.0, rel=1e-12)
    # total variance linear in time: 30-day variance from T1 = 20 d, T2 = 40 d is the average
    mixed = vol_index([(3 / 365, 1.0), (20 / 365, 0.04), (40 / 365, 0.0625), (70 / 365, 0.09)])
    expected = (20 * 0.04 * 0.5 + 40 * 0.0625 * 0.5) / 30
    assert mixed.value == pytest.approx(100 * np.sqrt(expected), rel=1e-12)
    assert (mixed.near_years, mixed.next_years) == (20 / 365, 40 / 365)
    # the 3-day expiry is below min_days; with min_days=2 it would be the near term only if nearest
    assert vol_index([(3 / 365, 0.04), (40 / 365, 0.04)]).status == NO_NEAR_TERM
    assert vol_index([(3 / 365, 0.04), (40 / 365, 0.04)], min_days=2).status == OK
    assert vol_index([(20 / 365, 0.04)]).status == NO_NEXT_TERM
    assert vol_index([]).status == NO_TERMS
    assert vol_index([(np.nan, 0.04), (20 / 365, np.nan)]).status == NO_TERMS


def test_extrapolation() -> None:
    only_near = vol_index([(14 / 365, 0.04), (21 / 365, 0.04)], extrapolate=True)
    assert only_near.status == EXTRAPOLATED and only_near.value == pytest.approx(20.0, rel=1e-12)
    only_far = vol_index([(40 / 365, 0.04), (60 / 365, 0.05), (90 / 365, 0.05)], extrapolate=True)
    expected = (40 * 0.04 * (60 - 30) / 20 + 60 * 0.05 * (30 - 40) / 20) / 30
    assert only_far.status == EXTRAPOLATED
    assert (only_far.near_years, only_far.next_years) == (40 / 365, 60 / 365)
    assert only_far.value == pytest.approx(100 * np.sqrt(expected), rel=1e-12)
    steep = vol_index([(40 / 365, 0.04), (60 / 365, 0.09)], extrapolate=True)
    assert steep.status == NEGATIVE_VARIANCE and np.isnan(steep.value)
    single = vol_index([(45 / 365, 0.0625)], extrapolate=True)
    assert single.status == FLAT and single.value == pytest.approx(25.0)


def test_many_snapshots_equal_one_by_one() -> None:
    rows = []
    expected = []
    for snap, vol in enumerate((0.15, 0.25, 0.35)):
        terms = []
        for days in (9, 23, 37, 65):
            years = days / 365
            chain = flat_chain(vol * (1 + days / 365), years, step=1.0)
            discount = chain.pop("discount")
            ev = expiry_variance(**chain, years=years, discount=discount)
            terms.append((years, ev.variance))
            n = chain["strike"].size
            rows.append(
                {"snapshot": np.full(n, snap), "years": np.full(n, years), "discount": np.full(n, discount), **chain}
            )
        expected.append(vol_index(terms))
    cols = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    shuffle = np.random.default_rng(0).permutation(cols["strike"].size)
    cols = {k: v[shuffle] for k, v in cols.items()}
    series = vol_indices(cols.pop("snapshot"), 4, **cols)
    np.testing.assert_allclose(series.value[:3], [e.value for e in expected], rtol=1e-12)
    assert series.status.tolist() == [OK, OK, OK, NO_TERMS]
    assert np.isnan(series.value[3])
    empty = np.array([])
    assert vol_indices(empty, 0, empty, empty, empty, empty, empty, empty, empty).value.size == 0
