"""Black-76 prices and greeks (analytics/options/black76.py) against independent references.

QuantLib 1.44's ``BlackCalculator`` (the naive D [F N(d1) - K N(d2)], compared where its own rounding is
negligible), Jaeckel's ``lets_be_rational`` reference Black function (deep out of the money) and central
finite differences of ``price`` (every greek, in its own convention: theta in T with F and the rate held,
rho by moving the rate with the spot held). Test dependencies only; no Spark.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from scipy.special import ndtr

from optlake.analytics.options import black76

ql = pytest.importorskip("QuantLib")
lbr = pytest.importorskip("lets_be_rational")

MINUTE = 1.0 / 525_600
RATE = 0.04
GREEKS = ("delta", "gamma", "vega", "theta", "rho", "forward_delta")


def grid(**axes: list) -> dict[str, np.ndarray]:
    """Every combination of the axes, as flat arrays (strike given as moneyness K/F)."""
    rows = np.array(list(itertools.product(*axes.values())), dtype=float)
    out = dict(zip(axes, rows.T, strict=True))
    out["is_call"] = out["is_call"].astype(bool)
    out["strike"] = out["forward"] * out.pop("moneyness")
    return out


@pytest.fixture(scope="module")
def wide() -> dict[str, np.ndarray]:
    """Forward levels, deep ITM to deep OTM, one minute to two years, 1% to 500% volatility."""
    return grid(
        forward=[0.5, 100.0, 5000.0],
        moneyness=[0.5, 0.8, 0.95, 1.0, 1.05, 1.25, 2.0],
        years=[MINUTE, 1 / 365, 0.1, 1.0, 2.0],
        vol=[0.01, 0.2, 1.0, 5.0],
        is_call=[True, False],
        discount=[1.0, 0.95],
    )


def rows(g: dict[str, np.ndarray]):
    """(forward, strike, years, vol, is_call, discount) per option."""
    return zip(*(g[a] for a in ("forward", "strike", "years", "vol", "is_call", "discount")), strict=True)


def quantlib(g: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """QuantLib's BlackCalculator value and forward greeks, in this module's units."""
    out: dict[str, list[float]] = {k: [] for k in ("value", "delta", "gamma", "vega", "rho")}
    for f, k, t, v, c, d in rows(g):
        payoff = ql.PlainVanillaPayoff(ql.Option.Call if c else ql.Option.Put, k)
        calc = ql.BlackCalculator(payoff, f, v * np.sqrt(t), d)
        out["value"].append(calc.value())
        out["delta"].append(calc.deltaForward())
        out["gamma"].append(calc.gammaForward())
        out["vega"].append(calc.vega(t) / 100)
        out["rho"].append(calc.rho(t) / 100)
    return {k: np.array(v) for k, v in out.items()}


def natural_scale(g: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each greek's natural size for the option (its at-the-money order of magnitude)."""
    f, k, t, v, d = g["forward"], g["strike"], g["years"], g["vol"], g["discount"]
    return {
        "delta": d,
        "forward_delta": np.ones_like(d),
        "gamma": d / (f * v * np.sqrt(t)),
        "vega": d * f * np.sqrt(t) / 100,
        "theta": d * f * v / np.sqrt(t) / 365,
        "rho": t * k * d / 100,
    }


def close(ours: np.ndarray, reference: np.ndarray, scale: np.ndarray, tol: float) -> np.ndarray:
    """|ours - reference| <= tol (|reference| + 1e-3 scale): relative, with a floor far below the scale."""
    return np.abs(ours - reference) <= tol * (np.abs(reference) + 1e-3 * scale)


def call(g: dict[str, np.ndarray], fn, **changes):
    args = {k: g[k] for k in ("forward", "strike", "years", "vol", "is_call", "discount")} | changes
    return fn(**args)


# -- prices ------------------------------------------------------------------------------------------


