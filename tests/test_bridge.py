"""`optlake bridge`: Kinesis (moto server on loopback) and Kafka (librdkafka's mock cluster) -> landing files."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import boto3
import pytest

from loopback import moto_server
from optlake.settings import PROJECT_DIR

pytestmark = pytest.mark.integration

OPTLAKE = [sys.executable, "-m", "optlake.cli"]


def landed_records(folder: Path) -> list[dict]:
    assert not [p for p in folder.iterdir() if p.name.startswith(".")], "a temp file was left behind"
    return [json.loads(line) for p in sorted(folder.glob("*.jsonl")) for line in p.read_text().splitlines()]


def bridge(env: dict, *args: str):
    import subprocess

    return subprocess.run([*OPTLAKE, "bridge", *args], env=env, capture_output=True, text=True, timeout=120)


def test_kafka_mock_cluster_to_landing_then_resume(tmp_path: Path) -> None:
    from confluent_kafka import Producer

    producer = Producer({"test.mock.num.brokers": 1})  # a mock cluster inside this process, on loopback
    brokers = producer.list_topics(timeout=10).brokers.values()
    bootstrap = ",".join(f"{b.host}:{b.port}" for b in brokers)
    for i in range(30):
        producer.produce("ticks", json.dumps({"type": "trade", "i": i}).encode(), key=str(i % 3))
    assert producer.flush(10) == 0
    env = {**os.environ, "OPTLAKE_PROJECT_DIR": str(PROJECT_DIR)}
    out = tmp_path / "landing"
    args = ("kafka", "ticks", "--bootstrap", bootstrap, "--out", str(out), "--poll-seconds", "0.5")
    first = bridge(env, *args, "--batch-records", "10", "--idle-timeout", "2")
    assert first.returncode == 0, first.stderr
    assert sorted(r["i"] for r in landed_records(out)) == list(range(30))
    for i in range(30, 35):
        producer.produce("ticks", json.dumps({"type": "trade", "i": i}).encode(), key=str(i % 3))
    producer.flush(10)
    again = bridge(env, *args, "--idle-timeout", "2")  # resumes after the offsets in the landed names
    assert again.returncode == 0, again.stderr
    assert sorted(r["i"] for r in landed_records(out)) == list(range(35))  # nothing landed twice
    missing = bridge(env, "kafka", "ticks", "--out", str(out))
    assert missing.returncode == 2 and "error: bridge kafka needs --bootstrap HOST:PORT" in missing.stderr


def test_kinesis_on_moto_to_landing_local_and_s3(tmp_path: Path) -> None:
    with moto_server() as endpoint:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
            "OPTLAKE_PROJECT_DIR": str(PROJECT_DIR),
        }
        kw = dict(
            endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        kinesis, s3 = boto3.client("kinesis", **kw), boto3.client("s3", **kw)
        kinesis.create_stream(StreamName="market", ShardCount=2)
        kinesis.get_waiter("stream_exists").wait(StreamName="market")
        for i in range(12):
            kinesis.put_record(StreamName="market", Data=json.dumps({"i": i}).encode(), PartitionKey=f"k{i}")
        out = tmp_path / "landing"
        args = ("kinesis", "market", "--poll-seconds", "0.2", "--idle-timeout", "1")
        first = bridge(env, *args, "--out", str(out))
        assert first.returncode == 0, first.stderr
        assert sorted(r["i"] for r in landed_records(out)) == list(range(12))
        kinesis.put_record(StreamName="market", Data=b'{"i": 12}', PartitionKey="late")
        again = bridge(env, *args, "--out", str(out))
        assert again.returncode == 0, again.stderr
        assert sorted(r["i"] for r in landed_records(out)) == list(range(13))

        s3.create_bucket(Bucket="landing")
        to_s3 = bridge(env, *args, "--out", "s3://landing/stream/market")
        assert to_s3.returncode == 0, to_s3.stderr
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="landing")["Contents"]]
        assert keys and all(k.startswith("stream/market/kinesis-market-shardId-") for k in keys)
        bodies = [s3.get_object(Bucket="landing", Key=k)["Body"].read().decode() for k in keys]
        assert sorted(json.loads(line)["i"] for b in bodies for line in b.splitlines()) == list(range(13))
        missing = bridge(env, "kinesis", "nope", "--out", str(out))
        assert missing.returncode == 2 and "error: Kinesis stream 'nope' not found" in missing.stderr
