"""Implied forward, implied volatility and greeks of one option chain: one root and expiry of one
trade day, at all its snapshot minutes. Pure pandas/numpy (Spark's Python workers call
``analyse_chain`` once per chain); every step is vectorised over the chain's rows.

Per row (one quote at one snapshot minute):

1. ``years_to_expiry`` T = (settlement - ts_recv) / (365 * 86400 s), the settlement of the root
   on the expiry day (reference.settlement: 16:00 New York, 13:00 on early closes, 09:30 for
   AM-settled roots). ``rate`` r: the Treasury curve interpolated to T (rates.py), or the
   `risk_free_rate` var; ``rate_source`` says which.
2. Per snapshot, the forward F and the discount factor D from put-call parity (parity.py) over the
   strikes quoted on both sides; ``forward_method`` records how. When no strike has both sides
   quoted, F = S exp(r T) from the underlying's one-minute bar (the bar ending at the snapshot)
   and D = exp(-r T) (``underlying_bar``); without that bar either, no forward (``unavailable``).
3. The quote's status, first failure wins: ``expired`` (T <= 0), ``crossed`` (bid > ask),
   ``no_bid`` (bid <= 0: the mid is not a two-sided price), ``no_forward``; then the solver's
   (implied_vol.py): ``below_intrinsic``, ``no_time_value``, ``above_maximum``, ``invalid_input``.
   Solved quotes are ``ok`` and carry the implied volatility of their mid and the Black-76
   greeks on (F, D) (black76.py). Every quote keeps its row.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from optlake.analytics.options import black76
from optlake.analytics.options.implied_vol import implied_vol
from optlake.analytics.options.parity import fit_forward
from optlake.analytics.options.rates import rates_for
from optlake.reference.settlement import SECONDS_PER_YEAR, settlement_utc

OK = "ok"
EXPIRED = "expired"
CROSSED = "crossed"
NO_BID = "no_bid"
NO_FORWARD = "no_forward"
METHOD_BAR = "underlying_bar"
METHOD_NONE = "unavailable"
CURVE_COLUMNS = ("irx", "fvx", "tnx", "tyx")

#: The columns analyse_chain adds, in order, with their Spark types.
RESULT_COLUMNS: dict[str, str] = {
    "years_to_expiry": "double",
    "rate": "double",
    "rate_source": "string",
    "forward_price": "double",
    "discount_factor": "double",
    "parity_rate": "double",
    "forward_method": "string",
    "parity_strikes": "int",
    "iv": "double",
    "delta": "double",
    "gamma": "double",
    "vega": "double",
    "theta": "double",
    "rho": "double",
    "forward_delta": "double",
    "iv_status": "string",
}


def settlement_ns(expiry: dt.date, settlement: str) -> int:
    """The settlement instant as nanoseconds since the epoch."""
    return int(settlement_utc(expiry, settlement).timestamp()) * 10**9


def day_curve(chain: pd.DataFrame) -> dict[str, float | None]:
    """The Treasury curve carried on the chain's rows (the same on every row of a day)."""
    first = chain.iloc[0]
    return {c: (None if pd.isna(first[c]) else float(first[c])) for c in CURVE_COLUMNS}


def parity_pairs(snap: np.ndarray, strike: np.ndarray, is_call: np.ndarray, two_sided: np.ndarray) -> pd.DataFrame:
    """One row per (snapshot, strike) quoted two-sided as both a call and a put: their row positions."""
    rows = pd.DataFrame({"snap": snap, "strike": strike, "row": np.arange(snap.size)})[two_sided]
    calls = rows[is_call[two_sided]]
    puts = rows[~is_call[two_sided]]
    pairs = calls.merge(puts, on=["snap", "strike"], suffixes=("_call", "_put"))
    return pairs.drop_duplicates(["snap", "strike"]).sort_values(["snap", "strike"], kind="stable")


