"""DeltaIronCondorStrategy: an iron condor whose four legs are chosen by Black-76 delta.

``delta_iron_condor(quotes, params)`` takes the quotes of ONE group (one underlying, trade_date and
expiry_date) of ``option_analytics`` and returns one row, or none when no quote is usable.

Usable quotes: ``iv_status == 'ok'`` with a finite ``delta``, a ``strike_price`` and a ``mid_price``,
at the group's last snapshot (the latest ``ts_recv`` among them; the Spark model sends only those).
``delta`` is the discounted Black-76 dV/dF: calls about +N(d1), puts negative; puts are measured on
|delta|.

Leg rules (parameters ``short_delta`` 0.16, ``wing_delta`` 0.05):
  short call = the call whose delta is closest to +short_delta
  long call  = among the calls with a strike above the short call's, the one whose delta is
               closest to +wing_delta
  short put  = the put whose |delta| is closest to short_delta
  long put   = among the puts with a strike below the short put's, the one whose |delta| is
               closest to wing_delta
Ties: distances |(|delta|) - target| are compared rounded to 1e-9 (deltas are solver output;
smaller differences are noise, so 0.14 and 0.18 tie around 0.16), then the more out-of-the-money
strike wins (the higher call, the lower put), then the smaller symbol (two roots of one underlying,
e.g. SPX and SPXW, can quote the same expiry and strike; the leg symbols say which was taken).

Numbers, per unit of underlying like the mids, exact decimals (floats are read as ``Decimal(str(x))``,
so 0.1 stays 0.1):
  net_credit      = short_call_mid + short_put_mid - long_call_mid - long_put_mid
  width           = max(long_call_strike - short_call_strike, short_put_strike - long_put_strike)
  max_loss        = width - net_credit
  lower_breakeven = short_put_strike - net_credit
  upper_breakeven = short_call_strike + net_credit
  credit_to_width = net_credit / width (a double)
They are null when a leg is missing.

Signal: SELL_IRON_CONDOR when ``hold_reason`` is null, else HOLD. ``hold_reason``, first failure wins:
  no_short_call, no_long_call, no_short_put, no_long_put  a leg is missing (the legs found are kept)
  legs_cross                     short_put_strike >= short_call_strike
  credit_not_below_width         net_credit >= width: nothing at risk, the quotes are incoherent
  credit_below_minimum           net_credit < min_credit, or net_credit <= 0
  credit_to_width_below_minimum  credit_to_width < min_credit_to_width
A group with usable quotes always gets its row (a HOLD says why), so every expiry of the day is
accounted for in the table.

Two credit gates: ``min_credit`` (dollars, default 0.10) is the classic one and screens out condors
not worth their commissions, but a dollar amount depends on the price level: 0.10 is nothing on a
25-point SPX wing and a lot on a 0.5-wide wing of F. ``min_credit_to_width`` (default 0, off) is
scale-free (the share of the risk paid up front) and is the better gate for a mixed universe; both
apply when both are set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

STRATEGY_NAME = "DeltaIronCondorStrategy"
SELL = "SELL_IRON_CONDOR"
HOLD = "HOLD"
OK = "ok"
GROUP = ("underlying", "trade_date", "expiry_date")
LEGS = ("short_call", "long_call", "short_put", "long_put")
#: Distances to a target delta are compared at this many decimals (closer is a tie).
TIE_DECIMALS = 9

#: The input columns the function reads.
INPUT_COLUMNS = (*GROUP, "ts_recv", "symbol", "option_type", "strike_price", "mid_price", "delta", "iv_status")

NUMBER_COLUMNS = ("net_credit", "width", "max_loss", "lower_breakeven", "upper_breakeven", "credit_to_width")
_LEG_FIELDS = {"symbol": "string", "strike": "decimal(11,3)", "mid": "decimal(20,10)", "delta": "double"}

#: Output columns, in order, with their Spark SQL types.
OUTPUT_COLUMNS: dict[str, str] = {
    "underlying": "string",
    "trade_date": "date",
    "expiry_date": "date",
    "ts_recv": "timestamp",
    **{f"{leg}_{field}": kind for leg in LEGS for field, kind in _LEG_FIELDS.items()},
    "net_credit": "decimal(22,10)",
    "width": "decimal(12,3)",
    "max_loss": "decimal(23,10)",
    "lower_breakeven": "decimal(23,10)",
    "upper_breakeven": "decimal(23,10)",
    "credit_to_width": "double",
    "signal": "string",
    "hold_reason": "string",
    "strategy_name": "string",
}


@dataclass(frozen=True)
class DeltaIronCondorParams:
    """Targets and gates: 0 < wing_delta < short_delta < 0.5, min_credit >= 0, 0 <= min_credit_to_width < 1."""

    short_delta: float = 0.16
    wing_delta: float = 0.05
    min_credit: float = 0.10
    min_credit_to_width: float = 0.0

    def __post_init__(self) -> None:
        if not 0 < self.wing_delta < self.short_delta < 0.5:
            raise ValueError(f"need 0 < wing_delta < short_delta < 0.5, got {self.wing_delta}, {self.short_delta}")
        if self.min_credit < 0:
            raise ValueError(f"min_credit must be >= 0, got {self.min_credit}")
        if not 0 <= self.min_credit_to_width < 1:
            raise ValueError(f"min_credit_to_width must be in [0, 1), got {self.min_credit_to_width}")


@dataclass(frozen=True)
class Leg:
    """One chosen option: its symbol, strike, mid and delta."""

    symbol: str
    strike: Decimal
    mid: Decimal
    delta: float


def to_decimal(value: Any) -> Decimal:
    """``value`` as an exact Decimal: a Decimal as is, a number through its shortest text (0.1 -> 0.1)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def usable_quotes(quotes: pd.DataFrame) -> pd.DataFrame:
    """The solved quotes with a finite delta, a strike and a mid, at the latest ts_recv among them."""
    delta = pd.to_numeric(quotes["delta"], errors="coerce").astype(float)
    usable = quotes.loc[
        quotes["iv_status"].eq(OK) & np.isfinite(delta) & quotes["mid_price"].notna() & quotes["strike_price"].notna()
    ]
    if usable.empty:
        return usable
    return usable.loc[usable["ts_recv"] == usable["ts_recv"].max()]


