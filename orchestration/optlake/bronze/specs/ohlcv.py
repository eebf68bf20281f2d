"""Databento OHLCV bars (1-minute, 1-hour, 1-day): the second Bronze dataset (`bronze_bars`).

Columns, in file order: ts_event (the bar's start), rtype (33 = 1 minute, 34 = 1 hour, 35 = 1 day),
publisher_id, instrument_id, open, high, low, close, volume, symbol. Files are named
`<dataset>-YYYYMMDD.ohlcv-1m.csv[.gz]` (or `-1h`, `-1d`). Besides each column's own check, a bar
must have low <= high, open and close within [low, high], and a known rtype.
"""

from __future__ import annotations

import datetime as dt

from optlake.bronze.spec import BIGINT, INT, PRICE, TEXT, TIMESTAMP, DatasetSpec, SourceColumn, one_of, ordered

RTYPE_1M, RTYPE_1H, RTYPE_1D = 33, 34, 35
RTYPES = (RTYPE_1M, RTYPE_1H, RTYPE_1D)
#: Bar size in the file name -> rtype.
SIZES = {"1m": RTYPE_1M, "1h": RTYPE_1H, "1d": RTYPE_1D}

SPEC = DatasetSpec(
    name="ohlcv",
    table="bronze_bars",
    description="OHLCV bars (1 minute, 1 hour, 1 day), one row per CSV line, schema preserved",
    columns=(
        SourceColumn("ts_event", TIMESTAMP, required=True),
        SourceColumn("rtype", INT, required=True),
        SourceColumn("publisher_id", INT, required=True),
        SourceColumn("instrument_id", BIGINT, required=True),
        SourceColumn("open", PRICE, required=True),
        SourceColumn("high", PRICE, required=True),
        SourceColumn("low", PRICE, required=True),
        SourceColumn("close", PRICE, required=True),
        SourceColumn("volume", BIGINT, required=True),
        SourceColumn("symbol", TEXT, required=True),
    ),
    file_pattern=r"\.ohlcv-1[mhd]\.csv(\.gz)?$",
    date_column="ts_event",
    row_key=("instrument_id", "rtype", "ts_event"),
    rules=(
        one_of("rtype", RTYPES, "unknown rtype (expected 33 = 1m, 34 = 1h or 35 = 1d)"),
        ordered("low", "high", "high below low"),
        ordered("low", "open", "open below low"),
        ordered("open", "high", "open above high"),
        ordered("low", "close", "close below low"),
        ordered("close", "high", "close above high"),
    ),
)

COLUMNS: tuple[str, ...] = SPEC.column_names
HEADER: str = SPEC.header


def file_name(dataset: str, day: dt.date, size: str = "1m", gzip: bool = False) -> str:
    """The Databento file name of one day of bars: <dataset>-YYYYMMDD.ohlcv-<size>.csv[.gz]."""
    if size not in SIZES:
        raise ValueError(f"bar size must be one of {', '.join(SIZES)}, got {size!r}")
    return f"{dataset}-{day:%Y%m%d}.ohlcv-{size}.csv" + (".gz" if gzip else "")
