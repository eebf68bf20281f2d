"""The Bronze loader: every pending CSV of a landing folder into Iceberg in one Spark job.

Per file, in order: whole-file checks (rejected files go to failed/), one Spark read of all good
files with an explicit all-string schema, row checks (bad lines go to bronze_quarantine with line
number, raw text and reason), an atomic replace of the file's own Bronze partition (idempotent),
an audit row, and finally the move to processed/. A file is only moved after its rows are
committed, so an interrupted load is completed by running the loader again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
import uuid
from pathlib import Path
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator

from optlake import bronze_tables as bt
from optlake import cbbo
from optlake.file_checks import check_file, locate_lines
from optlake.landing import FAILED, PROCESSED, Landing, LandingFile

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

Say = Callable[[str], None]


class LoadError(RuntimeError):
    """A load that committed rows but whose counts do not reconcile."""


@dataclass
class FileResult:
    file: LandingFile
    trade_date: dt.date | None
    status: str  # "loaded" | "rejected" | "unreconciled"
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    error: str | None = None
    seconds: float = 0.0
    final_uri: str = ""


@dataclass
class LoadReport:
    load_id: str
    started_at: dt.datetime
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    def by_status(self, status: str) -> list[FileResult]:
        return [r for r in self.results if r.status == status]

    @property
    def rows_loaded(self) -> int:
        return sum(r.rows_loaded for r in self.results)

    @property
    def rows_quarantined(self) -> int:
        return sum(r.rows_quarantined for r in self.results)

    @property
    def rows_read(self) -> int:
        return sum(r.rows_read for r in self.results)


@dataclass(frozen=True)
class BadRow:
    file_name: str
    raw_line: str
    reason: str


def load(
    spark: "SparkSession",
    landing: Landing,
    schema: str,
    reprocess: bool = False,
    say: Say = print,
    engine: str = "auto",
) -> LoadReport:
    """Load every pending file (and processed ones too with ``reprocess``) of ``landing``.

    ``engine``: "spark" parses every file with Spark; "arrow" parses clean files with Arrow in this
    process and leaves files with bad lines to Spark (bronze_arrow); "auto" is arrow when Spark
    runs locally (local[...] master) and spark on a cluster.
    """
    started = time.monotonic()
    report = LoadReport(uuid.uuid4().hex, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    bt.ensure_tables(spark, schema)
    files = landing.list_files(include_processed=reprocess)
    if not files:
        say(f"Nothing to load in {landing.root}.")
        return report
    say(f"Load {report.load_id}: {len(files)} file(s) in {landing.root}")

    accepted: list[tuple[LandingFile, str]] = []
    for f in files:
        t0 = time.monotonic()
        local = landing.local_path(f)
        problem = check_file(local, f.name)
        trade_date = cbbo.trade_date_from_name(f.name)
        if problem:
            say(f"  rejected {f.name}: {problem}")
            report.results.append(
                FileResult(f, trade_date, "rejected", error=problem, seconds=time.monotonic() - t0)
            )
        else:
            accepted.append((f, str(local)))

    if accepted:
        use_arrow = resolve_engine(engine, spark.sparkContext.master) == "arrow"
        report.results += _load_accepted(spark, schema, accepted, report, say, use_arrow)

    _write_audit(spark, schema, report)
    for r in report.results:
        if r.status == "loaded":
            r.final_uri = landing.move(r.file, PROCESSED)
        elif r.status == "rejected":
            r.final_uri = landing.move(r.file, FAILED)
    report.seconds = time.monotonic() - started
    for line in summary_lines(report):
        say(line)
    unreconciled = report.by_status("unreconciled")
    if unreconciled:
        raise LoadError("; ".join(f"{r.file.name}: {r.error}" for r in unreconciled))
    return report


ENGINES = ("auto", "arrow", "spark")


def resolve_engine(engine: str, master: str) -> str:
    """The parse engine to use: "auto" means Arrow on a local Spark, Spark on a cluster."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if engine == "auto":
        return "arrow" if master.startswith("local") else "spark"
    return engine


