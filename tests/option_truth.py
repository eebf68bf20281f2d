"""The generator's truth for one option quote, recomputed from its sidecar alone (its ``formula``).

Independent of the analytics under test: plain ``math``, one quote at a time.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
from scipy.special import ndtr

from optlake.reference.osi import parse_osi

NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class TrueQuote:
    years: float  # T: calendar years to the settlement, floored at 60 s
    forward: float  # S * exp((r - q) T)
    discount: float  # exp(-r T)
    vol: float  # the calendar-time implied volatility the quote was priced with
    value: float  # the theoretical (unrounded) option value

    @property
    def vega(self) -> float:
        """dV/dsigma at the true volatility (per unit of volatility): D F n(d1) sqrt(T), for the
        strike the quote was built with (``strike``)."""
        return (
            self.discount * self.forward * math.exp(-(self.d1**2) / 2) / math.sqrt(2 * math.pi) * math.sqrt(self.years)
        )

    strike: float = float("nan")

    @property
    def d1(self) -> float:
        return (math.log(self.forward / self.strike) + self.vol**2 * self.years / 2) / (
            self.vol * math.sqrt(self.years)
        )


def settlement_ny(expiry: dt.date, settlement: str) -> dt.datetime:
    """09:30 (AM) or 16:00 (PM; the generator's days have no early close among the tested ones)."""
    return dt.datetime.combine(expiry, dt.time(9, 30) if settlement == "AM" else dt.time(16), tzinfo=NEW_YORK)


def normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


@dataclass(frozen=True)
class TrueChain:
    """The truth of one root and expiry at one minute; ``vol(strike)`` is its smile."""

    doc: dict
    root: dict
    spot: float
    rate: float
    dividend_yield: float
    years: float  # T
    tau: float  # trading time
    base_vol: float

    @property
    def forward(self) -> float:
        return self.spot * math.exp((self.rate - self.dividend_yield) * self.years)

    def vol(self, strike):
        """The calendar-time implied volatility at ``strike`` (a float or an array)."""
        tau_eff = max(self.tau, 1 / 252)
        m = np.clip(
            np.log(np.asarray(strike, dtype=float) / self.forward) / (self.base_vol * math.sqrt(tau_eff)), -4, 4
        )
        atm = self.base_vol * (tau_eff / (21 / 252)) ** self.root["term_slope"]
        sigma_tau = np.clip(atm * (1 + self.root["skew"] * m + self.root["curvature"] * m * m), 0.01, 5.0)
        return sigma_tau * math.sqrt(self.tau / self.years)

    def value(self, strike, is_call):
        """Black-Scholes-Merton values at ``strike`` with the smile's vol (arrays broadcast)."""
        strike = np.asarray(strike, dtype=float)
        sigma = self.vol(strike)
        d1 = (np.log(self.spot / strike) + (self.rate - self.dividend_yield + sigma**2 / 2) * self.years) / (
            sigma * math.sqrt(self.years)
        )
        d2 = d1 - sigma * math.sqrt(self.years)
        sign = np.where(is_call, 1.0, -1.0)
        return sign * (
            self.spot * math.exp(-self.dividend_yield * self.years) * ndtr(sign * d1)
            - strike * math.exp(-self.rate * self.years) * ndtr(sign * d2)
        )

    def variance_swap(self, points: int = 200_001, stdevs: float = 30.0) -> float:
        """Fair variance (2 e^{rT} / T) int Q(K) / K^2 dK over out-of-the-money theoretical prices
        (puts below F, calls above: no forward correction), on a fine log-strike grid."""
        sd = self.base_vol * math.sqrt(max(self.tau, 1 / 252))
        x = np.linspace(math.log(self.forward) - stdevs * sd, math.log(self.forward) + stdevs * sd, points)
        k = np.exp(x)
        q = self.value(k, k >= self.forward)
        return float(2 * math.exp(self.rate * self.years) / self.years * np.trapz(q / k, x))


def true_chain(doc: dict, root_name: str, expiry: dt.date, ts_recv: str) -> TrueChain:
    """The truth of a root's expiry at the minute ``ts_recv`` (the sidecar's text form)."""
    root = doc["roots"][root_name]
    underlying = doc["underlyings"][root["underlying"]]
    minute = underlying["ts_recv"].index(ts_recv)
    now = dt.datetime.strptime(ts_recv[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
    settles = settlement_ny(expiry, root.get("settlement", "PM"))
    today_close = dt.datetime.combine(dt.date.fromisoformat(doc["trade_date"]), dt.time(16), tzinfo=NEW_YORK)
    t = max((settles - now).total_seconds(), 60) / (365 * 86400)
    minutes_left = (today_close - now).total_seconds() / 60
    tau = max(minutes_left + 390 * root["trading_days_to_expiry"][expiry.isoformat()], 1) / (252 * 390)
    base_vol = root["base_vol_by_minute"][minute] if "base_vol_by_minute" in root else root["base_vol"]
    return TrueChain(doc, root, underlying["spot"][minute], doc["rate"], underlying["dividend_yield"], t, tau, base_vol)


def true_quote(doc: dict, symbol: str, ts_recv: str) -> TrueQuote:
    """The truth of the quote of ``symbol`` at ``ts_recv`` (the sidecar's text form of the minute)."""
    contract = parse_osi(symbol)
    chain = true_chain(doc, contract.root, contract.expiry, ts_recv)
    spot, strike, r, q, t = chain.spot, float(contract.strike), chain.rate, chain.dividend_yield, chain.years
    forward = chain.forward
    sigma = float(chain.vol(strike))
    d1 = (math.log(spot / strike) + (r - q + sigma * sigma / 2) * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    sign = 1 if contract.option_type == "CALL" else -1
    value = sign * (spot * math.exp(-q * t) * normal_cdf(sign * d1) - strike * math.exp(-r * t) * normal_cdf(sign * d2))
    return TrueQuote(t, forward, math.exp(-r * t), sigma, value, strike)
