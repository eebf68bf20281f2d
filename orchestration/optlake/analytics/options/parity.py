"""Implied forward and discount factor from put-call parity, for many groups at once.

A group is one root, expiry and snapshot minute. Its input rows are the strikes quoted on both
sides: a call mid ``C`` and a put mid ``P`` at strike ``K``, each with its bid/ask spread. For
European options put-call parity says, with ``D`` the discount factor to expiry and ``F`` the
forward::

    C - P = D (F - K)

Per group:

1. **Nearest the money.** The strikes with the smallest ``|C - P|`` (at most ``max_strikes``,
   8 by default): there ``|C - P| = D |F - K|`` is smallest, the quotes are the tightest and
   early exercise and dividend-timing effects the weakest.
2. **Weights.** ``w = 1 / (s_C + s_P)^2`` with ``s`` the quoted spread: a mid is uncertain in
   proportion to its spread.
3. **First fit with the curve's discount** ``D_r`` (``rate_discount``, from the Treasury curve):
   ``F = sum w (K + (C - P) / D_r) / sum w``.
4. **Outliers.** Residuals ``e = (C - P) - D_r (F - K)`` in units of the combined spread,
   ``z = e / (s_C + s_P)``; robust sigma ``1.4826 * median |z|``. A strike is dropped when
   ``|z| > max(n_sigmas * sigma, 1/2)``: a residual within half the combined spread is always
   consistent with parity (the true prices lie inside both quotes) and is never an outlier.
5. **Refit** on the kept strikes, two ways:

   - ``parity_rate_discount``: ``D = D_r``, ``F = sum w (K + (C - P) / D) / sum w``
     (one strike suffices);
   - ``parity_fit``: the weighted least-squares line ``C - P = a + b K`` gives ``D = -b`` and
     ``F = a / D``, i.e. ``F = Kbar + ybar / D`` with ``Kbar``, ``ybar`` the weighted means of
     ``K`` and ``C - P``. It is used only when ``D`` is identifiable: at least ``min_fit_strikes``
     strikes, the standard error of the implied rate ``-ln(D) / T`` at most ``max_rate_se``
     (the mid noise is taken as ``noise * (s_C + s_P)`` per strike, or the observed residual
     scatter when larger), and the fitted rate within ``rate_band`` of the curve's rate.
     Near-dated groups rarely qualify: ``D`` differs from 1 by ``r T``, less than the noise.

   With no strike pair at all (no two-sided strike, only calls or only puts) ``F`` and ``D`` are
   NaN and the method is ``none``: the caller falls back to the underlying's price.

``residual`` is the weighted root-mean-square of ``(C - P) - D (F - K)`` over the kept strikes,
in price units. Everything is vectorised: groups are handled by sorting (``np.lexsort``) and
per-group sums (``np.bincount``), never by a Python loop over groups.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

PARITY_FIT = "parity_fit"
PARITY_RATE_DISCOUNT = "parity_rate_discount"
NONE = "none"

MAX_STRIKES = 8
OUTLIER_SIGMAS = 3.0
MIN_OUTLIER_Z = 0.5  # |residual| <= half the combined spread is never an outlier
MAD_TO_SIGMA = 1.4826
MIN_FIT_STRIKES = 3
MAX_RATE_SE = 0.0025  # standard error of the parity-implied rate allowed for a joint fit (25 bp)
RATE_BAND = 0.01  # the parity rate must lie within 100 bp of the curve's rate
NOISE = 0.25  # assumed standard deviation of C - P, as a fraction of the combined spread
MIN_SPREAD_REL = 1e-9  # spreads are floored at this fraction of the strike (zero-spread input)


class ParityFit(NamedTuple):
    """Per group (arrays of length ``n_groups``)."""

    forward: np.ndarray  # float, NaN when method is "none"
    discount: np.ndarray  # float, NaN when method is "none"
    method: np.ndarray  # str: "parity_fit", "parity_rate_discount" or "none"
    n_strikes: np.ndarray  # int64, strikes used in the final fit
    residual: np.ndarray  # float, weighted RMS of (C - P) - D (F - K) over the strikes used


def group_starts(sorted_group: np.ndarray, n_groups: int) -> np.ndarray:
    """Index of each group's first row in rows sorted by group (length ``n_groups + 1``)."""
    return np.concatenate([[0], np.cumsum(np.bincount(sorted_group, minlength=n_groups))])


