"""The vectorised implied-volatility solver (analytics/options/implied_vol.py).

Accuracy is 1e-10 in volatility wherever the price determines the volatility that well: the tests
measure, per option, the volatility uncertainty that the rounding of its price alone implies,
``4 eps p / vega`` (large only for deep in-the-money prices whose time value is lost in the last digits
of the intrinsic value), and require ``|iv - sigma| <= 1e-10 + that``; on the grid below that bound is
1e-10 for deep out-of-the-money prices down to 1e-280 of the forward, one-minute expiries, volatilities
from 1% to 500% and deep in-the-money options. References: round trips sigma -> price -> iv and
price -> iv -> price through ``black76.price``, Jaeckel's ``lets_be_rational`` 1.1.2 and QuantLib's
``blackFormulaImpliedStdDev``. Every status comes from a targeted input, without warnings.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from optlake.analytics.options import black76
from optlake.analytics.options.implied_vol import (
    ABOVE_MAXIMUM,
    BELOW_INTRINSIC,
    EXPIRED,
    INVALID_INPUT,
    NO_TIME_VALUE,
    NOT_CONVERGED,
    OK,
    STATUSES,
    implied_vol,
)

lbr = pytest.importorskip("lets_be_rational")
ql = pytest.importorskip("QuantLib")

MINUTE = 1.0 / 525_600
EPS = np.finfo(float).eps
TOL = 1e-10


def solve(price, forward, strike, years, discount, is_call):
    """implied_vol with every warning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return implied_vol(price, forward, strike, years, discount, is_call)


def vol_uncertainty(price, forward, strike, years, vol, discount) -> np.ndarray:
    """4 eps p / vega (undiscounted, per unit of volatility): what the rounding of the price leaves undetermined."""
    with np.errstate(all="ignore"):
        s = vol * np.sqrt(years)
        d1 = np.log(forward / strike) / s + s / 2
        vega = forward * np.exp(-d1 * d1 / 2) / np.sqrt(2 * np.pi) * np.sqrt(years)
        return 4 * EPS * (price / discount) / vega


@pytest.fixture(scope="module")
def hard() -> dict[str, np.ndarray]:
    """Deep ITM to deep OTM, one minute to two years, 1% to 500% volatility, calls and puts."""
    moneyness = np.r_[np.geomspace(0.5, 2.0, 15), 0.999, 1.001]
    years = [MINUTE, 1 / (24 * 365), 1 / 365, 7 / 365, 0.1, 0.5, 1.0, 2.0]
    rows = np.array(list(itertools.product(moneyness, years, np.geomspace(0.01, 5.0, 12), [1.0, 0.0])))
    g = {"forward": np.full(len(rows), 100.0), "years": rows[:, 1], "vol": rows[:, 2], "is_call": rows[:, 3] > 0}
    g["strike"] = 100.0 * rows[:, 0]
    g["discount"] = np.exp(-0.05 * g["years"])
    g["price"] = black76.price(g["forward"], g["strike"], g["years"], g["vol"], g["is_call"], g["discount"])
    g["iv"], g["status"] = solve(g["price"], g["forward"], g["strike"], g["years"], g["discount"], g["is_call"])
    g["intrinsic"] = np.maximum(np.where(g["is_call"], g["forward"] - g["strike"], g["strike"] - g["forward"]), 0)
    g["bound"] = vol_uncertainty(g["price"], g["forward"], g["strike"], g["years"], g["vol"], g["discount"])
    return g


def test_round_trip_volatility_price_volatility_on_the_hard_grid(hard):
    g = hard
    ok = g["status"] == OK
    normal = ok & (g["price"] >= np.finfo(float).tiny)  # subnormal prices have fewer than 15 digits
    error = np.abs(g["iv"] - g["vol"])
    assert np.all(error[normal] <= TOL + g["bound"][normal])
    # the bound is the plain 1e-10 across the hard regions: they are all in the grid
    sharp = normal & (g["bound"] <= 0.1 * TOL)
    assert np.all(error[sharp] <= TOL)
    otm = sharp & (g["intrinsic"] == 0)
    assert (otm & (g["price"] < 1e-12 * g["forward"])).sum() > 200
    assert (g["price"][otm] / g["forward"][otm]).min() < 1e-250
    assert (sharp & (g["strike"] <= 60) & g["is_call"]).sum() > 30  # deep in the money
    assert (sharp & (g["strike"] >= 160) & ~g["is_call"]).sum() > 30
    assert (sharp & (g["years"] == MINUTE)).sum() > 50
    assert (sharp & (g["vol"] == 0.01)).sum() > 50 and (sharp & (g["vol"] == 5.0)).sum() > 100
    assert sharp.sum() > 0.9 * ok.sum()


