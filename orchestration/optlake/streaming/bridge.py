"""`optlake bridge`: Kinesis or Kafka records -> JSON-lines files in the stream's landing folder or S3 prefix.

Each poll lands one file per shard/partition that returned records, written atomically (local: a hidden
temp name, then os.replace; S3: one PutObject), so `optlake stream` never reads half a file. A file's
name carries the positions of its first and last record::

    kafka-<topic>-<partition>-<first offset>-<last offset>.jsonl
    kinesis-<stream>-<shard id>-<first sequence number>-<last sequence number>.jsonl

and a (re)started bridge resumes after the greatest last position landed per shard/partition: the landing
folder is the bridge's only state, and no record is landed twice. Records are expected to be JSON
messages (one per record); a record that is not one line of text is landed as is and quarantined by the
stream.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from optlake.streaming.generator import write_atomic

log = logging.getLogger(__name__)


@dataclass
class Batch:
    """The records of one shard/partition from one poll, with the first and last position."""

    part: str
    first: int
    last: int
    records: list[bytes]


class LocalSink:
    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def names(self) -> list[str]:
        return [p.name for p in self.folder.iterdir() if p.is_file()]

    def put(self, name: str, text: str) -> str:
        return str(write_atomic(self.folder / name, text))


class S3Sink:
    def __init__(self, uri: str) -> None:
        import boto3

        self.bucket, _, prefix = uri[len("s3://") :].partition("/")
        self.prefix = prefix.rstrip("/") + "/" if prefix.strip("/") else ""
        self.s3 = boto3.client("s3")

    def names(self) -> list[str]:
        out = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            out += [
                o["Key"][len(self.prefix) :]
                for o in page.get("Contents", [])
                if "/" not in o["Key"][len(self.prefix) :]
            ]
        return out

    def put(self, name: str, text: str) -> str:
        self.s3.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=text.encode())  # atomic per object
        return f"s3://{self.bucket}/{self.prefix}{name}"


def open_sink(out: str) -> LocalSink | S3Sink:
    return S3Sink(out) if out.startswith("s3://") else LocalSink(out)


def landed_positions(names: list[str], system: str, name: str) -> dict[str, int]:
    """part -> greatest last position already landed for this source (from the file names)."""
    prefix, done = f"{system}-{name}-", {}
    for file_name in names:
        if not (file_name.startswith(prefix) and file_name.endswith(".jsonl")):
            continue
        pieces = file_name[len(prefix) : -len(".jsonl")].rsplit("-", 2)
        if len(pieces) == 3 and pieces[1].isdigit() and pieces[2].isdigit():
            done[pieces[0]] = max(done.get(pieces[0], -1), int(pieces[2]))
    return done


def file_name(system: str, name: str, batch: Batch) -> str:
    return f"{system}-{name}-{batch.part}-{batch.first:020d}-{batch.last:020d}.jsonl"


def to_text(records: list[bytes]) -> str:
    """One line per record (a record's own line breaks would split it: they become spaces)."""
    return "".join(r.decode("utf-8", "replace").replace("\r", " ").replace("\n", " ").strip() + "\n" for r in records)


class KafkaSource:
    system = "kafka"

    def __init__(self, topic: str, sink, bootstrap: str, extra: dict | None = None) -> None:
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        self.name = topic
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"optlake-bridge-{topic}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                **(extra or {}),
            }
        )
        topics = self.consumer.list_topics(topic, timeout=10).topics
        if topic not in topics or topics[topic].error is not None:
            raise ValueError(f"Kafka topic {topic!r} not found at {bootstrap}")
        done = landed_positions(sink.names(), self.system, topic)
        self.consumer.assign(
            [
                TopicPartition(topic, p, done[str(p)] + 1 if str(p) in done else OFFSET_BEGINNING)
                for p in sorted(topics[topic].partitions)
            ]
        )

    def poll(self, max_records: int, timeout_s: float) -> list[Batch]:
        by_part: dict[int, list] = {}
        for msg in self.consumer.consume(num_messages=max_records, timeout=timeout_s):
            if msg.error():
                log.warning("kafka: %s", msg.error())
                continue
            by_part.setdefault(msg.partition(), []).append(msg)
        return [
            Batch(str(p), msgs[0].offset(), msgs[-1].offset(), [m.value() or b"" for m in msgs])
            for p, msgs in sorted(by_part.items())
        ]

    def close(self) -> None:
        self.consumer.close()


class KinesisSource:
    system = "kinesis"

    def __init__(self, stream: str, sink, endpoint_url: str | None = None, region: str | None = None) -> None:
        import boto3

        self.name = stream
        self.client = boto3.client("kinesis", endpoint_url=endpoint_url, region_name=region)
        try:
            shards = self.client.list_shards(StreamName=stream)["Shards"]
        except self.client.exceptions.ResourceNotFoundException as exc:
            raise ValueError(f"Kinesis stream {stream!r} not found") from exc
        done = landed_positions(sink.names(), self.system, stream)
        self.iterators: dict[str, str] = {}
        for shard in shards:
            sid = shard["ShardId"]
            kw = (
                {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": str(done[sid])}
                if sid in done
                else {"ShardIteratorType": "TRIM_HORIZON"}
            )
            self.iterators[sid] = self.client.get_shard_iterator(StreamName=stream, ShardId=sid, **kw)["ShardIterator"]

    def poll(self, max_records: int, timeout_s: float) -> list[Batch]:
        batches = []
        for sid, iterator in list(self.iterators.items()):
            if iterator is None:
                continue
            answer = self.client.get_records(ShardIterator=iterator, Limit=min(max_records, 10_000))
            self.iterators[sid] = answer.get("NextShardIterator")
            records = answer["Records"]
            if records:
                seqs = [int(r["SequenceNumber"]) for r in records]
                batches.append(Batch(sid, seqs[0], seqs[-1], [r["Data"] for r in records]))
        if not batches:
            time.sleep(timeout_s)
        return batches

    def close(self) -> None:
        self.client.close()


def run_bridge(
    source,
    sink,
    batch_records: int = 10_000,
    poll_seconds: float = 1.0,
    max_batches: int | None = None,
    idle_timeout_s: float | None = None,
) -> list[str]:
    """Poll and land until ``max_batches`` files are landed or ``idle_timeout_s`` passes without a record
    (without either: until interrupted). Returns the landed files."""
    landed: list[str] = []
    last_record = time.monotonic()
    try:
        while max_batches is None or len(landed) < max_batches:
            batches = source.poll(batch_records, poll_seconds)
            if batches:
                last_record = time.monotonic()
            for batch in batches:
                where = sink.put(file_name(source.system, source.name, batch), to_text(batch.records))
                landed.append(where)
                log.info(
                    "bridge %s %s: landed %d record(s) in %s", source.system, source.name, len(batch.records), where
                )
            if not batches and idle_timeout_s is not None and time.monotonic() - last_record >= idle_timeout_s:
                log.info("bridge %s %s: idle for %g s, stopping", source.system, source.name, idle_timeout_s)
                break
    except KeyboardInterrupt:
        log.info("bridge %s %s: interrupted", source.system, source.name)
    log.info("bridge %s %s: %d file(s) landed", source.system, source.name, len(landed))
    return landed
