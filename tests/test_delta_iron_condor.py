"""DeltaIronCondorStrategy's pure logic (optlake.strategies.delta_iron_condor) on hand-made chains
with known deltas, and on a Black-76 chain of a skewed smile. No Spark."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy.stats import norm

from optlake.strategies.delta_iron_condor import (
    INPUT_COLUMNS,
    OUTPUT_COLUMNS,
    STRATEGY_NAME,
    DeltaIronCondorParams,
    delta_iron_condor,
)

TRADE = dt.date(2025, 1, 14)
EXPIRY = dt.date(2025, 2, 14)
LAST = pd.Timestamp("2025-01-14 20:59:00")
D = Decimal

# (option_type, strike, mid, delta): a chain around 100 whose legs are known by construction.
CHAIN = [
    ("CALL", 100, 3.10, 0.52),
    ("CALL", 105, 1.40, 0.30),
    ("CALL", 110, 0.65, 0.17),  # short call: |0.17 - 0.16| = 0.01
    ("CALL", 115, 0.30, 0.08),
    ("CALL", 120, 0.12, 0.045),  # long call: |0.045 - 0.05| = 0.005
    ("CALL", 125, 0.05, 0.02),
    ("PUT", 100, 2.90, -0.48),
    ("PUT", 95, 1.30, -0.28),
    ("PUT", 90, 0.60, -0.155),  # short put: 0.005
    ("PUT", 85, 0.30, -0.085),
    ("PUT", 82.5, 0.16, -0.05),  # long put: 0
    ("PUT", 80, 0.11, -0.035),
]


def osi(option_type: str, strike: float, root: str = "XYZ") -> str:
    return f"{root:<6}{EXPIRY:%y%m%d}{option_type[0]}{round(strike * 1000):08d}"


def chain(rows, *, ts_recv: pd.Timestamp = LAST, root: str = "XYZ", status: str = "ok") -> pd.DataFrame:
    """Quotes of one group from (option_type, strike, mid, delta) rows."""
    return pd.DataFrame(
        {
            "underlying": "XYZ",
            "trade_date": TRADE,
            "expiry_date": EXPIRY,
            "ts_recv": ts_recv,
            "symbol": [osi(t, k, root) for t, k, _, _ in rows],
            "option_type": [t for t, _, _, _ in rows],
            "strike_price": [D(str(k)) for _, k, _, _ in rows],
            "mid_price": [D(str(m)) for _, _, m, _ in rows],
            "delta": [float(d) for _, _, _, d in rows],
            "iv_status": status,
        },
        columns=list(INPUT_COLUMNS),
    )


def one(quotes: pd.DataFrame, **params) -> dict:
    out = delta_iron_condor(quotes, DeltaIronCondorParams(**params))
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert len(out) == 1
    return out.iloc[0].to_dict()


def legs(row: dict) -> list[tuple]:
    return [(row[f"{leg}_strike"], row[f"{leg}_mid"], row[f"{leg}_delta"]) for leg in LEGS]


LEGS = ("short_call", "long_call", "short_put", "long_put")


def test_legs_by_delta_and_the_condor_numbers_exactly():
    row = one(chain(CHAIN))
    assert legs(row) == [
        (D("110"), D("0.65"), 0.17),
        (D("120"), D("0.12"), 0.045),
        (D("90"), D("0.60"), -0.155),
        (D("82.5"), D("0.16"), -0.05),
    ]
    assert row["short_call_symbol"] == "XYZ   250214C00110000"
    assert row["long_put_symbol"] == "XYZ   250214P00082500"
    assert (row["underlying"], row["trade_date"], row["expiry_date"], row["ts_recv"]) == ("XYZ", TRADE, EXPIRY, LAST)
    # 0.65 + 0.60 - 0.12 - 0.16; the call wing (10) is wider than the put wing (7.5)
    assert row["net_credit"] == D("0.97")
    assert row["width"] == D("10")
    assert row["max_loss"] == D("9.03")
    assert row["lower_breakeven"] == D("89.03")
    assert row["upper_breakeven"] == D("110.97")
    assert row["credit_to_width"] == pytest.approx(0.097, abs=1e-15)
    assert (row["signal"], row["hold_reason"], row["strategy_name"]) == ("SELL_IRON_CONDOR", None, STRATEGY_NAME)


def test_the_row_fits_the_spark_schema():
    """Every value converts to OUTPUT_COLUMNS' types without loss (what applyInPandas does)."""

    def arrow(kind: str) -> pa.DataType:
        if m := re.fullmatch(r"decimal\((\d+),(\d+)\)", kind):
            return pa.decimal128(int(m[1]), int(m[2]))
        return {"string": pa.string(), "date": pa.date32(), "timestamp": pa.timestamp("us"), "double": pa.float64()}[
            kind
        ]

    schema = pa.schema([(name, arrow(kind)) for name, kind in OUTPUT_COLUMNS.items()])
    sold = delta_iron_condor(chain(CHAIN))
    held = delta_iron_condor(chain([r for r in CHAIN if r[0] == "CALL"]))  # null legs and numbers
    tables = [pa.Table.from_pandas(out, schema=schema, preserve_index=False) for out in (sold, held)]
    assert [t.column("net_credit").to_pylist() for t in tables] == [[D("0.97")], [None]]


