"""Dataset specs: everything the Bronze loader knows about one vendor CSV format, declared once.

A spec names the file format (header, column types, file-name pattern), how a line is checked
(each column type carries its pattern and range; required columns may not be empty), where rows
land (Bronze table, partitioning) and what identifies a row within a trading day (for the overlap
check between two files of the same day). The Spark and Arrow engines, the whole-file checks and
the table DDL all read their column lists and types from here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

#: ISO-8601 UTC with up to nanoseconds and a trailing Z: 2025-01-28T14:31:00.000000000Z
TS_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$"
#: Fixed-point decimal with up to 9 decimals, as the vendor writes prices.
PRICE_PATTERN = r"^-?\d{1,10}(\.\d{1,9})?$"
#: A non-negative integer (its range is checked separately).
UINT_PATTERN = r"^\d{1,18}$"


@dataclass(frozen=True)
class ColumnType:
    """How a source column is checked and what Bronze type it becomes."""

    kind: str  # "timestamp" | "price" | "integer" | "text"
    spark_type: str
    pattern: str | None = None  # a non-empty value must match it
    largest: int | None = None  # integers: the largest value the type holds
    problem: str = ""  # how a value that fails the pattern is described to the user


TIMESTAMP = ColumnType("timestamp", "timestamp", TS_PATTERN, problem="unparseable timestamp")
PRICE = ColumnType("price", "decimal(19,9)", PRICE_PATTERN, problem="non-numeric")
INT = ColumnType("integer", "int", UINT_PATTERN, 2**31 - 1, "not a non-negative integer in range")
BIGINT = ColumnType("integer", "bigint", UINT_PATTERN, 2**63 - 1, "not a non-negative integer in range")
TEXT = ColumnType("text", "string")

#: The suffix of the exact-nanosecond twin Bronze keeps beside every timestamp column.
NS_SUFFIX = "_ns"

#: Where a Bronze row came from and which load wrote it, after the source columns.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_name", "string"),
    ("trade_date", "date"),
    ("load_id", "string"),
    ("ingested_at", "timestamp"),
)


@dataclass(frozen=True)
class SourceColumn:
    name: str
    type: ColumnType
    required: bool = False


@dataclass(frozen=True)
class LineRule:
    """A check across the values of one line, applied once each column's own check has passed.

    kind "ordered": columns[0] <= columns[1] (as numbers); kind "one_of": columns[0] is one of
    ``values``. Both engines implement each kind; ``reason`` is what the quarantine says.
    """

    kind: str
    columns: tuple[str, ...]
    reason: str
    values: tuple[int, ...] = ()


def ordered(lower: str, upper: str, reason: str) -> LineRule:
    return LineRule("ordered", (lower, upper), reason)


def one_of(column: str, values: tuple[int, ...], reason: str) -> LineRule:
    return LineRule("one_of", (column,), reason, values)


@dataclass(frozen=True)
class DatasetSpec:
    """One vendor CSV format and the Bronze table it loads into."""

    name: str  # e.g. "cbbo-1m"
    table: str  # Bronze table, e.g. "bronze_options_chain"
    description: str  # the table's comment
    columns: tuple[SourceColumn, ...]  # in file order
    file_pattern: str  # regular expression a file name of this dataset matches
    date_column: str  # its UTC date is the trade date of a file whose name carries none
    row_key: tuple[str, ...]  # identifies a row within a trading day (overlap between files)
    partition_by: tuple[str, ...] = ("trade_date", "file_name")
    rules: tuple[LineRule, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def header(self) -> str:
        return ",".join(self.column_names)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def of_kind(self, kind: str) -> tuple[SourceColumn, ...]:
        return tuple(c for c in self.columns if c.type.kind == kind)

    def bronze_columns(self) -> tuple[tuple[str, str], ...]:
        """(name, Spark type) of the Bronze table: source columns, each timestamp followed by its
        exact-nanosecond twin, then the lineage columns."""
        out: list[tuple[str, str]] = []
        for c in self.columns:
            out.append((c.name, c.type.spark_type))
            if c.type.kind == "timestamp":
                out.append((c.name + NS_SUFFIX, "bigint"))
        return tuple(out) + LINEAGE_COLUMNS

    def bronze_key(self) -> tuple[str, ...]:
        """The row key as Bronze columns (timestamps by their exact nanoseconds)."""
        kinds = {c.name: c.type.kind for c in self.columns}
        return tuple(k + NS_SUFFIX if kinds[k] == "timestamp" else k for k in self.row_key)

    def matches_name(self, name: str) -> bool:
        return re.search(self.file_pattern, name, re.IGNORECASE) is not None


_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{8})(?!\d)")


def trade_date_from_name(name: str) -> dt.date | None:
    """The trading day a file name carries (first valid YYYYMMDD group), else None."""
    for match in _DATE_IN_NAME.finditer(name):
        try:
            return dt.datetime.strptime(match.group(1), "%Y%m%d").date()
        except ValueError:
            continue
    return None