def test_statuses_on_the_hard_grid_are_the_expected_ones(hard):
    """Prices that underflow to 0 are invalid; in-the-money prices indistinguishable from intrinsic
    have no time value; every other price is solved."""
    g = hard
    time_value = g["price"] / g["discount"] - g["intrinsic"]
    expected = np.where(
        g["price"] <= 0, INVALID_INPUT, np.where(time_value <= 1e-12 * g["intrinsic"], NO_TIME_VALUE, OK)
    )
    np.testing.assert_array_equal(g["status"], expected)
    assert np.isnan(g["iv"][g["status"] != OK]).all() and np.isfinite(g["iv"][g["status"] == OK]).all()


def test_round_trip_price_volatility_price(hard):
    g = hard
    ok = g["status"] == OK
    again = black76.price(g["forward"], g["strike"], g["years"], g["iv"], g["is_call"], g["discount"])
    np.testing.assert_allclose(again[ok], g["price"][ok], rtol=1e-12, atol=0)


def test_deep_out_of_the_money_prices_down_to_1e_minus_12_of_the_forward():
    """Given prices (not generated from a volatility): each solves, reprices, and equals Jaeckel's."""
    rows = np.array(
        list(
            itertools.product(
                [0.5, 0.8, 0.95, 1.05, 1.25, 2.0], [MINUTE, 1 / 365, 0.25, 2.0], 10.0 ** -np.arange(1, 13)
            )
        )
    )
    forward, strike, years, fraction = 100.0, 100.0 * rows[:, 0], rows[:, 1], rows[:, 2]
    is_call = strike > forward
    price = fraction * forward
    cap = np.where(is_call, forward, strike)
    price = np.where(price < cap, price, np.nan)  # 10% of the forward is above a 0.5 F put's maximum
    keep = np.isfinite(price)
    price, strike, years, is_call = price[keep], strike[keep], years[keep], is_call[keep]
    iv, status = solve(price, forward, strike, years, 1.0, is_call)
    assert (status == OK).all()
    np.testing.assert_allclose(black76.price(forward, strike, years, iv, is_call, 1.0), price, rtol=1e-12, atol=0)
    reference = [
        lbr.implied_volatility_from_a_transformed_rational_guess(p, forward, k, t, 1 if c else -1)
        for p, k, t, c in zip(price, strike, years, is_call, strict=True)
    ]
    np.testing.assert_allclose(iv, reference, rtol=0, atol=TOL)
    assert iv.max() > 5 and iv.min() < 0.01  # far outside the usual range


@pytest.fixture(scope="module")
def sample() -> dict[str, np.ndarray]:
    """Random options, log-uniform in moneyness (0.4..2.5), expiry (a minute..2 years), volatility (1%..500%)."""
    rng = np.random.default_rng(20260128)
    n = 4000
    g = {
        "forward": rng.uniform(1.0, 5000.0, n),
        "years": np.exp(rng.uniform(np.log(MINUTE), np.log(2.0), n)),
        "vol": np.exp(rng.uniform(np.log(0.01), np.log(5.0), n)),
        "is_call": rng.random(n) < 0.5,
    }
    g["strike"] = g["forward"] * np.exp(rng.uniform(np.log(0.4), np.log(2.5), n))
    g["discount"] = np.exp(-rng.uniform(0.0, 0.08, n) * g["years"])
    g["price"] = black76.price(g["forward"], g["strike"], g["years"], g["vol"], g["is_call"], g["discount"])
    g["iv"], g["status"] = solve(g["price"], g["forward"], g["strike"], g["years"], g["discount"], g["is_call"])
    return g


def test_equals_lets_be_rational(sample):
    g = sample
    ok = np.flatnonzero(g["status"] == OK)
    assert ok.size > 1500
    reference = np.array(
        [
            lbr.implied_volatility_from_a_transformed_rational_guess(
                g["price"][i] / g["discount"][i],
                g["forward"][i],
                g["strike"][i],
                g["years"][i],
                1 if g["is_call"][i] else -1,
            )
            for i in ok
        ]
    )
    np.testing.assert_allclose(g["iv"][ok], reference, rtol=0, atol=TOL)


def test_random_sample_round_trip(sample):
    g = sample
    normal = (g["status"] == OK) & (g["price"] >= np.finfo(float).tiny)
    bound = vol_uncertainty(g["price"], g["forward"], g["strike"], g["years"], g["vol"], g["discount"])
    assert np.all(np.abs(g["iv"] - g["vol"])[normal] <= TOL + bound[normal])


