"""Listed expiries of a root on a trade date, by expiry cycle.

- ``monthly``: the next three standard expiries (third Friday of the month).
- ``weekly``: the Fridays of the next five weeks, plus the monthlies.
- ``daily``: the next five trading days (the first is the trade date itself: 0DTE),
  plus the weeklies and the monthlies.
- ``vix``: VIX monthlies, the Wednesday 30 days before the next month's third Friday.

An expiry falling on a holiday moves to the trading day before (Good Friday -> Thursday).
No expiry is ever before the trade date.
"""

from __future__ import annotations

import datetime as dt

from optlake.reference.trading_calendar import previous_trading_day, third_friday, trading_days

MONTHLIES = 3
WEEKLIES = 5
DAILIES = 5
_FRIDAY = 4


def _month_add(day: dt.date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def monthly_expiries(trade_date: dt.date, count: int = MONTHLIES) -> list[dt.date]:
    """The next ``count`` standard monthly expiries on or after ``trade_date``."""
    candidates = (previous_trading_day(third_friday(*_month_add(trade_date, k))) for k in range(count + 1))
    return [d for d in candidates if d >= trade_date][:count]


def vix_expiries(trade_date: dt.date, count: int = MONTHLIES) -> list[dt.date]:
    """The next ``count`` VIX monthly expiries: 30 days before the following month's third Friday."""
    candidates = (
        previous_trading_day(third_friday(*_month_add(trade_date, k + 1)) - dt.timedelta(days=30))
        for k in range(count + 1)
    )
    return [d for d in candidates if d >= trade_date][:count]


def weekly_expiries(trade_date: dt.date, count: int = WEEKLIES) -> list[dt.date]:
    """The Fridays (or the trading day before a Friday holiday) of the next ``count`` weeks."""
    friday = trade_date + dt.timedelta(days=(_FRIDAY - trade_date.weekday()) % 7)
    candidates = (previous_trading_day(friday + dt.timedelta(weeks=k)) for k in range(count + 1))
    return [d for d in candidates if d >= trade_date][:count]


def daily_expiries(trade_date: dt.date, count: int = DAILIES) -> list[dt.date]:
    """The next ``count`` trading days, starting with ``trade_date`` (0DTE) when it trades."""
    return trading_days(trade_date, count)


def expiries(cycle: str, trade_date: dt.date) -> list[dt.date]:
    """All listed expiries of an expiry cycle on ``trade_date``, ascending and distinct."""
    if cycle not in ("monthly", "weekly", "daily", "vix"):
        raise ValueError(f"unknown expiry cycle {cycle!r}")
    if cycle == "vix":
        return vix_expiries(trade_date)
    listed = set(monthly_expiries(trade_date))
    if cycle in ("weekly", "daily"):
        listed |= set(weekly_expiries(trade_date))
    if cycle == "daily":
        listed |= set(daily_expiries(trade_date))
    return sorted(listed)
