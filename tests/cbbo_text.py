"""Hand-written CBBO CSV files for tests: one quote per line, in the exact Databento layout."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from optlake.bronze.specs import cbbo


def quote_line(symbol: str, bid: str, ask: str, minute: int = 0, day: dt.date = dt.date(2025, 1, 28)) -> str:
    ts = f"{day.isoformat()}T14:{31 + minute:02d}:00.000000000Z"
    return f"{ts},,193,30,7,N,,0,200,{bid},{ask},3,4,0,0,{symbol}"


def write_day(folder: Path, day: dt.date, quotes: list[tuple[str, str, str]]) -> Path:
    """A CBBO file for `day` holding (symbol, bid, ask) quotes, one minute apart."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / cbbo.file_name(day)
    lines = [quote_line(symbol, bid, ask, i % 20, day) for i, (symbol, bid, ask) in enumerate(quotes)]
    path.write_text("\n".join([cbbo.HEADER, *lines]) + "\n")
    return path
