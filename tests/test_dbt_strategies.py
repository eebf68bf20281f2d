"""Silver and both Gold strategies on hand-written quotes, checked against values worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from cbbo_text import write_day
from optlake.bronze import load
from optlake.bronze.landing import LocalLanding

D1 = dt.date(2025, 1, 10)
D2 = dt.date(2025, 1, 14)

D1_QUOTES = [
    ("SPY   250117C00600000", "1.9", "2.1"),  # mid 2.0
    ("SPY   250117C00601000", "0.9", "1.1"),  # mid 1.0
    ("SPY   250117P00580000", "0.1", "0.3"),  # mid 0.2
    ("SPY   250117P00590000", "0.3", "0.5"),  # mid 0.4
]
D2_QUOTES = [
    ("SPY   250117C00600000", "4.90", "5.10"),  # mid 5.00: not < 5 -> HOLD
    ("SPY   250117C00601000", "4.90", "5.08"),  # mid 4.99 -> BUY_CALL
    ("SPY   250117C00601000", "5.00", "5.02"),  # mid 5.01 -> HOLD; strike 601 mean mid 5.00
    ("SPY   250117P00580000", "0.40", "0.60"),  # mid 0.50 -> BUY_PUT
    ("SPY   250117P00590000", "1.00", "1.20"),  # mid 1.10 -> BUY_PUT
    ("SPXW  250221P05600000", "10", "11"),  # SPXW maps to SPY; mid 10.5 -> HOLD
    ("QQQ   250117C00500000", "1", "1.1"),  # another underlying: not in the SPY strategy
    ("SPY   250124C00605000", "2.9", "3.1"),  # mid 3.0 -> BUY_CALL (third-highest call: no leg)
    ("SPY   250124C00610000", "0.5", "0.5"),  # mid 0.5 -> BUY_CALL
    ("SPY   250124C00615000", "1.001", "1.002"),  # mid 1.0015 -> BUY_CALL
    ("SPY   250124P00570000", "1.0", "1.0"),  # mid 1.0 -> BUY_PUT
    ("SPY   250124P00575000", "0.3", "0.3"),  # mid 0.3 -> BUY_PUT
    ("SPY   250117C00602000", "2.0", "1.9"),  # ask < bid -> rejected
    ("SPY  X250117C00603000", "1.0", "1.1"),  # malformed symbol -> rejected
]


@pytest.fixture(scope="module")
def built(spark, dbt, tmp_path_factory) -> str:
    schema = "strategies_hand"
    spark.sql(f"create database if not exists {schema}")
    landing: Path = tmp_path_factory.mktemp("landing")
    write_day(landing, D1, D1_QUOTES)
    write_day(landing, D2, D2_QUOTES)
    load(spark, LocalLanding(landing), schema)
    dbt(schema, "build")
    return schema


def rows(spark, sql: str) -> list[tuple]:
    return [tuple(r) for r in spark.sql(sql).collect()]


def test_silver_and_rejected_split_every_bronze_row(spark, built):
    assert rows(spark, f"select trade_date, count(*) from {built}.enriched_options_silver group by 1 order by 1") == [
        (D1, 4),
        (D2, 12),
    ]
    assert rows(
        spark, f"select symbol, reject_reason from {built}.enriched_options_silver_rejected order by symbol"
    ) == [
        ("SPY   250117C00602000", "ask_below_bid"),
        ("SPY  X250117C00603000", "invalid_symbol"),
    ]


def test_layman_signals_on_every_day_of_its_underlying(spark, built):
    got = rows(
        spark,
        f"select trade_date, symbol, mid_price, signal, strategy_name, underlying "
        f"from {built}.gold_laymanspystrategy order by trade_date, symbol, mid_price",
    )
    assert {r[4] for r in got} == {"LaymanSPYStrategy"} and {r[5] for r in got} == {"SPY"}
    assert [(r[1], r[2], r[3]) for r in got if r[0] == D1] == [
        ("SPY   250117C00600000", Decimal("2.0"), "BUY_CALL"),
        ("SPY   250117C00601000", Decimal("1.0"), "BUY_CALL"),
        ("SPY   250117P00580000", Decimal("0.2"), "BUY_PUT"),
        ("SPY   250117P00590000", Decimal("0.4"), "BUY_PUT"),
    ]
    assert [(r[1], r[2], r[3]) for r in got if r[0] == D2] == [
        ("SPXW  250221P05600000", Decimal("10.5"), "HOLD"),
        ("SPY   250117C00600000", Decimal("5.0"), "HOLD"),
        ("SPY   250117C00601000", Decimal("4.99"), "BUY_CALL"),
        ("SPY   250117C00601000", Decimal("5.01"), "HOLD"),
        ("SPY   250117P00580000", Decimal("0.5"), "BUY_PUT"),
        ("SPY   250117P00590000", Decimal("1.1"), "BUY_PUT"),
        ("SPY   250124C00605000", Decimal("3.0"), "BUY_CALL"),
        ("SPY   250124C00610000", Decimal("0.5"), "BUY_CALL"),
        ("SPY   250124C00615000", Decimal("1.0015"), "BUY_CALL"),
        ("SPY   250124P00570000", Decimal("1.0"), "BUY_PUT"),
        ("SPY   250124P00575000", Decimal("0.3"), "BUY_PUT"),
    ]


def test_layman_keeps_the_silver_columns(spark, built):
    silver = [f.name for f in spark.table(f"{built}.enriched_options_silver").schema.fields]
    gold = [f.name for f in spark.table(f"{built}.gold_laymanspystrategy").schema.fields]
    assert gold == [*silver, "signal", "strategy_name", "input_fingerprint", "computed_at"]


def test_iron_condor_legs_and_net_credit(spark, built):
    got = rows(
        spark,
        f"select underlying, trade_date, expiry_date, short_call_strike, long_call_strike, short_put_strike, "
        f"long_put_strike, short_call_mid, long_call_mid, short_put_mid, long_put_mid, net_credit, signal, strategy_name "
        f"from {built}.gold_ironcondorstrategy order by trade_date, expiry_date",
    )
    d = Decimal
    assert got == [
        # 1.0 + 0.2 - 2.0 - 0.4
        (
            "SPY",
            D1,
            dt.date(2025, 1, 17),
            d("601.000"),
            d("600.000"),
            d("580.000"),
            d("590.000"),
            d("1"),
            d("2"),
            d("0.2"),
            d("0.4"),
            d("-1.20"),
            "HOLD",
            "IronCondorStrategy",
        ),
        # strike 601 averages 4.99 and 5.01: 5.00 + 0.50 - 5.00 - 1.10
        (
            "SPY",
            D2,
            dt.date(2025, 1, 17),
            d("601.000"),
            d("600.000"),
            d("580.000"),
            d("590.000"),
            d("5"),
            d("5"),
            d("0.5"),
            d("1.1"),
            d("-0.60"),
            "HOLD",
            "IronCondorStrategy",
        ),
        # 1.0015 + 1.0 - 0.5 - 0.3 = 1.2015 -> 1.20
        (
            "SPY",
            D2,
            dt.date(2025, 1, 24),
            d("615.000"),
            d("610.000"),
            d("570.000"),
            d("575.000"),
            d("1.0015"),
            d("0.5"),
            d("1"),
            d("0.3"),
            d("1.20"),
            "SELL_IRON_CONDOR",
            "IronCondorStrategy",
        ),
    ]
