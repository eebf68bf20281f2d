"""What Iceberg's metadata tables tell without reading data: per trade day, the newest value of a
version column, from the data files' column metrics (tables partitioned by trade_date)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def table_name(dbt, model: str) -> str:
    """The relation of ``model``, a sibling of the running dbt Python model (one schema per warehouse)."""
    return f"{dbt.this.schema}.{model}"


def day_versions(session: SparkSession, table: str, version: str) -> dict[dt.date, object]:
    """trade_date -> the newest ``version`` among the partition's rows, from the files' metadata."""
    rows = session.sql(
        f"select partition.trade_date, max(readable_metrics.{version}.upper_bound) from {table}.files group by 1"
    ).collect()
    return {r[0]: r[1] for r in rows if r[0] is not None}
