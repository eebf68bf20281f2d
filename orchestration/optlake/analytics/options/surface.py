"""Daily implied-volatility surface of one underlying on a fixed (tenor, delta) grid, smoothed
with a vega-weighted Gaussian kernel in the manner of OptionMetrics IvyDB's volatility surface.

**Input**: every option of the day's last snapshot with an implied volatility: time to expiry
``T`` (years), forward delta (call ``N(d1)``, put ``N(d1) - 1``), IV, vega (per vol point) and
call/put flag. Puts are placed in call-delta space: ``delta_c = 1 + delta_put`` (a -0.25 put sits
at 0.75, where the call of the same strike would be). Options with a NaN or non-positive IV or
vega, a delta outside (0, 1) after mapping, or less than ``min_days`` to expiry (0DTE at the
close: minutes left) are not used.

**Grid**: tenors 7, 14, 30, 60, 91, 182, 365 calendar days; call deltas 0.10, 0.15, ..., 0.90.

**Kernel** (IvyDB's): at grid point ``(tau, d)`` (tau in years) each option ``i`` weighs::

    w_i = vega_i * exp(-x_i^2 / (2 h1) - y_i^2 / (2 h2) - z_i^2 / (2 h3))
    x_i = ln(tau / T_i),   y_i = delta_c_i - d,
    z_i = 0 when option i is the out-of-the-money type for the grid point (a call for d < 0.5, a
          put for d > 0.5, either at d = 0.5), else 1

and IvyDB's surface is the kernel mean ``iv(tau, d) = sum w_i iv_i / sum w_i``.

**Bandwidths** (variances; IvyDB's published values are h1 = 0.05, h2 = 0.005, h3 = 0.001):

- ``h1 = 0.05`` in log tenor (standard deviation 0.22): a node leans on the expiries within
  about +-25% of its tenor (the 24- to 37-day weeklies for the 30-day node) while 7 and 14 days
  stay distinct (ln 2 = 3 standard deviations apart).
- ``h3 = 0.001`` for the call/put indicator (standard deviation 0.03: the in-the-money type
  weighs ``exp(-500)``, i.e. only when nothing else is there). Out-of-the-money quotes carry
  the information: an in-the-money quote's spread (up to 0.3% of spot for index options) is
  tens of vol points wide in IV.
- Delta: IvyDB's ``h2 = 0.005`` (standard deviation 0.071) averages over a wide delta window. In
  the put wing an equity-index smile is steep and convex in delta (the generator's SPX smile
  goes from 27 to 45 vol between call deltas 0.90 and 0.95), and the kernel mean there is
  biased by up to 5 vol points (measured on dense generator chains; about ``h2 / 2 * iv''``
  plus a slope term where the options are unevenly spread in delta). So where the data are
  dense the surface uses a narrower delta bandwidth and a **local-linear** fit
  (``iv_i ~ a + b y_i`` by weighted least squares, the value ``a``), which removes the slope
  term: the narrowest of ``local_h_deltas`` (default 0.0001, 0.00025, 0.0005, 0.001, 0.002,
  i.e. standard deviations 0.010 to 0.045) at which the node is *supported*: an effective
  number of options ``(sum w)^2 / sum w^2`` of at least ``min_support`` (5) and at least
  ``min_side`` (10%) of the weight on each side of the node's delta (interpolation, not
  extrapolation). Where no narrow bandwidth is supported (sparse chains, the edges of the
  data) the node falls back to IvyDB's kernel mean with ``h2``. ``delta_bandwidth`` reports
  the ``h2`` used per grid point; ``local_h_deltas=()`` gives IvyDB's surface exactly.

Both means are computed on ``iv - iv0`` (``iv0`` the median input IV) and added back, so a
constant input gives exactly that constant, and the weights are scaled by their largest value
per grid point (log space) so that a node far from all data still gets the nearest data's IV
instead of 0/0.

**Derived per tenor**: ``atm = iv(0.50)``; 25-delta risk reversal ``rr25 = iv(0.25) - iv(0.75)``
(the 25-delta call minus the -25-delta put); 25-delta butterfly
``bf25 = (iv(0.25) + iv(0.75)) / 2 - atm``.

``in_range`` marks the grid points whose tenor lies between the shortest and the longest expiry
used (inclusive); the others are kernel extrapolations (the nearest expiries' smile).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

TENOR_DAYS: tuple[int, ...] = (7, 14, 30, 60, 91, 182, 365)
CALL_DELTAS: tuple[float, ...] = tuple(round(0.10 + 0.05 * i, 2) for i in range(17))
H_TENOR = 0.05  # variance of the kernel in ln(tenor) (IvyDB)
H_DELTA = 0.005  # variance of the kernel in call delta (IvyDB), the fallback
H_CALL_PUT = 0.001  # variance of the kernel in the call/put indicator (IvyDB)
LOCAL_H_DELTAS: tuple[float, ...] = (0.0001, 0.00025, 0.0005, 0.001, 0.002)  # local-linear, narrowest first
MIN_SUPPORT = 5.0  # effective number of options a local-linear node needs
MIN_SIDE = 0.1  # share of the weight needed on each side of a local-linear node
MIN_DAYS = 0.5  # options closer to expiry are not used (0DTE at the close)
DAYS_PER_YEAR = 365


class VolSurface(NamedTuple):
    tenor_days: np.ndarray  # (n_tenors,) int
    call_delta: np.ndarray  # (n_deltas,) float
    iv: np.ndarray  # (n_tenors, n_deltas) float, NaN without usable input
    in_range: np.ndarray  # (n_tenors, n_deltas) bool: tenor within the expiries used
    delta_bandwidth: np.ndarray  # (n_tenors, n_deltas) the h2 used (H_DELTA: IvyDB's kernel mean)
    atm: np.ndarray  # (n_tenors,) iv at call delta 0.50
    rr25: np.ndarray  # (n_tenors,) iv(0.25) - iv(0.75)
    bf25: np.ndarray  # (n_tenors,) (iv(0.25) + iv(0.75)) / 2 - atm


def call_equivalent_delta(forward_delta: np.ndarray, is_call: np.ndarray) -> np.ndarray:
    """Call delta of each option: a call's own, ``1 + delta`` for a put."""
    return np.where(is_call, forward_delta, 1.0 + forward_delta)


