"""The Bronze loader: every pending file of a landing folder into Iceberg, checked, once.

Per load, in order:
1. whole-file checks (file_checks): a rejected file goes to failed/; the header names the dataset;
2. duplicates (duplicates): a file already loaded under another name, or whose rows overlap a
   loaded file of the same day, is rejected naming that file (unless --replace-day);
3. parse and commit per dataset: the Arrow engine for clean files on a local Spark, the Spark
   engine for the rest; each file's own Bronze partition is replaced atomically (idempotent);
4. quarantine rows with their line numbers, an audit row per file, reconciliation of the counts;
5. the move to processed/ (or failed/), only after the rows are committed, so an interrupted load
   is completed by running the loader again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from typing import TYPE_CHECKING

from optlake.bronze import duplicates
from optlake.bronze.audit import write_audit, write_quarantine
from optlake.bronze.duplicates import Candidate
from optlake.bronze.file_checks import check_file
from optlake.bronze.landing import FAILED, PROCESSED, Landing, LandingFile
from optlake.bronze.report import FileResult, LoadError, LoadReport, summary_lines
from optlake.bronze.spark_engine import BadRow
from optlake.bronze.spec import DatasetSpec, trade_date_from_name
from optlake.bronze.tables import ensure_tables
from optlake.sql_literals import sql_strings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

ENGINES = ("auto", "arrow", "spark")


def resolve_engine(engine: str, master: str) -> str:
    """The parse engine to use: "auto" means Arrow on a local Spark, Spark on a cluster."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if engine == "auto":
        return "arrow" if master.startswith("local") else "spark"
    return engine


def load(
    spark: SparkSession,
    landing: Landing,
    schema: str,
    reprocess: bool = False,
    engine: str = "auto",
    replace_day: bool = False,
    only: Collection[str] | None = None,
) -> LoadReport:
    """Load every pending file (and processed ones too with ``reprocess``) of ``landing``.

    ``engine``: "spark" parses every file with Spark; "arrow" parses clean files with Arrow in this
    process and leaves files with bad lines to Spark; "auto" is arrow when Spark runs locally.
    ``replace_day``: a file whose rows overlap a loaded file of the same day supersedes it.
    ``only``: file names to load (a batch of a bootstrap or of a flow); the others stay where they are.
    """
    started = time.monotonic()
    report = LoadReport.start()
    use_arrow = resolve_engine(engine, spark.sparkContext.master) == "arrow"
    ensure_tables(spark, schema)
    files = landing.list_files(include_processed=reprocess)
    if only is not None:
        files = [f for f in files if f.name in set(only)]
    if not files:
        log.info("Nothing to load in %s.", landing.root)
        return report
    log.info("Load %s: %d file(s) in %s", report.load_id, len(files), landing.root)

    candidates = _check_files(landing, files, report)
    duplicates.screen(spark, schema, candidates, replace_day)
    report.results += [_duplicate_result(c) for c in candidates if c.duplicate_of]
    accepted = [c for c in candidates if not c.duplicate_of]
    for spec, group in _by_dataset(accepted).items():
        superseded = [f for c in group for f in c.replaces]
        duplicates.remove_superseded(spark, schema, spec, superseded)
        report.results += [_replaced_result(f, c) for c in group for f in c.replaces]
        report.results += _load_dataset(spark, schema, spec, group, report, use_arrow)

    write_audit(spark, schema, report)
    _move_files(landing, report)
    report.seconds = time.monotonic() - started
    for line in summary_lines(report):
        log.info(line)
    unreconciled = report.by_status("unreconciled")
    if unreconciled:
        raise LoadError("; ".join(f"{r.file.name}: {r.error}" for r in unreconciled))
    return report


def _check_files(landing: Landing, files: list[LandingFile], report: LoadReport) -> list[Candidate]:
    """Whole-file checks: rejected files go into the report, the others become candidates."""
    candidates = []
    for f in files:
        t0 = time.monotonic()
        local = landing.local_path(f)
        check = check_file(local, f.name)
        trade_date = trade_date_from_name(f.name)
        if check.problem or check.spec is None or check.sha256 is None:
            log.info("  rejected %s: %s", f.name, check.problem)
            report.results.append(
                FileResult(f, trade_date, "rejected", error=check.problem, seconds=time.monotonic() - t0)
            )
        else:
            candidates.append(Candidate(f, local, check.spec, check.sha256, trade_date))
    return candidates


