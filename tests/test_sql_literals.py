"""The SQL literals optlake builds read back from Spark as the values they were made from."""

from __future__ import annotations

import datetime as dt

from optlake.sql_literals import sql_dates, sql_string, sql_strings

AWKWARD = ["plain", "O'Brien", "back\\slash", "both\\'", "''", "semi; drop table x --"]


def test_string_literals_round_trip_through_spark(spark):
    row = spark.sql(f"select array({sql_strings(AWKWARD)}) as v, {sql_string(AWKWARD[1])} as one").first()
    assert row.v == AWKWARD and row.one == "O'Brien"


def test_date_literals_round_trip_through_spark(spark):
    days = [dt.date(2025, 1, 2), dt.date(2026, 12, 31)]
    assert spark.sql(f"select array({sql_dates(days)}) as v").first().v == days
