"""The Spark engine of the Bronze loader: CSV text to typed Bronze rows, checked line by line.

Every column is read as a string with an explicit schema (never inferred), then checked against
its column type (spec.py) so that each bad line gets a precise reason, and converted exactly:
prices to decimal(19,9), timestamps to microsecond timestamps plus exact epoch nanoseconds. All
files of a dataset are parsed and written in one Spark job; per-file row counts and the bad lines
come back through one Observation.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import Column, Observation
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from optlake.bronze.progress import SparkProgress
from optlake.bronze.spec import NS_SUFFIX, DatasetSpec, LineRule, trade_date_from_name

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

CORRUPT = "_corrupt_record"


@dataclass(frozen=True)
class BadRow:
    file_name: str
    raw_line: str
    reason: str


def raw_schema(spec: DatasetSpec) -> StructType:
    fields = [StructField(c, StringType(), True) for c in spec.column_names]
    return StructType([*fields, StructField(CORRUPT, StringType(), True)])


def _quoted(col: str) -> Column:
    return F.concat(F.lit("'"), F.substring(F.col(col), 1, 60), F.lit("'"))


def reject_reason(spec: DatasetSpec) -> Column:
    """The first problem of a raw row as text, or null when the row is good."""
    n_fields = F.size(F.split(F.col(CORRUPT), ",", -1))
    checks: list[Column] = [
        F.when(
            F.col(CORRUPT).isNotNull(),
            F.concat(F.lit(f"wrong column count: expected {len(spec.columns)}, found "), n_fields.cast("string")),
        )
    ]
    checks += [F.when(F.col(c).isNull(), F.lit(f"missing {c}")) for c in spec.required]
    for c in spec.columns:
        if c.type.pattern is None:
            continue
        bad = F.col(c.name).isNotNull() & ~F.col(c.name).rlike(c.type.pattern)
        if c.type.largest is not None:
            bad = bad | (F.col(c.name).cast("decimal(20,0)") > F.lit(c.type.largest))
        checks.append(F.when(bad, F.concat(F.lit(f"{c.type.problem} {c.name}: "), _quoted(c.name))))
    checks += [F.when(_breaks(spec, rule), _rule_reason(rule)) for rule in spec.rules]
    return F.coalesce(*checks)


def _typed(spec: DatasetSpec, name: str) -> Column:
    kind = next(c.type for c in spec.columns if c.name == name)
    return F.col(name).cast(kind.spark_type)


def _breaks(spec: DatasetSpec, rule: LineRule) -> Column:
    """True when a line breaks the rule (null, i.e. not flagged, when a value is missing)."""
    if rule.kind == "ordered":
        lower, upper = (_typed(spec, c) for c in rule.columns)
        return lower > upper
    if rule.kind == "one_of":
        return ~_typed(spec, rule.columns[0]).isin(*rule.values)
    raise ValueError(f"unknown line rule kind {rule.kind!r}")


def _rule_reason(rule: LineRule) -> Column:
    shown = [F.concat(F.lit(f"{c} "), _quoted(c)) for c in rule.columns]
    return F.concat(F.lit(f"{rule.reason}: "), F.concat_ws(", ", *shown))


def epoch_ns(col: str) -> Column:
    """Exact nanoseconds since the epoch of an ISO-8601 UTC timestamp string (session time zone UTC)."""
    seconds = F.unix_timestamp(F.substring(F.col(col), 1, 19), "yyyy-MM-dd'T'HH:mm:ss")
    fraction = F.rpad(F.regexp_extract(F.col(col), r"\.(\d{1,9})Z$", 1), 9, "0").cast("bigint")
    return seconds.cast("bigint") * F.lit(1_000_000_000) + fraction


def timestamp_of(col: str) -> Column:
    """A microsecond Spark timestamp of an ISO-8601 UTC string (nanoseconds truncated; see epoch_ns)."""
    return F.timestamp_micros(F.floor(epoch_ns(col) / 1000).cast("bigint"))


def raw_line(spec: DatasetSpec) -> Column:
    """The source line: as read for malformed rows, rebuilt from the fields for the others."""
    rebuilt = F.concat_ws(",", *[F.coalesce(F.col(c), F.lit("")) for c in spec.column_names])
    return F.coalesce(F.col(CORRUPT), rebuilt)


def typed_columns(spec: DatasetSpec) -> list[Column]:
    """The source columns converted to their Bronze types (only meaningful for good rows)."""
    out: list[Column] = []
    for c in spec.columns:
        if c.type.kind == "timestamp":
            out.append(timestamp_of(c.name).alias(c.name))
            out.append(epoch_ns(c.name).alias(c.name + NS_SUFFIX))
        elif c.type.kind == "text":
            out.append(F.col(c.name))
        else:
            out.append(F.col(c.name).cast(c.type.spark_type).alias(c.name))
    return out


def read_raw(spark: SparkSession, spec: DatasetSpec, paths: list[str]) -> DataFrame:
    """The files' lines as text columns plus `_file`, the base name of the file each came from."""
    return (
        spark.read.schema(raw_schema(spec))
        .option("header", True)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT)
        .csv(paths)
        .withColumn("_file", F.url_decode(F.element_at(F.split(F.input_file_name(), "/"), -1)))
    )


