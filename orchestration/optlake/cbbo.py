"""Facts about the Databento OPRA CBBO-1m CSV format, shared by the generator and the loader."""

from __future__ import annotations

import datetime as dt
import re

COLUMNS: tuple[str, ...] = (
    "ts_recv",
    "ts_event",
    "rtype",
    "publisher_id",
    "instrument_id",
    "side",
    "price",
    "size",
    "flags",
    "bid_px_00",
    "ask_px_00",
    "bid_sz_00",
    "ask_sz_00",
    "bid_pb_00",
    "ask_pb_00",
    "symbol",
)
HEADER: str = ",".join(COLUMNS)

#: Columns holding fixed-point prices (9 decimals in the file).
PRICE_COLUMNS: tuple[str, ...] = ("price", "bid_px_00", "ask_px_00")
#: Columns holding ISO-8601 timestamps with nanoseconds and a trailing Z.
TIMESTAMP_COLUMNS: tuple[str, ...] = ("ts_recv", "ts_event")
#: Integer columns.
INTEGER_COLUMNS: tuple[str, ...] = (
    "rtype",
    "publisher_id",
    "instrument_id",
    "size",
    "flags",
    "bid_sz_00",
    "ask_sz_00",
    "bid_pb_00",
    "ask_pb_00",
)

RTYPE_CBBO_1M = 193
PUBLISHER_OPRA_PILLAR = 30

#: Supported file suffixes, longest first.
SUPPORTED_SUFFIXES: tuple[str, ...] = (".csv.gz", ".csv")
#: Recognised but unsupported suffixes, with the reason given to the user.
UNSUPPORTED_SUFFIXES: dict[str, str] = {
    ".csv.zst": "zstd-compressed CSV is not supported yet; decompress it first (zstd -d FILE)",
    ".csv.bz2": "bzip2-compressed CSV is not supported; recompress it with gzip",
    ".zip": "zip archives are not supported; extract the CSV files into the landing folder",
}

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{8})(?!\d)")


def file_name(day: dt.date, gzip: bool = False) -> str:
    """The Databento file name for one trading day: opra-pillar-YYYYMMDD.cbbo-1m.csv[.gz]."""
    return f"opra-pillar-{day:%Y%m%d}.cbbo-1m.csv" + (".gz" if gzip else "")


def trade_date_from_name(name: str) -> dt.date | None:
    """The trading day a file name carries (first valid YYYYMMDD group), else None."""
    for match in _DATE_IN_NAME.finditer(name):
        try:
            return dt.datetime.strptime(match.group(1), "%Y%m%d").date()
        except ValueError:
            continue
    return None


def suffix_of(name: str) -> str | None:
    """The supported suffix of a file name (``.csv`` or ``.csv.gz``), else None."""
    lower = name.lower()
    for suffix in SUPPORTED_SUFFIXES:
        if lower.endswith(suffix):
            return suffix
    return None


def unsupported_reason(name: str) -> str | None:
    """Why a file cannot be loaded because of its type, or None when its type is supported."""
    if suffix_of(name):
        return None
    lower = name.lower()
    for suffix, reason in UNSUPPORTED_SUFFIXES.items():
        if lower.endswith(suffix):
            return reason
    return "not a CSV file (expected a .csv or .csv.gz name)"
