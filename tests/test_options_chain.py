"""analyse_chain on hand-made chains: forwards, statuses of bad and edge quotes, never an exception."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from optlake.analytics.options import black76
from optlake.analytics.options.chain import RESULT_COLUMNS, analyse_chain, settlement_ns

EXPIRY = dt.date(2025, 2, 21)
TRADE = dt.date(2025, 1, 28)
RATE, VOL, SPOT = 0.043, 0.2, 6000.0
NOON_NS = int(dt.datetime(2025, 1, 28, 17, 0, tzinfo=dt.UTC).timestamp()) * 10**9
CURVE = {"irx": 4.2, "fvx": 4.3, "tnx": 4.4, "tyx": 4.6}


def chain_rows(
    strikes: list[float], *, ts_ns: int = NOON_NS, expiry: dt.date = EXPIRY, settlement: str = "PM", curve=CURVE
) -> pd.DataFrame:
    """Calls and puts priced exactly by Black-76 at VOL, quoted a cent either side of the value."""
    years = (settlement_ns(expiry, settlement) - ts_ns) / 1e9 / (365 * 86400)
    forward, discount = SPOT * math.exp(RATE * max(years, 0)), math.exp(-RATE * max(years, 0))
    rows = []
    for strike in strikes:
        for option_type in ("CALL", "PUT"):
            value = (
                float(black76.price(forward, strike, years, VOL, option_type == "CALL", discount))
                if years > 0
                else max((forward - strike) if option_type == "CALL" else (strike - forward), 0)
            )
            rows.append(
                {
                    "trade_date": TRADE,
                    "ts_recv_ns": ts_ns,
                    "symbol": f"SPXW {option_type[0]}{strike}",
                    "underlying": "SPX",
                    "root": "SPXW",
                    "expiry_date": expiry,
                    "settlement": settlement,
                    "option_type": option_type,
                    "strike_price": strike,
                    "bid_px_00": value - 0.01,
                    "ask_px_00": value + 0.01,
                    "mid_price": value,
                    "underlying_price": SPOT,
                    **{k: (None if curve is None else curve[k]) for k in CURVE},
                }
            )
    return pd.DataFrame(rows)


def test_a_clean_chain_recovers_forward_and_vol() -> None:
    out = analyse_chain(chain_rows([5800, 5900, 5950, 6000, 6050, 6100, 6200]), 0.04)
    assert list(out.columns)[-len(RESULT_COLUMNS) :] == list(RESULT_COLUMNS)
    assert (out["iv_status"] == "ok").all()
    years = out["years_to_expiry"].iloc[0]
    assert out["forward_price"].iloc[0] == pytest.approx(SPOT * math.exp(RATE * years), rel=1e-6)
    assert out["forward_method"].iloc[0].startswith("parity")
    assert out["rate_source"].iloc[0] == "treasury"
    assert np.allclose(out["iv"], VOL, atol=1e-5)
    assert (out.loc[out.option_type == "CALL", "delta"] > 0).all() and (
        out.loc[out.option_type == "PUT", "delta"] < 0
    ).all()


def test_bad_and_edge_quotes_keep_their_rows_with_a_status() -> None:
    chain = chain_rows([5000, 5900, 6000, 6100, 7000])
    zero_bid = (chain.strike_price == 7000) & (chain.option_type == "CALL")
    chain.loc[zero_bid, ["bid_px_00", "mid_price"]] = [0.0, chain.loc[zero_bid, "ask_px_00"].iloc[0] / 2]
    crossed = (chain.strike_price == 5900) & (chain.option_type == "PUT")
    chain.loc[crossed, "bid_px_00"] = chain.loc[crossed, "ask_px_00"] + 1
    deep = (chain.strike_price == 5000) & (chain.option_type == "CALL")
    chain.loc[deep, ["bid_px_00", "ask_px_00", "mid_price"]] = [900.0, 905.0, 902.5]  # under F - K ~ 1017
    out = analyse_chain(chain, 0.04)
    status = dict(zip(zip(out.strike_price, out.option_type, strict=True), out.iv_status, strict=True))
    assert status[(7000, "CALL")] == "no_bid"
    assert status[(5900, "PUT")] == "crossed"
    assert status[(5000, "CALL")] == "below_intrinsic"
    assert status[(6000, "CALL")] == "ok"
    assert len(out) == len(chain)
    assert out.loc[out.iv_status != "ok", ["iv", "delta", "vega"]].isna().all().all()


def test_zero_dte_in_the_last_minutes_and_after_the_close() -> None:
    last_minute = int(dt.datetime(2025, 2, 21, 20, 59, tzinfo=dt.UTC).timestamp()) * 10**9  # 15:59 New York
    at_close = last_minute + 60 * 10**9
    late = analyse_chain(chain_rows([5990, 6000, 6010], ts_ns=last_minute, expiry=dt.date(2025, 2, 21)), 0.04)
    assert late["years_to_expiry"].iloc[0] == pytest.approx(60 / (365 * 86400))
    assert set(late.iv_status) <= {"ok", "no_bid", "no_time_value", "below_intrinsic"}
    assert (late.iv_status == "ok").any()
    closed = analyse_chain(chain_rows([5990, 6000, 6010], ts_ns=at_close, expiry=dt.date(2025, 2, 21)), 0.04)
    assert (closed.iv_status == "expired").all()


def test_am_settled_roots_expire_at_the_open() -> None:
    out = analyse_chain(chain_rows([6000], settlement="AM"), 0.04)
    pm = analyse_chain(chain_rows([6000], settlement="PM"), 0.04)
    assert (pm["years_to_expiry"].iloc[0] - out["years_to_expiry"].iloc[0]) * 365 * 24 == pytest.approx(6.5)


def test_one_sided_expiry_falls_back_to_the_bar_and_the_rate() -> None:
    calls = chain_rows([5900, 6000, 6100], curve=None)
    calls = calls[calls.option_type == "CALL"]
    out = analyse_chain(calls, 0.043)
    assert (out.forward_method == "underlying_bar").all()
    assert (out.rate_source == "default").all()
    years = out["years_to_expiry"].iloc[0]
    assert out["forward_price"].iloc[0] == pytest.approx(SPOT * math.exp(0.043 * years), rel=1e-12)
    assert np.allclose(out["iv"], VOL, atol=1e-8)
    no_bar = calls.assign(underlying_price=np.nan)
    assert (analyse_chain(no_bar, 0.043).iv_status == "no_forward").all()


def test_an_empty_chain_gives_an_empty_frame() -> None:
    out = analyse_chain(chain_rows([6000]).iloc[:0], 0.04)
    assert out.empty and set(RESULT_COLUMNS) <= set(out.columns)
