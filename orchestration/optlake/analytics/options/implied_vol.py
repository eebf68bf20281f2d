"""Black-76 implied volatility of arrays of option prices: P. Jaeckel's "Let's Be Rational", vectorised.

``implied_vol(price, forward, strike, years, discount, is_call)`` returns, per option, the volatility
sigma with ``black76.price(forward, strike, years, sigma, is_call, discount) == price`` (``price`` is the
discounted option price, e.g. a mid quote) and a status code. Statuses (the first that applies, in
this order):

    invalid_input     price, forward, strike or discount is not a positive finite number
    expired           years <= 0 or not finite
    below_intrinsic   the undiscounted price p = price / D is below the intrinsic value
                      max(F - K, 0) (calls) / max(K - F, 0) (puts) by more than the tolerance
    no_time_value     p equals that intrinsic value within the tolerance: no volatility information
    above_maximum     p >= F (calls) / p >= K (puts): no finite volatility reaches it
    not_converged     the iteration did not settle (a safety net: not seen in testing)
    ok                solved; sigma is NaN for every other status

The tolerance is ``TIME_VALUE_TOLERANCE`` = 1e-12 relative to the intrinsic value: an in-the-money
price whose time value is smaller carries no usable volatility information in double precision.

Accuracy: 1e-10 absolute in sigma (typically 1e-14) wherever the price determines sigma that well,
i.e. wherever 4 eps p / vega <= 1e-11: out-of-the-money prices down to the smallest normal double,
expiries of a minute, volatilities from 1% to 500%. Below that, for deep in-the-money prices whose
time value sits in the last digits of the intrinsic value, sigma is as accurate as the price allows:
it reprices to the given price within rounding. Checked against Jaeckel's reference implementation
(``lets_be_rational`` 1.1.2) and by round trips (tests/test_options_implied_vol.py).

Method. In-the-money options are solved on their out-of-the-money counterpart by put-call parity
(undiscounted OTM price = p - intrinsic), so every option becomes the normalised problem

    b(x, s) = beta,   x = -|ln(F/K)| <= 0,  beta = p_otm / sqrt(F K),  sigma = s / sqrt(T),

with b the normalised out-of-the-money Black price of ``black76.normalised_black`` (no cancellation,
deep out of the money included) and b_max = e^(x/2). Following Jaeckel (Wilmott 2015), the s axis is
split at s_c = sqrt(2|x|) (the inflexion point of b) and the tangent points s_l = s_c - b_c/b'_c and
s_h = s_c + (b_max - b_c)/b'_c into four segments. The initial guess is a shape-preserving rational
cubic interpolation (Delbourgo & Gregory) of s(beta) on the two middle segments, and of Jaeckel's
transformed maps on the outer ones: f_lower = 2 pi |x| N(-|x|/(sqrt3 s))^3 / sqrt27 (the asymptotic
form of b for small s, inverted with the normal quantile) and f_upper = N(-s/2) (near b_max). Third-order
Householder iterations follow, on g(s) = 1/ln b(s) - 1/ln beta in the lowest segment, on
g(s) = ln(b_max - beta) - ln(b_max - b(s)) in the highest (when beta > b_max/2) and on
g(s) = b(s) - beta elsewhere. Each evaluation tightens the segment's bracket; an iterate outside it, or
a step that cannot be evaluated (b or b' underflowed), is replaced by bisection at the bracket's
geometric middle. Two iterations reach double precision. An option is solved when its Householder
step is at most ``CONVERGED_STEP`` = 1e-6 of s (the convergence is quartic: after a step that small the
error left is far below rounding), when b(s) equals beta to ``MATCHED_PRICE`` (2 eps, relative), or when its bracket
has shrunk to one ulp; the rest iterate again, up to ``MAX_ITERATIONS``. Every step is a numpy
operation over the still-active options: no per-option Python loop. About 10^6 options per second
on one core (benchmarks/iv_solver.py).

The outer maps, their derivatives and the control parameters of the rational cubic transcribe
Jaeckel's reference implementation (Copyright 2013-2014 Peter Jaeckel. Permission to use, copy, modify,
and distribute this software is freely granted, provided that this notice is preserved.)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr, ndtri

from optlake.analytics.options.black76 import normalised_black, normalised_black_unchecked, normalised_vega

OK = "ok"
EXPIRED = "expired"
BELOW_INTRINSIC = "below_intrinsic"
NO_TIME_VALUE = "no_time_value"
ABOVE_MAXIMUM = "above_maximum"
INVALID_INPUT = "invalid_input"
NOT_CONVERGED = "not_converged"
STATUSES = (OK, EXPIRED, BELOW_INTRINSIC, NO_TIME_VALUE, ABOVE_MAXIMUM, INVALID_INPUT, NOT_CONVERGED)

TIME_VALUE_TOLERANCE = 1e-12  # relative to the intrinsic value
CONVERGED_STEP = 1e-6  # relative Householder step after which an option is solved (module docstring)
MATCHED_PRICE = 2.0 * np.finfo(float).eps  # relative |b(s) - beta| at which s is solved (module docstring)
MAX_ITERATIONS = 40

EPS = np.finfo(float).eps
TINY = np.finfo(float).tiny
HUGE = np.finfo(float).max
SQRT_3 = np.sqrt(3.0)
TWO_PI = 2.0 * np.pi
TWO_PI_OVER_SQRT_27 = TWO_PI / np.sqrt(27.0)
SQRT_PI_OVER_2 = np.sqrt(np.pi / 2.0)
MIN_CONTROL = -(1.0 - np.sqrt(EPS))  # rational cubic control parameter bounds (Delbourgo-Gregory)
MAX_CONTROL = 2.0 / (EPS * EPS)

LOWER, MIDDLE, UPPER = 0, 1, 2  # objective of the iteration


# -- shape-preserving rational cubic interpolation (Delbourgo & Gregory 1985), vectorised ---------------


def _rational_cubic(x, x_l, x_r, y_l, y_r, d_l, d_r, r):
    """Rational cubic through (x_l, y_l), (x_r, y_r) with slopes d_l, d_r and control parameter r."""
    h = x_r - x_l
    t = (x - x_l) / h
    omt = 1.0 - t
    t2, omt2 = t * t, omt * omt
    cubic = (y_r * t2 * t + (r * y_r - h * d_r) * t2 * omt + (r * y_l + h * d_l) * t * omt2 + y_l * omt2 * omt) / (
        1.0 + (r - 3.0) * t * omt
    )
    linear = y_r * t + y_l * (1.0 - t)
    return np.where(h == 0, 0.5 * (y_l + y_r), np.where(r >= MAX_CONTROL, linear, cubic))


def _control_from_ratio(numerator, denominator):
    out = np.where(numerator > 0, MAX_CONTROL, MIN_CONTROL)
    out = np.where(np.abs(denominator) < TINY, out, numerator / np.where(denominator == 0, 1.0, denominator))
    return np.where(np.abs(numerator) < TINY, 0.0, out)


def _minimum_control(d_l, d_r, slope, prefer_shape: bool):
    """The smallest control parameter keeping the interpolant monotone / convex as its data are."""
    monotonic = (d_l * slope >= 0) & (d_r * slope >= 0)
    convex = (d_l <= slope) & (slope <= d_r)
    concave = (d_l >= slope) & (slope >= d_r)
    r1 = np.full_like(slope, -HUGE)
    nonzero = np.abs(slope) >= TINY
    r1 = np.where(monotonic & nonzero, (d_r + d_l) / np.where(nonzero, slope, 1.0), r1)
    if prefer_shape:
        r1 = np.where(monotonic & ~nonzero, MAX_CONTROL, r1)
    s_m_d_l, d_r_m_s = slope - d_l, d_r - slope
    both = (np.abs(s_m_d_l) >= TINY) & (np.abs(d_r_m_s) >= TINY)
    spread = d_r - d_l
    r2_value = np.maximum(np.abs(spread / np.where(both, d_r_m_s, 1.0)), np.abs(spread / np.where(both, s_m_d_l, 1.0)))
    r2 = np.full_like(slope, -HUGE)
    shaped = convex | concave
    r2 = np.where(shaped & both, r2_value, r2)
    if prefer_shape:
        r2 = np.where((shaped & ~both) | (~shaped & monotonic), MAX_CONTROL, r2)
    r = np.maximum(MIN_CONTROL, np.maximum(r1, r2))
    return np.where(monotonic | convex | concave, r, MIN_CONTROL)


def _control_right(x_l, x_r, y_l, y_r, d_l, d_r, second_r, prefer_shape: bool):
    """Control parameter matching the second derivative at the right end, at least the shape minimum."""
    h = x_r - x_l
    r = _control_from_ratio(0.5 * h * second_r + (d_r - d_l), d_r - (y_r - y_l) / h)
    return np.maximum(r, _minimum_control(d_l, d_r, (y_r - y_l) / h, prefer_shape))


def _control_left(x_l, x_r, y_l, y_r, d_l, d_r, second_l, prefer_shape: bool):
    """Control parameter matching the second derivative at the left end, at least the shape minimum."""
    h = x_r - x_l
    r = _control_from_ratio(0.5 * h * second_l + (d_r - d_l), (y_r - y_l) / h - d_l)
    return np.maximum(r, _minimum_control(d_l, d_r, (y_r - y_l) / h, prefer_shape))


# -- Jaeckel's outer maps ----------------------------------------------------------------------------


def _lower_map(x, s):
    """f_lower(s) = 2 pi/sqrt(27) |x| N(-z)^3, z = |x|/(sqrt3 s), and its first two derivatives in beta."""
    ax = np.abs(x)
    z = ax / (SQRT_3 * s)
    y = z * z
    s2 = s * s
    big_phi = ndtr(-z)
    phi = np.exp(-0.5 * y) / np.sqrt(TWO_PI)
    fpp = (
        (np.pi / 6.0)
        * y
        / (s2 * s)
        * big_phi
        * (8.0 * SQRT_3 * s * ax + (3.0 * s2 * (s2 - 8.0) - 8.0 * x * x) * big_phi / phi)
        * np.exp(2.0 * y + 0.25 * s2)
    )
    fp = TWO_PI * y * big_phi * big_phi * np.exp(y + 0.125 * s2)
    f = TWO_PI_OVER_SQRT_27 * ax * big_phi**3
    return f, fp, fpp


def _inverse_lower_map(x, f):
    return np.abs(x / (SQRT_3 * ndtri(np.cbrt(f / (TWO_PI_OVER_SQRT_27 * np.abs(x))))))


def _upper_map(x, s):
    """f_upper(s) = N(-s/2) and its first two derivatives in beta."""
    w = (x / s) ** 2
    return ndtr(-0.5 * s), -0.5 * np.exp(0.5 * w), SQRT_PI_OVER_2 * np.exp(w + 0.125 * s * s) * w / s


# -- the normalised solver ----------------------------------------------------------------------------


def _initial_guess(beta: np.ndarray, x: np.ndarray, b_max: np.ndarray):
    """Jaeckel's rational guess: (s, s_left, s_right, objective kind) for each (beta, x), x <= 0."""
    s_c = np.sqrt(-2.0 * x)
    b_c = normalised_black(x, s_c)
    v_c = normalised_vega(x, s_c)
    low = beta < b_c
    # s_l for the lower half, s_h for the upper: one evaluation of b for both
    s_lh = np.where(low, s_c - b_c / v_c, np.where(v_c > TINY, s_c + (b_max - b_c) / v_c, s_c))
    b_lh = normalised_black(x, s_lh)
    v_lh = normalised_vega(x, s_lh)

    s = np.empty_like(beta)
    s_left = np.full_like(beta, TINY)
    s_right = np.full_like(beta, HUGE)
    kind = np.full(beta.shape, MIDDLE, dtype=np.int8)

    lowest = np.flatnonzero(low & (beta < b_lh))
    if lowest.size:
        xi, bi, sl, bl = x[lowest], beta[lowest], s_lh[lowest], b_lh[lowest]
        f_l, fp_l, fpp_l = _lower_map(xi, sl)
        r = _control_right(0.0, bl, 0.0, f_l, 1.0, fp_l, fpp_l, True)
        f = _rational_cubic(bi, 0.0, bl, 0.0, f_l, 1.0, fp_l, r)
        u = bi / bl
        f = np.where(f > 0, f, (f_l * u + bl * (1.0 - u)) * u)
        s[lowest] = _inverse_lower_map(xi, f)
        s_right[lowest] = sl
        kind[lowest] = LOWER

    lower_middle = np.flatnonzero(low & (beta >= b_lh))
    if lower_middle.size:
        i = lower_middle
        r = _control_right(b_lh[i], b_c[i], s_lh[i], s_c[i], 1.0 / v_lh[i], 1.0 / v_c[i], 0.0, False)
        s[i] = _rational_cubic(beta[i], b_lh[i], b_c[i], s_lh[i], s_c[i], 1.0 / v_lh[i], 1.0 / v_c[i], r)
        s_left[i], s_right[i] = s_lh[i], s_c[i]

    upper_middle = np.flatnonzero(~low & (beta <= b_lh))
    if upper_middle.size:
        i = upper_middle
        r = _control_left(b_c[i], b_lh[i], s_c[i], s_lh[i], 1.0 / v_c[i], 1.0 / v_lh[i], 0.0, False)
        s[i] = _rational_cubic(beta[i], b_c[i], b_lh[i], s_c[i], s_lh[i], 1.0 / v_c[i], 1.0 / v_lh[i], r)
        s_left[i], s_right[i] = s_c[i], s_lh[i]

    highest = np.flatnonzero(~low & (beta > b_lh))
    if highest.size:
        i = highest
        xi, bi, sh, bh, bm = x[i], beta[i], s_lh[i], b_lh[i], b_max[i]
        f_h, fp_h, fpp_h = _upper_map(xi, sh)
        r = _control_left(bh, bm, f_h, 0.0, fp_h, -0.5, fpp_h, True)
        f = np.where(np.abs(fpp_h) < np.sqrt(HUGE), _rational_cubic(bi, bh, bm, f_h, 0.0, fp_h, -0.5, r), -1.0)
        width = bm - bh
        u = (bi - bh) / width
        f = np.where(f > 0, f, (f_h * (1.0 - u) + 0.5 * width * u) * (1.0 - u))
        s[i] = -2.0 * ndtri(f)
        s_left[i] = sh
        kind[i] = np.where(bi > 0.5 * bm, UPPER, MIDDLE)
    return s, s_left, s_right, kind


