"""Black-76 prices and greeks of European options on a forward, vectorised numpy.

Inputs broadcast against each other: forward F, strike K, years to expiry T, volatility sigma
(annualised), ``is_call`` (True for calls, False for puts) and the discount factor D to the payment
date. With s = sigma sqrt(T), d1 = ln(F/K)/s + s/2, d2 = d1 - s, N the standard normal distribution
function and n its density:

    V (call) = D [F N(d1) - K N(d2)]          V (put) = D [K N(-d2) - F N(-d1)]

Greeks (``greeks``), all in price units of the option (multiply by the contract multiplier):

    delta          dV/dF = D N(d1) (call), -D N(-d1) (put): the Black-76 forward delta, discounted
    forward_delta  N(d1) (call), N(d1) - 1 = -N(-d1) (put): the undiscounted delta of volatility
                   surface grids (a put of forward delta -0.25 sits at call delta 0.75)
    gamma          d2V/dF2 = D n(d1) / (F sigma sqrt T)
    vega           dV/dsigma per volatility point (0.01) = D F n(d1) sqrt(T) / 100
    theta          -dV/dT per calendar day with F and the rate held:
                   (r V - D F n(d1) sigma / (2 sqrt T)) / 365, with r = -ln(D) / T
    rho            dV/dr per rate point (0.01) with the spot held, so that the forward grows with the
                   rate (F = S exp((r - q) T), D = exp(-r T); as QuantLib's BlackCalculator.rho):
                   T K D N(d2) / 100 (call), -T K D N(-d2) / 100 (put)

Prices are computed without cancellation, in Jaeckel's normalised form: with x = ln(F/K),

    V = D [max(theta (F - K), 0) + sqrt(F K) b(-|x|, s)],   theta = +1 (call), -1 (put),

where b(x, s) = N(x/s + s/2) e^(x/2) - N(x/s - s/2) e^(-x/2) for x <= 0 is the normalised price of
the out-of-the-money option (the put-call symmetry b_put(x) = b_call(-x) maps every option onto it).
``normalised_black`` evaluates b in the four regions of P. Jaeckel, "Let's Be Rational" (Wilmott,
2015), with h = x/s, t = s/2:

1. h < -10 and t < tau + |h| - 10: asymptotic expansion of (Y(h+t) - Y(h-t)), Y = N/n (17th order);
2. t < tau = 2 eps^(1/16) ~ 0.21: Taylor expansion in t to 12th order;
3. h + t > 0.85: the direct formula (its first term dominates);
4. otherwise b = exp(-(h^2 + t^2)/2) [erfcx(-(h+t)/sqrt2) - erfcx(-(h-t)/sqrt2)] / 2.

This keeps full relative precision from deep out of the money (prices down to the smallest normal
double) to the maximum, for expiries of minutes and volatilities of several hundred percent. The
expansions transcribe Jaeckel's reference implementation (Copyright 2013-2014 Peter Jaeckel.
Permission to use, copy, modify, and distribute this software is freely granted, provided that this
notice is preserved.)

Edge cases: ``price`` returns the discounted intrinsic value where s = 0 (T = 0 or sigma = 0) and NaN
for T < 0, sigma < 0 or non-finite inputs; ``greeks`` are NaN unless T > 0 and sigma > 0. No
function warns, logs or mutates its inputs.
"""

from __future__ import annotations

from math import comb, pi, sqrt
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import erfcx, ndtr

ONE_OVER_SQRT_2PI = 1.0 / sqrt(2.0 * pi)
SQRT_PI_OVER_2 = sqrt(pi / 2.0)
ONE_OVER_SQRT_2 = 1.0 / sqrt(2.0)
DAYS_PER_YEAR = 365.0
POINT = 0.01  # vega and rho are per volatility / rate point

ASYMPTOTIC_H = -10.0  # region 1: h below this
SMALL_T = 2.0 * np.finfo(float).eps ** (1.0 / 16.0)  # region 2: t below this (~0.2102)
DIRECT_D1 = 0.85  # region 3: d1 = h + t above this


def _asymptotic_coefficients(order: int = 17) -> np.ndarray:
    """c[k, j] of the asymptotic sum A = sum_k q^k sum_j c[k, j] e^j (Jaeckel's region 1):
    c[k, j] = (-1)^k (2k-1)!! 2 C(2k+1, 2j+1), with q = (h/r)^2, e = (t/h)^2, r = (h+t)(h-t)."""
    c = np.zeros((order + 1, order + 1))
    double_factorial = 1.0
    for k in range(order + 1):
        if k > 0:
            double_factorial *= 2 * k - 1
        for j in range(k + 1):
            c[k, j] = (-1) ** k * double_factorial * 2 * comb(2 * k + 1, 2 * j + 1)
    return c


