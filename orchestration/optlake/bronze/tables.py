"""The Bronze tables: one per dataset (spec), plus the shared quarantine and load audit.

Column names and types come from the dataset specs (and, for the quarantine and the audit, from
here); column and table descriptions come from the dbt sources file
`models/bronze/_bronze__sources.yml`, the single place where Bronze is documented. They are
written as Iceberg column comments when a table is created.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from optlake.bronze.spec import DatasetSpec
from optlake.bronze.specs import SPECS
from optlake.settings import PROJECT_DIR
from optlake.sql_literals import sql_string
from optlake.streaming.schema import MESSAGE_COLUMNS, MESSAGES_TABLE

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

QUARANTINE_TABLE = "bronze_quarantine"
AUDIT_TABLE = "bronze_load_audit"
SOURCES_YML = Path("models") / "bronze" / "_bronze__sources.yml"

QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_name", "string"),
    ("trade_date", "date"),
    ("line_number", "bigint"),
    ("raw_line", "string"),
    ("reason", "string"),
    ("load_id", "string"),
    ("quarantined_at", "timestamp"),
)

AUDIT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("load_id", "string"),
    ("file_name", "string"),
    ("source_uri", "string"),
    ("trade_date", "date"),
    ("status", "string"),
    ("rows_read", "bigint"),
    ("rows_loaded", "bigint"),
    ("rows_quarantined", "bigint"),
    ("bytes", "bigint"),
    ("error", "string"),
    ("started_at", "timestamp"),
    ("finished_at", "timestamp"),
    ("duration_seconds", "double"),
    ("content_sha256", "string"),
    ("duplicate_of", "string"),
    ("replaces", "string"),
)

#: Small metadata, large files: see README "Bronze".
DATA_TABLE_PROPERTIES: dict[str, str] = {
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


@functools.lru_cache(maxsize=4)
def source_docs(project_dir: Path = PROJECT_DIR) -> dict[str, tuple[str, dict[str, str]]]:
    """table -> (description, {column: description}) from the Bronze sources yml; empty without it."""
    path = project_dir / SOURCES_YML
    if not path.is_file():  # e.g. the package deployed without the dbt project
        return {}
    docs: dict[str, tuple[str, dict[str, str]]] = {}
    for source in yaml.safe_load(path.read_text()).get("sources", []):
        for table in source.get("tables", []):
            columns = {c["name"]: " ".join(str(c.get("description", "")).split()) for c in table.get("columns", [])}
            docs[table["name"]] = (" ".join(str(table.get("description", "")).split()), columns)
    return docs


def create_table_sql(
    qualified_name: str,
    columns: tuple[tuple[str, str], ...],
    partitioned_by: tuple[str, ...],
    properties: dict[str, str],
    comment: str,
    column_docs: dict[str, str],
) -> str:
    cols = ",\n  ".join(f"{name} {type_} comment {sql_string(column_docs.get(name, ''))}" for name, type_ in columns)
    parts = f"\npartitioned by ({', '.join(partitioned_by)})" if partitioned_by else ""
    props = ",\n  ".join(f"'{k}' = '{v}'" for k, v in properties.items())
    return (
        f"create table if not exists {qualified_name} (\n  {cols}\n)\nusing iceberg"
        f"\ncomment {sql_string(comment)}{parts}\ntblproperties (\n  {props}\n)"
    )


def table_definitions(
    specs: tuple[DatasetSpec, ...] = SPECS,
) -> tuple[tuple[str, tuple[tuple[str, str], ...], tuple[str, ...], dict[str, str], str], ...]:
    """(table, columns, partition columns, properties, fallback comment) of every Bronze table."""
    data = tuple((s.table, s.bronze_columns(), s.partition_by, DATA_TABLE_PROPERTIES, s.description) for s in specs)
    return (
        *data,
        (QUARANTINE_TABLE, QUARANTINE_COLUMNS, (), SMALL_TABLE_PROPERTIES, "CSV lines that could not be loaded"),
        (AUDIT_TABLE, AUDIT_COLUMNS, (), SMALL_TABLE_PROPERTIES, "One row per file per load"),
        (
            MESSAGES_TABLE,
            MESSAGE_COLUMNS,
            ("trade_date",),
            SMALL_TABLE_PROPERTIES,
            "Messages accepted by optlake stream",
        ),
    )


def ensure_tables(spark: SparkSession, schema: str) -> None:
    """Create the schema and every Bronze table that does not exist yet."""
    spark.sql(f"create database if not exists {schema}")
    docs = source_docs()
    for name, columns, partitioned_by, properties, comment in table_definitions():
        description, column_docs = docs.get(name, (comment, {}))
        sql = create_table_sql(f"{schema}.{name}", columns, partitioned_by, properties, description, column_docs)
        spark.sql(sql)
    _add_missing_audit_columns(spark, f"{schema}.{AUDIT_TABLE}")


def _add_missing_audit_columns(spark: SparkSession, table: str) -> None:
    """Warehouses created before a column was added to the audit get it (Iceberg schema evolution)."""
    present = {f.name for f in spark.table(table).schema.fields}
    missing = [(name, type_) for name, type_ in AUDIT_COLUMNS if name not in present]
    if missing:
        spark.sql(f"alter table {table} add columns ({', '.join(f'{n} {t}' for n, t in missing)})")


def ddl_schema(columns: tuple[tuple[str, str], ...]) -> str:
    """A Spark DDL schema string, e.g. for createDataFrame."""
    return ", ".join(f"{name} {type_}" for name, type_ in columns)
