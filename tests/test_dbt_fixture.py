"""The real OPRA sample through Bronze and Silver: every symbol parsed as OSI says, mid prices exact."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from decimal import Decimal

from optlake.bronze import load
from optlake.bronze.landing import LocalLanding
from optlake.reference.osi import parse_osi


def test_fixture_symbols_in_silver_match_the_python_parser(spark, dbt, fixture_csv, tmp_path):
    schema = "fixture_silver"
    spark.sql(f"create database if not exists {schema}")
    shutil.copy(fixture_csv, tmp_path)
    load(spark, LocalLanding(tmp_path), schema)
    dbt(schema, "build", "--select", "+enriched_options_silver")

    with fixture_csv.open() as f:
        source = list(csv.DictReader(f))
    silver = spark.sql(
        f"select symbol, root, underlying, expiry_date, option_type, strike_price, mid_price, spread, trade_date "
        f"from {schema}.enriched_options_silver"
    ).collect()
    assert len(silver) == len(source) == 9
    assert spark.table(f"{schema}.enriched_options_silver_rejected").count() == 0

    by_symbol = {r["symbol"]: r for r in silver}
    for line in source:
        row, contract = by_symbol[line["symbol"]], parse_osi(line["symbol"])
        bid, ask = Decimal(line["bid_px_00"]), Decimal(line["ask_px_00"])
        assert (row["root"], row["expiry_date"], row["option_type"], row["strike_price"]) == (
            contract.root,
            contract.expiry,
            contract.option_type,
            contract.strike,
        )
        assert row["underlying"] == "SPY"  # SPX and SPXW map to SPY
        assert row["mid_price"] == (bid + ask) / 2 and row["spread"] == ask - bid
        assert row["trade_date"] == dt.date(2025, 1, 28)
    assert by_symbol["SPXW  250331P05600000"]["strike_price"] == Decimal("5600.000")
    assert by_symbol["SPX   250221P01000000"]["mid_price"] == Decimal("0.025")