ASYMPTOTIC_COEFFICIENTS = _asymptotic_coefficients()


def _asymptotic_region(h: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Region 1: b = n(sqrt(h^2 + t^2)) (t/r) A(h, t), A the 17th-order expansion in q and e."""
    e = (t / h) ** 2
    r = (h + t) * (h - t)
    q = (h / r) ** 2
    total = np.zeros_like(h)
    for k in range(len(ASYMPTOTIC_COEFFICIENTS) - 1, -1, -1):
        inner = np.full_like(h, ASYMPTOTIC_COEFFICIENTS[k, k])
        for j in range(k - 1, -1, -1):
            inner = inner * e + ASYMPTOTIC_COEFFICIENTS[k, j]
        total = total * q + inner
    return ONE_OVER_SQRT_2PI * np.exp(-0.5 * (h * h + t * t)) * (t / r) * total


def _small_t_region(h: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Region 2: b = n(sqrt(h^2 + t^2)) (Y(h+t) - Y(h-t)), with the odd Taylor terms of Y around h
    written in a = Y'(h) = 1 + h Y(h), Y(h) = sqrt(pi/2) erfcx(-h/sqrt2), w = t^2 and g = h^2."""
    a = 1.0 + h * SQRT_PI_OVER_2 * erfcx(-ONE_OVER_SQRT_2 * h)
    w = t * t
    g = h * h
    c6 = (-89055 + 135135 * a + g * (-82845 + 270270 * a + g * (-20370 + 135135 * a + g * (-1926 + 25740 * a + g * (-75 + 2145 * a + g * (-1 + 78 * a + a * g)))))) / 6227020800.0  # fmt: skip
    c5 = (-6555 + 10395 * a + g * (-4680 + 17325 * a + g * (-840 + 6930 * a + g * (-52 + 990 * a + g * (-1 + 55 * a + a * g))))) / 39916800.0  # fmt: skip
    c4 = (-561 + 945 * a + g * (-285 + 1260 * a + g * (-33 + 378 * a + g * (-1 + 36 * a + a * g)))) / 362880.0
    c3 = (-57 + 105 * a + g * (-18 + 105 * a + g * (-1 + 21 * a + a * g))) / 5040.0
    c2 = (-7 + 15 * a + g * (-1 + 10 * a + a * g)) / 120.0
    c1 = (-1 + 3 * a + a * g) / 6.0
    expansion = 2.0 * t * (a + w * (c1 + w * (c2 + w * (c3 + w * (c4 + w * (c5 + w * c6))))))
    return ONE_OVER_SQRT_2PI * np.exp(-0.5 * (h * h + t * t)) * expansion


def _direct_region(h: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Region 3: b = N(h+t) e^(x/2) - N(h-t) e^(-x/2), x = 2 h t."""
    half_x = h * t
    return ndtr(h + t) * np.exp(half_x) - ndtr(h - t) * np.exp(-half_x)


def _erfcx_region(h: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Region 4: b = exp(-(h^2 + t^2)/2) [erfcx(-(h+t)/sqrt2) - erfcx(-(h-t)/sqrt2)] / 2."""
    return (
        0.5 * np.exp(-0.5 * (h * h + t * t)) * (erfcx(-ONE_OVER_SQRT_2 * (h + t)) - erfcx(-ONE_OVER_SQRT_2 * (h - t)))
    )


def normalised_black_unchecked(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """b(x, s) for 1-d arrays of finite x <= 0 and finite s > 0, without checks (the solver's inner loop)."""
    h = x / s
    t = 0.5 * s
    out = np.empty_like(h)
    asymptotic = (h < ASYMPTOTIC_H) & (t + h < SMALL_T + ASYMPTOTIC_H)
    small_t = ~asymptotic & (t < SMALL_T)
    direct = ~asymptotic & ~small_t & (h + t > DIRECT_D1)
    rest = ~(asymptotic | small_t | direct)
    for mask, region in (
        (asymptotic, _asymptotic_region),
        (small_t, _small_t_region),
        (direct, _direct_region),
        (rest, _erfcx_region),
    ):
        index = np.flatnonzero(mask)
        if index.size:
            out[index] = region(h[index], t[index])
    return out


def normalised_black(x: ArrayLike, s: ArrayLike) -> np.ndarray:
    """b(x, s) = N(x/s + s/2) e^(x/2) - N(x/s - s/2) e^(-x/2) for x <= 0, s >= 0 (arrays broadcast):
    the out-of-the-money Black price divided by sqrt(F K), x = -|ln(F/K)|, s = sigma sqrt(T).
    It increases from 0 at s = 0 to b_max = e^(x/2) at s = +inf; NaN for x > 0, s < 0 or NaN inputs."""
    x, s = _inputs(x, s)
    out = np.full(x.shape, np.nan)
    with np.errstate(all="ignore"):
        b_max = np.exp(0.5 * x)
        valid = (x <= 0) & (s >= 0)
        out[valid & (s == 0)] = 0.0
        out[valid & (s == np.inf)] = b_max[valid & (s == np.inf)]
        inner = valid & (s > 0) & (s < np.inf) & (x > -np.inf)
        out[inner] = np.clip(normalised_black_unchecked(x[inner], s[inner]), 0.0, b_max[inner])
    return out


def normalised_vega(x: ArrayLike, s: ArrayLike) -> np.ndarray:
    """db/ds = exp(-(x^2/s^2 + s^2/4)/2) / sqrt(2 pi), the normalised vega; at x = 0 this is
    exp(-s^2/8) / sqrt(2 pi) for every s, elsewhere 0 at s = 0."""
    with np.errstate(all="ignore"):
        h = np.where(x == 0, 0.0, np.divide(x, s))
        return ONE_OVER_SQRT_2PI * np.exp(-0.5 * (h * h + 0.25 * np.square(s)))


def _inputs(*arrays: ArrayLike) -> list[np.ndarray]:
    return list(np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in arrays)))


def _option_inputs(
    forward: ArrayLike, strike: ArrayLike, years: ArrayLike, vol: ArrayLike, is_call: ArrayLike, discount: ArrayLike
) -> tuple[np.ndarray, ...]:
    """The float inputs and the call flag, broadcast to one shape."""
    *floats, call = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (forward, strike, years, vol, discount)), np.asarray(is_call, dtype=bool)
    )
    return (*floats, call)


