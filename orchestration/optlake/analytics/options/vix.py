"""A 30-day volatility index by the Cboe VIX white-paper method, for one or many snapshots.

**Per expiry** (strikes ascending, a call and a put mid and bid per strike, ``T`` in years,
``D = exp(-R T)`` the discount factor):

1. Forward: at the strike ``K*`` where ``|C - P|`` is smallest (both mids quoted),
   ``F = K* + e^{RT} (C - P)``.
2. ``K0`` = the first strike at or below ``F``.
3. Strip of out-of-the-money options: puts at strikes below ``K0``, calls above, and at ``K0``
   the average of the call and put mids. From ``K0`` walk outward on each side, strike by
   strike; stop after two consecutive zero bids; strikes with a zero bid are left out. (A strike
   not quoted at all on that side, NaN mid or bid, is skipped: it neither counts nor breaks a
   run of zero bids.)
4. ``dK_i = (K_{i+1} - K_{i-1}) / 2`` over the strip's strikes; at the lowest and the highest
   strike the one-sided difference to its neighbour.
5. Variance::

       sigma^2 = (2 / T) sum_i dK_i / K_i^2 e^{RT} Q(K_i)  -  (1 / T) (F / K0 - 1)^2

**Term selection and interpolation.** ``N_T`` = minutes to expiry (``T * 525600``),
``N_30 = 43200``, ``N_365 = 525600``. The near term is the expiry nearest to 30 days with
``min_days < T <= 30`` days (Cboe: more than 23 days for SPX; 7 here by default, so that weekly
expiries bracket 30 days as they do in Cboe's current SPX method with weeklies); the next term
is the nearest with ``T > 30`` days. Then::

    VIX = 100 sqrt( { T1 s1^2 (N_T2 - N_30) / (N_T2 - N_T1) + T2 s2^2 (N_30 - N_T1) / (N_T2 - N_T1) }
                    x N_365 / N_30 )

that is, total variance linearly interpolated in time to 30 days, annualised. When one side is
missing the value is NaN with status ``no_near_term`` / ``no_next_term`` (``no_terms`` when no
expiry has a variance). With ``extrapolate=True`` the same formula is applied to the two
expiries nearest 30 days on the side that exists (a linear extrapolation of total variance;
``extrapolated``), or, with a single usable expiry, its variance is taken as flat
(``flat``); a negative extrapolated variance gives NaN (``negative_variance``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import NamedTuple

import numpy as np

MINUTES_PER_YEAR = 365 * 1440
TARGET_DAYS = 30
MIN_DAYS = 7

OK = "ok"
EXTRAPOLATED = "extrapolated"
FLAT = "flat"
NO_TERMS = "no_terms"
NO_NEAR_TERM = "no_near_term"
NO_NEXT_TERM = "no_next_term"
NEGATIVE_VARIANCE = "negative_variance"


class ExpiryVariance(NamedTuple):
    variance: float  # sigma^2 of the expiry (annualised), NaN when it cannot be computed
    forward: float  # F used (NaN without a call/put pair)
    k0: float  # the strike at or below F (NaN when none)
    n_strikes: int  # strikes in the out-of-the-money strip (K0 included)
    k_low: float  # the strip's lowest strike (NaN without a strip)
    k_high: float  # the strip's highest strike


class VolIndex(NamedTuple):
    value: float  # the index (vol points, e.g. 17.3), NaN when it cannot be computed
    near_years: float  # T of the near term used (NaN when none)
    next_years: float  # T of the next term used (NaN when none)
    status: str  # ok, extrapolated, flat, no_terms, no_near_term, no_next_term, negative_variance


class VolIndexSeries(NamedTuple):
    """``VolIndex`` per snapshot, as arrays of length ``n_snapshots``."""

    value: np.ndarray
    near_years: np.ndarray
    next_years: np.ndarray
    status: np.ndarray  # str


def parity_forward(strike: np.ndarray, call_mid: np.ndarray, put_mid: np.ndarray, discount: float) -> float:
    """``F = K* + (C - P) / D`` at the strike of smallest ``|C - P|`` (NaN without a pair)."""
    diff = np.abs(call_mid - put_mid)
    if not np.any(np.isfinite(diff)):
        return float("nan")
    i = int(np.nanargmin(diff))
    return float(strike[i] + (call_mid[i] - put_mid[i]) / discount)


def strip_side(bid: np.ndarray) -> np.ndarray:
    """Positions (in walking order from K0 outward) kept on one side of the strip.

    NaN bids (not quoted) are skipped; the walk stops at the first of two consecutive zero bids;
    zero bids are left out.
    """
    quoted = np.flatnonzero(np.isfinite(bid))
    zero = bid[quoted] <= 0
    stops = np.flatnonzero(zero[:-1] & zero[1:])
    end = stops[0] if stops.size else quoted.size
    return quoted[:end][~zero[:end]]


def delta_k(strikes: np.ndarray) -> np.ndarray:
    """Half the distance between neighbours; one-sided at both ends (needs >= 2 strikes)."""
    dk = np.empty_like(strikes)
    dk[1:-1] = (strikes[2:] - strikes[:-2]) / 2
    dk[0] = strikes[1] - strikes[0]
    dk[-1] = strikes[-1] - strikes[-2]
    return dk


def otm_strip(
    strike: np.ndarray,
    call_mid: np.ndarray,
    put_mid: np.ndarray,
    call_bid: np.ndarray,
    put_bid: np.ndarray,
    k0_index: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The strip's strikes (ascending) and option prices ``Q(K)`` around ``K0 = strike[k0_index]``."""
    put_ok = np.isfinite(put_mid[:k0_index])
    below = np.arange(k0_index)[::-1]
    below = below[strip_side(np.where(put_ok, put_bid[:k0_index], np.nan)[::-1])][::-1]
    call_ok = np.isfinite(call_mid[k0_index + 1 :])
    above = np.arange(k0_index + 1, strike.size)
    above = above[strip_side(np.where(call_ok, call_bid[k0_index + 1 :], np.nan))]
    at_k0 = (call_mid[k0_index] + put_mid[k0_index]) / 2
    strikes = np.concatenate([strike[below], strike[[k0_index]], strike[above]])
    prices = np.concatenate([put_mid[below], [at_k0], call_mid[above]])
    return strikes, prices