def _lower_terms(beta, b, bp, b_halley, b_hh3):
    """(newton, halley, hh3) = (-g/g', g''/g', g'''/g') of g(s) = 1/ln b(s) - 1/ln beta, the lowest segment."""
    ln_b, ln_beta = np.log(b), np.log(beta)
    inv = 1.0 / ln_b
    bpob = bp / b
    newton = (ln_beta - ln_b) * ln_b / ln_beta / bpob
    halley = b_halley - bpob * (1.0 + 2.0 * inv)
    hh3 = b_hh3 + 2.0 * bpob * bpob * (1.0 + 3.0 * inv * (1.0 + inv)) - 3.0 * b_halley * bpob * (1.0 + 2.0 * inv)
    return np.where((b > 0) & (bp > 0), newton, np.nan), halley, hh3


def _upper_terms(beta, b, bp, b_max, b_halley, b_hh3):
    """(newton, halley, hh3) of g(s) = ln(b_max - beta) - ln(b_max - b(s)), the highest segment."""
    gap = b_max - b
    gp = bp / gap
    newton = -np.log((b_max - beta) / gap) / gp
    halley = b_halley + gp
    hh3 = b_hh3 + gp * (2.0 * gp + 3.0 * b_halley)
    return np.where((gap > 0) & (bp > TINY), newton, np.nan), halley, hh3