def _load_accepted(
    spark: "SparkSession",
    schema: str,
    accepted: list[tuple[LandingFile, str]],
    report: LoadReport,
    say: Say,
    use_arrow: bool,
) -> list[FileResult]:
    t0 = time.monotonic()
    names = [f.name for f, _ in accepted]
    local_by_name = {f.name: path for f, path in accepted}
    rows_read: dict[str, int] = {}
    bad_rows: list[BadRow] = []
    if use_arrow:
        from optlake import bronze_arrow

        say(f"  parsing {len(accepted)} file(s) with Arrow")
        column_types = {name: type_ for name, type_, _ in bt.BRONZE_COLUMNS}
        rows_read = bronze_arrow.load_files(
            spark, f"{schema}.{bt.BRONZE_TABLE}", [(f.name, Path(p)) for f, p in accepted],
            report.load_id, report.started_at, column_types, say,
        )
    rest = [(f, p) for f, p in accepted if f.name not in rows_read]
    if rest:
        spark_read, bad_rows = _load_with_spark(spark, schema, rest, report, say)
        rows_read.update(spark_read)

    loaded, stale = _rows_in_bronze(spark, schema, names, report.load_id)
    if stale:  # files with no good row this time: their partitions still hold an earlier load's rows
        spark.sql(
            f"delete from {schema}.{bt.BRONZE_TABLE} where file_name in ({_sql_list(stale)}) "
            f"and load_id <> '{report.load_id}'"
        )
    quarantined = _write_quarantine(spark, schema, names, bad_rows, local_by_name, report)
    seconds = time.monotonic() - t0

    results = []
    for f, _ in accepted:
        r = FileResult(
            f,
            cbbo.trade_date_from_name(f.name),
            "loaded",
            rows_read=rows_read[f.name],
            rows_loaded=loaded.get(f.name, 0),
            rows_quarantined=quarantined.get(f.name, 0),
            seconds=seconds,
        )
        if r.rows_read != r.rows_loaded + r.rows_quarantined:
            r.status = "unreconciled"
            r.error = (
                f"rows read {r.rows_read} != loaded {r.rows_loaded} + quarantined {r.rows_quarantined}"
            )
        results.append(r)
    return results


