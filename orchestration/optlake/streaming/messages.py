"""Market messages of the stream: parsing and validation of one JSON line, pure functions.

One JSON object per line, in the streaming processor's three shapes (``type`` says which)::

    {"type": "trade", "symbol": "AAPL", "ts_event": "2025-01-28T14:31:05.250000000Z", "price": 231.45, "size": 100}
    {"type": "quote", "symbol": "AAPL", "ts_event": "...", "bid_px": 231.44, "ask_px": 231.46,
     "bid_sz": 300, "ask_sz": 200}
    {"type": "bar", "symbol": "AAPL", "ts_event": "2025-01-28T14:31:00Z", "open": 231.4, "high": 231.6,
     "low": 231.3, "close": 231.5, "volume": 12000}

``ts_event`` is ISO-8601 UTC with up to nanoseconds and a trailing Z (as the vendor writes it) or integer
epoch nanoseconds; a bar's is its minute's start. Prices are JSON numbers or decimal strings (9 decimals
at most, kept exact); sizes and volumes non-negative integers. ``instrument_id`` and ``publisher_id`` are
optional (default: the seed instruments' ids of the symbol). A line that is not such a message yields a
:class:`Rejected` with the reason the quarantine records.

Event time: a trade's or quote's ``ts_event``; a bar's is the END of its minute (the bar is complete
then), so a bar published as its minute closes is not late against the trades of the next minute.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

NS_PER_S = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_S
TYPES = ("trade", "quote", "bar")
NEW_YORK = ZoneInfo("America/New_York")
_TS = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$")
_PRICE = re.compile(r"^-?\d{1,10}(\.\d{1,9})?$")
_EPOCH = dt.datetime(1970, 1, 1)
#: Required fields of each message type, besides type, symbol and ts_event.
FIELDS = {
    "trade": {"price": "price", "size": "size"},
    "quote": {"bid_px": "price", "ask_px": "price", "bid_sz": "size", "ask_sz": "size"},
    "bar": {"open": "price", "high": "price", "low": "price", "close": "price", "volume": "size"},
}


@dataclass(frozen=True)
class Instrument:
    """What the stream needs of a seed instrument: its ids and its session ('regular' or '24x7')."""

    instrument_id: int | None
    publisher_id: int | None
    session: str


@dataclass(frozen=True)
class Message:
    """A valid message. ``values`` holds the type's fields (Decimal prices, int sizes)."""

    type: str
    symbol: str
    ts_event_ns: int
    values: dict
    instrument_id: int | None
    publisher_id: int | None
    trade_date: dt.date  # New York date of the minute for regular-session symbols, else its UTC date

    @property
    def event_time_ns(self) -> int:
        """The time the watermark compares: a bar's is the end of its minute."""
        return self.ts_event_ns + (NS_PER_MINUTE if self.type == "bar" else 0)

    @property
    def minute_ns(self) -> int:
        return self.ts_event_ns - self.ts_event_ns % NS_PER_MINUTE


@dataclass(frozen=True)
class Rejected:
    reason: str
    ts_event_ns: int | None = None  # when it could be read: the quarantine's trade_date


class MessageError(ValueError):
    pass


