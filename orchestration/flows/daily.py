"""The daily flow: load the landing into Bronze, then Silver, market data, analytics and the
strategies through dbt, the dbt tests of the days just loaded, signals counted per strategy, and
the weekly Iceberg maintenance; a Markdown artifact per run.

    .venv/bin/python -m flows.daily demo/landing [--force-maintenance] [--no-test]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Sequence

from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.artifacts import daily_markdown
from flows.common import (
    DBT_LOCK,
    LOAD_LOCK,
    flow_settings,
    one_at_a_time,
    run_dbt,
    seed_missing,
    shared_spark,
    signal_counts,
    spark_session_for,
    warehouse_guard,
)
from flows.plans import artifact_key, maintenance_due, weekday_number
from optlake.bronze.report import LoadReport
from optlake.settings import Settings
from optlake.sql_literals import sql_dates

#: The flow's steps, in order; the weekly maintenance is decided separately (maintenance_due).
STEPS = ("load", "silver", "market_data", "analytics", "strategies", "test")


def dbt_steps() -> list[tuple[str, tuple[str, ...]]]:
    """The daily job's dbt steps (optlake.jobs.daily.DBT_STEPS) with the market data (tag bars) run
    as its own step after the options Silver; the strategies step is ``run_strategies``."""
    from optlake.jobs.daily import DBT_STEPS

    steps: list[tuple[str, tuple[str, ...]]] = []
    for name, args in DBT_STEPS:
        if name == "silver":
            steps += [("silver", (*args, "--exclude", "tag:bars")), ("market_data", ("run", "--select", "tag:bars"))]
        elif name == "gold":
            steps.append(("strategies", args))
        else:
            steps.append((name, args))
    return steps


def chosen_steps(steps: Sequence[str] | None) -> list[str]:
    """The steps to run, in flow order (default: all); a ValueError names an unknown one."""
    if steps is None:
        return list(STEPS)
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        raise ValueError(f"unknown step(s) {', '.join(unknown)}; the daily flow's steps: {', '.join(STEPS)}")
    return [s for s in STEPS if s in steps]


def strategy_models(settings: Settings, names: Sequence[str] | None) -> list[str]:
    """The Gold models the strategies step runs: the named strategies, else the active ones."""
    from optlake.jobs.strategy import resolve, switchboard

    strategies = switchboard(settings.project_dir)
    return resolve(list(names), strategies) if names else [s.model for s in strategies if s.active]


@task(name="bronze-load", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=10)
def load_landing(settings: Settings, location: str, reprocess: bool, engine: str, replace_day: bool) -> LoadReport:
    """Load the landing's pending files into Bronze (a retry completes an interrupted load: the loader
    replaces a file's own rows and moves files only after their commit)."""
    from optlake.bronze import load, open_landing

    spark = shared_spark(settings)
    with one_at_a_time(LOAD_LOCK, "bronze load"):
        landing = open_landing(location)
        try:
            return load(spark, landing, settings.schema, reprocess=reprocess, engine=engine, replace_day=replace_day)
        finally:
            landing.close()


@task(name="seed", cache_policy=NO_CACHE)
def seed(settings: Settings) -> None:
    """dbt seed, when a seed table is missing on the warehouse."""
    seed_missing(settings)


@task(name="dbt-step", cache_policy=NO_CACHE, task_run_name="dbt {step}")
def dbt_step(settings: Settings, step: str, args: tuple[str, ...]) -> None:
    """One dbt step (holding the process's dbt lock)."""
    get_run_logger().info("%s: dbt %s", step, " ".join(args))
    run_dbt(settings, *args)


@task(name="strategies", cache_policy=NO_CACHE)
def run_strategy_step(settings: Settings, names: list[str] | None) -> list[str]:
    """The named strategies, else the active ones (optlake.jobs.strategy.run_strategies); their models."""
    from optlake.jobs import strategy

    spark_session_for(settings)
    with one_at_a_time(DBT_LOCK, "strategies"):
        return strategy.run_strategies(settings, names or None)


@task(name="test-new-days", cache_policy=NO_CACHE)
def test_new_days(settings: Settings, days: list[dt.date]) -> None:
    """dbt's generic tests of the daily layers on the days just loaded (optlake.jobs.daily.test_days)."""
    from optlake.jobs import daily as job

    spark_session_for(settings)
    with one_at_a_time(DBT_LOCK, "dbt test"):
        job.test_days(settings, days)


test_new_days.__test__ = False  # a Prefect task, not a pytest test


@task(name="count-signals", cache_policy=NO_CACHE, task_run_name="signals {model}")
def count_signals(settings: Settings, model: str, days: list[dt.date]) -> dict[str, int]:
    """Rows per signal of one strategy's Gold table on the days (read-only Spark: runs in parallel)."""
    if not days:
        return {}
    return signal_counts(shared_spark(settings), f"{settings.schema}.{model}", f"trade_date in ({sql_dates(days)})")