def _load_with_spark(
    spark: "SparkSession",
    schema: str,
    accepted: list[tuple[LandingFile, str]],
    report: LoadReport,
    say: Say,
) -> tuple[dict[str, int], list[BadRow]]:
    """Parse, check and write the files in one Spark job; rows read per file and the bad rows."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    from optlake import bronze_parse as bp
    from optlake.progress import SparkProgress

    names = [f.name for f, _ in accepted]
    total_mb = sum(f.size for f, _ in accepted) / 1e6
    say(f"  reading {len(accepted)} file(s), {total_mb:,.1f} MB, in one Spark job")

    parsed = _read_raw(spark, [path for _, path in accepted]).withColumn("_reason", bp.reject_reason())
    observation = Observation(f"load_{report.load_id}")
    observed = parsed.observe(
        observation,
        *[F.count_if(F.col("_file") == name).alias(f"read_{i}") for i, name in enumerate(names)],
        F.to_json(
            F.collect_list(
                F.when(
                    F.col("_reason").isNotNull(),
                    F.struct(F.col("_file").alias("file_name"), bp.raw_line().alias("raw_line"), F.col("_reason").alias("reason")),
                )
            )
        ).alias("bad_rows"),
    )
    dates = {name: d.isoformat() for name in names if (d := cbbo.trade_date_from_name(name))}
    date_map = F.create_map(*[F.lit(x) for kv in dates.items() for x in kv]) if dates else None
    name_date = date_map[F.col("_file")].cast("date") if date_map is not None else F.lit(None).cast("date")
    good = observed.where(F.col("_reason").isNull()).select(
        *bp.typed_columns(),
        F.col("_file").alias("file_name"),
        F.coalesce(name_date, F.to_date(bp.timestamp_of("ts_recv"))).alias("trade_date"),
        F.lit(report.load_id).alias("load_id"),
        F.lit(report.started_at).cast("timestamp").alias("ingested_at"),
    )
    spark.sparkContext.setJobDescription(f"optlake load {report.load_id}")
    with SparkProgress(spark.sparkContext, say, "bronze write"), _keep_observed_stages(spark):
        good.writeTo(f"{schema}.{bt.BRONZE_TABLE}").overwritePartitions()
    metrics = observation.get
    rows_read = {name: int(metrics[f"read_{i}"]) for i, name in enumerate(names)}
    bad_rows = [BadRow(**row) for row in json.loads(metrics["bad_rows"] or "[]")]
    return rows_read, bad_rows


@contextlib.contextmanager
def _keep_observed_stages(spark: "SparkSession") -> Iterator[None]:
    """Stop adaptive execution from pruning the observed scan when every row is rejected.

    With AQE, an empty filtered result lets AQEPropagateEmptyRelation replace the plan that holds
    the observation, whose metrics then never arrive (Observation.get would wait forever).
    """
    key = "spark.sql.adaptive.optimizer.excludedRules"
    before = spark.conf.get(key, None)
    rule = "org.apache.spark.sql.execution.adaptive.AQEPropagateEmptyRelation"
    spark.conf.set(key, ",".join(r for r in (before, rule) if r))
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


def _read_raw(spark: "SparkSession", paths: list[str]) -> "DataFrame":
    from pyspark.sql import functions as F

    from optlake import bronze_parse as bp

    return (
        spark.read.schema(bp.RAW_SCHEMA)
        .option("header", True)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", bp.CORRUPT)
        .csv(paths)
        .withColumn("_file", F.url_decode(F.element_at(F.split(F.input_file_name(), "/"), -1)))
    )


def _rows_in_bronze(
    spark: "SparkSession", schema: str, names: list[str], load_id: str
) -> tuple[dict[str, int], list[str]]:
    """Rows of this load per file, and the files that still hold rows of an earlier load."""
    rows = spark.sql(
        f"select file_name, load_id = '{load_id}' as current, count(*) as n "
        f"from {schema}.{bt.BRONZE_TABLE} where file_name in ({_sql_list(names)}) group by 1, 2"
    ).collect()
    loaded = {r["file_name"]: int(r["n"]) for r in rows if r["current"]}
    stale = sorted({r["file_name"] for r in rows if not r["current"]})
    return loaded, stale


def _write_quarantine(
    spark: "SparkSession",
    schema: str,
    names: list[str],
    bad_rows: list[BadRow],
    local_by_name: dict[str, str],
    report: LoadReport,
) -> dict[str, int]:
    """Replace the quarantine rows of the loaded files; returns quarantined rows per file."""
    from pathlib import Path

    table = f"{schema}.{bt.QUARANTINE_TABLE}"
    spark.sql(f"delete from {table} where file_name in ({_sql_list(names)})")
    by_file: dict[str, list[BadRow]] = {}
    for b in bad_rows:
        by_file.setdefault(b.file_name, []).append(b)
    rows = []
    counts: dict[str, int] = {}
    for name, mine in by_file.items():
        counts[name] = len(mine)
        numbers = locate_lines(Path(local_by_name[name]), [b.raw_line for b in mine], name)
        trade_date = cbbo.trade_date_from_name(name)
        rows += [
            (name, trade_date, n, b.raw_line, b.reason, report.load_id, report.started_at)
            for b, n in zip(mine, numbers)
        ]
    if rows:
        spark.createDataFrame(rows, _ddl_schema(bt.QUARANTINE_COLUMNS)).writeTo(table).append()
    return counts


def _write_audit(spark: "SparkSession", schema: str, report: LoadReport) -> None:
    if not report.results:
        return
    finished = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    rows = [
        (
            report.load_id,
            r.file.name,
            r.file.uri,
            r.trade_date,
            r.status,
            r.rows_read,
            r.rows_loaded,
            r.rows_quarantined,
            r.file.size,
            r.error,
            report.started_at,
            finished,
            round(r.seconds, 3),
        )
        for r in report.results
    ]
    spark.createDataFrame(rows, _ddl_schema(bt.AUDIT_COLUMNS)).writeTo(f"{schema}.{bt.AUDIT_TABLE}").append()


def _ddl_schema(columns: tuple[tuple[str, str, str], ...]) -> str:
    return ", ".join(f"{name} {type_}" for name, type_, _ in columns)


def _sql_list(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def summary_lines(report: LoadReport) -> list[str]:
    """The end-of-load summary: one line per file, then totals and throughput."""
    lines = []
    for r in report.results:
        if r.status == "rejected":
            lines.append(f"  REJECTED {r.file.name} -> {FAILED}/: {r.error}")
        else:
            lines.append(
                f"  {r.status:<8} {r.file.name}: read {r.rows_read:,}, loaded {r.rows_loaded:,}, "
                f"quarantined {r.rows_quarantined:,} ({r.file.size / 1e6:,.1f} MB)"
            )
    loaded = report.by_status("loaded")
    mb = sum(r.file.size for r in loaded) / 1e6
    secs = max(report.seconds, 1e-9)
    lines.append(
        f"Load {report.load_id} done in {report.seconds:.1f} s: {len(loaded)} file(s) loaded, "
        f"{len(report.by_status('rejected'))} rejected; rows read {report.rows_read:,} = "
        f"loaded {report.rows_loaded:,} + quarantined {report.rows_quarantined:,}; "
        f"{report.rows_loaded / secs:,.0f} rows/s, {mb / secs:,.1f} MB/s"
    )
    return lines
