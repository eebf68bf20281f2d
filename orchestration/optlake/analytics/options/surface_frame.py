"""The iv_surface_daily rows of one underlying and trade day, from the option_analytics rows of
the day's last snapshot (pandas around surface.vol_surface): one row per grid tenor with the
smoothed IV at each call delta (``iv_d10`` ... ``iv_d90``) and the tenor's ATM IV, 25-delta risk
reversal and butterfly.
"""

from __future__ import annotations

import pandas as pd

from optlake.analytics.options.surface import CALL_DELTAS, vol_surface

DELTA_COLUMNS: tuple[str, ...] = tuple(f"iv_d{round(d * 100):02d}" for d in CALL_DELTAS)

#: iv_surface_daily columns besides trade_date, underlying and ts_recv, with their Spark types.
SURFACE_COLUMNS: dict[str, str] = {
    "tenor_days": "int",
    **dict.fromkeys(DELTA_COLUMNS, "double"),
    "atm_iv": "double",
    "rr_25": "double",
    "bf_25": "double",
    "in_range": "boolean",
    "options_used": "int",
}


def last_snapshot(quotes: pd.DataFrame) -> pd.DataFrame:
    """The rows of the latest snapshot minute that has a solved quote."""
    solved = quotes[quotes["iv_status"] == "ok"]
    return solved[solved["ts_recv"] == solved["ts_recv"].max()] if len(solved) else solved


def surface_rows(quotes: pd.DataFrame) -> pd.DataFrame:
    """One row per grid tenor of one underlying and day (none when no quote is solved)."""
    columns = ["trade_date", "underlying", "ts_recv", *SURFACE_COLUMNS]
    snap = last_snapshot(quotes)
    if snap.empty:
        return pd.DataFrame(columns=columns)
    surface = vol_surface(
        snap["years_to_expiry"].to_numpy(float),
        snap["forward_delta"].to_numpy(float),
        snap["iv"].to_numpy(float),
        snap["vega"].to_numpy(float),
        (snap["option_type"] == "CALL").to_numpy(),
    )
    frame = pd.DataFrame(surface.iv, columns=list(DELTA_COLUMNS))
    frame.insert(0, "tenor_days", surface.tenor_days.astype(int))
    frame["atm_iv"], frame["rr_25"], frame["bf_25"] = surface.atm, surface.rr25, surface.bf25
    frame["in_range"] = surface.in_range[:, 0]
    frame["options_used"] = len(snap)
    frame.insert(0, "ts_recv", snap["ts_recv"].iloc[0])
    frame.insert(0, "underlying", snap["underlying"].iloc[0])
    frame.insert(0, "trade_date", snap["trade_date"].iloc[0])
    return frame[columns]
