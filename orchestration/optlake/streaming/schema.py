"""The stream's Bronze table of accepted market messages: name and columns (no imports: the Bronze table
definitions in optlake.bronze.tables read it). Described in models/bronze/_bronze__sources.yml."""

from __future__ import annotations

MESSAGES_TABLE = "bronze_market_messages"
PRICE = "decimal(19,9)"
MESSAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("stream", "string"),
    ("batch_id", "bigint"),
    ("file_name", "string"),
    ("line_number", "bigint"),
    ("msg_type", "string"),
    ("symbol", "string"),
    ("ts_event", "timestamp"),
    ("ts_event_ns", "bigint"),
    ("price", PRICE),
    ("size", "bigint"),
    ("bid_px", PRICE),
    ("ask_px", PRICE),
    ("bid_sz", "bigint"),
    ("ask_sz", "bigint"),
    ("open", PRICE),
    ("high", PRICE),
    ("low", PRICE),
    ("close", PRICE),
    ("volume", "bigint"),
    ("instrument_id", "bigint"),
    ("publisher_id", "int"),
    ("trade_date", "date"),
    ("load_id", "string"),
    ("ingested_at", "timestamp"),
)
