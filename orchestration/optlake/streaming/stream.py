"""The Spark edge of `optlake stream`: a Structured Streaming file source and a foreachBatch sink into Iceberg.

Each landed file is read whole (``wholetext``) so every message keeps its file name and line number,
the message's identity. Per micro-batch (``batch_id`` from the checkpoint):

1. the watermark: greatest event time accepted by the stream's earlier batches (from
   ``bronze_market_messages``) minus the delay; the lines are classified (optlake.streaming.windows);
2. accepted messages -> ``bronze_market_messages`` (MERGE, insert when (stream, file, line) is new);
3. rejected and late lines -> ``bronze_quarantine`` with the reason (MERGE, insert when new);
4. every (symbol, minute) the batch touched is recomputed from all the stream's messages of that
   minute and upserted into ``bronze_bars`` (MERGE on file_name, symbol, rtype, ts_event_ns).

Every step is idempotent and depends only on this batch's files and earlier batches, so a batch that
Spark replays after a crash (its offsets logged, its commit not) writes the same rows again: every bar
exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from optlake.bronze.tables import QUARANTINE_TABLE, ensure_tables
from optlake.streaming.messages import NS_PER_MINUTE, NS_PER_S, Instrument, format_ts
from optlake.streaming.schema import MESSAGE_COLUMNS, MESSAGES_TABLE, PRICE
from optlake.streaming.windows import BatchResult, classify, split_lines, watermark

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming import StreamingQuery

log = logging.getLogger(__name__)

#: Landed files the stream reads: JSON lines, optionally gzipped. Hidden names (".x.tmp") are skipped.
FILE_GLOB = "*.{jsonl,json,jsonl.gz,json.gz}"
RTYPE_1M = 33
TEMP_VIEWS = ("optlake_stream_messages", "optlake_stream_quarantine", "optlake_stream_bars")


class StreamFailed(RuntimeError):
    """The streaming query stopped with an error (a micro-batch failed); its checkpoint keeps its place."""


@dataclass(frozen=True)
class StreamConfig:
    source: str  # landing folder or s3:// prefix
    name: str  # the stream's name: its rows' lineage and its checkpoint
    checkpoint: str
    schema: str
    watermark_s: float = 30.0
    once: bool = False  # trigger availableNow: every pending file, then stop
    interval_s: float = 10.0  # continuous mode: processing-time trigger
    max_files_per_trigger: int = 100
    timeout_s: float | None = None  # continuous mode: stop after this many seconds (tests, demos)


def ensure_stream_tables(spark: SparkSession, schema: str) -> None:
    """The Bronze tables: bronze_bars, the quarantine and the stream's bronze_market_messages among them."""
    ensure_tables(spark, schema)


def spark_path(source: str) -> str:
    """The path Spark reads: s3:// becomes s3a:// (the Hadoop S3A connector, present on EMR)."""
    return "s3a://" + source[len("s3://") :] if source.startswith("s3://") else str(Path(source).resolve())


def check_fresh_start(spark: SparkSession, config: StreamConfig) -> None:
    """A stream without its checkpoint would number batches from 0 again: refuse when its name has rows."""
    if Path(config.checkpoint, "offsets").exists() or config.checkpoint.startswith("s3"):
        return
    table = f"{config.schema}.{MESSAGES_TABLE}"
    seen = spark.sql(f"select count(*) from {table} where stream = '{config.name}'").first()[0]
    if seen:
        raise ValueError(
            f"stream {config.name!r} already wrote {seen} message(s) to {table} but its checkpoint "
            f"{config.checkpoint} is gone: restore the checkpoint, or start a new stream with another --name"
        )


def start(spark: SparkSession, config: StreamConfig, instruments: dict[str, Instrument]) -> StreamingQuery:
    """Start the streaming query (the tables must exist)."""
    from pyspark.sql import functions as F

    lines = (
        spark.readStream.format("text")
        .option("wholetext", "true")
        .option("pathGlobFilter", FILE_GLOB)
        .option("maxFilesPerTrigger", config.max_files_per_trigger)
        .load(spark_path(config.source))
        .select(F.col("_metadata.file_path").alias("path"), F.col("value"))
    )
    writer = (
        lines.writeStream.queryName(f"optlake_stream_{config.name}")
        .option("checkpointLocation", config.checkpoint)
        .foreachBatch(lambda df, batch_id: process_batch(spark, df, batch_id, config, instruments))
    )
    writer = (
        writer.trigger(availableNow=True)
        if config.once
        else writer.trigger(processingTime=f"{config.interval_s} seconds")
    )
    return writer.start()