def expiry_variance(
    strike: np.ndarray,
    call_mid: np.ndarray,
    put_mid: np.ndarray,
    call_bid: np.ndarray,
    put_bid: np.ndarray,
    years: float,
    discount: float,
    forward: float | None = None,
) -> ExpiryVariance:
    """Cboe variance ``sigma^2`` of one expiry (see the module docstring).

    Arrays have one entry per strike (NaN where that side is not quoted); they are sorted by
    strike here. ``forward`` replaces the white paper's single-strike forward when given (e.g. a
    parity fit).
    """
    strike, call_mid, put_mid, call_bid, put_bid = (
        np.asarray(a, dtype=float).ravel() for a in (strike, call_mid, put_mid, call_bid, put_bid)
    )
    keep = np.isfinite(strike) & (strike > 0)
    order = np.argsort(strike[keep], kind="stable")
    strike, call_mid, put_mid, call_bid, put_bid = (
        a[keep][order] for a in (strike, call_mid, put_mid, call_bid, put_bid)
    )
    nan = float("nan")
    nothing = ExpiryVariance(nan, nan, nan, 0, nan, nan)
    if not (years > 0 and discount > 0) or strike.size == 0:
        return nothing
    f = parity_forward(strike, call_mid, put_mid, discount) if forward is None else float(forward)
    k0_index = int(np.searchsorted(strike, f, side="right")) - 1 if np.isfinite(f) else -1
    if k0_index < 0:
        return nothing._replace(forward=f)
    k0 = float(strike[k0_index])
    strikes, prices = otm_strip(strike, call_mid, put_mid, call_bid, put_bid, k0_index)
    k_low, k_high = float(strikes[0]), float(strikes[-1])
    if strikes.size < 2 or not np.all(np.isfinite(prices)):
        return ExpiryVariance(nan, f, k0, int(strikes.size), k_low, k_high)
    total = np.sum(delta_k(strikes) / strikes**2 * prices) / discount
    variance = 2 / years * total - (f / k0 - 1) ** 2 / years
    return ExpiryVariance(float(variance), f, k0, int(strikes.size), k_low, k_high)


