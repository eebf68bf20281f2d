"""`optlake daily`: the daily job in one process: load new files into Bronze, then run Silver
incrementally and the active strategies, all on one Spark session (one JVM)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from optlake.bronze import load
from optlake.bronze.landing import Landing
from optlake.jobs.dbt_invoke import invoke_dbt
from optlake.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

#: dbt steps of the daily job. Tests (`dbt test`) are left to a separate run: the reconciliation
#: test reads every day, which a daily job that should cost the same on day 300 must not do.
DBT_STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("silver", ("run", "--select", "tag:silver")),  # staging and intermediate views, options Silver, bars
    ("analytics", ("run", "--select", "tag:analytics")),  # indicators and the yield curve
    ("gold", ("run", "--selector", "active_strategies")),
)


def daily(
    spark: SparkSession,
    settings: Settings,
    landing: Landing,
    reprocess: bool = False,
    engine: str = "auto",
    replace_day: bool = False,
) -> dict[str, float]:
    """Run the daily job; returns seconds per step (bronze, silver, analytics, gold)."""
    seconds: dict[str, float] = {}
    t0 = time.monotonic()
    load(spark, landing, settings.schema, reprocess=reprocess, engine=engine, replace_day=replace_day)
    seconds["bronze"] = time.monotonic() - t0
    seeds = sorted(p.stem for p in (settings.project_dir / "seeds").glob("*.csv"))
    missing = [name for name in seeds if not spark.catalog.tableExists(f"{settings.schema}.{name}")]
    if missing:
        log.info("dbt seed (missing on this warehouse: %s)", ", ".join(missing))
        invoke_dbt(settings, "seed", "--quiet")
    for name, args in DBT_STEPS:
        t0 = time.monotonic()
        log.info("dbt %s", " ".join(args))
        invoke_dbt(settings, *args, "--quiet")
        seconds[name] = time.monotonic() - t0
    log.info("daily: %s", ", ".join(f"{name} {s:.1f} s" for name, s in seconds.items()))
    return seconds
