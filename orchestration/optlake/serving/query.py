"""`optlake query`: Spark SQL on the local warehouse, printed as a table."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with a header rule; numbers right-aligned, NULL for nulls."""
    cells = [[("NULL" if v is None else str(v)) for v in row] for row in rows]
    numeric = [
        all(isinstance(row[i], (int, float, Decimal)) or row[i] is None for row in rows) and bool(rows)
        for i in range(len(columns))
    ]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def fmt(values: Sequence[str]) -> str:
        return " | ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    lines = [fmt(list(columns)), "-+-".join("-" * w for w in widths)]
    lines += [fmt(r) for r in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def run_query(spark: SparkSession, sql: str, limit: int = 1000) -> str:
    df = spark.sql(sql)
    rows = df.limit(limit + 1).collect() if df.columns else []
    text = format_table(df.columns, [tuple(r) for r in rows[:limit]])
    if len(rows) > limit:
        text += f"\n(showing the first {limit} rows; use --limit to see more)"
    return text