def test_price_matches_quantlib_where_its_formula_is_exact(wide):
    ours = call(wide, black76.price)
    ref = quantlib(wide)["value"]
    # QuantLib subtracts two terms: compare where they are at most ~10x the value and not in the far tail
    s = wide["vol"] * np.sqrt(wide["years"])
    d1 = np.log(wide["forward"] / wide["strike"]) / s + s / 2
    term = np.where(wide["is_call"], wide["forward"] * ndtr(d1), wide["strike"] * ndtr(s - d1)) * wide["discount"]
    clean = (term < 10 * ref) & (ref > 1e-6 * wide["forward"])
    assert clean.sum() > 500
    np.testing.assert_allclose(ours[clean], ref[clean], rtol=1e-12, atol=0)


def test_price_matches_jaeckel_deep_out_of_the_money_and_everywhere(wide):
    ours = call(wide, black76.price)
    ref = np.array([d * lbr.black(f, k, v, t, 1 if c else -1) for f, k, t, v, c, d in rows(wide)])
    representable = ref > 1e-300
    assert (ours[representable] / wide["forward"][representable]).min() < 1e-100  # far tails are in the grid
    np.testing.assert_allclose(ours[representable], ref[representable], rtol=1e-12, atol=0)
    assert np.all(ours[~representable] <= 1e-300)


def test_put_call_parity_and_bounds(wide):
    g = {**wide, "is_call": np.ones_like(wide["is_call"])}
    calls = call(g, black76.price)
    puts = call({**g, "is_call": np.zeros_like(g["is_call"])}, black76.price)
    f, k, d = wide["forward"], wide["strike"], wide["discount"]
    assert np.all(np.abs((calls - puts) - d * (f - k)) <= 1e-14 * (f + k))
    assert np.all(calls >= d * np.maximum(f - k, 0)) and np.all(calls <= d * f)
    assert np.all(puts >= d * np.maximum(k - f, 0)) and np.all(puts <= d * k)


def test_price_increases_with_volatility_even_in_the_tails():
    vols = np.geomspace(0.01, 5.0, 400)
    for moneyness, years in [(0.5, 1 / 365), (0.99, MINUTE), (1.0, MINUTE), (1.01, MINUTE), (1.5, 0.1), (2.0, 2.0)]:
        prices = black76.price(100.0, 100.0 * moneyness, years, vols, moneyness >= 1, 1.0)  # out of the money
        positive = prices[prices > 1e-300]
        assert positive.size > 50 and np.all(np.diff(positive) > 0), (moneyness, years)


def test_edge_inputs_give_limits_or_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prices = black76.price(100.0, [90.0, 110.0, 100.0, 100.0], [0.0, 0.0, -1.0, np.nan], 0.2, True, 0.9)
        greeks = black76.greeks(100.0, 100.0, [0.0, MINUTE, 1.0], [0.2, 0.2, 0.0], True, 0.9)
        extreme = black76.price(100.0, [1e-6, 1e6], [MINUTE, 2.0], [1e-4, 50.0], [True, False], 1.0)
        extreme_greeks = black76.greeks(100.0, [1e-6, 1e6, 100.0], [MINUTE, 2.0, 1e-12], [1e-4, 50.0, 5.0], True, 1.0)
    np.testing.assert_allclose(prices[:2], [9.0, 0.0])
    assert np.isnan(prices[2:]).all()  # T < 0, or NaN
    for name in GREEKS:
        value = getattr(greeks, name)
        assert np.isnan(value[[0, 2]]).all() and np.isfinite(value[1])
        assert np.isfinite(getattr(extreme_greeks, name)).all()
    assert np.isfinite(extreme).all()


def test_broadcasting_and_shapes():
    strikes = np.array([[90.0], [110.0]])
    prices = black76.price(100.0, strikes, [0.5, 1.0, 2.0], 0.2, [[True], [False]], 0.97)
    assert prices.shape == (2, 3)
    assert black76.greeks(100.0, strikes, [0.5, 1.0, 2.0], 0.2, True, 0.97).vega.shape == (2, 3)
    assert black76.price(100.0, 100.0, 1.0, 0.2, True, 1.0).shape == ()


# -- greeks ------------------------------------------------------------------------------------------


