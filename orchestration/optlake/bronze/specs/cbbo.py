"""Databento OPRA CBBO-1m quotes: the first Bronze dataset (`bronze_options_chain`).

Columns, in file order: ts_recv, ts_event, rtype, publisher_id, instrument_id, side, price, size,
flags, bid_px_00, ask_px_00, bid_sz_00, ask_sz_00, bid_pb_00, ask_pb_00, symbol. The generator
writes this format too, from the same column list.
"""

from __future__ import annotations

import datetime as dt

from optlake.bronze.spec import BIGINT, INT, PRICE, TEXT, TIMESTAMP, DatasetSpec, SourceColumn

SPEC = DatasetSpec(
    name="cbbo-1m",
    table="bronze_options_chain",
    description="OPRA CBBO-1m quotes, one row per CSV line, schema preserved",
    columns=(
        SourceColumn("ts_recv", TIMESTAMP, required=True),
        SourceColumn("ts_event", TIMESTAMP),
        SourceColumn("rtype", INT, required=True),
        SourceColumn("publisher_id", INT, required=True),
        SourceColumn("instrument_id", BIGINT, required=True),
        SourceColumn("side", TEXT),
        SourceColumn("price", PRICE),
        SourceColumn("size", BIGINT),
        SourceColumn("flags", INT),
        SourceColumn("bid_px_00", PRICE),
        SourceColumn("ask_px_00", PRICE),
        SourceColumn("bid_sz_00", BIGINT),
        SourceColumn("ask_sz_00", BIGINT),
        SourceColumn("bid_pb_00", INT),
        SourceColumn("ask_pb_00", INT),
        SourceColumn("symbol", TEXT, required=True),
    ),
    file_pattern=r"\.cbbo-1m\.csv(\.gz)?$",
    date_column="ts_recv",
    row_key=("instrument_id", "ts_recv"),
)

COLUMNS: tuple[str, ...] = SPEC.column_names
HEADER: str = SPEC.header

RTYPE_CBBO_1M = 193
PUBLISHER_OPRA_PILLAR = 30


def file_name(day: dt.date, gzip: bool = False) -> str:
    """The Databento file name for one trading day: opra-pillar-YYYYMMDD.cbbo-1m.csv[.gz]."""
    return f"opra-pillar-{day:%Y%m%d}.cbbo-1m.csv" + (".gz" if gzip else "")