def chain_side(quotes: pd.DataFrame, option_type: str) -> pd.DataFrame:
    """The CALL or PUT quotes with ranking columns: ``_abs_delta`` and ``_otm`` (higher = further out
    of the money: the strike for calls, minus the strike for puts)."""
    side = quotes.loc[quotes["option_type"] == option_type]
    strike = side["strike_price"].astype(float)
    return side.assign(
        _abs_delta=side["delta"].astype(float).abs(),
        _otm=strike if option_type == "CALL" else -strike,
    )


def closest_leg(side: pd.DataFrame, target: float) -> Leg | None:
    """The quote of ``side`` whose |delta| is closest to ``target`` (ties: further out of the money,
    then the smaller symbol); None when ``side`` is empty."""
    if side.empty:
        return None
    ranked = side.assign(_distance=(side["_abs_delta"] - target).abs().round(TIE_DECIMALS)).sort_values(
        ["_distance", "_otm", "symbol"], ascending=[True, False, True], kind="mergesort"
    )
    best = ranked.iloc[0]
    return Leg(
        str(best["symbol"]), to_decimal(best["strike_price"]), to_decimal(best["mid_price"]), float(best["delta"])
    )


def pick_legs(quotes: pd.DataFrame, params: DeltaIronCondorParams) -> dict[str, Leg | None]:
    """The four legs by the module's rules; a leg is None when the chain has no candidate for it."""
    legs: dict[str, Leg | None] = {}
    for option_type, short_name, long_name in (("CALL", "short_call", "long_call"), ("PUT", "short_put", "long_put")):
        side = chain_side(quotes, option_type)
        short = closest_leg(side, params.short_delta)
        legs[short_name] = short
        if short is None:
            legs[long_name] = None
            continue
        short_otm = float(short.strike) if option_type == "CALL" else -float(short.strike)
        legs[long_name] = closest_leg(side.loc[side["_otm"] > short_otm], params.wing_delta)
    return legs


def condor_numbers(short_call: Leg, long_call: Leg, short_put: Leg, long_put: Leg) -> dict[str, Decimal | float]:
    """net_credit, width, max_loss, the breakevens and credit_to_width of four legs (formulas above)."""
    net_credit = short_call.mid + short_put.mid - long_call.mid - long_put.mid
    width = max(long_call.strike - short_call.strike, short_put.strike - long_put.strike)
    return {
        "net_credit": net_credit,
        "width": width,
        "max_loss": width - net_credit,
        "lower_breakeven": short_put.strike - net_credit,
        "upper_breakeven": short_call.strike + net_credit,
        "credit_to_width": float(net_credit / width),
    }


def missing_leg(legs: dict[str, Leg | None]) -> str | None:
    """``no_<leg>`` for the first missing leg (in LEGS order), or None when all four are there."""
    return next((f"no_{name}" for name in LEGS if legs[name] is None), None)


def hold_reason(legs: dict[str, Leg], numbers: dict[str, Decimal | float], params: DeltaIronCondorParams) -> str | None:
    """Why a complete condor is not sold (first failure wins), or None when it is."""
    credit = numbers["net_credit"]
    if legs["short_put"].strike >= legs["short_call"].strike:
        return "legs_cross"
    if credit >= numbers["width"]:
        return "credit_not_below_width"
    if credit <= 0 or credit < to_decimal(params.min_credit):
        return "credit_below_minimum"
    if numbers["credit_to_width"] < params.min_credit_to_width:
        return "credit_to_width_below_minimum"
    return None


def delta_iron_condor(quotes: pd.DataFrame, params: DeltaIronCondorParams | None = None) -> pd.DataFrame:
    """One DeltaIronCondorStrategy row (OUTPUT_COLUMNS) for one group's quotes; no row when none is usable.

    ``quotes`` holds INPUT_COLUMNS for one (underlying, trade_date, expiry_date); other columns are
    ignored. Raises ValueError when it mixes groups.
    """
    params = params or DeltaIronCondorParams()
    for column in GROUP:
        if quotes[column].nunique(dropna=False) > 1:
            raise ValueError(f"quotes of more than one {column}: one group at a time")
    usable = usable_quotes(quotes)
    if usable.empty:
        return pd.DataFrame(columns=list(OUTPUT_COLUMNS))

    legs = pick_legs(usable, params)
    reason = missing_leg(legs)
    numbers = None
    if reason is None:
        numbers = condor_numbers(**legs)
        reason = hold_reason(legs, numbers, params)

    first = usable.iloc[0]
    row: dict[str, Any] = {column: first[column] for column in GROUP}
    row["ts_recv"] = usable["ts_recv"].iloc[0]
    for name in LEGS:
        leg = legs[name]
        for field in _LEG_FIELDS:
            row[f"{name}_{field}"] = None if leg is None else getattr(leg, field)
    row.update(numbers or dict.fromkeys(NUMBER_COLUMNS))
    row["signal"] = SELL if reason is None else HOLD
    row["hold_reason"] = reason
    row["strategy_name"] = STRATEGY_NAME
    logger.debug("%s %s %s: %s %s", *(row[c] for c in GROUP), row["signal"], reason or "")
    return pd.DataFrame([row], columns=list(OUTPUT_COLUMNS))
