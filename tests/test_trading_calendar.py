"""NYSE calendar rules: holidays, trading days, session bars in UTC across DST."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from optlake.reference.trading_calendar import (
    closing_time,
    early_closes,
    easter_sunday,
    is_trading_day,
    nyse_holidays,
    previous_trading_day,
    regular_session_utc,
    session_minutes_utc,
    third_friday,
    trading_days,
    trading_days_after,
)

D = dt.date
UTC = dt.UTC


def test_2025_holidays_are_the_published_ones() -> None:
    assert nyse_holidays(2025) == {
        D(2025, 1, 1),
        D(2025, 1, 20),
        D(2025, 2, 17),
        D(2025, 4, 18),
        D(2025, 5, 26),
        D(2025, 6, 19),
        D(2025, 7, 4),
        D(2025, 9, 1),
        D(2025, 11, 27),
        D(2025, 12, 25),
    }


def test_unscheduled_closures_are_not_rule_holidays() -> None:
    assert D(2025, 1, 9) not in nyse_holidays(2025)  # national day of mourning (Carter)


@pytest.mark.parametrize(
    ("day", "is_holiday"),
    [
        (D(2021, 12, 31), False),  # New Year 2022 on a Saturday: no Friday-before closure
        (D(2022, 12, 26), True),  # Christmas on a Sunday -> Monday
        (D(2021, 12, 24), True),  # Christmas on a Saturday -> Friday
        (D(2023, 1, 2), True),  # New Year on a Sunday -> Monday
        (D(2021, 6, 18), False),  # Juneteenth is a market holiday only from 2022
        (D(2027, 6, 18), True),  # Juneteenth 2027 on a Saturday -> Friday
        (D(2026, 7, 3), True),  # Independence Day 2026 on a Saturday -> Friday
        (D(2024, 3, 29), True),  # Good Friday
        (D(2026, 4, 3), True),  # Good Friday
    ],
)
def test_observed_dates(day: dt.date, is_holiday: bool) -> None:
    assert (day in nyse_holidays(day.year)) is is_holiday


def test_easter_known_dates() -> None:
    assert [easter_sunday(y) for y in (2024, 2025, 2026, 2038)] == [
        D(2024, 3, 31),
        D(2025, 4, 20),
        D(2026, 4, 5),
        D(2038, 4, 25),
    ]


def test_trading_days_skip_weekends_and_holidays() -> None:
    assert trading_days(D(2025, 1, 18), 3) == [D(2025, 1, 21), D(2025, 1, 22), D(2025, 1, 23)]
    assert trading_days(D(2025, 4, 17), 2) == [D(2025, 4, 17), D(2025, 4, 21)]
    assert not is_trading_day(D(2025, 1, 25))
    assert is_trading_day(D(2025, 1, 9))


def test_previous_trading_day_and_counts() -> None:
    assert previous_trading_day(D(2025, 4, 18)) == D(2025, 4, 17)
    assert previous_trading_day(D(2025, 1, 28)) == D(2025, 1, 28)
    assert trading_days_after(D(2025, 1, 17), D(2025, 1, 21)) == 1  # weekend and MLK day skipped
    assert trading_days_after(D(2025, 1, 28), D(2025, 1, 28)) == 0


def test_third_friday() -> None:
    assert third_friday(2025, 2) == D(2025, 2, 21)
    assert third_friday(2025, 3) == D(2025, 3, 21)
    assert third_friday(2025, 8) == D(2025, 8, 15)


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        (D(2025, 1, 28), dt.datetime(2025, 1, 28, 14, 31, tzinfo=UTC), dt.datetime(2025, 1, 28, 21, 0, tzinfo=UTC)),
        (D(2025, 7, 1), dt.datetime(2025, 7, 1, 13, 31, tzinfo=UTC), dt.datetime(2025, 7, 1, 20, 0, tzinfo=UTC)),
        (D(2025, 3, 10), dt.datetime(2025, 3, 10, 13, 31, tzinfo=UTC), dt.datetime(2025, 3, 10, 20, 0, tzinfo=UTC)),
        (D(2025, 11, 3), dt.datetime(2025, 11, 3, 14, 31, tzinfo=UTC), dt.datetime(2025, 11, 3, 21, 0, tzinfo=UTC)),
    ],
)
def test_session_minutes_in_utc(day: dt.date, first: dt.datetime, last: dt.datetime) -> None:
    bars = session_minutes_utc(day)
    assert len(bars) == 390
    assert (bars[0], bars[-1]) == (first, last)
    assert all(b - a == dt.timedelta(minutes=1) for a, b in itertools.pairwise(bars))


@pytest.mark.parametrize(
    "year, expected",
    [
        (2023, {D(2023, 7, 3), D(2023, 11, 24)}),  # Christmas Eve on a Sunday
        (2024, {D(2024, 7, 3), D(2024, 11, 29), D(2024, 12, 24)}),
        (2025, {D(2025, 7, 3), D(2025, 11, 28), D(2025, 12, 24)}),
        (2026, {D(2026, 11, 27), D(2026, 12, 24)}),  # July 3 2026 is the observed holiday
    ],
)
def test_early_closes_are_the_published_ones(year: int, expected: set) -> None:
    assert early_closes(year) == expected


def test_regular_session_in_utc_with_an_early_close() -> None:
    assert regular_session_utc(D(2025, 11, 28)) == (
        dt.datetime(2025, 11, 28, 14, 30, tzinfo=dt.UTC),
        dt.datetime(2025, 11, 28, 18, 0, tzinfo=dt.UTC),
    )
    assert regular_session_utc(D(2025, 7, 2)) == (  # summer time: 09:30 New York = 13:30 UTC
        dt.datetime(2025, 7, 2, 13, 30, tzinfo=dt.UTC),
        dt.datetime(2025, 7, 2, 20, 0, tzinfo=dt.UTC),
    )
    assert closing_time(D(2025, 12, 24)) == dt.time(13, 0) and closing_time(D(2025, 12, 23)) == dt.time(16, 0)
