"""OHLCV bars through the same Bronze loader: routing by file name, bar rules, reconciled counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from logcapture import captured_log
from optlake.bronze import load
from optlake.bronze.landing import LocalLanding
from optlake.bronze.specs import cbbo, ohlcv

pytestmark = pytest.mark.integration

DAY = dt.date(2025, 1, 28)


def bar(
    minute: int, o: str, h: str, lo: str, c: str, volume: str = "100", rtype: str = "33", symbol: str = "SPY"
) -> str:
    ts = f"2025-01-28T14:{30 + minute:02d}:00.000000000Z"
    return f"{ts},{rtype},2,15144,{o},{h},{lo},{c},{volume},{symbol}"


GOOD = [
    bar(0, "600.100000000", "600.500000000", "599.900000000", "600.200000000"),
    bar(1, "600.200000000", "600.200000000", "600.200000000", "600.200000000", volume="0"),
    bar(2, "600.200000000", "601.000000000", "600.000000000", "600.900000000"),
]
BAD = {
    "high below low: low '600.500000000', high '600.100000000'": bar(
        3, "600.200000000", "600.100000000", "600.500000000", "600.200000000"
    ),
    "open above high: open '601.000000000', high '600.500000000'": bar(
        4, "601.000000000", "600.500000000", "600.000000000", "600.200000000"
    ),
    "close below low: low '600.000000000', close '599.000000000'": bar(
        5, "600.200000000", "600.500000000", "600.000000000", "599.000000000"
    ),
    "not a non-negative integer in range volume: '-5'": bar(
        6, "600.200000000", "600.500000000", "600.000000000", "600.200000000", volume="-5"
    ),
    "non-numeric close: 'n/a'": bar(7, "600.200000000", "600.500000000", "600.000000000", "n/a"),
    "unknown rtype (expected 33 = 1m, 34 = 1h or 35 = 1d): rtype '36'": bar(
        8, "600.200000000", "600.500000000", "600.000000000", "600.200000000", rtype="36"
    ),
}


def write(landing: Path, name: str, lines: list[str], header: str = ohlcv.HEADER) -> None:
    landing.mkdir(parents=True, exist_ok=True)
    (landing / name).write_text("\n".join([header, *lines]) + "\n")


def test_bars_load_into_bronze_bars_with_the_bad_bar_matrix(spark, schema: str, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    minute_file = ohlcv.file_name("xnas-itch", DAY, "1m")
    day_file = ohlcv.file_name("xnas-itch", DAY, "1d")
    crypto_file = ohlcv.file_name("coinbase", DAY, "1m")
    write(landing, minute_file, [*GOOD, *BAD.values()])
    write(landing, day_file, ["2025-01-28T00:00:00.000000000Z,35,2,15144,600.1,601,599.9,600.9,100,SPY"])
    # crypto: a 1m bar at 00:00 UTC shares its start with the day bar of another file: not an overlap
    write(landing, crypto_file, ["2025-01-28T00:00:00.000000000Z,33,3,99,100000,100010,99990,100005,2,BTC-USD"])
    wrong = ohlcv.file_name("xnas-itch", DAY + dt.timedelta(days=1), "1m")
    write(landing, wrong, [GOOD[0]], header=cbbo.HEADER)

    with captured_log():
        report = load(spark, LocalLanding(landing), schema)

    by_name = {r.file.name: r for r in report.results}
    assert by_name[wrong].status == "rejected"
    assert by_name[wrong].error.startswith("wrong header (missing open, high, low, close, volume; unexpected ts_recv")
    assert f"expected '{ohlcv.HEADER}'" in by_name[wrong].error
    m = by_name[minute_file]
    assert (m.status, m.rows_read, m.rows_loaded, m.rows_quarantined) == ("loaded", 9, 3, 6)
    assert (by_name[day_file].status, by_name[day_file].rows_loaded) == ("loaded", 1)
    assert (by_name[crypto_file].status, by_name[crypto_file].rows_loaded) == ("loaded", 1)

    q = spark.sql(
        f"select line_number, reason, raw_line from {schema}.bronze_quarantine order by line_number"
    ).collect()
    assert [(r[0], r[1], r[2]) for r in q] == [(5 + i, reason, line) for i, (reason, line) in enumerate(BAD.items())]
    rows = spark.sql(
        f"select symbol, rtype, open, high, low, close, volume, trade_date from {schema}.bronze_bars "
        f"where file_name = '{minute_file}' order by ts_event"
    ).collect()
    assert [r["close"] for r in rows] == [Decimal("600.2"), Decimal("600.2"), Decimal("600.9")]
    assert {(r["symbol"], r["rtype"], r["trade_date"]) for r in rows} == {("SPY", 33, DAY)}
    assert spark.table(f"{schema}.bronze_options_chain").count() == 0  # nothing routed to the options table


def test_arrow_and_spark_engines_load_identical_bars(spark, tmp_path: Path) -> None:
    tables = {}
    for engine in ("arrow", "spark"):
        landing = tmp_path / engine
        write(landing, ohlcv.file_name("xnas-itch", DAY, "1m"), GOOD)
        schema = f"bars_{engine}"
        spark.sql(f"create database if not exists {schema}")
        with captured_log() as said:
            report = load(spark, LocalLanding(landing), schema, engine=engine)
        assert report.rows_loaded == 3 and any("with Arrow" in line for line in said) == (engine == "arrow")
        tables[engine] = spark.table(f"{schema}.bronze_bars").drop("load_id", "ingested_at")
    assert tables["arrow"].schema == tables["spark"].schema
    assert tables["arrow"].exceptAll(tables["spark"]).count() == 0 == tables["spark"].exceptAll(tables["arrow"]).count()
