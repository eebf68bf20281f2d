"""What a good CBBO line looks like: the checks both Bronze parse paths (Spark, Arrow) apply."""

from __future__ import annotations

TS_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$"
PRICE_PATTERN = r"^-?\d{1,10}(\.\d{1,9})?$"
UINT_PATTERN = r"^\d{1,18}$"

#: Integer column -> (Spark type, largest value it holds).
INTEGER_TYPES: dict[str, tuple[str, int]] = {
    "rtype": ("int", 2**31 - 1),
    "publisher_id": ("int", 2**31 - 1),
    "instrument_id": ("bigint", 2**63 - 1),
    "size": ("bigint", 2**63 - 1),
    "flags": ("int", 2**31 - 1),
    "bid_sz_00": ("bigint", 2**63 - 1),
    "ask_sz_00": ("bigint", 2**63 - 1),
    "bid_pb_00": ("int", 2**31 - 1),
    "ask_pb_00": ("int", 2**31 - 1),
}

#: Columns that may not be empty.
REQUIRED = ("ts_recv", "rtype", "publisher_id", "instrument_id", "symbol")
