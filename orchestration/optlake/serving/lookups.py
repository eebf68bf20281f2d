"""Pure look-ups over in-memory Arrow tables: sort once by (key, day, order), then slice.

A `Keyed` table answers "the rows of one key" with a dict look-up and "... between two days" with two binary
searches inside that key's slice; no scan at request time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = dt.date(1970, 1, 1)
#: Days of a null day value: sorts after every real day, never matches a range.
NULL_DAY = np.iinfo(np.int32).max


class NotFound(LookupError):
    """A key, day or table that the data does not have; the message says what exists."""


class BadRequest(ValueError):
    """A request that cannot be answered as asked (e.g. start after end)."""


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def day_of(number: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(number))


@dataclass(frozen=True)
class Keyed:
    """A table sorted by key, then day, then the order columns; each key's rows are one slice."""

    table: pa.Table
    key: str
    day: str
    slices: dict[Any, tuple[int, int]]
    #: Days since 1970-01-01 of the day column, aligned with ``table`` (NULL_DAY for nulls).
    days: np.ndarray

    def slice_of(self, key: Any, what: str) -> tuple[int, int]:
        try:
            return self.slices[key]
        except (KeyError, TypeError):
            raise NotFound(f"no {what} {key!r} in {self.table_name}; {self.known()}") from None

    def known(self, at_most: int = 20) -> str:
        keys = sorted((str(k) for k in self.slices), key=str)
        more = f" and {len(keys) - at_most} more" if len(keys) > at_most else ""
        return f"known: {', '.join(keys[:at_most])}{more}" if keys else "the table is empty"

    @property
    def table_name(self) -> str:
        return (self.table.schema.metadata or {}).get(b"optlake.table", b"the table").decode()


def group_slices(keys: pa.Array) -> dict[Any, tuple[int, int]]:
    """{value: (start, stop)} of a sorted array's runs of equal values (nulls left out)."""
    n = len(keys)
    if n == 0:
        return {}
    changed = pc.fill_null(pc.not_equal(keys[1:], keys[:-1]), True).to_numpy(zero_copy_only=False)
    starts = np.concatenate(([0], np.flatnonzero(changed) + 1))
    stops = np.concatenate((starts[1:], [n]))
    values = pc.take(keys, pa.array(starts)).to_pylist()
    return {v: (int(a), int(b)) for v, a, b in zip(values, starts, stops, strict=True) if v is not None}


def jsonable(table: pa.Table) -> pa.Table:
    """Timestamps as ISO 8601 text (UTC ones ending in Z) and dates as YYYY-MM-DD: done once per load, so a
    request converts only strings and numbers (see ``column_values``)."""
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type):
            zone = {None: "", "UTC": "Z", "+00:00": "Z", "Etc/UTC": "Z"}.get(f.type.tz, "%z")
            fmt = f"%Y-%m-%dT%H:%M:%S{zone}"
            table = table.set_column(i, pa.field(f.name, pa.string()), pc.strftime(table.column(i), format=fmt))
        elif pa.types.is_date(f.type):
            table = table.set_column(i, pa.field(f.name, pa.string()), table.column(i).cast(pa.string()))
    return table


def build_keyed(table: pa.Table, key: str, day: str, order: tuple[str, ...] = (), name: str = "") -> Keyed:
    """Sort ``table`` by key, day and ``order``, index its keys and make its values JSON-ready (``jsonable``)."""
    columns = [key] + [c for c in (day, *order) if c != key]
    ordered = table.sort_by([(c, "ascending") for c in columns]).combine_chunks()
    keys = ordered.column(key).combine_chunks() if ordered.num_rows else pa.array([], ordered.schema.field(key).type)
    days = ordered.column(day).cast(pa.int32()).fill_null(NULL_DAY).to_numpy() if ordered.num_rows else np.array([])
    slices = group_slices(keys)
    ordered = jsonable(ordered)
    if name:
        ordered = ordered.replace_schema_metadata({**(ordered.schema.metadata or {}), b"optlake.table": name.encode()})
    return Keyed(ordered, key, day, slices, np.asarray(days, dtype=np.int32))