def rank_within(group: np.ndarray, key: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows ordered by (group, key) and each ordered row's 0-based rank within its group."""
    order = np.lexsort((key, group))
    starts = group_starts(group[order], n_groups)
    return order, np.arange(order.size) - starts[group[order]]


def group_median(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of ``values`` per group (NaN for empty groups)."""
    order = np.lexsort((values, group))
    sorted_values = values[order]
    starts = group_starts(group[order], n_groups)
    counts = np.diff(starts)
    has = counts > 0
    low = starts[:-1] + np.maximum(counts - 1, 0) // 2
    high = starts[:-1] + counts // 2
    median = np.full(n_groups, np.nan)
    median[has] = 0.5 * (sorted_values[low[has]] + sorted_values[high[has]])
    return median


def group_sum(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of ``values`` per group."""
    return np.bincount(group, weights=values, minlength=n_groups)


def forward_given_discount(
    group: np.ndarray, strike: np.ndarray, diff: np.ndarray, weight: np.ndarray, discount: np.ndarray, n_groups: int
) -> np.ndarray:
    """Weighted mean of ``K + (C - P) / D`` per group (NaN without rows)."""
    total = group_sum(group, weight, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return group_sum(group, weight * (strike + diff / discount[group]), n_groups) / total


def valid_rows(
    group: np.ndarray,
    n_groups: int,
    strike: np.ndarray,
    call_mid: np.ndarray,
    put_mid: np.ndarray,
    call_spread: np.ndarray,
    put_spread: np.ndarray,
    rate_discount: np.ndarray,
) -> np.ndarray:
    """Rows usable for parity: group in range, finite positive strike, finite mids and spreads."""
    in_range = (group >= 0) & (group < n_groups)
    ok = in_range & np.isfinite(strike) & (strike > 0) & np.isfinite(call_mid) & np.isfinite(put_mid)
    ok &= np.isfinite(call_spread) & np.isfinite(put_spread) & (call_spread >= 0) & (put_spread >= 0)
    good_discount = np.isfinite(rate_discount) & (rate_discount > 0)
    ok[in_range] &= good_discount[group[in_range]]
    return ok


def joint_fit(
    group: np.ndarray,
    strike: np.ndarray,
    diff: np.ndarray,
    weight: np.ndarray,
    combined_spread: np.ndarray,
    n_groups: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least squares of ``C - P = a + b K`` per group: (discount, forward, se of discount).

    The standard error of ``b`` uses the mid noise ``NOISE * (s_C + s_P)``, or the observed
    residual scatter (reduced chi-square) when that is larger.
    """
    total = group_sum(group, weight, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        k_bar = group_sum(group, weight * strike, n_groups) / total
        y_bar = group_sum(group, weight * diff, n_groups) / total
        k_c = strike - k_bar[group]
        sxx = group_sum(group, weight * k_c * k_c, n_groups)
        slope = group_sum(group, weight * k_c * (diff - y_bar[group]), n_groups) / sxx
        discount = -slope
        forward = k_bar + y_bar / discount
        residual = diff - y_bar[group] - slope[group] * k_c
        n = np.bincount(group, minlength=n_groups)
        chi2 = group_sum(group, (residual / (NOISE * combined_spread)) ** 2, n_groups) / np.maximum(n - 2, 1)
        precision = group_sum(group, (k_c / (NOISE * combined_spread)) ** 2, n_groups)
        se = np.sqrt(np.maximum(chi2, 1.0) / precision)
    return discount, forward, se


def fit_forward(
    group: np.ndarray,
    n_groups: int,
    strike: np.ndarray,
    call_mid: np.ndarray,
    put_mid: np.ndarray,
    call_spread: np.ndarray,
    put_spread: np.ndarray,
    years: np.ndarray,
    rate_discount: np.ndarray,
    *,
    max_strikes: int = MAX_STRIKES,
    outlier_sigmas: float = OUTLIER_SIGMAS,
    min_fit_strikes: int = MIN_FIT_STRIKES,
    max_rate_se: float = MAX_RATE_SE,
    rate_band: float = RATE_BAND,
) -> ParityFit:
    """Forward and discount factor of each group from its call/put pairs (see the module docstring).

    ``group`` (int, 0 .. n_groups - 1), ``strike``, the mids and the spreads have one entry per
    strike quoted on both sides; ``years`` (time to expiry) and ``rate_discount`` (the curve's
    discount factor ``exp(-r T)``) have one entry per group. Rows with a NaN input are ignored.
    """
    group = np.asarray(group, dtype=np.int64).ravel()
    strike, call_mid, put_mid, call_spread, put_spread = (
        np.asarray(a, dtype=float).ravel() for a in (strike, call_mid, put_mid, call_spread, put_spread)
    )
    years = np.broadcast_to(np.asarray(years, dtype=float), (n_groups,))
    rate_discount = np.broadcast_to(np.asarray(rate_discount, dtype=float), (n_groups,))

    ok = valid_rows(group, n_groups, strike, call_mid, put_mid, call_spread, put_spread, rate_discount)
    group, strike = group[ok], strike[ok]
    diff = call_mid[ok] - put_mid[ok]
    combined = np.maximum(call_spread[ok] + put_spread[ok], MIN_SPREAD_REL * strike)

    # 1. the strikes nearest the money
    order, rank = rank_within(group, np.abs(diff), n_groups)
    near = order[rank < max_strikes]
    group, strike, diff, combined = group[near], strike[near], diff[near], combined[near]
    weight = 1.0 / combined**2

    # 2. first fit with the curve's discount, then drop outliers
    forward0 = forward_given_discount(group, strike, diff, weight, rate_discount, n_groups)
    z = np.abs(diff - rate_discount[group] * (forward0[group] - strike)) / combined
    sigma = MAD_TO_SIGMA * group_median(group, z, n_groups)
    keep = z <= np.maximum(outlier_sigmas * sigma[group], MIN_OUTLIER_Z)
    group, strike, diff, combined, weight = group[keep], strike[keep], diff[keep], combined[keep], weight[keep]
    n_strikes = np.bincount(group, minlength=n_groups)

    # 3. refit both ways and choose
    forward_r = forward_given_discount(group, strike, diff, weight, rate_discount, n_groups)
    discount_j, forward_j, se_j = joint_fit(group, strike, diff, weight, combined, n_groups)
    use_joint = joint_identifiable(discount_j, se_j, n_strikes, years, rate_discount, min_fit_strikes, max_rate_se)
    use_joint &= plausible_rate(discount_j, years, rate_discount, rate_band)

    has = n_strikes > 0
    forward = np.where(use_joint, forward_j, np.where(has, forward_r, np.nan))
    discount = np.where(use_joint, discount_j, np.where(has, rate_discount, np.nan))
    method = np.where(use_joint, PARITY_FIT, np.where(has, PARITY_RATE_DISCOUNT, NONE))
    residual = weighted_rms(group, strike, diff, weight, forward, discount, n_groups)
    return ParityFit(forward, discount, method, n_strikes.astype(np.int64), residual)


def joint_identifiable(
    discount: np.ndarray,
    se: np.ndarray,
    n_strikes: np.ndarray,
    years: np.ndarray,
    rate_discount: np.ndarray,
    min_fit_strikes: int,
    max_rate_se: float,
) -> np.ndarray:
    """True where the joint fit has enough strikes and its implied rate is precise enough."""
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_se = se / (np.abs(discount) * years)
    return (n_strikes >= min_fit_strikes) & (years > 0) & np.isfinite(rate_se) & (rate_se <= max_rate_se)


def plausible_rate(discount: np.ndarray, years: np.ndarray, rate_discount: np.ndarray, rate_band: float) -> np.ndarray:
    """True where ``-ln(D) / T`` lies within ``rate_band`` of the curve's rate ``-ln(D_r) / T``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = (np.log(rate_discount) - np.log(discount)) / years
    return (discount > 0) & np.isfinite(gap) & (np.abs(gap) <= rate_band)


def weighted_rms(
    group: np.ndarray,
    strike: np.ndarray,
    diff: np.ndarray,
    weight: np.ndarray,
    forward: np.ndarray,
    discount: np.ndarray,
    n_groups: int,
) -> np.ndarray:
    """Weighted root-mean-square of ``(C - P) - D (F - K)`` per group (NaN without rows)."""
    residual = diff - discount[group] * (forward[group] - strike)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(group_sum(group, weight * residual**2, n_groups) / group_sum(group, weight, n_groups))
