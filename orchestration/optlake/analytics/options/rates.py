"""Risk-free rates for option analytics, from the Treasury curve of the market data.

The curve of a trade date is the yield_curve_daily row of that date (else the latest before it):
^IRX (13-week bill), ^FVX (5-year), ^TNX (10-year), ^TYX (30-year), in percent. A yield ``y``
becomes a continuously compounded rate ``ln(1 + y / 100)`` (the yields are quoted on different
bases, bank discount for the bill and semi-annual for the notes; the difference is a few basis
points and this rate only serves as the fallback and the reference beside the parity discount).
The rate of a tenor is interpolated linearly in years between the curve's points (0.25, 5, 10,
30 years) and held flat beyond the first and the last. Without a curve, ``default_rate``
(the `risk_free_rate` var) applies; ``rate_source`` says which.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

#: yield_curve_daily column -> its tenor in years
CURVE_TENORS: dict[str, float] = {"irx": 0.25, "fvx": 5.0, "tnx": 10.0, "tyx": 30.0}
SOURCE_TREASURY = "treasury"
SOURCE_DEFAULT = "default"


def curve_points(curve: Mapping[str, float | None] | None) -> tuple[np.ndarray, np.ndarray]:
    """(tenors, continuous rates) of the curve's known points, ascending; empty without a curve."""
    known = [(t, float(curve[c])) for c, t in CURVE_TENORS.items() if curve and curve.get(c) is not None]
    tenors = np.array([t for t, _ in known], dtype=float)
    return tenors, np.log1p(np.array([y for _, y in known], dtype=float) / 100)


def rates_for(
    years: np.ndarray, curve: Mapping[str, float | None] | None, default_rate: float
) -> tuple[np.ndarray, str]:
    """The continuous rate of each tenor in ``years`` and the source (treasury or default)."""
    tenors, rates = curve_points(curve)
    if tenors.size == 0:
        return np.full(np.shape(years), float(default_rate)), SOURCE_DEFAULT
    return np.interp(years, tenors, rates), SOURCE_TREASURY