def price(
    forward: ArrayLike, strike: ArrayLike, years: ArrayLike, vol: ArrayLike, is_call: ArrayLike, discount: ArrayLike
) -> np.ndarray:
    """Discounted Black-76 value D [F N(d1) - K N(d2)] (calls) / D [K N(-d2) - F N(-d1)] (puts),
    evaluated as D [max(theta (F - K), 0) + sqrt(F K) b(-|ln(F/K)|, sigma sqrt T)] (module docstring)."""
    forward, strike, years, vol, discount, call = _option_inputs(forward, strike, years, vol, is_call, discount)
    with np.errstate(all="ignore"):
        intrinsic = np.maximum(np.where(call, forward - strike, strike - forward), 0.0)
        b = normalised_black(-np.abs(np.log(forward / strike)), vol * np.sqrt(years))
        return discount * (intrinsic + np.sqrt(forward * strike) * b)


class Greeks(NamedTuple):
    """Black-76 sensitivities, conventions in the module docstring."""

    delta: np.ndarray
    gamma: np.ndarray
    vega: np.ndarray
    theta: np.ndarray
    rho: np.ndarray
    forward_delta: np.ndarray


def greeks(
    forward: ArrayLike, strike: ArrayLike, years: ArrayLike, vol: ArrayLike, is_call: ArrayLike, discount: ArrayLike
) -> Greeks:
    """delta, gamma, vega, theta, rho and forward_delta (module docstring); NaN unless T > 0 and sigma > 0."""
    forward, strike, years, vol, discount, call = _option_inputs(forward, strike, years, vol, is_call, discount)
    value = price(forward, strike, years, vol, call, discount)
    with np.errstate(all="ignore"):
        root_t = np.where((years > 0) & (vol > 0), np.sqrt(years), np.nan)
        s = vol * root_t
        d1 = np.log(forward / strike) / s + 0.5 * s
        d2 = d1 - s
        discounted_density = discount * ONE_OVER_SQRT_2PI * np.exp(-0.5 * d1 * d1)  # D n(d1)
        forward_delta = np.where(call, ndtr(d1), -ndtr(-d1))
        cash_probability = np.where(call, ndtr(d2), -ndtr(-d2))  # N(d2) / -N(-d2)
        rate = -np.log(discount) / years
        return Greeks(
            delta=discount * forward_delta,
            gamma=discounted_density / (forward * s),
            vega=discounted_density * forward * root_t * POINT,
            theta=(rate * value - discounted_density * forward * vol / (2.0 * root_t)) / DAYS_PER_YEAR,
            rho=years * strike * discount * cash_probability * POINT,
            forward_delta=forward_delta,
        )
