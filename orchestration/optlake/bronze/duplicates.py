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

from optlake.bronze.landing import LandingFile
from optlake.bronze.spec import DatasetSpec
from optlake.bronze.tables import AUDIT_TABLE, QUARANTINE_TABLE, sql_list

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

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


def loaded_files(spark: SparkSession, schema: str, spec: DatasetSpec) -> list[LoadedFile]:
    """The files holding rows in the spec's table (from Iceberg partition metadata: no data is
    read), with the content hash and source of their latest successful load."""
    rows = spark.sql(
        f"""
        with present as (
            select distinct partition.trade_date as trade_date, partition.file_name as file_name
            from {schema}.{spec.table}.partitions
        ),
        audited as (
            select file_name,
                max_by(content_sha256, finished_at) as sha256,
                max_by(source_uri, finished_at) as uri,
                max_by(bytes, finished_at) as bytes
            from {schema}.{AUDIT_TABLE}
            where status = 'loaded'
            group by file_name
        )
        select present.trade_date, present.file_name, audited.sha256, audited.uri, audited.bytes
        from present left join audited on present.file_name = audited.file_name
        """
    ).collect()
    return [
        LoadedFile(r["file_name"], r["trade_date"], r["sha256"], r["uri"] or "", int(r["bytes"] or 0)) for r in rows
    ]


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


def same_day_pairs(
    candidates: list[Candidate], loaded: list[LoadedFile]
) -> list[tuple[Candidate, list[LoadedFile], list[Candidate]]]:
    """For each candidate that shares its trading day with other files: the loaded files and the
    earlier candidates (file-name order) of that day. Only these need the row-overlap check."""
    out = []
    earlier: list[Candidate] = []
    for c in candidates:
        if c.duplicate_of or c.trade_date is None:
            continue
        days_loaded = [f for f in loaded if f.trade_date == c.trade_date and f.name != c.file.name]
        days_earlier = [e for e in earlier if e.trade_date == c.trade_date and e.spec == c.spec]
        if days_loaded or days_earlier:
            out.append((c, days_loaded, days_earlier))
        earlier.append(c)
    return out


def screen(spark: SparkSession, schema: str, candidates: list[Candidate], replace_day: bool) -> None:
    """Mark duplicates (content or rows) and, with replace_day, what each candidate supersedes."""
    from optlake.bronze import spark_engine

    by_spec: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_spec.setdefault(c.spec.table, []).append(c)
    for group in by_spec.values():
        spec = group[0].spec
        loaded = loaded_files(spark, schema, spec)
        same_content(group, loaded)
        for c, days_loaded, days_earlier in same_day_pairs(group, loaded):
            log.info(
                "  %s: %s holds other files of %s; checking its rows for overlap", c.file.name, spec.table, c.trade_date
            )
            keys = spark_engine.row_keys(spark, spec, str(c.local)).distinct()
            for e in days_earlier:
                n = _overlap(keys, spark_engine.row_keys(spark, spec, str(e.local)))
                if n:
                    c.duplicate_of = e.file.name
                    c.error = (
                        f"{n:,} rows overlap {e.file.name} (same trading day {c.trade_date}, same "
                        f"{' and '.join(spec.row_key)}), which this load also holds: load the files "
                        f"of one day one at a time (with --replace-day for a correction)"
                    )
                    break
            if c.duplicate_of:
                continue
            overlapping = []
            for f in days_loaded:
                bronze_keys = (
                    spark.table(f"{schema}.{spec.table}")
                    .where(
                        f"trade_date = date'{f.trade_date}' and file_name = '{f.name.replace(chr(39), chr(39) * 2)}'"
                    )
                    .select(*spec.bronze_key())
                )
                n = _overlap(keys, bronze_keys)
                if n:
                    overlapping.append((f, n))
            if not overlapping:
                continue
            if replace_day:
                c.replaces = [f for f, _ in overlapping]
            else:
                f, n = overlapping[0]
                c.duplicate_of = f.name
                c.error = (
                    f"{n:,} rows overlap {f.name}, already loaded for {c.trade_date} (same "
                    f"{' and '.join(spec.row_key)}): not loaded; if it is a corrected re-delivery, "
                    f"load it with --replace-day to supersede {f.name}"
                )


def _overlap(keys: DataFrame, others: DataFrame) -> int:
    """How many distinct keys of ``keys`` also appear in ``others``."""
    return keys.join(others.distinct(), on=list(keys.columns), how="left_semi").count()


def remove_superseded(spark: SparkSession, schema: str, spec: DatasetSpec, files: list[LoadedFile]) -> None:
    """Delete the Bronze and quarantine rows of files superseded by --replace-day (whole partitions:
    a metadata-only Iceberg delete). Done before the new rows are committed, so that a load killed
    in between leaves the day without the old rows, never with both."""
    for f in files:
        log.info("  removing the rows of %s (superseded)", f.name)
        name = sql_list([f.name])
        spark.sql(f"delete from {schema}.{spec.table} where trade_date = date'{f.trade_date}' and file_name = {name}")
        spark.sql(f"delete from {schema}.{QUARANTINE_TABLE} where file_name = {name}")
