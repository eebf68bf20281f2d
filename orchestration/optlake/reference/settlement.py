"""When an option settles, the end of its time to expiry.

- PM-settled roots (equities, ETFs, SPXW, NDXP, RUTW, ...): the close of the expiry day's regular
  session, 16:00 New York, 13:00 on the NYSE early-close days (trading_calendar.closing_time).
- AM-settled roots (the standard monthlies of SPX, NDX and RUT, VIX options): the open of the
  expiry day, 09:30 New York (a special opening quotation settles them; their last trading day is
  the session before).

Which root settles how is reference data: the `option_roots` seed (roots not listed: PM).
"""

from __future__ import annotations

import datetime as dt

from optlake.reference.trading_calendar import NEW_YORK, SESSION_OPEN, UTC, closing_time

AM = "AM"
PM = "PM"
SECONDS_PER_YEAR = 365 * 86_400  # ACT/365 calendar years


def settlement_time(expiry: dt.date, settlement: str) -> dt.time:
    """New York wall-clock time at which an option of this settlement style expires."""
    if settlement == AM:
        return SESSION_OPEN
    if settlement == PM:
        return closing_time(expiry)
    raise ValueError(f"unknown settlement {settlement!r} (expected {AM!r} or {PM!r})")


def settlement_utc(expiry: dt.date, settlement: str) -> dt.datetime:
    """The settlement instant of an expiry, in UTC."""
    return dt.datetime.combine(expiry, settlement_time(expiry, settlement), tzinfo=NEW_YORK).astimezone(UTC)
