"""OCC/OSI option symbols: ``SPXW  250331P05600000`` = SPXW, 2025-03-31, PUT, 5600.000.

Pure functions. The SQL side (Silver) has its own macros; these serve the generator and tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

SYMBOL_LENGTH = 21


@dataclass(frozen=True)
class OptionContract:
    root: str
    expiry: dt.date
    option_type: str  # "CALL" or "PUT"
    strike: Decimal  # exact, three decimals

    @property
    def symbol(self) -> str:
        return format_osi(self.root, self.expiry, self.option_type, self.strike)


def format_osi(root: str, expiry: dt.date, option_type: str, strike: Decimal | float) -> str:
    """Build the 21-character OSI symbol. ``strike`` is rounded to the nearest 1/1000."""
    if not 1 <= len(root) <= 6:
        raise ValueError(f"OSI root must have 1-6 characters, got {root!r}")
    cp = {"CALL": "C", "PUT": "P", "C": "C", "P": "P"}[option_type.upper()]
    mills = int((Decimal(str(strike)) * 1000).to_integral_value())
    if not 0 <= mills < 10**8:
        raise ValueError(f"strike {strike} does not fit the 8-digit OSI field")
    return f"{root:<6}{expiry:%y%m%d}{cp}{mills:08d}"


def parse_osi(symbol: str) -> OptionContract:
    """Parse an OSI symbol; raises ValueError with the reason when it is malformed."""
    if len(symbol) != SYMBOL_LENGTH:
        raise ValueError(f"OSI symbol must have {SYMBOL_LENGTH} characters, got {len(symbol)}: {symbol!r}")
    root = symbol[:6].rstrip()
    if not root or " " in root:
        raise ValueError(f"bad OSI root in {symbol!r}")
    try:
        expiry = dt.datetime.strptime(symbol[6:12], "%y%m%d").date()
    except ValueError as exc:
        raise ValueError(f"bad OSI expiry in {symbol!r}") from exc
    cp = symbol[12]
    if cp not in "CP":
        raise ValueError(f"bad OSI call/put flag {cp!r} in {symbol!r}")
    digits = symbol[13:]
    if not digits.isdigit():
        raise ValueError(f"bad OSI strike in {symbol!r}")
    return OptionContract(root, expiry, "CALL" if cp == "C" else "PUT", Decimal(int(digits)) / 1000)