def test_equals_quantlib_on_ordinary_options():
    strikes = np.array([80.0, 95.0, 100.0, 105.0, 130.0])
    years, vol, discount = 0.5, 0.3, 0.98
    for is_call in (True, False):
        price = black76.price(100.0, strikes, years, vol, is_call, discount)
        iv, status = solve(price, 100.0, strikes, years, discount, is_call)
        kind = ql.Option.Call if is_call else ql.Option.Put
        reference = [
            ql.blackFormulaImpliedStdDev(kind, k, 100.0, p, discount, 0.0, 0.2, 1e-15, 1000) / np.sqrt(years)
            for k, p in zip(strikes, price, strict=True)
        ]
        assert (status == OK).all()
        np.testing.assert_allclose(iv, reference, rtol=0, atol=TOL)


# -- statuses ------------------------------------------------------------------------------------------


def test_each_status_from_a_targeted_input():
    f, d, t = 100.0, 0.95, 0.5
    itm_call = 10.0 * d  # intrinsic of a 90 call, discounted
    cases = [
        # (price, strike, years, is_call, expected status)
        (0.0, 100.0, t, True, INVALID_INPUT),
        (-1.0, 100.0, t, True, INVALID_INPUT),
        (np.nan, 100.0, t, True, INVALID_INPUT),
        (np.inf, 100.0, t, True, INVALID_INPUT),
        (5.0, np.nan, t, True, INVALID_INPUT),
        (5.0, 0.0, t, True, INVALID_INPUT),
        (5.0, 100.0, 0.0, True, EXPIRED),
        (5.0, 100.0, -0.1, False, EXPIRED),
        (5.0, 100.0, np.nan, True, EXPIRED),
        (5.0, 100.0, np.inf, True, EXPIRED),
        (itm_call * 0.99, 90.0, t, True, BELOW_INTRINSIC),
        (1.0 * d, 110.0, t, False, BELOW_INTRINSIC),
        (itm_call, 90.0, t, True, NO_TIME_VALUE),
        (itm_call * (1 + 1e-14), 90.0, t, True, NO_TIME_VALUE),
        (f * d, 90.0, t, True, ABOVE_MAXIMUM),
        (f * d * 1.01, 120.0, t, True, ABOVE_MAXIMUM),
        (120.0 * d, 120.0, t, False, ABOVE_MAXIMUM),
        (itm_call * (1 + 1e-6), 90.0, t, True, OK),
        (1e-200, 150.0, t, True, OK),
        (5.0, 100.0, MINUTE, True, OK),  # 5 on 100 in one minute: a huge but finite volatility
    ]
    price, strike, years, is_call, expected = (np.array(c) for c in zip(*cases, strict=True))
    iv, status = solve(price.astype(float), f, strike.astype(float), years.astype(float), d, is_call.astype(bool))
    np.testing.assert_array_equal(status, expected)
    assert np.isnan(iv[status != OK]).all() and (iv[status == OK] > 0).all()
    # a discount that is no positive number is an invalid input too
    for bad in (0.0, -0.5, np.nan):
        assert solve(5.0, f, 100.0, t, bad, True)[1] == INVALID_INPUT


def test_statuses_are_documented_strings():
    assert set(STATUSES) == {
        OK,
        EXPIRED,
        BELOW_INTRINSIC,
        NO_TIME_VALUE,
        ABOVE_MAXIMUM,
        INVALID_INPUT,
        NOT_CONVERGED,
    }
    _, status = solve([5.0, 0.0], 100.0, 100.0, 1.0, 1.0, True)
    assert status.dtype.kind == "U" and list(status) == [OK, INVALID_INPUT]


def test_shapes_broadcast_and_empty_input():
    strikes = np.array([[90.0], [110.0]])
    years = np.array([0.25, 0.5, 1.0])
    price = black76.price(100.0, strikes, years, 0.25, True, 0.99)
    iv, status = solve(price, 100.0, strikes, years, 0.99, True)
    assert iv.shape == status.shape == (2, 3)
    np.testing.assert_allclose(iv, 0.25, rtol=0, atol=TOL)
    iv, status = solve(np.array([]), 100.0, 100.0, 1.0, 1.0, True)
    assert iv.shape == status.shape == (0,)
    iv, status = solve(8.0, 100.0, 100.0, 1.0, 1.0, True)
    assert iv.shape == () and status == OK
