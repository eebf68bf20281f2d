"""Loading from an s3:// landing prefix, against a moto S3 server on loopback."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from loopback import moto_server
from optlake.bronze import load
from optlake.bronze.landing import S3Landing


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_server() as endpoint:
        yield endpoint


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def keys(client, bucket: str) -> set[str]:
    return {o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_load_from_s3_moves_objects_and_loads_rows(spark, schema: str, s3_endpoint: str, fixture_csv: Path) -> None:
    client = s3_client(s3_endpoint)
    client.create_bucket(Bucket="opra")
    client.put_object(Bucket="opra", Key="landing/" + fixture_csv.name, Body=fixture_csv.read_bytes())
    client.put_object(Bucket="opra", Key="landing/opra-pillar-20250129.cbbo-1m.csv", Body=b"")
    client.put_object(Bucket="opra", Key="landing/nested/ignored.csv", Body=b"x")  # not top level

    landing = S3Landing("s3://opra/landing", client=client)
    try:
        report = load(spark, landing, schema)
    finally:
        landing.close()

    statuses = {r.file.name: r.status for r in report.results}
    assert statuses == {fixture_csv.name: "loaded", "opra-pillar-20250129.cbbo-1m.csv": "rejected"}
    assert keys(client, "opra") == {
        "landing/processed/" + fixture_csv.name,
        "landing/failed/opra-pillar-20250129.cbbo-1m.csv",
        "landing/nested/ignored.csv",
    }
    assert spark.sql(f"select count(*) from {schema}.bronze_options_chain").collect()[0][0] == 9
    uris = {r["file_name"]: r["source_uri"] for r in spark.table(f"{schema}.bronze_load_audit").collect()}
    assert uris[fixture_csv.name] == f"s3://opra/landing/{fixture_csv.name}"

    # nothing pending now; --reprocess reads processed/ again and replaces the same rows
    again = S3Landing("s3://opra/landing", client=client)
    try:
        assert load(spark, again, schema).results == []
        report = load(spark, again, schema, reprocess=True)
    finally:
        again.close()
    assert [r.status for r in report.results] == ["loaded"]
    assert spark.sql(f"select count(*) from {schema}.bronze_options_chain").collect()[0][0] == 9
    assert "landing/processed/" + fixture_csv.name in keys(client, "opra")


def test_s3_landing_rejects_a_non_s3_uri() -> None:
    with pytest.raises(ValueError, match="not an S3 URI"):
        S3Landing("/tmp/x", client=object())
