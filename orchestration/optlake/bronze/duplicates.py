"""The same trading day delivered twice: recognise it before anything is written.

Two checks, in file-name order, against the files whose rows are in Bronze now and the files
accepted earlier in the same load:
- content: a file whose decompressed content (SHA-256) equals a loaded file's under another name
  (a re-delivered copy, a .csv beside its .csv.gz) is a duplicate of that file;
- rows: a file whose rows share (instrument, receive time) keys with another file of the same
  trading day overlaps it. It is a duplicate unless the load says --replace-day, in which case it
  supersedes the loaded files it overlaps: their rows are removed from Bronze before its own are
  committed. Two files of one day in the same load never supersede each other.
A duplicate is rejected with a message naming the file it repeats; nothing of it is loaded.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from optlake.bronze.landing import LandingFile
from optlake.bronze.spec import DatasetSpec
from optlake.bronze.tables import AUDIT_TABLE, QUARANTINE_TABLE
from optlake.sql_literals import sql_dates, sql_strings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


@dataclass
class Candidate:
    """A file that passed the whole-file checks, on its way to Bronze."""

    file: LandingFile
    local: Path
    spec: DatasetSpec
    sha256: str
    trade_date: dt.date | None
    duplicate_of: str | None = None
    error: str | None = None
    replaces: list[LoadedFile] = field(default_factory=list)


@dataclass(frozen=True)
class LoadedFile:
    """A file whose rows are in Bronze now."""

    name: str
    trade_date: dt.date
    sha256: str | None
    uri: str
    size: int


def loaded_files(spark: SparkSession, schema: str, spec: DatasetSpec, candidates: list[Candidate]) -> list[LoadedFile]:
    """The files holding rows in the spec's table that the candidates can collide with: those of the
    candidates' trading days and those whose content hash a candidate has (from Iceberg partition
    metadata, pruned to those days and names: no data is read, and the cost does not grow with the
    history), with the content hash and source of their latest successful load (the audit table)."""
    audited = {
        r["file_name"]: r.asDict()
        for r in spark.sql(
            f"""
            select file_name,
                max_by(content_sha256, finished_at) as sha256,
                max_by(source_uri, finished_at) as uri,
                max_by(bytes, finished_at) as bytes
            from {schema}.{AUDIT_TABLE}
            where status = 'loaded'
            group by file_name
            """
        ).collect()
    }
    hashes = {c.sha256 for c in candidates if c.sha256}
    days = sorted({c.trade_date for c in candidates if c.trade_date is not None})
    same = sorted(name for name, r in audited.items() if r["sha256"] in hashes)
    wanted = [f"partition.trade_date in ({sql_dates(days)})"] if days else []
    wanted += [f"partition.file_name in ({sql_strings(same)})"] if same else []
    present = spark.sql(
        f"select distinct partition.trade_date, partition.file_name from {schema}.{spec.table}.partitions"
        f" where {' or '.join(wanted) or 'false'}"
    ).collect()
    found = []
    for trade_date, name in present:
        r = audited.get(name, {})
        found.append(LoadedFile(name, trade_date, r.get("sha256"), r.get("uri") or "", int(r.get("bytes") or 0)))
    return found


def same_content(candidates: list[Candidate], loaded: list[LoadedFile]) -> None:
    """Mark candidates whose content equals a loaded file's, or an earlier candidate's, under another name."""
    first_by_hash = {f.sha256: f.name for f in loaded if f.sha256}
    for c in candidates:
        first = first_by_hash.get(c.sha256)
        if first is not None and first != c.file.name:
            c.duplicate_of = first
            c.error = f"same content as {first}, already loaded (SHA-256 {c.sha256[:12]}...): not loaded again"
        else:
            first_by_hash.setdefault(c.sha256, c.file.name)


def needs_row_check(candidates: list[Candidate], loaded: list[LoadedFile]) -> list[Candidate]:
    """The candidates that share their trading day with a loaded file (another name) or with another
    candidate: only these need the row-overlap check."""
    days_loaded = {(f.trade_date, f.name) for f in loaded}
    per_day: dict[dt.date, int] = {}
    for c in candidates:
        if not c.duplicate_of and c.trade_date is not None:
            per_day[c.trade_date] = per_day.get(c.trade_date, 0) + 1
    return [
        c
        for c in candidates
        if not c.duplicate_of
        and c.trade_date is not None
        and (per_day[c.trade_date] > 1 or any(d == c.trade_date and n != c.file.name for d, n in days_loaded))
    ]


def decide(
    candidates: list[Candidate],
    loaded: list[LoadedFile],
    with_loaded: dict[tuple[str, str], int],
    with_batch: dict[tuple[str, str], int],
    replace_day: bool,
    key_text: str,
) -> None:
    """Apply the overlap counts, in file-name order. ``with_loaded[(candidate, loaded file)]`` and
    ``with_batch[(candidate, earlier candidate)]`` are numbers of shared row keys."""
    by_name = {f.name: f for f in loaded}
    status = {c.file.name: c for c in candidates}
    for c in candidates:
        if c.duplicate_of:
            continue
        earlier = sorted(
            (other, n)
            for (name, other), n in with_batch.items()
            if name == c.file.name and not status[other].duplicate_of
        )
        if earlier:
            other, n = earlier[0]
            c.duplicate_of = other
            c.error = (
                f"{n:,} rows overlap {other} (same trading day {c.trade_date}, same {key_text}), which this "
                f"load also holds: load the files of one day one at a time (with --replace-day for a correction)"
            )
            continue
        overlapping = sorted((other, n) for (name, other), n in with_loaded.items() if name == c.file.name)
        if not overlapping:
            continue
        if replace_day:
            c.replaces = [by_name[other] for other, _ in overlapping]
        else:
            other, n = overlapping[0]
            c.duplicate_of = other
            c.error = (
                f"{n:,} rows overlap {other}, already loaded for {c.trade_date} (same {key_text}): not loaded; "
                f"if it is a corrected re-delivery, load it with --replace-day to supersede {other}"
            )


def overlap_counts(
    spark: SparkSession, schema: str, spec: DatasetSpec, checked: list[Candidate], loaded: list[LoadedFile]
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    """Shared row keys of each checked candidate with the loaded files of its day and with the
    earlier checked candidates. The candidates' keys are read with Arrow (Spark for a file Arrow
    cannot convert); only a comparison with loaded files reads Bronze, in one Spark job."""
    from optlake.bronze import arrow_engine, spark_engine

    keys = list(spec.bronze_key())
    local = arrow_engine.row_keys(spec, [(c.file.name, c.local) for c in checked])
    days = sorted({c.trade_date for c in checked if c.trade_date is not None})
    others = sorted({f.name for f in loaded if f.trade_date in days})
    if local is not None:
        frame = local.to_pandas().drop_duplicates()
        pairs = frame.merge(frame, on=keys, suffixes=("", "_other"))
        pairs = pairs[pairs["_file"] > pairs["_file_other"]]
        with_batch = {(a, b): int(n) for (a, b), n in pairs.groupby(["_file", "_file_other"]).size().items()}
        if not others:
            return {}, with_batch
        new = spark.createDataFrame(frame)
    else:
        new = spark_engine.row_keys(spark, spec, [str(c.local) for c in checked]).distinct().cache()
        mine = new.alias("a").join(new.alias("b"), keys).where(F.col("a._file") > F.col("b._file"))
        with_batch = {(r[0], r[1]): int(r[2]) for r in mine.groupBy("a._file", "b._file").count().collect()}
    with_loaded: dict[tuple[str, str], int] = {}
    if others:
        held = (
            spark.table(f"{schema}.{spec.table}")
            .where(F.col("trade_date").isin(days) & F.col("file_name").isin(others))
            .select(F.col("file_name").alias("_other"), *[F.col(k).cast("bigint").alias(k) for k in keys])
            .distinct()
        )
        shared = new.join(held, keys).where(F.col("_file") != F.col("_other")).groupBy("_file", "_other").count()
        with_loaded = {(r[0], r[1]): int(r[2]) for r in shared.collect()}
    return with_loaded, with_batch


def screen(spark: SparkSession, schema: str, candidates: list[Candidate], replace_day: bool) -> None:
    """Mark duplicates (content or rows) and, with replace_day, what each candidate supersedes."""
    by_spec: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_spec.setdefault(c.spec.table, []).append(c)
    for group in by_spec.values():
        spec = group[0].spec
        loaded = loaded_files(spark, schema, spec, group)
        same_content(group, loaded)
        checked = needs_row_check(group, loaded)
        if not checked:
            continue
        log.info("  checking the rows of %d file(s) sharing a trading day with other files", len(checked))
        with_loaded, with_batch = overlap_counts(spark, schema, spec, checked, loaded)
        decide(checked, loaded, with_loaded, with_batch, replace_day, " and ".join(spec.row_key))


def remove_superseded(spark: SparkSession, schema: str, spec: DatasetSpec, files: list[LoadedFile]) -> None:
    """Delete the Bronze and quarantine rows of files superseded by --replace-day (whole partitions:
    a metadata-only Iceberg delete). Done before the new rows are committed, so that a load killed
    in between leaves the day without the old rows, never with both."""
    for f in files:
        log.info("  removing the rows of %s (superseded)", f.name)
        name = sql_strings([f.name])
        spark.sql(f"delete from {schema}.{spec.table} where trade_date = date'{f.trade_date}' and file_name = {name}")
        spark.sql(f"delete from {schema}.{QUARANTINE_TABLE} where file_name = {name}")
