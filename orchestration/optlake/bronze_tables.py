"""DDL of the Bronze tables: the quotes themselves, the quarantine and the load audit."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

BRONZE_TABLE = "bronze_options_chain"
QUARANTINE_TABLE = "bronze_quarantine"
AUDIT_TABLE = "bronze_load_audit"

#: Bronze columns in table order: every source column (timestamps beside their epoch-ns twin),
#: then where the row came from and which load wrote it.
BRONZE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("ts_recv", "timestamp", "capture-server receive time (UTC, microseconds; see ts_recv_ns)"),
    ("ts_recv_ns", "bigint", "ts_recv as integer nanoseconds since the epoch, exact"),
    ("ts_event", "timestamp", "matching-engine event time (UTC, microseconds), null when empty in the file"),
    ("ts_event_ns", "bigint", "ts_event as integer nanoseconds since the epoch, exact"),
    ("rtype", "int", "Databento record type (193 = CBBO 1-minute)"),
    ("publisher_id", "int", "Databento publisher id"),
    ("instrument_id", "bigint", "Databento instrument id"),
    ("side", "string", "side of the last trade (N = none)"),
    ("price", "decimal(19,9)", "last trade price, null when empty"),
    ("size", "bigint", "last trade size"),
    ("flags", "int", "Databento record flags"),
    ("bid_px_00", "decimal(19,9)", "best bid price, exact"),
    ("ask_px_00", "decimal(19,9)", "best ask price, exact"),
    ("bid_sz_00", "bigint", "best bid size"),
    ("ask_sz_00", "bigint", "best ask size"),
    ("bid_pb_00", "int", "publisher of the best bid"),
    ("ask_pb_00", "int", "publisher of the best ask"),
    ("symbol", "string", "OCC/OSI option symbol, as in the file"),
    ("file_name", "string", "source file name"),
    ("trade_date", "date", "trading day: from the file name, else the UTC date of ts_recv"),
    ("load_id", "string", "id of the load that wrote the row (see bronze_load_audit)"),
    ("ingested_at", "timestamp", "when that load started (UTC)"),
)

QUARANTINE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("file_name", "string", "source file name"),
    ("trade_date", "date", "trading day of the file, when its name carries one"),
    ("line_number", "bigint", "1-based line number in the file (line 1 is the header)"),
    ("raw_line", "string", "the line as read"),
    ("reason", "string", "why the line was not loaded"),
    ("load_id", "string", "id of the load that quarantined it"),
    ("quarantined_at", "timestamp", "when that load started (UTC)"),
)

AUDIT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("load_id", "string", "id of the load"),
    ("file_name", "string", "source file name"),
    ("source_uri", "string", "where the file was read from"),
    ("trade_date", "date", "trading day of the file"),
    ("status", "string", "loaded | rejected"),
    ("rows_read", "bigint", "data rows read from the file"),
    ("rows_loaded", "bigint", "rows now in bronze_options_chain for the file"),
    ("rows_quarantined", "bigint", "rows written to bronze_quarantine"),
    ("bytes", "bigint", "file size in bytes"),
    ("error", "string", "why the file was rejected"),
    ("started_at", "timestamp", "load start (UTC)"),
    ("finished_at", "timestamp", "load end (UTC)"),
    ("duration_seconds", "double", "seconds spent on the file; files loaded together share one job"),
)

#: Small metadata, large files: see README "Bronze table properties".
BRONZE_PROPERTIES: dict[str, str] = {
    "format-version": "2",
    "write.format.default": "parquet",
    "write.parquet.compression-codec": "zstd",
    "write.target-file-size-bytes": str(256 * 1024 * 1024),
    "write.distribution-mode": "hash",
    "write.metadata.delete-after-commit.enabled": "true",
    "write.metadata.previous-versions-max": "10",
    "commit.manifest-merge.enabled": "true",
}

SMALL_TABLE_PROPERTIES: dict[str, str] = {
    "format-version": "2",
    "write.metadata.delete-after-commit.enabled": "true",
    "write.metadata.previous-versions-max": "10",
}


def create_table_sql(
    qualified_name: str,
    columns: tuple[tuple[str, str, str], ...],
    partitioned_by: tuple[str, ...],
    properties: dict[str, str],
    comment: str,
) -> str:
    cols = ",\n  ".join(f"{name} {type_} comment '{doc}'" for name, type_, doc in columns)
    parts = f"\npartitioned by ({', '.join(partitioned_by)})" if partitioned_by else ""
    props = ",\n  ".join(f"'{k}' = '{v}'" for k, v in properties.items())
    return (
        f"create table if not exists {qualified_name} (\n  {cols}\n)\nusing iceberg"
        f"\ncomment '{comment}'{parts}\ntblproperties (\n  {props}\n)"
    )


#: (table, columns, partition columns, properties, comment) of every Bronze table.
TABLES: tuple[tuple[str, tuple[tuple[str, str, str], ...], tuple[str, ...], dict[str, str], str], ...] = (
    (
        BRONZE_TABLE,
        BRONZE_COLUMNS,
        ("trade_date", "file_name"),
        BRONZE_PROPERTIES,
        "OPRA CBBO-1m quotes, one row per CSV line, schema preserved",
    ),
    (QUARANTINE_TABLE, QUARANTINE_COLUMNS, (), SMALL_TABLE_PROPERTIES, "CSV lines that could not be loaded, with the reason"),
    (AUDIT_TABLE, AUDIT_COLUMNS, (), SMALL_TABLE_PROPERTIES, "One row per file per load: counts, status, error, duration"),
)


def ensure_tables(spark: "SparkSession", schema: str) -> None:
    """Create the schema and the three Bronze tables when they do not exist."""
    spark.sql(f"create database if not exists {schema}")
    for name, columns, partitioned_by, properties, comment in TABLES:
        spark.sql(create_table_sql(f"{schema}.{name}", columns, partitioned_by, properties, comment))
