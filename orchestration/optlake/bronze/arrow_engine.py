"""The single-machine engine of the Bronze loader: Arrow parses, Iceberg commits.

For a file whose every line is clean, Arrow reads the CSV (every column as text), applies the same
checks as the Spark engine (the column types of spec.py), converts the columns exactly as the Spark
engine does, and writes the file's Iceberg data file itself (Parquet, zstd, Iceberg field ids). One
Iceberg ReplacePartitions commit then publishes the files of a load, replacing each file's
(trade_date, file_name) partition atomically, as `overwritePartitions` does in the Spark engine.

A file with any bad line, or without a trade date in its name, is left to the Spark engine, which
quarantines bad lines with their line numbers and reasons. Spark (the JVM) is only used for the
Iceberg table metadata and the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from optlake.bronze.spec import NS_SUFFIX, DatasetSpec, LineRule, trade_date_from_name

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

BLOCK_BYTES = 64 << 20
#: Bronze (Spark) type -> Arrow type of the data files.
ARROW_TYPES: dict[str, pa.DataType] = {
    "timestamp": pa.timestamp("us", tz="UTC"),
    "bigint": pa.int64(),
    "int": pa.int32(),
    "string": pa.string(),
    "date": pa.date32(),
    "decimal(19,9)": pa.decimal128(19, 9),
}


def read_batches(spec: DatasetSpec, path: Path) -> pacsv.CSVStreamingReader:
    """Stream the CSV as text columns; empty fields are nulls, as in Spark's CSV reader."""
    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=True),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in spec.column_names},
            strings_can_be_null=True,
            include_columns=list(spec.column_names),
        ),
    )


def row_keys(spec: DatasetSpec, files: list[tuple[str, Path]]) -> pa.Table | None:
    """`_file` and the Bronze row key (spec.bronze_key, int64) of every line of clean files; None when
    a file has a line Arrow cannot convert (the Spark engine then reads the keys, line by line)."""
    kinds = {c.name: c.type.kind for c in spec.columns}
    tables = []
    try:
        for name, path in files:
            for batch in read_batches(spec, path):
                columns = {"_file": pa.repeat(pa.scalar(name), batch.num_rows)}
                for k in spec.row_key:
                    column = batch.column(k)
                    if kinds[k] == "timestamp":
                        columns[k + NS_SUFFIX] = pc.cast(pc.cast(column, pa.timestamp("ns", tz="UTC")), pa.int64())
                    else:
                        columns[k] = pc.cast(column, pa.int64())
                tables.append(pa.table(columns))
    except pa.ArrowInvalid:
        return None
    return pa.concat_tables(tables) if tables else None


def all_clean(spec: DatasetSpec, batch: pa.RecordBatch) -> bool:
    """True when no line of the batch has a problem the Spark engine would quarantine."""
    ok = pa.scalar(True)
    for c in spec.required:
        ok = pc.and_(ok, pc.is_valid(batch.column(c)))
    for c in spec.columns:
        if c.type.pattern is not None:
            column = batch.column(c.name)
            ok = pc.and_(ok, pc.or_kleene(pc.is_null(column), pc.match_substring_regex(column, c.type.pattern)))
    if not pc.all(ok).as_py():
        return False
    for c in spec.of_kind("integer"):
        if c.type.largest is not None and c.type.largest < 2**63 - 1:
            top = pc.max(pc.cast(batch.column(c.name), pa.int64())).as_py()
            if top is not None and top > c.type.largest:
                return False
    for rule in spec.rules:
        if _breaks(spec, rule, batch):
            return False
    # Epoch nanoseconds are floored to microseconds; the Arrow cast truncates, equal only from 1970.
    for c in spec.of_kind("timestamp"):
        first = pc.min(pc.cast(batch.column(c.name), pa.timestamp("ns", tz="UTC"))).as_py()
        if first is not None and first.year < 1970:
            return False
    return True


def _breaks(spec: DatasetSpec, rule: LineRule, batch: pa.RecordBatch) -> bool:
    """True when any line of the batch breaks the rule (the Spark engine then says which)."""
    types = {c.name: ARROW_TYPES[c.type.spark_type] for c in spec.columns}
    values = [pc.cast(batch.column(c), types[c]) for c in rule.columns]
    if rule.kind == "ordered":
        broken = pc.greater(values[0], values[1])
    elif rule.kind == "one_of":
        broken = pc.invert(pc.is_in(values[0], value_set=pa.array(rule.values, types[rule.columns[0]])))
    else:
        raise ValueError(f"unknown line rule kind {rule.kind!r}")
    return bool(pc.any(broken).as_py())