def parse_ts(value: object) -> int:
    """Epoch nanoseconds of an ISO-8601 ...Z timestamp (nanoseconds kept exact) or of an integer."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise MessageError(f"ts_event {value} is negative")
        return value
    if not isinstance(value, str) or not (m := _TS.match(value)):
        raise MessageError(f"ts_event {value!r} is not an ISO-8601 UTC timestamp (...Z) or epoch nanoseconds")
    try:
        seconds = dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError as exc:
        raise MessageError(f"ts_event {value!r} is not a valid date and time") from exc
    whole = (seconds - _EPOCH) // dt.timedelta(seconds=1)
    return whole * NS_PER_S + int((m.group(2) or "0").ljust(9, "0"))


def format_ts(ns: int) -> str:
    """Epoch nanoseconds as the vendor writes them: 2025-01-28T14:31:05.250000000Z."""
    seconds, frac = divmod(ns, NS_PER_S)
    return f"{_EPOCH + dt.timedelta(seconds=seconds):%Y-%m-%dT%H:%M:%S}.{frac:09d}Z"


def to_datetime(ns: int) -> dt.datetime:
    """Naive UTC datetime (microseconds), as Spark's timestamp column holds it."""
    return _EPOCH + dt.timedelta(microseconds=ns // 1000)


def _price(name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise MessageError(f"{name} {value!r} is not a number")
    text = str(value)
    if not _PRICE.match(text):
        raise MessageError(f"{name} {value!r} is not a decimal with at most 9 decimals")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits decimals only
        raise MessageError(f"{name} {value!r} is not a number") from exc


def _size(name: str, value: object) -> int:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise MessageError(f"{name} {value!r} is not a non-negative integer")
    return value


def _optional_id(record: dict, name: str, default: int | None, largest: int) -> int | None:
    if record.get(name) is None:
        return default
    value = _size(name, record[name])
    if value > largest:
        raise MessageError(f"{name} {value} is out of range")
    return value


def _check(kind: str, v: dict) -> None:
    if kind == "trade" and v["price"] <= 0:
        raise MessageError(f"trade price {v['price']} is not positive")
    if kind == "quote" and v["bid_px"] > v["ask_px"]:
        raise MessageError(f"quote bid {v['bid_px']} above ask {v['ask_px']}")
    if kind == "bar":
        if v["low"] > v["high"]:
            raise MessageError("bar high below low")
        for side in ("open", "close"):
            if not v["low"] <= v[side] <= v["high"]:
                raise MessageError(f"bar {side} outside [low, high]")


def trade_date_of(ts_event_ns: int, session: str) -> dt.date:
    """The trading day of an event: its New York date for a regular-session symbol, else its UTC date
    (as int_bars_classified dates a minute bar, so streamed bars are never 'wrong_trade_date')."""
    moment = to_datetime(ts_event_ns).replace(tzinfo=dt.UTC)
    return (moment.astimezone(NEW_YORK) if session == "regular" else moment).date()


def parse_line(line: str, instruments: dict[str, Instrument]) -> Message | Rejected:
    """One JSON line -> a Message, or a Rejected with the reason (never an exception)."""
    try:
        record = json.loads(line, parse_float=Decimal)
    except (json.JSONDecodeError, RecursionError) as exc:
        return Rejected(f"malformed JSON: {exc.msg if isinstance(exc, json.JSONDecodeError) else exc}")
    if not isinstance(record, dict):
        return Rejected(f"not a JSON object: {type(record).__name__}")
    ts_ns = None
    try:
        kind = record.get("type")
        if kind not in TYPES:
            raise MessageError(f"unknown message type {kind!r} (expected trade, quote or bar)")
        missing = [f for f in ("symbol", "ts_event", *FIELDS[kind]) if record.get(f) is None]
        if missing:
            raise MessageError(f"{kind} missing field(s): {', '.join(missing)}")
        ts_ns = parse_ts(record["ts_event"])
        symbol = record["symbol"]
        if not isinstance(symbol, str) or not symbol.strip():
            raise MessageError(f"symbol {symbol!r} is not a non-empty string")
        symbol = symbol.strip()
        values = {
            name: (_price(name, record[name]) if how == "price" else _size(name, record[name]))
            for name, how in FIELDS[kind].items()
        }
        _check(kind, values)
        if kind == "bar" and ts_ns % NS_PER_MINUTE:
            raise MessageError(f"bar ts_event {format_ts(ts_ns)} is not the start of a minute")
        known = instruments.get(symbol)
        return Message(
            type=kind,
            symbol=symbol,
            ts_event_ns=ts_ns,
            values=values,
            instrument_id=_optional_id(record, "instrument_id", known and known.instrument_id, 2**63 - 1),
            publisher_id=_optional_id(record, "publisher_id", known and known.publisher_id, 2**31 - 1),
            trade_date=trade_date_of(ts_ns - ts_ns % NS_PER_MINUTE, known.session if known else "24x7"),
        )
    except MessageError as exc:
        return Rejected(str(exc), ts_ns)


def late_reason(message: Message, watermark_ns: int | None) -> str | None:
    """Why a message is too late for its bar (event time before the watermark), else None."""
    if watermark_ns is None or message.event_time_ns >= watermark_ns:
        return None
    return f"late: event time {format_ts(message.event_time_ns)} before watermark {format_ts(watermark_ns)}"


def load_instruments(path) -> dict[str, Instrument]:
    """symbol -> Instrument from the seed instruments.csv (empty when the file is absent)."""
    import csv
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        return {}
    with path.open(newline="") as f:
        return {
            r["symbol"]: Instrument(
                int(r["instrument_id"]) if r.get("instrument_id") else None,
                int(r["publisher_id"]) if r.get("publisher_id") else None,
                r.get("session") or "24x7",
            )
            for r in csv.DictReader(f)
        }