def test_distance_ties_go_to_the_further_out_of_the_money_strike():
    # 0.14 and 0.18 are 0.02 from 0.16 (in floats 0.0200000000000000178 and 0.0199999999999999900)
    rows = [
        ("CALL", 105, 1.0, 0.18),
        ("CALL", 110, 0.8, 0.14),  # short call: tie, higher strike
        ("CALL", 115, 0.3, 0.07),
        ("CALL", 120, 0.1, 0.03),  # long call: tie with 115 around 0.05, higher strike
        ("PUT", 95, 1.0, -0.18),
        ("PUT", 90, 0.8, -0.14),  # short put: tie, lower strike
        ("PUT", 85, 0.3, -0.07),
        ("PUT", 80, 0.1, -0.03),  # long put: tie, lower strike
    ]
    row = one(chain(rows))
    assert [r[0] for r in legs(row)] == [D("110"), D("120"), D("90"), D("80")]
    # the result does not depend on the row order
    shuffled = chain(rows).sample(frac=1, random_state=7)
    assert [r[0] for r in legs(one(shuffled))] == [D("110"), D("120"), D("90"), D("80")]


def test_one_strike_quoted_by_two_roots_goes_to_the_smaller_symbol():
    xyzw = chain(CHAIN, root="XYZW")  # same strikes, deltas and mids under a second root
    both = pd.concat([xyzw, chain(CHAIN)]).iloc[::-1]
    row = one(both)
    assert {row[f"{leg}_symbol"][:6] for leg in LEGS} == {"XYZ   "}  # "XYZ   ..." < "XYZW  ..."
    assert row["net_credit"] == D("0.97")


def test_a_one_sided_chain_holds_with_the_legs_it_found():
    row = one(chain([r for r in CHAIN if r[0] == "CALL"]))
    assert (row["signal"], row["hold_reason"]) == ("HOLD", "no_short_put")
    assert (row["short_call_strike"], row["long_call_strike"]) == (D("110"), D("120"))
    assert row["short_put_strike"] is None and row["long_put_mid"] is None
    assert all(row[c] is None for c in ("net_credit", "width", "max_loss", "credit_to_width"))

    row = one(chain([r for r in CHAIN if r[0] == "PUT"]))
    assert (row["signal"], row["hold_reason"], row["short_put_strike"]) == ("HOLD", "no_short_call", D("90"))


def test_no_strike_beyond_the_short_leg_means_no_wing():
    calls_up_to_short = [r for r in CHAIN if r[0] == "PUT" or r[1] <= 110]
    row = one(chain(calls_up_to_short))
    assert (row["hold_reason"], row["short_call_strike"], row["long_call_strike"]) == ("no_long_call", D("110"), None)

    puts_down_to_short = [r for r in CHAIN if r[0] == "CALL" or r[1] >= 90]
    assert one(chain(puts_down_to_short))["hold_reason"] == "no_long_put"


def test_credit_below_the_minimum_holds_and_the_minimum_itself_sells():
    row = one(chain(CHAIN), min_credit=0.98)
    assert (row["signal"], row["hold_reason"], row["net_credit"]) == ("HOLD", "credit_below_minimum", D("0.97"))
    # 0.97 exactly (decimals): a float sum of the mids would miss it
    assert one(chain(CHAIN), min_credit=0.97)["signal"] == "SELL_IRON_CONDOR"


def test_a_zero_or_negative_credit_never_sells():
    rows = [("CALL", 110, 0.10, 0.16), ("CALL", 120, 0.15, 0.05), ("PUT", 90, 0.10, -0.16), ("PUT", 80, 0.05, -0.05)]
    row = one(chain(rows), min_credit=0)
    assert (row["net_credit"], row["signal"], row["hold_reason"]) == (D("0.00"), "HOLD", "credit_below_minimum")


def test_credit_to_width_gate():
    row = one(chain(CHAIN), min_credit_to_width=0.1)  # 0.97 / 10 = 0.097
    assert (row["signal"], row["hold_reason"]) == ("HOLD", "credit_to_width_below_minimum")
    assert one(chain(CHAIN), min_credit_to_width=0.09)["signal"] == "SELL_IRON_CONDOR"


def test_short_legs_that_cross_hold():
    rows = [("CALL", 90, 10.5, 0.16), ("CALL", 95, 6.0, 0.05), ("PUT", 100, 0.5, -0.16), ("PUT", 95, 0.2, -0.05)]
    row = one(chain(rows))
    assert (row["signal"], row["hold_reason"]) == ("HOLD", "legs_cross")
    assert row["net_credit"] == D("4.8")  # the numbers are still reported