def typed_batch(batch: pa.RecordBatch, schema: pa.Schema, extra: dict[str, pa.Scalar]) -> pa.RecordBatch:
    """The Bronze row layout of a clean batch: values converted as spark_engine.typed_columns does."""
    timestamps = {f.name for f in schema if f.name + NS_SUFFIX in schema.names}
    arrays = []
    for field in schema:
        name = field.name
        if name in extra:
            arrays.append(pa.repeat(extra[name], batch.num_rows))
        elif name.endswith(NS_SUFFIX) and name[: -len(NS_SUFFIX)] in timestamps:
            ns = pc.cast(batch.column(name[: -len(NS_SUFFIX)]), pa.timestamp("ns", tz="UTC"))
            arrays.append(pc.cast(ns, pa.int64()))
        elif name in timestamps:
            ns = pc.cast(batch.column(name), pa.timestamp("ns", tz="UTC"))
            arrays.append(pc.cast(ns, field.type, safe=False))
        else:
            arrays.append(pc.cast(batch.column(name), field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_data_file(
    spec: DatasetSpec, path: Path, out: Path, schema: pa.Schema, extra: dict[str, pa.Scalar]
) -> int | None:
    """Write one clean CSV as a Parquet data file; None (and no file) when a line needs Spark."""
    rows = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with pq.ParquetWriter(out, schema, compression="zstd") as writer:
            for batch in read_batches(spec, path):
                if not all_clean(spec, batch):
                    raise _NeedsSpark
                writer.write_batch(typed_batch(batch, schema, extra))
                rows += batch.num_rows
    except (_NeedsSpark, pa.ArrowInvalid):  # bad lines, wrong column counts: Spark reports them per line
        out.unlink(missing_ok=True)
        return None
    return rows


class _NeedsSpark(Exception):
    """A line of the file fails a check: the file goes through the Spark engine."""


class IcebergTable:
    """The few Iceberg Java API calls the fast path needs, through the Spark session's JVM."""

    def __init__(self, spark: SparkSession, name: str) -> None:
        self._jvm = spark._jvm
        # Spark3Util reads the catalog settings from the calling thread's active session; a thread
        # other than the one that started Spark (a flow's task) has none, and `spark_catalog` would
        # then be Spark's built-in one ("... is not an Iceberg table").
        self._jvm.org.apache.spark.sql.SparkSession.setActiveSession(spark._jsparkSession)
        self._table = self._jvm.org.apache.iceberg.spark.Spark3Util.loadIcebergTable(spark._jsparkSession, name)

    def arrow_schema(self, types: dict[str, str]) -> pa.Schema:
        """The table's columns as an Arrow schema carrying Iceberg field ids."""
        fields = []
        for column in self._table.schema().columns():
            name = column.name()
            fields.append(
                pa.field(name, ARROW_TYPES[types[name]], metadata={b"PARQUET:field_id": str(column.fieldId()).encode()})
            )
        return pa.schema(fields)

    def data_dir(self) -> Path:
        location = str(self._table.location())
        if not location.startswith(("file:", "/")):
            raise ValueError(f"the Arrow path writes local files only, the table is at {location}")
        return Path(location.removeprefix("file:")) / "data"

    def replace_partitions(self, files: list[tuple[Path, str]]) -> None:
        """Commit the data files, replacing every partition they belong to, in one snapshot."""
        jvm = self._jvm
        iceberg = jvm.org.apache.iceberg
        metrics_config = iceberg.MetricsConfig.forTable(self._table)
        replace = self._table.newReplacePartitions()
        for path, partition in files:
            input_file = self._table.io().newInputFile(str(path))
            metrics = iceberg.parquet.ParquetUtil.fileMetrics(input_file, metrics_config)
            data_file = (
                iceberg.DataFiles.builder(self._table.spec())
                .withInputFile(input_file)
                .withFormat(iceberg.FileFormat.PARQUET)
                .withPartitionPath(partition)
                .withMetrics(metrics)
                .build()
            )
            replace.addFile(data_file)
        replace.commit()


def load_files(
    spark: SparkSession,
    spec: DatasetSpec,
    table_name: str,
    files: list[tuple[str, Path]],
    load_id: str,
    ingested_at: dt.datetime,
) -> dict[str, int]:
    """Load the clean files of (name, local path); returns rows per file it committed."""
    table = IcebergTable(spark, table_name)
    schema = table.arrow_schema(dict(spec.bronze_columns()))
    written: list[tuple[Path, str]] = []
    rows: dict[str, int] = {}
    for name, path in files:
        trade_date = trade_date_from_name(name)
        if trade_date is None:
            continue
        partition = f"trade_date={trade_date.isoformat()}/file_name={name}"
        out = table.data_dir() / partition / f"{load_id}-{uuid.uuid4().hex[:8]}.parquet"
        extra = {
            "file_name": pa.scalar(name),
            "trade_date": pa.scalar(trade_date, pa.date32()),
            "load_id": pa.scalar(load_id),
            "ingested_at": pa.scalar(ingested_at.replace(tzinfo=dt.UTC), pa.timestamp("us", tz="UTC")),
        }
        n = write_data_file(spec, path, out, schema, extra)
        if n is None:
            log.info("  %s: has lines to check one by one, loading it with Spark", name)
            continue
        log.info("  %s: %s rows parsed and written with Arrow", name, f"{n:,}")
        written.append((out, partition))
        rows[name] = n
    if written:
        table.replace_partitions(written)
    return rows
