"""`optlake stream` and `optlake bridge`: argparse subcommands, wired by optlake.cli.build_parser."""

from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path

from optlake.settings import Settings

log = logging.getLogger(__name__)
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _stream_name(args: argparse.Namespace) -> str:
    name = args.name or re.sub(r"[^A-Za-z0-9_-]", "_", args.source.rstrip("/").rsplit("/", 1)[-1])
    if not _NAME.match(name):
        raise ValueError(f"stream name {name!r}: use 1-64 letters, digits, '_' or '-' (--name)")
    return name


def cmd_stream(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.cli import spark_for
    from optlake.streaming.messages import load_instruments
    from optlake.streaming.stream import StreamConfig, StreamFailed, run

    if not args.source.startswith("s3://") and not Path(args.source).is_dir():
        raise FileNotFoundError(f"landing folder {args.source} does not exist")
    name = _stream_name(args)
    checkpoint = args.checkpoint or str(settings.warehouse / "_checkpoints" / f"stream-{name}")
    config = StreamConfig(
        source=args.source,
        name=name,
        checkpoint=checkpoint,
        schema=settings.schema,
        watermark_s=args.watermark,
        once=args.once,
        interval_s=args.interval,
        max_files_per_trigger=args.max_files_per_trigger,
        timeout_s=args.timeout,
    )
    instruments = load_instruments(settings.project_dir / "seeds" / "instruments.csv")
    with spark_for(args, settings, f"optlake-stream-{name}") as spark:
        try:
            run(spark, config, instruments)
        except StreamFailed as exc:
            log.error("error: %s", exc)
            return 1
    return 0


def cmd_bridge(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.streaming.bridge import KafkaSource, KinesisSource, open_sink, run_bridge

    if args.system == "kafka" and not args.bootstrap:
        raise ValueError("bridge kafka needs --bootstrap HOST:PORT")
    sink = open_sink(args.out)
    if args.system == "kinesis":
        source = KinesisSource(args.name, sink, endpoint_url=args.endpoint_url, region=args.region)
    else:
        source = KafkaSource(args.name, sink, bootstrap=args.bootstrap, extra=dict(args.kafka_option or []))
    try:
        run_bridge(
            source,
            sink,
            batch_records=args.batch_records,
            poll_seconds=args.poll_seconds,
            max_batches=args.max_batches,
            idle_timeout_s=args.idle_timeout,
        )
    finally:
        source.close()
    return 0


def _kafka_option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def add_stream_parsers(sub) -> None:
    """Add `stream` and `bridge` to the optlake subcommands."""
    st = sub.add_parser(
        "stream",
        help="Structured Streaming of JSON-lines market messages (trade, quote, bar) into bronze_bars",
        description="Read JSON-lines market messages landed as files in SOURCE (a folder or s3:// prefix), "
        "aggregate trades into 1-minute bars (bar messages pass through), upsert them into bronze_bars and keep "
        "the messages in bronze_market_messages. Messages later than the watermark, malformed lines and messages "
        "missing fields go to bronze_quarantine with the reason. A checkpoint per stream: killed and restarted, "
        "it writes every bar exactly once. See README 'Streaming'.",
    )
    st.add_argument("source", help="landing folder or s3://bucket/prefix of .jsonl files")
    st.add_argument("--name", help="the stream's name (lineage, checkpoint); default: the folder's name")
    st.add_argument("--checkpoint", help="checkpoint location; default <warehouse>/_checkpoints/stream-<name>")
    st.add_argument(
        "--watermark",
        type=_seconds,
        default=30.0,
        help="seconds of lateness allowed behind the greatest event time seen (default 30)",
    )
    st.add_argument("--once", action="store_true", help="process every pending file, then stop (availableNow)")
    st.add_argument("--interval", type=_seconds, default=10.0, help="continuous mode: seconds per trigger (10)")
    st.add_argument("--timeout", type=_seconds, help="continuous mode: stop after this many seconds")
    st.add_argument("--max-files-per-trigger", type=_positive, default=100, help="files per micro-batch (100)")
    st.set_defaults(func=cmd_stream)

    br = sub.add_parser(
        "bridge",
        help="land Kinesis or Kafka records as JSON-lines files for `optlake stream` (atomic, resumable)",
        description="Poll a Kinesis stream or a Kafka topic and land each micro-batch as one JSON-lines file per "
        "shard/partition in OUT (a folder: temp name then rename; s3://: one PutObject). File names carry the "
        "source positions, from which a restarted bridge resumes: no record is landed twice.",
    )
    br.add_argument("system", choices=("kinesis", "kafka"))
    br.add_argument("name", help="Kinesis stream name or Kafka topic")
    br.add_argument("--out", required=True, help="landing folder or s3://bucket/prefix (the stream's SOURCE)")
    br.add_argument("--bootstrap", help="Kafka bootstrap servers HOST:PORT[,...]")
    br.add_argument(
        "--kafka-option", type=_kafka_option, action="append", metavar="KEY=VALUE", help="extra Kafka client setting"
    )
    br.add_argument("--endpoint-url", help="Kinesis endpoint (default: AWS's, or $AWS_ENDPOINT_URL)")
    br.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    br.add_argument("--batch-records", type=_positive, default=10_000, help="records per poll at most (10000)")
    br.add_argument("--poll-seconds", type=_seconds, default=1.0, help="seconds per poll (1)")
    br.add_argument("--max-batches", type=_positive, help="stop after landing this many files")
    br.add_argument("--idle-timeout", type=_seconds, help="stop after this many seconds without a record")
    br.set_defaults(func=cmd_bridge)
