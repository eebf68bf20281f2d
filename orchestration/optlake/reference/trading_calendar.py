"""NYSE trading calendar by rule: holidays, trading days and the regular session's one-minute bars.

Pure functions, no data files. Holidays follow NYSE rule 7.2:

- New Year's Day, Martin Luther King Jr. Day (3rd Monday of January), Washington's Birthday
  (3rd Monday of February), Good Friday, Memorial Day (last Monday of May), Juneteenth (from 2022),
  Independence Day, Labor Day (1st Monday of September), Thanksgiving (4th Thursday of November)
  and Christmas.
- A fixed-date holiday on a Sunday is observed the Monday after, on a Saturday the Friday before,
  except New Year's Day: when January 1 is a Saturday the market stays open on Friday December 31
  (it closes the year's accounting period).

Early closes (13:00 New York) follow NYSE's practice: the day after Thanksgiving, Christmas Eve
when it is a Monday to Thursday, and July 3 when Independence Day falls on a Tuesday to Friday.
``closing_time`` and ``regular_session_utc`` honour them (Silver's daily bars cut the session
there); the synthetic generator still writes the full 390 minutes of every day
(``session_minutes_utc``). Unscheduled closures (national days of mourning such as 2025-01-09,
weather) are not rules and are not modelled.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC
SESSION_OPEN = dt.time(9, 30)
SESSION_CLOSE = dt.time(16, 0)
SESSION_MINUTES = 390
EARLY_CLOSE = dt.time(13, 0)

_MONDAY, _THURSDAY, _FRIDAY, _SATURDAY, _SUNDAY = 0, 3, 4, 5, 6


def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th (1-based) given weekday (Monday=0) of a month."""
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def last_weekday(year: int, month: int, weekday: int) -> dt.date:
    """The last given weekday (Monday=0) of a month."""
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    last = next_month - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def third_friday(year: int, month: int) -> dt.date:
    """The third Friday of a month: the standard monthly options expiration date."""
    return nth_weekday(year, month, _FRIDAY, 3)


def easter_sunday(year: int) -> dt.date:
    """Western Easter Sunday, by the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def observed(holiday: dt.date) -> dt.date:
    """The weekday a fixed-date holiday is observed on: Saturday -> Friday, Sunday -> Monday."""
    if holiday.weekday() == _SATURDAY:
        return holiday - dt.timedelta(days=1)
    if holiday.weekday() == _SUNDAY:
        return holiday + dt.timedelta(days=1)
    return holiday


def nyse_holidays(year: int) -> set[dt.date]:
    """The NYSE full-day holidays of a year, on their observed dates."""
    days = {
        nth_weekday(year, 1, _MONDAY, 3),  # Martin Luther King Jr. Day
        nth_weekday(year, 2, _MONDAY, 3),  # Washington's Birthday
        easter_sunday(year) - dt.timedelta(days=2),  # Good Friday
        last_weekday(year, 5, _MONDAY),  # Memorial Day
        observed(dt.date(year, 7, 4)),  # Independence Day
        nth_weekday(year, 9, _MONDAY, 1),  # Labor Day
        nth_weekday(year, 11, _THURSDAY, 4),  # Thanksgiving
        observed(dt.date(year, 12, 25)),  # Christmas
    }
    new_year = dt.date(year, 1, 1)
    if new_year.weekday() != _SATURDAY:  # no Friday-before observance for New Year's Day
        days.add(observed(new_year))
    if year >= 2022:
        days.add(observed(dt.date(year, 6, 19)))  # Juneteenth
    return days


def early_closes(year: int) -> set[dt.date]:
    """The NYSE 13:00 early closes of a year (only days that are trading days)."""
    days = {nth_weekday(year, 11, _THURSDAY, 4) + dt.timedelta(days=1)}  # the day after Thanksgiving
    christmas_eve = dt.date(year, 12, 24)
    if christmas_eve.weekday() <= _THURSDAY:
        days.add(christmas_eve)
    july_3 = dt.date(year, 7, 3)
    if july_3.weekday() <= _THURSDAY:  # Independence Day on a Tuesday to Friday
        days.add(july_3)
    return {d for d in days if is_trading_day(d)}


def closing_time(day: dt.date) -> dt.time:
    """The regular session's close, New York time: 13:00 on early-close days, else 16:00."""
    return EARLY_CLOSE if day in early_closes(day.year) else SESSION_CLOSE


def regular_session_utc(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """(open, close) of the regular session of ``day`` in UTC, early closes included."""
    open_ny = dt.datetime.combine(day, SESSION_OPEN, tzinfo=NEW_YORK)
    close_ny = dt.datetime.combine(day, closing_time(day), tzinfo=NEW_YORK)
    return open_ny.astimezone(UTC), close_ny.astimezone(UTC)


def is_trading_day(day: dt.date) -> bool:
    """True for a weekday that is not an NYSE holiday."""
    return day.weekday() < _SATURDAY and day not in nyse_holidays(day.year)


def trading_days(start: dt.date, n: int) -> list[dt.date]:
    """The first ``n`` trading days on or after ``start``."""
    days: list[dt.date] = []
    day = start
    while len(days) < n:
        if is_trading_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def trading_days_after(start: dt.date, end: dt.date) -> int:
    """How many trading days fall after ``start`` up to and including ``end`` (0 when end <= start)."""
    count = 0
    day = start + dt.timedelta(days=1)
    while day <= end:
        count += is_trading_day(day)
        day += dt.timedelta(days=1)
    return count


def previous_trading_day(day: dt.date) -> dt.date:
    """``day`` itself when it is a trading day, else the closest trading day before it."""
    while not is_trading_day(day):
        day -= dt.timedelta(days=1)
    return day


def session_close_utc(day: dt.date) -> dt.datetime:
    """16:00 America/New_York of ``day``, in UTC."""
    return dt.datetime.combine(day, SESSION_CLOSE, tzinfo=NEW_YORK).astimezone(UTC)


def session_minutes_utc(day: dt.date) -> list[dt.datetime]:
    """The 390 one-minute bar timestamps of the regular session (09:31 .. 16:00 New York), in UTC."""
    open_ny = dt.datetime.combine(day, SESSION_OPEN, tzinfo=NEW_YORK)
    return [(open_ny + dt.timedelta(minutes=i)).astimezone(UTC) for i in range(1, SESSION_MINUTES + 1)]
