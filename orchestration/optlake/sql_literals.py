"""SQL literals for the statements optlake builds for Spark (backslash escapes, Spark's default)."""

from __future__ import annotations

import datetime as dt


def sql_string(value: str) -> str:
    """A Spark SQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sql_strings(values: list[str]) -> str:
    """A comma-separated list of string literals."""
    return ", ".join(sql_string(v) for v in values)


def sql_dates(days: list[dt.date]) -> str:
    """A comma-separated list of date literals."""
    return ", ".join(f"date'{d.isoformat()}'" for d in days)
