"""The backfill flow: a landing's pending files loaded in batches (one task per batch of whole days,
each with its own retries), then one dbt build; a Markdown artifact per run.

Batches are tasks so that each has its retries, its state and its row in the artifact; their loads
take turns on the process's load lock (the loader screens duplicates against Bronze and commits
without a catalog lock), and a batch holds whole days, so turns in any order give the same rows.

    .venv/bin/python -m flows.backfill demo/landing [--batch-by files --batch-files 20] [--no-build]
"""

from __future__ import annotations

import argparse
import time

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import task_run

from flows.artifacts import BatchOutcome, backfill_markdown
from flows.common import LOAD_LOCK, flow_settings, one_at_a_time, run_dbt, seed_missing, shared_spark, warehouse_guard
from flows.plans import BATCH_MODES, Batch, artifact_key, plan_batches
from optlake.bronze.report import LoadReport
from optlake.settings import Settings


@task(name="load-batch", cache_policy=NO_CACHE, task_run_name="load {batch.label}")
def load_batch(settings: Settings, location: str, batch: Batch, engine: str) -> tuple[LoadReport, int]:
    """Load the batch's files (``load(only=...)``); the report and the attempt it took. A failed
    attempt is retried: the loader replaces a file's own rows and moves a file only after its commit."""
    from optlake.bronze import load, open_landing

    logger = get_run_logger()
    spark = shared_spark(settings)
    with one_at_a_time(LOAD_LOCK, f"batch {batch.label}"):
        landing = open_landing(location)
        try:
            report = load(spark, landing, settings.schema, engine=engine, only=batch.names)
        finally:
            landing.close()
    missing = sorted(set(batch.names) - {r.file.name for r in report.results})
    if missing:
        logger.warning("batch %s: no longer pending, not loaded: %s", batch.label, ", ".join(missing))
    return report, task_run.run_count


@task(name="dbt-build", cache_policy=NO_CACHE)
def dbt_build(settings: Settings, select: list[str] | None) -> str:
    """Seeds when missing, then one `dbt build` (default selector, or ``select``); what it built."""
    seed_missing(settings)
    selection = ["--select", *select] if select else []
    run_dbt(settings, "build", *selection)
    return f"`{' '.join(['dbt', 'build', *selection])}` succeeded."


@flow(name="optlake-backfill")
def backfill(
    location: str,
    batch_by: str = "day",
    batch_files: int = 20,
    engine: str = "auto",
    build: bool = True,
    build_select: list[str] | None = None,
    retries: int = 2,
    retry_delay_seconds: float = 10,
    warehouse: str | None = None,
    schema_name: str | None = None,
) -> dict:
    """Load every pending file of ``location`` in batches (``batch_by`` day, or ``files``: whole days
    up to ``batch_files`` files), each batch a task retried up to ``retries`` times; then, when every
    batch loaded, one `dbt build` (``build_select`` narrows it). Fails when a batch failed for good."""
    from optlake.bronze import open_landing

    logger = get_run_logger()
    if batch_by not in BATCH_MODES:
        raise ValueError(f"batch_by must be one of {', '.join(BATCH_MODES)}, got {batch_by!r}")
    settings = flow_settings(warehouse, schema_name)
    landing = open_landing(location)
    try:
        pending = [f.name for f in landing.list_files(include_processed=False)]
    finally:
        landing.close()
    plan = plan_batches(pending, batch_by, batch_files)
    logger.info("%d pending file(s) in %s: %d batch(es)", len(pending), location, len(plan))
    seconds: dict[str, float] = {}
    outcomes: list[BatchOutcome] = []
    build_text = "Not run."
    try:
        with warehouse_guard(settings, "prefect flow optlake-backfill"):
            t0 = time.monotonic()
            shared_spark(settings)
            seconds["spark"] = time.monotonic() - t0
            t0 = time.monotonic()
            loader = load_batch.with_options(retries=retries, retry_delay_seconds=retry_delay_seconds)
            futures = [loader.submit(settings, location, batch, engine) for batch in plan]
            for batch, future in zip(plan, futures, strict=True):
                future.wait()
                state = future.state
                if state.is_completed():
                    report, attempts = future.result()
                    outcomes.append(BatchOutcome(batch.label, len(batch.names), state.name, attempts, report))
                else:
                    outcomes.append(BatchOutcome(batch.label, len(batch.names), state.name, retries + 1, None))
                    logger.error("batch %s failed after %d attempt(s): %s", batch.label, retries + 1, state.message)
            seconds["load"] = time.monotonic() - t0
            failed = [o.label for o in outcomes if o.report is None]
            if failed:
                build_text = f"Not run: batch(es) {', '.join(failed)} failed."
                raise RuntimeError(f"backfill: {len(failed)} batch(es) failed: {', '.join(failed)}")
            if build and plan:
                t0 = time.monotonic()
                build_text = "Failed: see the task's log."
                build_text = dbt_build(settings, build_select)
                seconds["build"] = time.monotonic() - t0
    finally:
        markdown = backfill_markdown(location, outcomes, seconds, build_text)
        create_markdown_artifact(
            markdown=markdown, key=artifact_key("optlake-backfill", settings.schema), description=f"backfill {location}"
        )
    reports = [o.report for o in outcomes if o.report]
    return {
        "batches": [o.label for o in outcomes],
        "attempts": {o.label: o.attempts for o in outcomes},
        "files_loaded": sum(len(r.by_status("loaded")) for r in reports),
        "files_rejected": sum(len(r.by_status("rejected")) for r in reports),
        "rows_loaded": sum(r.rows_loaded for r in reports),
        "rows_quarantined": sum(r.rows_quarantined for r in reports),
        "seconds": seconds,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.backfill", description=backfill.description)
    parser.add_argument("location", help="landing folder or s3:// prefix")
    parser.add_argument("--batch-by", choices=BATCH_MODES, default="day")
    parser.add_argument("--batch-files", type=int, default=20)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args(argv)
    backfill(args.location, batch_by=args.batch_by, batch_files=args.batch_files, build=not args.no_build)


if __name__ == "__main__":
    main()
