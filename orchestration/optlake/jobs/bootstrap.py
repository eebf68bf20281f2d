"""`optlake bootstrap`: a history backfill in one job, then full builds, then compaction.

The old pipeline bootstrapped in 17 jobs of 15 files each. Here one process loads every pending
file of the landing in batches (progress per batch), builds every layer with its tests (`dbt build`:
seeds, Silver, bars, indicators, option analytics, the active strategies) and compacts the tables.

Resumable: the loader moves a file to processed/ only after its rows and audit row are committed,
and replaces a file's own partition when it loads it again. A bootstrap killed part-way and run
again loads the files still pending (including the batch it was killed in) and nothing twice; the
files a killed write left behind are orphans, which the maintenance step removes once they are
older than its orphan_min_age_hours.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from optlake.bronze import load
from optlake.bronze.landing import Landing
from optlake.bronze.report import LoadReport
from optlake.jobs.dbt_invoke import invoke_dbt
from optlake.jobs.maintenance import MaintenanceReport, run_maintenance
from optlake.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

DEFAULT_BATCH_FILES = 20


@dataclass
class BootstrapResult:
    loads: list[LoadReport] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    maintenance: MaintenanceReport | None = None

    def count(self, status: str) -> int:
        return sum(len(r.by_status(status)) for r in self.loads)

    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for r in self.loads for f in r.by_status("loaded"))


def batches(names: list[str], size: int) -> list[list[str]]:
    """The file names in load order (by name: vendor files are named by day), in batches of size."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1 file, got {size}")
    ordered = sorted(names)
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def bootstrap(
    spark: SparkSession,
    settings: Settings,
    landing: Landing,
    batch_files: int = DEFAULT_BATCH_FILES,
    build: bool = True,
    compact: bool = True,
    engine: str = "auto",
) -> BootstrapResult:
    """Load the landing's pending files in batches, then (build) `dbt build`, then (compact) maintenance."""
    result = BootstrapResult()
    pending = [f.name for f in landing.list_files(include_processed=False)]
    plan = batches(pending, batch_files)
    log.info(
        "bootstrap: %d pending file(s) in %s, %d batch(es) of up to %d",
        len(pending),
        landing.root,
        len(plan),
        batch_files,
    )
    t0 = time.monotonic()
    for number, names in enumerate(plan, start=1):
        report = load(spark, landing, settings.schema, engine=engine, only=names)
        result.loads.append(report)
        elapsed = time.monotonic() - t0
        remaining = elapsed / number * (len(plan) - number)
        log.info(
            "bootstrap: batch %d/%d done: %d file(s) loaded, %d rejected or duplicate, %s rows; %.0f s, about %.0f s to go",
            number,
            len(plan),
            len(report.by_status("loaded")),
            len(report.by_status("rejected")) + len(report.by_status("duplicate")),
            f"{sum(f.rows_loaded for f in report.by_status('loaded')):,}",
            elapsed,
            remaining,
        )
    result.seconds["load"] = time.monotonic() - t0
    if build:
        t0 = time.monotonic()
        log.info("bootstrap: dbt build (every layer and the active strategies, with their tests)")
        invoke_dbt(settings, "build", "--quiet")
        result.seconds["build"] = time.monotonic() - t0
    if compact:
        t0 = time.monotonic()
        result.maintenance = run_maintenance(settings)
        result.seconds["maintenance"] = time.monotonic() - t0
    log.info(
        "bootstrap: %d file(s), %s rows loaded; %s",
        result.count("loaded"),
        f"{result.rows_loaded():,}",
        ", ".join(f"{name} {s:.1f} s" for name, s in result.seconds.items()),
    )
    return result