@task(name="maintenance", cache_policy=NO_CACHE)
def weekly_maintenance(settings: Settings, tables: list[str] | None) -> str:
    """Iceberg maintenance (optlake.jobs.maintenance.run_maintenance); its report as Markdown."""
    from optlake.jobs.maintenance import run_maintenance

    spark_session_for(settings)  # the local target's dbt session connection uses it
    with one_at_a_time(DBT_LOCK, "maintenance"):
        return run_maintenance(settings, tables or None).markdown()


@flow(name="optlake-daily")
def daily(
    location: str,
    run_date: dt.date | None = None,
    reprocess: bool = False,
    replace_day: bool = False,
    engine: str = "auto",
    steps: list[str] | None = None,
    strategies: list[str] | None = None,
    maintenance_weekday: str = "sunday",
    force_maintenance: bool = False,
    maintenance_tables: list[str] | None = None,
    warehouse: str | None = None,
    schema_name: str | None = None,
) -> dict:
    """Load ``location`` (a folder or s3:// prefix) and build every layer for the new days; on
    ``maintenance_weekday`` of ``run_date`` (default today, UTC), or when forced, Iceberg maintenance.

    ``steps``: a subset of load, silver, market_data, analytics, strategies, test (default all);
    ``strategies``: run these (active or not) instead of the active ones. Returns the run's numbers."""
    from optlake.jobs.daily import loaded_days

    logger = get_run_logger()
    settings = flow_settings(warehouse, schema_name)
    day = run_date or dt.datetime.now(dt.UTC).date()
    chosen = chosen_steps(steps)
    weekday_number(maintenance_weekday)  # a bad weekday fails before any work
    models = strategy_models(settings, strategies)
    maintain = maintenance_due(day, maintenance_weekday, force_maintenance)
    seconds: dict[str, float] = {}
    reports: list[LoadReport] = []
    days: list[dt.date] = []
    signals: dict[str, dict[str, int]] = {}
    notes: list[str] = []
    maintenance_md = None if maintain else f"Not due: runs on {maintenance_weekday.capitalize()}s; {day} is a {day:%A}."

    def timed(name: str, call, *args):
        t0 = time.monotonic()
        try:
            return call(*args)
        except Exception as exc:
            notes.append(f"**Failed at step {name}:** {exc}")
            raise
        finally:
            seconds[name] = time.monotonic() - t0

    try:
        with warehouse_guard(settings, "prefect flow optlake-daily"):
            timed("spark", shared_spark, settings)
            if "load" in chosen:
                report = timed("load", load_landing, settings, location, reprocess, engine, replace_day)
                reports.append(report)
                days = loaded_days(report)
                new = ", ".join(d.isoformat() for d in days) or "none"
                logger.info("loaded %d file(s); new days: %s", len(report.by_status("loaded")), new)
            if set(chosen) & {"silver", "market_data", "analytics", "strategies", "test"}:
                timed("seed", seed, settings)
            for name, args in dbt_steps():
                if name not in chosen:
                    continue
                if name == "strategies":
                    models = timed(name, run_strategy_step, settings, list(strategies or []))
                else:
                    timed(name, dbt_step, settings, name, args)
            if "test" in chosen:
                timed("test", test_new_days, settings, days)
            if days:
                signals = timed("signals", _count_all, settings, models, days)
            if maintain:
                maintenance_md = timed("maintenance", weekly_maintenance, settings, maintenance_tables)
    finally:
        markdown = daily_markdown(day, reports, signals, days, seconds, maintenance_md, notes)
        create_markdown_artifact(
            markdown=markdown, key=artifact_key("optlake-daily", settings.schema), description=f"daily run {day}"
        )
    return {
        "run_date": day.isoformat(),
        "days": [d.isoformat() for d in days],
        "files": {
            status: sum(len(r.by_status(status)) for r in reports) for status in ("loaded", "rejected", "duplicate")
        },
        "rows_loaded": sum(r.rows_loaded for r in reports),
        "rows_quarantined": sum(r.rows_quarantined for r in reports),
        "signals": signals,
        "maintenance": maintain,
        "seconds": seconds,
    }


def _count_all(settings: Settings, models: list[str], days: list[dt.date]) -> dict[str, dict[str, int]]:
    """Signals of every strategy, one task per strategy (in parallel)."""
    futures = count_signals.map(unmapped(settings), models, unmapped(days))
    return {model: future.result() for model, future in zip(models, futures, strict=True)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.daily", description=daily.description)
    parser.add_argument("location", help="landing folder or s3:// prefix")
    parser.add_argument("--run-date", type=dt.date.fromisoformat, help="the run's day (default today, UTC)")
    parser.add_argument("--reprocess", action="store_true")
    parser.add_argument("--replace-day", action="store_true")
    parser.add_argument("--no-test", action="store_true", help="leave out the dbt tests of the new days")
    parser.add_argument("--force-maintenance", action="store_true")
    parser.add_argument("--maintenance-weekday", default="sunday")
    args = parser.parse_args(argv)
    daily(
        args.location,
        run_date=args.run_date,
        reprocess=args.reprocess,
        replace_day=args.replace_day,
        steps=[s for s in STEPS if not (args.no_test and s == "test")],
        maintenance_weekday=args.maintenance_weekday,
        force_maintenance=args.force_maintenance,
    )


if __name__ == "__main__":
    main()