def _householder_step(beta, x, s, b, bp, b_max, kind):
    """The third-order Householder step ds = newton (1 + halley newton/2) / (1 + newton (halley +
    hh3 newton/6)) of each option's objective (module docstring); NaN where the objective cannot be
    evaluated (b or b' underflowed, b at its maximum), where the caller bisects instead."""
    h = x / s
    halley = h * h / s - 0.25 * s  # b''/b'
    hh3 = halley * halley - 3.0 * (h / s) ** 2 - 0.25  # b'''/b'
    newton = (beta - b) / bp  # g = b - beta
    i = np.flatnonzero(kind == LOWER)
    if i.size:
        newton[i], halley[i], hh3[i] = _lower_terms(beta[i], b[i], bp[i], halley[i], hh3[i])
    i = np.flatnonzero(kind == UPPER)
    if i.size:
        newton[i], halley[i], hh3[i] = _upper_terms(beta[i], b[i], bp[i], b_max[i], halley[i], hh3[i])
    return newton * (1.0 + 0.5 * halley * newton) / (1.0 + newton * (halley + hh3 * newton / 6.0))


def _middle(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The bisection point of a bracket: its geometric middle, so that the open initial brackets
    (TINY, s_l) and (s_h, HUGE) shrink by orders of magnitude, not by halves."""
    return np.sqrt(left) * np.sqrt(right)


def normalised_implied_vol(beta: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """s with b(x, s) = beta for 1-d arrays of finite x <= 0 and 0 < beta < e^(x/2), and whether each
    converged. Floating-point warnings of the edge cases are the caller's to silence."""
    b_max = np.exp(0.5 * x)
    s, s_left, s_right, kind = _initial_guess(beta, x, b_max)
    solved = np.zeros(beta.shape, dtype=bool)
    active = np.arange(beta.size)
    for iteration in range(MAX_ITERATIONS):
        if active.size == 0:
            break
        every = active.size == beta.size
        beta_a, x_a, s_a, left, right, kind_a, b_max_a = (
            a if every else a[active] for a in (beta, x, s, s_left, s_right, kind, b_max)
        )
        if iteration > 0:  # an iterate outside its bracket: bisect
            s_a = np.where((s_a > left) & (s_a < right), s_a, _middle(left, right))
        b = normalised_black_unchecked(x_a, s_a)
        bp = normalised_vega(x_a, s_a)
        right = np.where((b > beta_a) & (s_a < right), s_a, right)
        left = np.where((b < beta_a) & (s_a > left), s_a, left)
        ds = _householder_step(beta_a, x_a, s_a, b, bp, b_max_a, kind_a)
        householder = np.isfinite(ds)
        ds = np.maximum(np.where(householder, ds, _middle(left, right) - s_a), -0.5 * s_a)
        matched = np.abs(b - beta_a) <= MATCHED_PRICE * beta_a  # b(s) = beta to rounding: s is the answer
        s_new = np.where(matched, s_a, s_a + ds)
        done = (householder & (np.abs(ds) <= CONVERGED_STEP * s_new)) | matched | (right - left <= EPS * s_new)
        s[active], s_left[active], s_right[active] = s_new, left, right
        solved[active[done]] = True
        active = active[~done]
    return s, solved


# -- the public entry point ---------------------------------------------------------------------------


def implied_vol(
    price: ArrayLike,
    forward: ArrayLike,
    strike: ArrayLike,
    years: ArrayLike,
    discount: ArrayLike,
    is_call: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """(sigma, status) per option, arrays broadcast; sigma NaN unless status is ``ok`` (module docstring)."""
    arrays = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (price, forward, strike, years, discount)), np.asarray(is_call, bool)
    )
    shape = arrays[0].shape
    price, forward, strike, years, discount, call = (a.ravel() for a in arrays)
    status = np.full(price.shape, OK, dtype="<U15")
    iv = np.full(price.shape, np.nan)
    with np.errstate(all="ignore"):
        valid = (price > 0) & (forward > 0) & (strike > 0) & (discount > 0)
        valid &= np.isfinite(price) & np.isfinite(forward) & np.isfinite(strike) & np.isfinite(discount)
        live = valid & (years > 0) & np.isfinite(years)
        p = price / discount
        intrinsic = np.maximum(np.where(call, forward - strike, strike - forward), 0.0)
        tolerance = TIME_VALUE_TOLERANCE * intrinsic
        below = p < intrinsic - tolerance
        flat = p <= intrinsic + tolerance
        above = p >= np.where(call, forward, strike)
        status[live & above] = ABOVE_MAXIMUM
        status[live & flat] = NO_TIME_VALUE
        status[live & below] = BELOW_INTRINSIC
        status[valid & ~live] = EXPIRED
        status[~valid] = INVALID_INPUT
        todo = np.flatnonzero(live & ~flat & ~above)
        if todo.size:
            f, k = forward[todo], strike[todo]
            beta = (p[todo] - intrinsic[todo]) / np.sqrt(f * k)
            x = -np.abs(np.log(f / k))
            reachable = beta < np.exp(0.5 * x)  # p < F (calls), p < K (puts) can round to b >= b_max
            status[todo[~reachable]] = ABOVE_MAXIMUM
            todo, beta, x = todo[reachable], beta[reachable], x[reachable]
            s, solved = normalised_implied_vol(beta, x)
            solved &= np.isfinite(s) & (s > 0)
            iv[todo] = np.where(solved, s / np.sqrt(years[todo]), np.nan)
            status[todo[~solved]] = NOT_CONVERGED
    return iv.reshape(shape), status.reshape(shape)