def day_range(keyed: Keyed, span: tuple[int, int], start: dt.date | None, end: dt.date | None) -> tuple[int, int]:
    """The rows of ``span`` (one key's slice) whose day is in [start, end] (either side open)."""
    a, b = span
    if start is not None and end is not None and start > end:
        raise BadRequest(f"start {start} is after end {end}")
    days = keyed.days[a:b]
    lo = a if start is None else a + int(np.searchsorted(days, day_number(start), "left"))
    last = NULL_DAY if end is None else day_number(end)
    hi = a + int(np.searchsorted(days, last, "left" if end is None else "right"))
    return lo, max(lo, hi)


def latest_day(keyed: Keyed, span: tuple[int, int]) -> dt.date | None:
    """The last non-null day of a key's slice."""
    a, b = span
    stop = a + int(np.searchsorted(keyed.days[a:b], NULL_DAY, "left"))
    return day_of(keyed.days[stop - 1]) if stop > a else None


def column_values(values: pa.Array) -> list:
    """An Arrow array as Python values, through NumPy where that is exact (much faster than to_pylist).

    Floats keep NaN for null (JSON has no NaN: the API writes both as null); integers with nulls and other
    types go through to_pylist."""
    kind = values.type
    if pa.types.is_floating(kind) or (pa.types.is_integer(kind) and values.null_count == 0):
        return values.to_numpy(zero_copy_only=False).tolist()
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_boolean(kind):
        return values.to_numpy(zero_copy_only=False).tolist()
    return values.to_pylist()


def rows(table: pa.Table, span: tuple[int, int], columns: list[str] | None = None, newest_first: bool = False):
    """The rows of ``span`` as dicts (in table order, or reversed)."""
    a, b = span
    part = table.slice(a, b - a)
    if columns is not None:
        part = part.select(columns)
    names = part.column_names
    values = [column_values(part.column(i).combine_chunks()) for i in range(part.num_columns)]
    out = [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
    return out[::-1] if newest_first else out


@dataclass(frozen=True)
class Answer:
    rows: list[dict[str, Any]]
    matched: int
    day: dt.date | None = None

    @property
    def truncated(self) -> bool:
        return self.matched > len(self.rows)


def latest_signals(
    by_key: Keyed, by_day: Keyed, symbol: str | None, day: dt.date | None, limit: int, what: str = "symbol"
) -> Answer:
    """The latest ``limit`` signals, newest first: of one symbol (on one day, or any day), or of every
    symbol on one day (default: the table's latest day)."""
    if symbol is not None:
        span = by_key.slice_of(symbol, what)
        if day is not None:
            span = day_range(by_key, span, day, day)
        a, b = span
        return Answer(rows(by_key.table, (max(a, b - limit), b), newest_first=True), b - a, day)
    if day is None:
        if not by_day.slices:
            return Answer([], 0, None)
        day = max(by_day.slices)
    a, b = by_day.slices.get(day, (0, 0))
    return Answer(rows(by_day.table, (max(a, b - limit), b), newest_first=True), b - a, day)


def time_range(
    keyed: Keyed,
    key: str,
    start: dt.date | None,
    end: dt.date | None,
    limit: int,
    what: str = "symbol",
    columns: list[str] | None = None,
) -> Answer:
    """A key's rows with day in [start, end], oldest first; when more than ``limit`` match, the latest ``limit``."""
    a, b = day_range(keyed, keyed.slice_of(key, what), start, end)
    return Answer(rows(keyed.table, (max(a, b - limit), b), columns), b - a)


def one_day(
    keyed: Keyed, key: str, day: dt.date | None, what: str = "underlying", columns: list[str] | None = None
) -> Answer:
    """A key's rows of one day (default: its latest day), in the table's order."""
    span = keyed.slice_of(key, what)
    last = latest_day(keyed, span)
    day = day or last
    if day is None:
        raise NotFound(f"{what} {key!r} has no dated rows in {keyed.table_name}")
    a, b = day_range(keyed, span, day, day)
    if a == b:
        first = day_of(keyed.days[span[0]])
        raise NotFound(f"no rows of {what} {key!r} on {day} in {keyed.table_name}; it has days {first} to {last}")
    return Answer(rows(keyed.table, (a, b), columns), b - a, day)
