"""`optlake summary`: what the warehouse holds, table by table, and the last load."""

from __future__ import annotations

from typing import TYPE_CHECKING

from optlake.serving.query import format_table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def table_counts(spark: SparkSession, schema: str) -> list[tuple[str, int]]:
    """(table, rows) for every table and view of the schema, sorted by name."""
    names = sorted(r["tableName"] for r in spark.sql(f"show tables in {schema}").collect())
    return [(n, spark.table(f"{schema}.{n}").count()) for n in names]


def signal_counts(spark: SparkSession, schema: str) -> list[tuple[str, str, str, int]]:
    """(table, trade_date, signal, rows) of every Gold table, latest day first."""
    gold = sorted(r["tableName"] for r in spark.sql(f"show tables in {schema} like 'gold_*'").collect())
    rows: list[tuple[str, str, str, int]] = []
    for name in gold:
        counted = spark.sql(
            f"select trade_date, signal, count(*) as cnt from {schema}.{name} "
            "group by trade_date, signal order by trade_date desc, signal"
        ).collect()
        rows += [(name, str(r["trade_date"]), r["signal"], r["cnt"]) for r in counted]
    return rows


def summary(spark: SparkSession, schema: str) -> str:
    parts = [f"Warehouse schema {schema}:", format_table(["table", "rows"], table_counts(spark, schema))]
    audit = f"{schema}.bronze_load_audit"
    if spark.catalog.tableExists(audit):
        rows = spark.sql(
            f"select status, count(*) as files, sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded, "
            f"sum(rows_quarantined) as rows_quarantined from {audit} "
            f"where load_id = (select max_by(load_id, started_at) from {audit}) group by status order by status"
        ).collect()
        parts += [
            "",
            "Last Bronze load:",
            format_table(["status", "files", "rows_read", "rows_loaded", "rows_quarantined"], [tuple(r) for r in rows]),
        ]
    signals = signal_counts(spark, schema)
    if signals:
        parts += ["", "Gold signals:", format_table(["table", "trade_date", "signal", "rows"], signals)]
    return "\n".join(parts)
