"""`optlake serve` on the `thrift` target: the metadata location from the PostgreSQL Hive metastore.

Starts the target's servers with `optlake thrift start` (free ports, a temporary OPTLAKE_THRIFT_HOME), writes an
Iceberg table through the Thrift server (PyHive), then reads it without a JVM: HiveLocator finds the current
metadata file in TABLE_PARAMS, and a real `optlake --target thrift serve` answers over HTTP and picks up the
next commit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from loopback import free_port
from optlake.serving.catalog import HiveLocator, metastore_dsn
from optlake.serving.tables import read_snapshot
from optlake.settings import PROJECT_DIR, Settings

pytestmark = pytest.mark.integration

SCHEMA = "serve_thrift"


def optlake_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, **settings.dbt_env()}


@pytest.fixture(scope="module")
def thrift() -> Iterator[Settings]:
    """Both servers, in a folder PostgreSQL's `postgres` user can reach (not pytest's private tmp root)."""
    home = Path(tempfile.mkdtemp(prefix="optlake-serve-thrift-"))
    home.chmod(0o755)
    settings = Settings(
        project_dir=PROJECT_DIR,
        warehouse=home / "unused-local-warehouse",
        schema=SCHEMA,
        target="thrift",
        thrift_home=home,
        thrift_port=free_port(),
        metastore_port=free_port(),
    )
    optlake = [sys.executable, "-m", "optlake.cli"]
    started = subprocess.run([*optlake, "thrift", "start"], env=optlake_env(settings), capture_output=True, text=True)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield settings
    finally:
        subprocess.run([*optlake, "thrift", "stop"], env=optlake_env(settings), capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def hive(settings: Settings, *statements: str) -> None:
    from pyhive import hive as pyhive

    connection = pyhive.connect(host="127.0.0.1", port=settings.thrift_port, username="optlake")
    try:
        cursor = connection.cursor()
        for sql in statements:
            cursor.execute(sql)
    finally:
        connection.close()


def test_serve_reads_the_metastore_location(thrift: Settings):
    hive(
        thrift,
        f"create database if not exists {SCHEMA}",
        f"create table {SCHEMA}.vol_index (trade_date date, ts_recv timestamp, underlying string, "
        "vol_index double, status string) using iceberg",
        f"insert into {SCHEMA}.vol_index values (date'2025-01-27', timestamp'2025-01-27 20:00:00', 'SPX', 18.5, 'ok'),"
        " (date'2025-01-28', timestamp'2025-01-28 20:00:00', 'SPX', 19.5, 'ok')",
    )
    locator = HiveLocator(metastore_dsn(thrift), SCHEMA)
    location = locator.locate("vol_index")
    assert location is not None and location.endswith(".metadata.json")
    assert locator.locate("gold_not_there") is None
    _, rows = read_snapshot(location)
    assert sorted(rows.column("vol_index").to_pylist()) == [18.5, 19.5]

    port = free_port()
    command = [sys.executable, "-m", "optlake.cli", "--target", "thrift", "--schema", SCHEMA, "serve"]
    command += ["--port", str(port), "--refresh-seconds", "0.5", "--tables", "vol_index"]
    log = thrift.thrift_home / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(command, env=optlake_env(thrift), stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            assert server.poll() is None, log.read_text()
            try:
                httpx.get(f"{url}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        got = httpx.get(f"{url}/vol-index").json()
        assert [r["vol_index"] for r in got["rows"]] == [18.5, 19.5], got
        assert httpx.get(f"{url}/health").json()["tables"]["vol_index"]["metadata_location"] == location

        hive(
            thrift,
            f"insert into {SCHEMA}.vol_index values (date'2025-01-29', timestamp'2025-01-29 20:00:00', "
            "'SPX', 20.5, 'ok')",
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and httpx.get(f"{url}/vol-index").json()["count"] < 3:
            time.sleep(0.3)
        latest = httpx.get(f"{url}/vol-index", params={"limit": 1}).json()
        assert latest["rows"][0]["vol_index"] == 20.5
        assert latest["snapshot_id"] == httpx.get(f"{url}/health").json()["tables"]["vol_index"]["snapshot_id"]
        assert locator.locate("vol_index") != location
    finally:
        server.terminate()
        server.wait(timeout=30)
