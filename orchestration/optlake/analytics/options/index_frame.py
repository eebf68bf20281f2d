"""The vol_index rows of one underlying and trade day, from its option_analytics rows (pandas).

Per snapshot minute, each expiry date of the underlying is one term: the root with the most
strikes quoted on both sides when several roots share the date (SPX and SPXW on a monthly
expiry); its T (years_to_expiry) and discount factor D are option_analytics'. A term enters the
index only with at least ``min_strikes`` strikes in its out-of-the-money strip. Then the Cboe
method of vix.py: the variance of each term (forward at the strike of smallest |C - P|, K0,
the strip with the two-zero-bids cut-off, dK/K^2 weights) and the two terms around 30 days,
interpolated in minutes. Every snapshot gets a row; ``status`` says why one has no value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optlake.analytics.options.vix import ExpiryVariance, expiry_variance, vol_index

MIN_STRIKES = 10
TERM_COLUMNS = ("expiry_date", "root", "years", "variance", "forward", "k0", "strikes")

#: vol_index columns besides trade_date, ts_recv and underlying, with their Spark types.
INDEX_COLUMNS: dict[str, str] = {
    "vol_index": "double",
    "status": "string",
    "terms": "int",
    **{
        f"{side}_{c}": t
        for side in ("near", "next")
        for c, t in zip(TERM_COLUMNS, ("date", "string", "double", "double", "double", "double", "int"), strict=True)
    },
}


def strike_table(chain: pd.DataFrame) -> pd.DataFrame:
    """One row per strike: call and put mid and bid side by side (NaN where a side is missing)."""
    sides = chain.assign(strike=chain["strike_price"].astype(float)).pivot_table(
        index="strike", columns="option_type", values=["mid_price", "bid_px_00"], aggfunc="first"
    )
    sides.columns = [f"{v}_{t}" for v, t in sides.columns]
    for column in ("mid_price_CALL", "mid_price_PUT", "bid_px_00_CALL", "bid_px_00_PUT"):
        if column not in sides:
            sides[column] = np.nan
    return sides.astype(float).reset_index()


def term_of(chain: pd.DataFrame) -> tuple[dict, ExpiryVariance]:
    """One expiry's term description and its variance."""
    table = strike_table(chain)
    years = float(chain["years_to_expiry"].iloc[0])
    found = expiry_variance(
        table["strike"].to_numpy(),
        table["mid_price_CALL"].to_numpy(),
        table["mid_price_PUT"].to_numpy(),
        table["bid_px_00_CALL"].to_numpy(),
        table["bid_px_00_PUT"].to_numpy(),
        years,
        float(chain["discount_factor"].iloc[0]),
    )
    term = dict(
        zip(
            TERM_COLUMNS,
            (
                chain["expiry_date"].iloc[0],
                chain["root"].iloc[0],
                years,
                found.variance,
                found.forward,
                found.k0,
                found.n_strikes,
            ),
            strict=True,
        )
    )
    return term, found


def two_sided_strikes(chain: pd.DataFrame) -> int:
    quoted = chain[chain["bid_px_00"].astype(float) > 0]
    return int(quoted.groupby("strike_price")["option_type"].nunique().eq(2).sum())


def snapshot_terms(snapshot: pd.DataFrame, min_strikes: int) -> list[dict]:
    """The usable terms of one snapshot: one per expiry date, the best-quoted root."""
    terms = []
    for _, by_date in snapshot.groupby("expiry_date", sort=True):
        chains = [chain for _, chain in by_date.groupby("root", sort=True)]
        chain = max(chains, key=two_sided_strikes)
        term, found = term_of(chain)
        if found.n_strikes >= min_strikes and np.isfinite(found.variance):
            terms.append(term)
    return terms


def index_rows(quotes: pd.DataFrame, min_strikes: int = MIN_STRIKES) -> pd.DataFrame:
    """One row per snapshot (ts_recv) of one underlying and day: the index and its two terms."""
    rows = []
    for ts_recv, snapshot in quotes.groupby("ts_recv", sort=True):
        live = snapshot[snapshot["years_to_expiry"] > 0]
        terms = snapshot_terms(live, min_strikes)
        found = vol_index([(t["years"], t["variance"]) for t in terms])
        row = {
            "trade_date": snapshot["trade_date"].iloc[0],
            "ts_recv": ts_recv,
            "underlying": snapshot["underlying"].iloc[0],
            "vol_index": found.value,
            "status": found.status,
            "terms": len(terms),
        }
        for side, years in (("near", found.near_years), ("next", found.next_years)):
            term = next((t for t in terms if t["years"] == years), dict.fromkeys(TERM_COLUMNS))
            row |= {f"{side}_{c}": term[c] for c in TERM_COLUMNS}
        rows.append(row)
    columns = ["trade_date", "ts_recv", "underlying", *INDEX_COLUMNS]
    return pd.DataFrame(rows, columns=columns)
