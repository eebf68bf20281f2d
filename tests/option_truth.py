"""The generator's truth for one option quote, recomputed from its sidecar alone (its ``formula``).

Independent of the analytics under test: plain ``math``, one quote at a time.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from optlake.reference.osi import parse_osi

NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class TrueQuote:
    years: float  # T: calendar years to the settlement, floored at 60 s
    forward: float  # S * exp((r - q) T)
    discount: float  # exp(-r T)
    vol: float  # the calendar-time implied volatility the quote was priced with
    value: float  # the theoretical (unrounded) option value


def settlement_ny(expiry: dt.date, settlement: str) -> dt.datetime:
    """09:30 (AM) or 16:00 (PM; the generator's days have no early close among the tested ones)."""
    return dt.datetime.combine(expiry, dt.time(9, 30) if settlement == "AM" else dt.time(16), tzinfo=NEW_YORK)


def normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def true_quote(doc: dict, symbol: str, ts_recv: str) -> TrueQuote:
    """The truth of the quote of ``symbol`` at ``ts_recv`` (the sidecar's text form of the minute)."""
    contract = parse_osi(symbol)
    root = doc["roots"][contract.root]
    underlying = doc["underlyings"][root["underlying"]]
    minute = underlying["ts_recv"].index(ts_recv)
    spot, strike, r, q = underlying["spot"][minute], float(contract.strike), doc["rate"], underlying["dividend_yield"]
    now = dt.datetime.strptime(ts_recv[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
    settles = settlement_ny(contract.expiry, root.get("settlement", "PM"))
    today_close = dt.datetime.combine(dt.date.fromisoformat(doc["trade_date"]), dt.time(16), tzinfo=NEW_YORK)
    t = max((settles - now).total_seconds(), 60) / (365 * 86400)
    minutes_left = (today_close - now).total_seconds() / 60
    tau = max(minutes_left + 390 * root["trading_days_to_expiry"][contract.expiry.isoformat()], 1) / (252 * 390)
    tau_eff = max(tau, 1 / 252)
    forward = spot * math.exp((r - q) * t)
    base_vol = root["base_vol_by_minute"][minute] if "base_vol_by_minute" in root else root["base_vol"]
    m = min(max(math.log(strike / forward) / (base_vol * math.sqrt(tau_eff)), -4), 4)
    atm = base_vol * (tau_eff / (21 / 252)) ** root["term_slope"]
    sigma_tau = min(max(atm * (1 + root["skew"] * m + root["curvature"] * m * m), 0.01), 5.0)
    sigma = sigma_tau * math.sqrt(tau / t)
    d1 = (math.log(spot / strike) + (r - q + sigma * sigma / 2) * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    sign = 1 if contract.option_type == "CALL" else -1
    value = sign * (spot * math.exp(-q * t) * normal_cdf(sign * d1) - strike * math.exp(-r * t) * normal_cdf(sign * d2))
    return TrueQuote(t, forward, math.exp(-r * t), sigma, value)