def interpolate_variance(near: tuple[float, float], far: tuple[float, float], target_years: float) -> float:
    """Total variance linearly interpolated (or extrapolated) in minutes to the target, annualised."""
    (t1, v1), (t2, v2) = near, far
    n1, n2, n_target = t1 * MINUTES_PER_YEAR, t2 * MINUTES_PER_YEAR, target_years * MINUTES_PER_YEAR
    total = t1 * v1 * (n2 - n_target) / (n2 - n1) + t2 * v2 * (n_target - n1) / (n2 - n1)
    return total * MINUTES_PER_YEAR / n_target


def vol_index(
    terms: Sequence[tuple[float, float]],
    *,
    target_days: float = TARGET_DAYS,
    min_days: float = MIN_DAYS,
    extrapolate: bool = False,
) -> VolIndex:
    """The index from ``(years, variance)`` per expiry (see the module docstring)."""
    usable = sorted((float(t), float(v)) for t, v in terms if np.isfinite(t) and np.isfinite(v) and t > 0 and v >= 0)
    target = target_days / 365
    near = [tv for tv in usable if min_days / 365 < tv[0] <= target]
    far = [tv for tv in usable if tv[0] > target]
    if near and far:
        pair, status = (near[-1], far[0]), OK
    elif not near and not far:
        return VolIndex(float("nan"), float("nan"), float("nan"), NO_TERMS)
    elif not extrapolate:
        side = (near[-1][0], float("nan")) if near else (float("nan"), far[0][0])
        return VolIndex(float("nan"), *side, NO_NEXT_TERM if near else NO_NEAR_TERM)
    elif len(near) + len(far) == 1:
        (t, v) = (near or far)[0]
        return VolIndex(100 * float(np.sqrt(v)), t if near else float("nan"), t if far else float("nan"), FLAT)
    else:
        pair, status = ((near[-2], near[-1]) if near else (far[0], far[1])), EXTRAPOLATED
    variance = interpolate_variance(pair[0], pair[1], target)
    if variance < 0:
        return VolIndex(float("nan"), pair[0][0], pair[1][0], NEGATIVE_VARIANCE)
    return VolIndex(100 * float(np.sqrt(variance)), pair[0][0], pair[1][0], status)


def vol_indices(
    snapshot: np.ndarray,
    n_snapshots: int,
    years: np.ndarray,
    strike: np.ndarray,
    call_mid: np.ndarray,
    put_mid: np.ndarray,
    call_bid: np.ndarray,
    put_bid: np.ndarray,
    discount: np.ndarray,
    *,
    target_days: float = TARGET_DAYS,
    min_days: float = MIN_DAYS,
    extrapolate: bool = False,
) -> VolIndexSeries:
    """The index of many snapshots: one row per (snapshot 0 .. n_snapshots - 1, expiry, strike).

    An expiry is identified by its ``years`` within a snapshot; ``discount`` is per row (the same
    on every row of an expiry). Loops in Python over snapshots and expiries, not over strikes.
    """
    snapshot = np.asarray(snapshot, dtype=np.int64).ravel()
    years, strike, call_mid, put_mid, call_bid, put_bid, discount = (
        np.asarray(a, dtype=float).ravel() for a in (years, strike, call_mid, put_mid, call_bid, put_bid, discount)
    )
    order = np.lexsort((strike, years, snapshot))
    snapshot, years, strike, call_mid, put_mid, call_bid, put_bid, discount = (
        a[order] for a in (snapshot, years, strike, call_mid, put_mid, call_bid, put_bid, discount)
    )
    new_expiry = np.flatnonzero((np.diff(snapshot) != 0) | (np.diff(years) != 0)) + 1
    bounds = np.concatenate([[0], new_expiry, [snapshot.size]]) if snapshot.size else np.array([0])
    terms: list[list[tuple[float, float]]] = [[] for _ in range(n_snapshots)]
    for start, stop in pairwise(bounds.tolist()):
        s = snapshot[start]
        if not 0 <= s < n_snapshots:
            continue
        part = slice(start, stop)
        ev = expiry_variance(
            strike[part], call_mid[part], put_mid[part], call_bid[part], put_bid[part], years[start], discount[start]
        )
        terms[s].append((years[start], ev.variance))
    results = [vol_index(t, target_days=target_days, min_days=min_days, extrapolate=extrapolate) for t in terms]
    return VolIndexSeries(
        np.array([r.value for r in results], dtype=float),
        np.array([r.near_years for r in results], dtype=float),
        np.array([r.next_years for r in results], dtype=float),
        np.array([r.status for r in results], dtype=str),
    )
