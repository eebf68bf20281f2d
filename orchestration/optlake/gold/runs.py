"""The Spark side of the incremental Gold models: plan a run from the inputs' day versions, clear
what it replaces, and hand the model the days to compute (optlake.gold.changes decides).

A Gold model (python_models/gold) calls ``start_run`` with its input tables, computes its signals for
``run.days`` (reading ``run.inputs_of(rows)``, or ``run.window_rows(rows)`` when a day reads earlier
days too) and returns ``run.finish(rows)``: the rows stamped with their ``input_fingerprint`` and
``computed_at``. dbt appends them to the table.

Versions and stored fingerprints come from Iceberg metadata, not from the data: per partition
(``trade_date``), the upper bound of the version column over the partition's data files
(``<table>.files``, ``readable_metrics``), and the bounds of ``input_fingerprint`` in the Gold
table's own files. The cost of planning grows with the number of files, not of rows.

Before returning, ``start_run`` deletes the days the run replaces or whose input is gone (whole
partitions: a metadata-only Iceberg delete), or on a named re-run the rows of those keys. The rows
dbt then appends are exactly the new ones, so a daily run on a new day writes that day only. If the
run fails between the delete and dbt's append, the next run finds those days without a fingerprint
and computes them again: nothing is lost for good.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from optlake.gold.bars import config_list
from optlake.gold.changes import Plan, fingerprints, plan
from optlake.sql_literals import sql_dates, sql_string
from optlake.table_metadata import day_versions, table_name

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

FINGERPRINT = "input_fingerprint"


def stored_fingerprints(session: SparkSession, table: str) -> dict[dt.date, str | None]:
    """trade_date -> the fingerprint all of the day's rows carry (None: they disagree, or some rows
    predate fingerprints and are recomputed once)."""
    if FINGERPRINT not in session.table(table).columns:
        rows = session.sql(f"select distinct partition.trade_date from {table}.files").collect()
        return {r[0]: None for r in rows}
    metric = f"readable_metrics.{FINGERPRINT}"
    rows = session.sql(
        f"select partition.trade_date, min({metric}.lower_bound), max({metric}.upper_bound),"
        f" count(*) = count({metric}.upper_bound) from {table}.files group by 1"
    ).collect()
    return {r[0]: (r[1] if r[1] == r[2] and r[3] else None) for r in rows}


def requested_keys(value: object) -> list[str] | None:
    """The ``gold_symbols`` config (a comma-separated string or a list): None when empty."""
    return config_list(value) or None


@dataclass
class GoldRun:
    session: SparkSession
    key: str
    lookback_days: int
    plan: Plan

    @property
    def days(self) -> list[dt.date]:
        return self.plan.days

    def _fingerprints(self) -> DataFrame:
        rows = sorted(self.plan.compute.items())
        return self.session.createDataFrame(rows, f"trade_date date, {FINGERPRINT} string")

    def _keys(self, rows: DataFrame) -> DataFrame:
        return rows.where(F.col(self.key).isin(*self.plan.only)) if self.plan.only else rows

    def inputs_of(self, rows: DataFrame) -> DataFrame:
        """``rows`` (the strategy's input) of the days to compute (and of the named keys)."""
        days = self.days
        return self._keys(rows.where(F.col("trade_date").isin(*days) if days else F.lit(False)))

    def window_rows(self, rows: DataFrame) -> DataFrame:
        """Every input row of each day to compute's window [day - lookback_days, day], with that day
        as ``output_day`` (a row in several windows appears once per window)."""
        days = self.days
        if not days:
            return rows.limit(0).withColumn("output_day", F.col("trade_date"))
        first = days[0] - dt.timedelta(days=self.lookback_days)
        wanted = self._fingerprints().select(F.col("trade_date").alias("output_day"))
        near = self._keys(rows.where((F.col("trade_date") >= F.lit(first)) & (F.col("trade_date") <= F.lit(days[-1]))))
        in_window = (F.col("trade_date") <= F.col("output_day")) & (
            F.col("trade_date") >= F.date_sub(F.col("output_day"), self.lookback_days)
        )
        return near.join(F.broadcast(wanted), in_window)

    def finish(self, rows: DataFrame) -> DataFrame:
        """The model's rows with their day's fingerprint and the run's timestamp."""
        stamped = rows.join(F.broadcast(self._fingerprints()), "trade_date")
        return stamped.select(*rows.columns, FINGERPRINT, F.current_timestamp().alias("computed_at"))


def file_identity(path: str | None) -> str:
    """A model file's part of the fingerprint: a hash of its bytes ('none', 'missing')."""
    if path is None:
        return "none"
    try:
        return hashlib.sha1(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return "missing"


def start_run(
    dbt,
    session: SparkSession,
    inputs: dict[str, str],
    *,
    key: str,
    lookback_days: int,
    only: object = None,
    settings: object = None,
) -> GoldRun:
    """Plan the run of the model ``dbt`` and clear what it replaces (see the module docstring).

    ``inputs``: model name -> its version column, the table whose days are the strategy's days first.
    ``key``: the column a named re-run selects on (``symbol`` or ``underlying``); ``only``: the
    model's ``gold_symbols`` config (a model must read it itself: dbt passes a Python model only the
    config keys its own code names). ``settings``: the strategy's parameters (and model file
    identity); part of every day's fingerprint, so changing them recomputes every day.
    """
    this = str(dbt.this)
    versions = {model: day_versions(session, table_name(dbt, model), column) for model, column in inputs.items()}
    current = fingerprints(versions, lookback_days, repr(settings))
    stored = stored_fingerprints(session, this) if dbt.is_incremental else {}
    only = requested_keys(only)
    run_plan = plan(current, stored, only)
    if only:
        log.info("%s: re-running %s %s over %d days", this, key, ", ".join(only), len(run_plan.days))
        if dbt.is_incremental:
            keys = ", ".join(sql_string(k) for k in only)
            session.sql(f"delete from {this} where {key} in ({keys})")
        return GoldRun(session, key, lookback_days, run_plan)
    log.info(
        "%s: %d of %d days to compute, %d stored days to clear",
        this,
        len(run_plan.days),
        len(current),
        len(run_plan.delete_days),
    )
    if run_plan.delete_days:
        session.sql(f"delete from {this} where trade_date in ({sql_dates(list(run_plan.delete_days))})")
    return GoldRun(session, key, lookback_days, run_plan)