def usable(years: np.ndarray, delta_c: np.ndarray, iv: np.ndarray, vega: np.ndarray, min_days: float) -> np.ndarray:
    """Options that enter the kernel."""
    ok = np.isfinite(years) & np.isfinite(delta_c) & np.isfinite(iv) & np.isfinite(vega)
    return ok & (years * DAYS_PER_YEAR >= min_days) & (iv > 0) & (vega > 0) & (delta_c > 0) & (delta_c < 1)


def log_kernel_tenor_type(
    tenor: float,
    call_deltas: np.ndarray,
    years: np.ndarray,
    is_call: np.ndarray,
    h_tenor: float,
    h_call_put: float | None,
) -> np.ndarray:
    """``ln`` of the tenor and call/put factors of the kernel at one tenor, (n_deltas, n_options)."""
    x = np.log(tenor / years)
    log_k = np.broadcast_to(-(x * x) / (2 * h_tenor), (call_deltas.size, years.size))
    if h_call_put is None:
        return log_k
    wrong_type = ((call_deltas[:, None] < 0.5) & ~is_call) | ((call_deltas[:, None] > 0.5) & is_call)
    return log_k - wrong_type / (2 * h_call_put)


class NodeFit(NamedTuple):
    mean: np.ndarray  # kernel mean of iv - iv0 per node
    linear: np.ndarray  # local-linear value of iv - iv0 per node
    supported: np.ndarray  # bool: enough effective options and weight on both sides


def node_fit(
    log_k: np.ndarray, y: np.ndarray, vega: np.ndarray, r: np.ndarray, min_support: float, min_side: float
) -> NodeFit:
    """Kernel mean and local-linear fit of ``r`` per node (rows of ``log_k``; ``y`` = delta - node)."""
    w = vega * np.exp(log_k - log_k.max(axis=-1, keepdims=True))
    s0, s1, s2 = w.sum(-1), (w * y).sum(-1), (w * y * y).sum(-1)
    t0, t1 = w @ r, (w * y) @ r
    det = s0 * s2 - s1 * s1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = t0 / s0
        linear = (s2 * t0 - s1 * t1) / det
        n_eff = s0 * s0 / (w * w).sum(-1)
        sides = np.minimum((w * (y < 0)).sum(-1), (w * (y > 0)).sum(-1)) / s0
    supported = (n_eff >= min_support) & (sides >= min_side) & (det > 0) & np.isfinite(linear)
    return NodeFit(mean, linear, supported)