def run(spark: SparkSession, config: StreamConfig, instruments: dict[str, Instrument]) -> None:
    """Run the stream: until every pending file is done (once), or until interrupted / the timeout."""
    ensure_stream_tables(spark, config.schema)
    check_fresh_start(spark, config)
    mode = "once (availableNow)" if config.once else f"continuous, every {config.interval_s:g} s"
    log.info("stream %s: %s -> %s.bronze_bars, %s", config.name, config.source, config.schema, mode)
    query = start(spark, config, instruments)
    try:
        if config.once or config.timeout_s is None:
            query.awaitTermination()
        elif not query.awaitTermination(config.timeout_s):
            query.stop()
    except KeyboardInterrupt:
        log.info("stream %s: interrupted, stopping (the checkpoint keeps its place)", config.name)
        query.stop()
    if query.exception() is not None:
        raise StreamFailed(f"stream {config.name} failed: {query.exception().desc.splitlines()[0]}")


def file_name_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def previous_max_event_ns(spark: SparkSession, config: StreamConfig, batch_id: int) -> int | None:
    """The greatest event time the stream accepted before this batch (a bar's: the end of its minute)."""
    return spark.sql(
        f"select max(ts_event_ns + case when msg_type = 'bar' then {NS_PER_MINUTE} else 0 end) "
        f"from {config.schema}.{MESSAGES_TABLE} where stream = '{config.name}' and batch_id < {batch_id}"
    ).first()[0]


def process_batch(
    spark: SparkSession, batch_df: DataFrame, batch_id: int, config: StreamConfig, instruments: dict[str, Instrument]
) -> None:
    """The foreachBatch sink: classify, then messages, quarantine and bars (each idempotent).

    Writes go through the caller's session, not the batch's clone: its Iceberg catalog caches tables,
    and the caller (and the next batch's watermark) must see every commit."""
    started = time.monotonic()
    rows = batch_df.collect()
    lines = [line for r in rows for line in split_lines(file_name_of(r["path"]), r["value"])]
    wm = watermark(previous_max_event_ns(spark, config, batch_id), int(config.watermark_s * NS_PER_S))
    result = classify(lines, instruments, wm)
    load_id = f"stream-{config.name}-{batch_id}"
    now_us = int(dt.datetime.now(dt.UTC).timestamp() * 1_000_000)
    try:
        write_messages(spark, config, batch_id, load_id, now_us, result)
        write_quarantine(spark, config, load_id, now_us, result)
        bars = upsert_bars(spark, config, batch_id, load_id, now_us) if result.accepted else 0
    finally:
        for view in TEMP_VIEWS:
            spark.catalog.dropTempView(view)
    c = result.counts()
    if not c["read"] == len(lines) == c["trade"] + c["quote"] + c["bar"] + c["quarantined"]:
        raise RuntimeError(f"stream {config.name} batch {batch_id}: counts do not reconcile: {len(lines)} lines, {c}")
    log.info(
        "stream %s batch %d: %d file(s), read %d message(s): %d trade(s), %d quote(s), %d bar(s), "
        "quarantined %d (%d late); %d bar(s) upserted; watermark %s; %.1f s",
        config.name,
        batch_id,
        len(rows),
        c["read"],
        c["trade"],
        c["quote"],
        c["bar"],
        c["quarantined"],
        c["late"],
        bars,
        "none" if wm is None else format_ts(wm),
        time.monotonic() - started,
    )


def _view(spark: SparkSession, name: str, rows: list[tuple], ddl: str) -> None:
    spark.createDataFrame(rows, ddl).createOrReplaceTempView(name)


def write_messages(
    spark: SparkSession, config: StreamConfig, batch_id: int, load_id: str, now_us: int, result: BatchResult
) -> None:
    if not result.accepted:
        return
    names = [c for c, _ in MESSAGE_COLUMNS if c not in ("ts_event", "ingested_at")]
    rows = []
    for line, m in result.accepted:
        v = m.values
        record = {
            "stream": config.name,
            "batch_id": batch_id,
            "file_name": line.file_name,
            "line_number": line.line_number,
            "msg_type": m.type,
            "symbol": m.symbol,
            "ts_event_ns": m.ts_event_ns,
            "instrument_id": m.instrument_id,
            "publisher_id": m.publisher_id,
            "trade_date": m.trade_date,
            "load_id": load_id,
        }
        rows.append(tuple(record.get(n, v.get(n)) for n in names))
    ddl = ", ".join(f"{n} {t}" for n, t in MESSAGE_COLUMNS if n in names)
    _view(spark, "optlake_stream_messages", rows, ddl)
    select = ", ".join(
        "timestamp_micros(div(ts_event_ns, 1000)) as ts_event"
        if c == "ts_event"
        else f"timestamp_micros({now_us}) as ingested_at"
        if c == "ingested_at"
        else c
        for c, _ in MESSAGE_COLUMNS
    )
    spark.sql(
        f"merge into {config.schema}.{MESSAGES_TABLE} t "
        f"using (select {select} from optlake_stream_messages) s "
        "on t.stream = s.stream and t.file_name = s.file_name and t.line_number = s.line_number "
        "and t.trade_date = s.trade_date "
        "when not matched then insert *"
    )