def test_greeks_match_quantlib(wide):
    ours = call(wide, black76.greeks)
    ref = quantlib(wide)
    scale = natural_scale(wide)
    for name in ("delta", "gamma", "vega", "rho"):
        ok = close(getattr(ours, name), ref[name], scale[name], 1e-10)
        assert ok.all(), f"{name}: {np.flatnonzero(~ok)[:5]}"
    forward_delta = ref["delta"] / wide["discount"]  # QuantLib's deltaForward is discounted
    assert close(ours.forward_delta, forward_delta, scale["forward_delta"], 1e-10).all()


def derivative(fn, at: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Fourth-order central difference (f(-2h) - 8 f(-h) + 8 f(h) - f(2h)) / 12h."""
    return (fn(at - 2 * step) - 8 * fn(at - step) + 8 * fn(at + step) - fn(at + 2 * step)) / (12 * step)


@pytest.fixture(scope="module")
def smooth() -> dict[str, np.ndarray]:
    """Finite differences need the price to vary on a scale above rounding: T from a day up."""
    g = grid(
        forward=[100.0],
        moneyness=[0.5, 0.8, 0.95, 1.0, 1.05, 1.2, 2.0],
        years=[1 / 365, 0.05, 0.25, 1.0, 2.0],
        vol=[0.05, 0.2, 0.6, 1.5, 3.0],
        is_call=[True, False],
        discount=[1.0],
    )
    g["discount"] = np.exp(-RATE * g["years"])
    return g


def test_greeks_match_central_finite_differences(smooth):
    g = smooth
    f, k, t, v, c, d = (g[a] for a in ("forward", "strike", "years", "vol", "is_call", "discount"))
    ours = black76.greeks(f, k, t, v, c, d)
    h_forward = 1e-3 * f * v * np.sqrt(t)  # the price varies on the scale F sigma sqrt(T)
    numeric = {
        "delta": derivative(lambda x: black76.price(x, k, t, v, c, d), f, h_forward),
        "forward_delta": derivative(lambda x: black76.price(x, k, t, v, c, 1.0), f, h_forward),
        "gamma": derivative(lambda x: black76.greeks(x, k, t, v, c, d).delta, f, h_forward),
        "vega": derivative(lambda x: black76.price(f, k, t, x, c, d), v, 1e-3 * v) / 100,
        # theta: forward and rate held, so D = exp(-r T) moves with T
        "theta": -derivative(lambda x: black76.price(f, k, x, v, c, np.exp(-RATE * x)), t, 1e-3 * t) / 365,
        # rho: spot held, the forward grows with the rate: F = F0 exp(dr T), D = exp(-(r + dr) T)
        "rho": derivative(
            lambda dr: black76.price(f * np.exp(dr * t), k, t, v, c, np.exp(-(RATE + dr) * t)), np.zeros_like(t), 1e-4
        )
        / 100,
    }
    scale = natural_scale(g)
    for name in GREEKS:
        ok = close(getattr(ours, name), numeric[name], scale[name], 1e-8)
        assert ok.all(), f"{name}: {np.flatnonzero(~ok)[:5]}"


def test_theta_and_rho_closed_forms():
    """The documented formulas, written out once more: theta = (r V - D F n(d1) sigma / (2 sqrt T)) / 365."""
    f, k, t, v, d = 100.0, 110.0, 0.5, 0.3, np.exp(-RATE * 0.5)
    s = v * np.sqrt(t)
    d1 = np.log(f / k) / s + s / 2
    density = np.exp(-d1 * d1 / 2) / np.sqrt(2 * np.pi)
    for is_call in (True, False):
        g = black76.greeks(f, k, t, v, is_call, d)
        value = black76.price(f, k, t, v, is_call, d)
        assert g.theta == pytest.approx((RATE * value - d * f * density * v / (2 * np.sqrt(t))) / 365, rel=1e-12)
        sign = 1 if is_call else -1
        assert g.rho == pytest.approx(sign * t * k * d * ndtr(sign * (d1 - s)) / 100, rel=1e-12)
        assert g.forward_delta == pytest.approx(ndtr(d1) - (0 if is_call else 1), rel=1e-12)