def _duplicate_result(c: Candidate) -> FileResult:
    log.info("  duplicate %s: %s", c.file.name, c.error)
    return FileResult(c.file, c.trade_date, "duplicate", error=c.error, sha256=c.sha256, duplicate_of=c.duplicate_of)


def _replaced_result(f: duplicates.LoadedFile, by: Candidate) -> FileResult:
    gone = LandingFile(f.name, f.uri, f.size, PROCESSED)
    return FileResult(
        gone, f.trade_date, "replaced", error=f"superseded by {by.file.name} (--replace-day)", sha256=f.sha256
    )


def _by_dataset(candidates: list[Candidate]) -> dict[DatasetSpec, list[Candidate]]:
    groups: dict[DatasetSpec, list[Candidate]] = {}
    for c in candidates:
        groups.setdefault(c.spec, []).append(c)
    return groups


def _load_dataset(
    spark: SparkSession,
    schema: str,
    spec: DatasetSpec,
    group: list[Candidate],
    report: LoadReport,
    use_arrow: bool,
) -> list[FileResult]:
    """Parse and commit the files of one dataset; their results with reconciled counts."""
    t0 = time.monotonic()
    table = f"{schema}.{spec.table}"
    rows_read: dict[str, int] = {}
    bad_rows: list[BadRow] = []
    if use_arrow:
        from optlake.bronze import arrow_engine

        log.info("  parsing %d file(s) with Arrow", len(group))
        rows_read = arrow_engine.load_files(
            spark, spec, table, [(c.file.name, c.local) for c in group], report.load_id, report.started_at
        )
    rest = [c for c in group if c.file.name not in rows_read]
    if rest:
        from optlake.bronze import spark_engine

        megabytes = sum(c.file.size for c in rest) / 1e6
        log.info("  reading %d file(s), %s MB, in one Spark job", len(rest), f"{megabytes:,.1f}")
        spark_read, bad_rows = spark_engine.parse_and_write(
            spark, spec, table, [(c.file.name, str(c.local)) for c in rest], report.load_id, report.started_at
        )
        rows_read.update(spark_read)

    names = [c.file.name for c in group]
    loaded = _rows_of_this_load(spark, table, names, report.load_id)
    quarantined = write_quarantine(spark, schema, {c.file.name: c.local for c in group}, bad_rows, report)
    seconds = time.monotonic() - t0
    results = []
    for c in group:
        r = FileResult(
            c.file,
            c.trade_date,
            "loaded",
            rows_read=rows_read[c.file.name],
            rows_loaded=loaded.get(c.file.name, 0),
            rows_quarantined=quarantined.get(c.file.name, 0),
            seconds=seconds,
            sha256=c.sha256,
            replaces=tuple(f.name for f in c.replaces),
        )
        r.reconcile()
        results.append(r)
    return results


def _rows_of_this_load(spark: SparkSession, table: str, names: list[str], load_id: str) -> dict[str, int]:
    """Rows of this load per file. A file with no good row this time has no partition written, so
    its partition may still hold an earlier load's rows: those are deleted."""
    rows = spark.sql(
        f"select file_name, load_id = '{load_id}' as current, count(*) as n "
        f"from {table} where file_name in ({sql_strings(names)}) group by 1, 2"
    ).collect()
    stale = sorted({r["file_name"] for r in rows if not r["current"]})
    if stale:
        spark.sql(f"delete from {table} where file_name in ({sql_strings(stale)}) and load_id <> '{load_id}'")
    return {r["file_name"]: int(r["n"]) for r in rows if r["current"]}


def _move_files(landing: Landing, report: LoadReport) -> None:
    """Loaded files to processed/, rejected and duplicate ones to failed/."""
    for r in report.results:
        if r.status == "loaded":
            r.final_uri = landing.move(r.file, PROCESSED)
        elif r.status in ("rejected", "duplicate"):
            r.final_uri = landing.move(r.file, FAILED)
