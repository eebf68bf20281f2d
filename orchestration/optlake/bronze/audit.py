"""The bookkeeping of a load: quarantine rows with their real line numbers, and one audit row per file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from optlake.bronze.file_checks import locate_lines
from optlake.bronze.report import LoadReport
from optlake.bronze.spark_engine import BadRow
from optlake.bronze.spec import trade_date_from_name
from optlake.bronze.tables import AUDIT_COLUMNS, AUDIT_TABLE, QUARANTINE_COLUMNS, QUARANTINE_TABLE, ddl_schema
from optlake.sql_literals import sql_strings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def write_quarantine(
    spark: SparkSession,
    schema: str,
    local_by_name: dict[str, Path],
    bad_rows: list[BadRow],
    report: LoadReport,
) -> dict[str, int]:
    """Replace the quarantine rows of the loaded files; returns quarantined rows per file."""
    table = f"{schema}.{QUARANTINE_TABLE}"
    spark.sql(f"delete from {table} where file_name in ({sql_strings(list(local_by_name))})")
    by_file: dict[str, list[BadRow]] = {}
    for b in bad_rows:
        by_file.setdefault(b.file_name, []).append(b)
    rows = []
    for name, mine in by_file.items():
        numbers = locate_lines(local_by_name[name], [b.raw_line for b in mine], name)
        trade_date = trade_date_from_name(name)
        rows += [
            (name, trade_date, n, b.raw_line, b.reason, report.load_id, report.started_at)
            for b, n in zip(mine, numbers, strict=True)
        ]
    if rows:
        spark.createDataFrame(rows, ddl_schema(QUARANTINE_COLUMNS)).writeTo(table).append()
    return {name: len(mine) for name, mine in by_file.items()}


def write_audit(spark: SparkSession, schema: str, report: LoadReport) -> None:
    """One audit row per file of the load (and per file it superseded)."""
    if not report.results:
        return
    finished = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [
        (
            report.load_id,
            r.file.name,
            r.file.uri,
            r.trade_date,
            r.status,
            r.rows_read,
            r.rows_loaded,
            r.rows_quarantined,
            r.file.size,
            r.error,
            report.started_at,
            finished,
            round(r.seconds, 3),
            r.sha256,
            r.duplicate_of,
            ",".join(r.replaces) or None,
        )
        for r in report.results
    ]
    spark.createDataFrame(rows, ddl_schema(AUDIT_COLUMNS)).writeTo(f"{schema}.{AUDIT_TABLE}").append()