def snapshot_forwards(
    chain: pd.DataFrame,
    snap: np.ndarray,
    n_snaps: int,
    years: np.ndarray,
    rate_discount: np.ndarray,
    two_sided: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per snapshot: forward, discount factor, method and the number of parity strikes used."""
    strike = chain["strike_price"].to_numpy(float)
    is_call = chain["option_type"].to_numpy() == "CALL"
    mid = chain["mid_price"].to_numpy(float)
    spread = chain["ask_px_00"].to_numpy(float) - chain["bid_px_00"].to_numpy(float)
    pairs = parity_pairs(snap, strike, is_call, two_sided)
    c, p = pairs["row_call"].to_numpy(), pairs["row_put"].to_numpy()
    fit = fit_forward(
        pairs["snap"].to_numpy(),
        n_snaps,
        pairs["strike"].to_numpy(float),
        mid[c],
        mid[p],
        spread[c],
        spread[p],
        years,
        rate_discount,
    )
    forward = np.asarray(fit.forward, dtype=float).copy()
    discount = np.asarray(fit.discount, dtype=float).copy()
    method = np.asarray(fit.method, dtype=object).copy()
    missing = ~np.isfinite(forward)
    spot = snapshot_spot(chain["underlying_price"].to_numpy(float), snap, n_snaps)
    from_bar = spot / rate_discount  # F = S exp(r T)
    use_bar = missing & np.isfinite(from_bar)
    forward[use_bar], discount[use_bar], method[use_bar] = from_bar[use_bar], rate_discount[use_bar], METHOD_BAR
    method[missing & ~use_bar] = METHOD_NONE
    return forward, discount, method, np.asarray(fit.n_strikes)


def snapshot_spot(underlying_price: np.ndarray, snap: np.ndarray, n_snaps: int) -> np.ndarray:
    """The underlying's price per snapshot (the max over rows; every row of a snapshot has the same)."""
    spot = np.full(n_snaps, -np.inf)
    np.maximum.at(spot, snap, np.where(np.isfinite(underlying_price), underlying_price, -np.inf))
    return np.where(spot > 0, spot, np.nan)


def quote_status(years: np.ndarray, bid: np.ndarray, ask: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """The first quote-level reason a row cannot be solved, else an empty string."""
    return np.select(
        [~(years > 0), bid > ask, ~(bid > 0), ~np.isfinite(forward)], [EXPIRED, CROSSED, NO_BID, NO_FORWARD], default=""
    ).astype(object)


def analyse_chain(chain: pd.DataFrame, default_rate: float) -> pd.DataFrame:
    """The chain's rows with RESULT_COLUMNS added (see the module docstring)."""
    out = chain.reset_index(drop=True)
    if out.empty:
        return out.assign(**{c: pd.Series(dtype=object) for c in RESULT_COLUMNS})
    ts_ns = out["ts_recv_ns"].to_numpy(np.int64)
    snaps, snap = np.unique(ts_ns, return_inverse=True)
    settle = settlement_ns(out["expiry_date"].iloc[0], out["settlement"].iloc[0])
    snap_years = (settle - snaps) / 1e9 / SECONDS_PER_YEAR
    snap_rate, source = rates_for(snap_years, day_curve(out), default_rate)
    rate_discount = np.exp(-snap_rate * np.maximum(snap_years, 0))

    bid = out["bid_px_00"].to_numpy(float)
    ask = out["ask_px_00"].to_numpy(float)
    two_sided = (bid > 0) & (ask >= bid)
    forward, discount, method, n_strikes = snapshot_forwards(
        out, snap, snaps.size, snap_years, rate_discount, two_sided
    )

    years = snap_years[snap]
    row_forward, row_discount = forward[snap], discount[snap]
    status = quote_status(years, bid, ask, row_forward)
    todo = status == ""
    is_call = out["option_type"].to_numpy() == "CALL"
    strike = out["strike_price"].to_numpy(float)
    iv = np.full(len(out), np.nan)
    solved_iv, solved_status = implied_vol(
        out["mid_price"].to_numpy(float)[todo],
        row_forward[todo],
        strike[todo],
        years[todo],
        row_discount[todo],
        is_call[todo],
    )
    iv[todo] = solved_iv
    status[todo] = solved_status
    ok = status == OK
    iv[~ok] = np.nan
    greeks = black76.greeks(row_forward[ok], strike[ok], years[ok], iv[ok], is_call[ok], row_discount[ok])

    with np.errstate(divide="ignore", invalid="ignore"):
        parity_rate = np.where(snap_years > 0, -np.log(discount) / snap_years, np.nan)
    out["years_to_expiry"] = years
    out["rate"] = snap_rate[snap]
    out["rate_source"] = source
    out["forward_price"] = row_forward
    out["discount_factor"] = row_discount
    out["parity_rate"] = parity_rate[snap]
    out["forward_method"] = method[snap]
    out["parity_strikes"] = n_strikes[snap].astype(np.int32)
    out["iv"] = iv
    for name in ("delta", "gamma", "vega", "theta", "rho", "forward_delta"):
        column = np.full(len(out), np.nan)
        column[ok] = getattr(greeks, name)
        out[name] = column
    out["iv_status"] = status
    return out