def row_keys(spark: SparkSession, spec: DatasetSpec, paths: list[str]) -> DataFrame:
    """`_file` and the Bronze row key (spec.bronze_key, as bigints) of every good line of the files."""
    parsed = read_raw(spark, spec, paths)
    kinds = {c.name: c.type.kind for c in spec.columns}
    keys = [
        epoch_ns(k).alias(k + NS_SUFFIX) if kinds[k] == "timestamp" else F.col(k).cast("bigint").alias(k)
        for k in spec.row_key
    ]
    return parsed.where(reject_reason(spec).isNull()).select("_file", *keys)


def parse_and_write(
    spark: SparkSession,
    spec: DatasetSpec,
    table: str,
    files: list[tuple[str, str]],
    load_id: str,
    ingested_at: dt.datetime,
) -> tuple[dict[str, int], list[BadRow]]:
    """Parse, check and write (name, local path) files in one Spark job, replacing each file's
    Bronze partition; returns the rows read per file and the bad rows."""
    names = [name for name, _ in files]
    parsed = read_raw(spark, spec, [path for _, path in files]).withColumn("_reason", reject_reason(spec))
    observation = Observation(f"load_{load_id}")
    observed = parsed.observe(
        observation,
        *[F.count_if(F.col("_file") == name).alias(f"read_{i}") for i, name in enumerate(names)],
        F.to_json(
            F.collect_list(
                F.when(
                    F.col("_reason").isNotNull(),
                    F.struct(
                        F.col("_file").alias("file_name"),
                        raw_line(spec).alias("raw_line"),
                        F.col("_reason").alias("reason"),
                    ),
                )
            )
        ).alias("bad_rows"),
    )
    good = observed.where(F.col("_reason").isNull()).select(
        *typed_columns(spec),
        F.col("_file").alias("file_name"),
        F.coalesce(_date_of_file(names), F.to_date(timestamp_of(spec.date_column))).alias("trade_date"),
        F.lit(load_id).alias("load_id"),
        F.lit(ingested_at).cast("timestamp").alias("ingested_at"),
    )
    spark.sparkContext.setJobDescription(f"optlake load {load_id}")
    with SparkProgress(spark.sparkContext, "bronze write"), _keep_observed_stages(spark):
        good.writeTo(table).overwritePartitions()
    metrics = observation.get
    rows_read = {name: int(metrics[f"read_{i}"]) for i, name in enumerate(names)}
    bad_rows = [BadRow(**row) for row in json.loads(metrics["bad_rows"] or "[]")]
    return rows_read, bad_rows


def _date_of_file(names: list[str]) -> Column:
    """The trade date each file's name carries, as a column over `_file` (null when none)."""
    dates = {name: d.isoformat() for name in names if (d := trade_date_from_name(name))}
    if not dates:
        return F.lit(None).cast("date")
    return F.create_map(*[F.lit(x) for kv in dates.items() for x in kv])[F.col("_file")].cast("date")


@contextlib.contextmanager
def _keep_observed_stages(spark: SparkSession) -> Iterator[None]:
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