def write_quarantine(spark: SparkSession, config: StreamConfig, load_id: str, now_us: int, result: BatchResult) -> None:
    if not result.quarantined:
        return
    from optlake.streaming.messages import trade_date_of

    rows = [
        (
            line.file_name,
            None if r.ts_event_ns is None else trade_date_of(r.ts_event_ns, "24x7"),
            line.line_number,
            line.text,
            r.reason,
            load_id,
        )
        for line, r in result.quarantined
    ]
    ddl = "file_name string, trade_date date, line_number bigint, raw_line string, reason string, load_id string"
    _view(spark, "optlake_stream_quarantine", rows, ddl)
    spark.sql(
        f"merge into {config.schema}.{QUARANTINE_TABLE} t "
        f"using (select *, timestamp_micros({now_us}) as quarantined_at from optlake_stream_quarantine) s "
        "on t.file_name = s.file_name and t.line_number = s.line_number and t.load_id = s.load_id "
        "when not matched then insert *"
    )


def bars_sql(config: StreamConfig, batch_id: int, load_id: str, now_us: int) -> str:
    """The 1-minute bars of every (symbol, minute) the batch touched, from all the stream's messages of it.

    A minute with bar messages takes the last of them (by arrival: batch, file, line); otherwise its
    trades aggregate: open = first by event time (ties by arrival), high, low, close = last, volume = sum.
    """
    m = f"{config.schema}.{MESSAGES_TABLE}"
    order = "named_struct('t', ts_event_ns, 'b', batch_id, 'f', file_name, 'n', line_number)"
    arrival = "named_struct('b', batch_id, 'f', file_name, 'n', line_number)"
    trade = "filter (where msg_type = 'trade')"
    minute = f"ts_event_ns - pmod(ts_event_ns, {NS_PER_MINUTE})"
    return f"""
with touched as (
    select distinct symbol, {minute} as minute_ns
    from {m}
    where stream = '{config.name}' and batch_id = {batch_id} and msg_type in ('trade', 'bar')
),
inputs as (
    select msgs.*, {minute} as minute_ns
    from {m} as msgs
    where stream = '{config.name}' and batch_id <= {batch_id} and msg_type in ('trade', 'bar')
),
scoped as (
    select inputs.* from inputs
    join touched on inputs.symbol = touched.symbol and inputs.minute_ns = touched.minute_ns
),
per_minute as (
    select
        symbol,
        minute_ns,
        max_by(named_struct('o', open, 'h', high, 'l', low, 'c', close, 'v', volume), {arrival})
            filter (where msg_type = 'bar') as bar,
        min_by(price, {order}) {trade} as t_open,
        max(price) {trade} as t_high,
        min(price) {trade} as t_low,
        max_by(price, {order}) {trade} as t_close,
        sum(size) {trade} as t_volume,
        max(instrument_id) as instrument_id,
        max(publisher_id) as publisher_id,
        max(trade_date) as trade_date
    from scoped
    group by symbol, minute_ns
)
select
    timestamp_micros(div(minute_ns, 1000)) as ts_event,
    minute_ns as ts_event_ns,
    {RTYPE_1M} as rtype,
    publisher_id,
    instrument_id,
    cast(coalesce(bar.o, t_open) as {PRICE}) as open,
    cast(coalesce(bar.h, t_high) as {PRICE}) as high,
    cast(coalesce(bar.l, t_low) as {PRICE}) as low,
    cast(coalesce(bar.c, t_close) as {PRICE}) as close,
    cast(coalesce(bar.v, t_volume) as bigint) as volume,
    symbol,
    concat('stream-{config.name}-', date_format(trade_date, 'yyyyMMdd'), '.ohlcv-1m') as file_name,
    trade_date,
    '{load_id}' as load_id,
    timestamp_micros({now_us}) as ingested_at
from per_minute
"""


def upsert_bars(spark: SparkSession, config: StreamConfig, batch_id: int, load_id: str, now_us: int) -> int:
    """MERGE the touched minutes' bars into bronze_bars; returns how many bars were written."""
    spark.sql(bars_sql(config, batch_id, load_id, now_us)).createOrReplaceTempView("optlake_stream_bars")
    n = spark.sql("select count(*) from optlake_stream_bars").first()[0]
    spark.sql(
        f"merge into {config.schema}.bronze_bars t using optlake_stream_bars s "
        "on t.trade_date = s.trade_date and t.file_name = s.file_name and t.symbol = s.symbol "
        "and t.rtype = s.rtype and t.ts_event_ns = s.ts_event_ns "
        "when matched then update set * when not matched then insert *"
    )
    return n