def test_a_credit_as_large_as_the_width_is_incoherent():
    rows = [("CALL", 110, 6.0, 0.16), ("CALL", 115, 0.5, 0.05), ("PUT", 90, 0.5, -0.16), ("PUT", 85, 0.4, -0.05)]
    row = one(chain(rows))  # 6.0 + 0.5 - 0.5 - 0.4 = 5.6 >= 5
    assert (row["signal"], row["hold_reason"], row["width"]) == ("HOLD", "credit_not_below_width", D("5"))


def test_only_solved_quotes_of_the_last_snapshot_count():
    earlier = chain([("CALL", 110, 9.9, 0.16), ("PUT", 90, 9.9, -0.16)], ts_recv=LAST - pd.Timedelta(minutes=30))
    unsolved = chain([("CALL", 111, 9.9, 0.16), ("PUT", 89, 9.9, -0.16)], status="no_bid")
    nan_delta = chain([("CALL", 112, 9.9, math.nan)])
    # the latest minute overall, but nothing usable in it: the last usable snapshot counts
    later_unsolved = chain([("CALL", 113, 9.9, 0.16)], ts_recv=LAST + pd.Timedelta(minutes=1), status="no_bid")
    row = one(pd.concat([earlier, chain(CHAIN), unsolved, nan_delta, later_unsolved]))
    assert row["ts_recv"] == LAST
    assert row["net_credit"] == D("0.97")


def test_no_usable_quote_no_row():
    out = delta_iron_condor(chain(CHAIN, status="below_intrinsic"))
    assert out.empty and list(out.columns) == list(OUTPUT_COLUMNS)


def test_one_group_at_a_time():
    other = chain(CHAIN).assign(expiry_date=dt.date(2025, 3, 21))
    with pytest.raises(ValueError, match="expiry_date"):
        delta_iron_condor(pd.concat([chain(CHAIN), other]))


@pytest.mark.parametrize(
    "params",
    [
        {"short_delta": 0.05, "wing_delta": 0.05},
        {"short_delta": 0.5},
        {"wing_delta": 0},
        {"min_credit": -0.01},
        {"min_credit_to_width": 1},
    ],
)
def test_parameters_are_checked(params):
    with pytest.raises(ValueError):
        DeltaIronCondorParams(**params)


def black76_chain(forward: float, years: float, rate: float, strikes: np.ndarray) -> pd.DataFrame:
    """A chain priced with Black-76 on a skewed smile, mids on a 0.05 tick, discounted deltas."""
    k = np.log(strikes / forward)
    vol = np.maximum(0.16 - 0.35 * k + 0.9 * k**2, 0.08)  # put skew, as on an equity index
    discount = math.exp(-rate * years)
    d1 = (-k + vol**2 * years / 2) / (vol * math.sqrt(years))
    d2 = d1 - vol * math.sqrt(years)
    call = discount * (forward * norm.cdf(d1) - strikes * norm.cdf(d2))
    put = discount * (strikes * norm.cdf(-d2) - forward * norm.cdf(-d1))
    tick = lambda price: np.maximum(np.round(price / 0.05) * 0.05, 0.05)  # noqa: E731
    rows = [("CALL", s, round(m, 2), d) for s, m, d in zip(strikes, tick(call), discount * norm.cdf(d1), strict=True)]
    rows += [("PUT", s, round(m, 2), d) for s, m, d in zip(strikes, tick(put), -discount * norm.cdf(-d1), strict=True)]
    return chain(rows)


def test_a_black76_chain_gives_a_positive_credit_unlike_the_strike_rank_condor():
    forward = 5000.0
    strikes = np.arange(4400.0, 5600.0 + 1, 25.0)
    quotes = black76_chain(forward, years=30 / 365, rate=0.04, strikes=strikes)
    row = one(quotes)

    assert row["signal"] == "SELL_IRON_CONDOR"
    assert row["short_call_strike"] > forward > row["short_put_strike"]
    assert row["long_call_strike"] > row["short_call_strike"] and row["long_put_strike"] < row["short_put_strike"]
    for leg, target in (("short_call", 0.16), ("long_call", 0.05), ("short_put", -0.16), ("long_put", -0.05)):
        assert row[f"{leg}_delta"] == pytest.approx(target, abs=0.01)
    assert 0 < row["net_credit"] < row["width"]
    assert row["max_loss"] == row["width"] - row["net_credit"]
    assert row["lower_breakeven"] < forward < row["upper_breakeven"]
    # the skew: the short put sits further from the forward than the short call
    assert D("5000") - row["short_put_strike"] > row["short_call_strike"] - D("5000")

    # IronCondorStrategy's legs (shorts on the outermost strikes, longs one strike in) pay to enter
    mids = quotes.set_index(["option_type", "strike_price"])["mid_price"]
    top, below_top = D(str(strikes[-1])), D(str(strikes[-2]))
    bottom, above_bottom = D(str(strikes[0])), D(str(strikes[1]))
    rank_credit = mids["CALL", top] + mids["PUT", bottom] - mids["CALL", below_top] - mids["PUT", above_bottom]
    assert rank_credit < 0 < row["net_credit"]
