"""`optlake daily`: the daily job in one process: load new files into Bronze, then run Silver
incrementally, the market data and analytics, and the active strategies, all on one Spark session
(one JVM); optionally the dbt tests of the days it loaded."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import TYPE_CHECKING

import yaml

from optlake.bronze import load
from optlake.bronze.landing import Landing
from optlake.bronze.report import LoadReport
from optlake.jobs.dbt_invoke import invoke_dbt
from optlake.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

#: The layers of the daily job, in dbt's order, as (step name, selection). The job runs them in one
#: dbt invocation (selector `daily`, their union: one parse, one relation cache, dbt's DAG order);
#: the Prefect flow runs them one step at a time. Its tests (`--test`) read the loaded days only.
DBT_STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("silver", ("run", "--select", "tag:silver")),  # staging and intermediate views, options Silver, bars
    ("analytics", ("run", "--select", "tag:analytics")),  # indicators and the yield curve
    ("gold", ("run", "--selector", "active_strategies")),
)

#: The tag that puts a model in a step, for the step times of the one invocation.
STEP_TAGS = {"silver": "silver", "analytics": "analytics", "gold": "strategy"}


#: What test_days tests: the Bronze sources and every model the daily steps build.
TESTED = ("source:bronze", "tag:silver", "tag:analytics", "tag:strategy")


def daily(
    spark: SparkSession,
    settings: Settings,
    landing: Landing,
    reprocess: bool = False,
    engine: str = "auto",
    replace_day: bool = False,
    test: bool = False,
) -> dict[str, float]:
    """Run the daily job; returns seconds per step: bronze, silver, analytics, gold (the models'
    execution times), dbt (the invocation's own time: parse, relation cache, artifacts), test."""
    seconds: dict[str, float] = {}
    t0 = time.monotonic()
    report = load(spark, landing, settings.schema, reprocess=reprocess, engine=engine, replace_day=replace_day)
    seconds["bronze"] = time.monotonic() - t0
    seed_missing(spark, settings)
    t0 = time.monotonic()
    log.info("dbt run --selector daily (%s)", ", ".join(STEP_TAGS))
    result = invoke_dbt(settings, "run", "--selector", "daily", "--quiet")
    seconds.update(step_seconds(result.result.results, time.monotonic() - t0))
    if test:
        t0 = time.monotonic()
        test_days(settings, loaded_days(report))
        seconds["test"] = time.monotonic() - t0
    log.info("daily: %s", ", ".join(f"{name} {s:.1f} s" for name, s in seconds.items()))
    return seconds


def step_seconds(results, wall: float) -> dict[str, float]:
    """Seconds per step from one invocation's node results (models run one at a time: threads 1),
    and the rest of the invocation's wall time as `dbt`."""
    seconds = dict.fromkeys(STEP_TAGS, 0.0)
    for r in results:
        step = next((name for name, tag in STEP_TAGS.items() if tag in r.node.tags), None)
        if step is not None:
            seconds[step] += r.execution_time
    seconds["dbt"] = max(wall - sum(seconds.values()), 0.0)
    return seconds


def seed_missing(spark: SparkSession, settings: Settings) -> None:
    """dbt seed, when a seed table is missing on this warehouse."""
    seeds = sorted(p.stem for p in (settings.project_dir / "seeds").glob("*.csv"))
    missing = [name for name in seeds if not spark.catalog.tableExists(f"{settings.schema}.{name}")]
    if missing:
        log.info("dbt seed (missing on this warehouse: %s)", ", ".join(missing))
        invoke_dbt(settings, "seed", "--quiet")


def loaded_days(report: LoadReport) -> list[dt.date]:
    """The trading days a load wrote (files loaded, or superseded by a re-delivery)."""
    return sorted({r.trade_date for r in report.results if r.status in ("loaded", "replaced") and r.trade_date})


def test_days(settings: Settings, days: list[dt.date]) -> None:
    """dbt's generic tests of the daily layers, on these trading days' rows only (var test_days;
    macros/test_days.sql). The singular tests read every day, so they are left to `dbt test`."""
    if not days:
        log.info("dbt test: no day loaded, nothing to test")
        return
    log.info("dbt test of %s", ", ".join(d.isoformat() for d in days))
    variables = yaml.safe_dump({"test_days": [d.isoformat() for d in days]}, default_flow_style=True).strip()
    invoke_dbt(settings, "test", "--select", *TESTED, "--exclude", "test_type:singular", "--vars", variables, "--quiet")


test_days.__test__ = False  # not a pytest test when a test module imports it