def tenor_row(
    tenor: float,
    call_deltas: np.ndarray,
    years: np.ndarray,
    delta_c: np.ndarray,
    is_call: np.ndarray,
    vega: np.ndarray,
    r: np.ndarray,
    h_tenor: float,
    h_delta: float,
    h_call_put: float | None,
    local_h_deltas: tuple[float, ...],
    min_support: float,
    min_side: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``iv - iv0`` and the delta bandwidth used at every delta node of one tenor."""
    base = log_kernel_tenor_type(tenor, call_deltas, years, is_call, h_tenor, h_call_put)
    y = delta_c[None, :] - call_deltas[:, None]
    value = node_fit(base - y * y / (2 * h_delta), y, vega, r, min_support, min_side).mean
    bandwidth = np.full(call_deltas.size, h_delta)
    todo = np.ones(call_deltas.size, dtype=bool)
    for h in local_h_deltas:
        fit = node_fit(base[todo] - y[todo] ** 2 / (2 * h), y[todo], vega, r, min_support, min_side)
        use = np.flatnonzero(todo)[fit.supported]
        value[use], bandwidth[use] = fit.linear[fit.supported], h
        todo[use] = False
        if not todo.any():
            break
    return value, bandwidth


def vol_surface(
    years: np.ndarray,
    forward_delta: np.ndarray,
    iv: np.ndarray,
    vega: np.ndarray,
    is_call: np.ndarray,
    *,
    tenor_days: tuple[int, ...] = TENOR_DAYS,
    call_deltas: tuple[float, ...] = CALL_DELTAS,
    h_tenor: float = H_TENOR,
    h_delta: float = H_DELTA,
    h_call_put: float | None = H_CALL_PUT,
    local_h_deltas: tuple[float, ...] = LOCAL_H_DELTAS,
    min_support: float = MIN_SUPPORT,
    min_side: float = MIN_SIDE,
    min_days: float = MIN_DAYS,
) -> VolSurface:
    """The smoothed surface of one underlying from its options (see the module docstring)."""
    years, forward_delta, iv, vega = (np.asarray(a, dtype=float).ravel() for a in (years, forward_delta, iv, vega))
    is_call = np.asarray(is_call, dtype=bool).ravel()
    delta_c = call_equivalent_delta(forward_delta, is_call)
    ok = usable(years, delta_c, iv, vega, min_days)
    tenors = np.asarray(tenor_days, dtype=np.int64)
    deltas = np.asarray(call_deltas, dtype=float)
    tenor_years = tenors / DAYS_PER_YEAR
    shape = (tenors.size, deltas.size)
    grid, bandwidth = np.full(shape, np.nan), np.full(shape, np.nan)
    in_tenor = np.zeros(tenors.size, dtype=bool)
    if ok.any():
        years, delta_c, is_call, vega, iv = years[ok], delta_c[ok], is_call[ok], vega[ok], iv[ok]
        iv0 = float(np.median(iv))
        for i, tenor in enumerate(tenor_years):
            row, bandwidth[i] = tenor_row(
                tenor,
                deltas,
                years,
                delta_c,
                is_call,
                vega,
                iv - iv0,
                h_tenor,
                h_delta,
                h_call_put,
                local_h_deltas,
                min_support,
                min_side,
            )
            grid[i] = iv0 + row
        in_tenor = (tenor_years >= years.min()) & (tenor_years <= years.max())
    in_range = np.broadcast_to(in_tenor[:, None], shape).copy()
    atm, rr25, bf25 = smile_summary(grid, deltas)
    return VolSurface(tenors, deltas, grid, in_range, bandwidth, atm, rr25, bf25)


def smile_summary(grid: np.ndarray, call_deltas: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per tenor: ATM (0.50), 25-delta risk reversal and butterfly (NaN when a node is missing)."""

    def column(delta: float) -> np.ndarray:
        hit = np.flatnonzero(np.isclose(call_deltas, delta))
        return grid[:, hit[0]] if hit.size else np.full(grid.shape[0], np.nan)

    atm, call25, put25 = column(0.50), column(0.25), column(0.75)
    return atm, call25 - put25, (call25 + put25) / 2 - atm
