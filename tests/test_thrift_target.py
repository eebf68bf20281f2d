"""The `thrift` target, for real: PostgreSQL metastore + Spark Thrift server started by the project.

The module starts both servers with `optlake thrift start` (free ports, a temporary
OPTLAKE_THRIFT_HOME), loads generated days plus hand-written quotes (other underlyings, bad
symbols, crossed prices) with `optlake --target thrift load`, and runs `dbt build --target thrift`:
SQL through PyHive on the Thrift server, the Gold Python models in an embedded session on the same
metastore. The same files are loaded and built on `local` in the test session, and every Silver and
Gold row is compared between the two engines.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from cbbo_text import quote_line
from loopback import free_port
from optlake.bronze import load
from optlake.bronze.landing import LocalLanding
from optlake.bronze.specs import cbbo
from optlake.generator import generate
from optlake.settings import PROJECT_DIR, Settings

pytestmark = pytest.mark.integration

DAYS = 3
ROWS = 4000
START = dt.date(2025, 1, 27)
LOCAL_SCHEMA = "cross_engine"
THRIFT_SCHEMA = "trading_db"
#: Per-row lineage of the load and run that wrote the row: differs between two loads of the same file
#: (Gold's input_fingerprint hashes the loads' versions; computed_at is the run's time).
LOAD_COLUMNS = {"load_id", "ingested_at", "bronze_load_id", "bronze_ingested_at", "input_fingerprint", "computed_at"}
MODELS = (
    "enriched_options_silver",
    "enriched_options_silver_rejected",
    "gold_laymanspystrategy",
    "gold_ironcondorstrategy",
)
EXTRA_QUOTES = [  # other underlyings and every reject reason, on each day
    ("SPXW  250331P05600000", "12.100000000", "12.500000000"),
    ("QQQ   250321C00500000", "3.000000000", "3.100000000"),
    ("AAPL1 250321C00012375", "0.450000000", "0.550000000"),
    ("SPY   250230C00600000", "1.000000000", "1.100000000"),  # 30 February: invalid symbol
    ("spy   250321C00600000", "1.000000000", "1.100000000"),  # lowercase: invalid symbol
    ("SPY   250321C00600000", "", "1.100000000"),  # missing bid
    ("SPY   250321C00600000", "2.000000000", "1.000000000"),  # ask below bid
    ("SPY   250117C00600000", "1.000000000", "1.100000000"),  # expired before the trade date
]


def run_tool(settings: Settings, tool: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """A command of this venv (optlake, dbt) with the settings' environment."""
    env = {**os.environ, **settings.dbt_env()}
    command = [str(Path(sys.executable).parent / tool), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_DIR)


def optlake(settings: Settings, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return run_tool(settings, "optlake", *args, timeout=timeout)


def dbt_on_thrift(
    settings: Settings, target_path: Path, *args: str, timeout: int = 1200
) -> subprocess.CompletedProcess:
    """`dbt ARGS --target thrift` in a subprocess, its artifacts and logs in ``target_path``."""
    return run_tool(
        settings,
        "dbt",
        *args,
        "--target",
        "thrift",
        "--project-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path),
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("thrift-landing")
    generate(folder, days=DAYS, rows_per_day=ROWS, start=START)
    for offset in range(DAYS):
        day = START + dt.timedelta(days=offset)
        lines = [quote_line(symbol, bid, ask, minute, day) for minute, (symbol, bid, ask) in enumerate(EXTRA_QUOTES)]
        with (folder / cbbo.file_name(day)).open("a") as f:
            f.write("\n".join(lines) + "\n")
    return folder


@pytest.fixture(scope="module")
def thrift() -> Settings:
    """Both servers, started by the project's own command, stopped at the end of the module.

    Their folder is not under pytest's temporary root: pytest makes that private (0700) at every
    session start, and PostgreSQL runs as the `postgres` user when the tests run as root.
    """
    home = Path(tempfile.mkdtemp(prefix="optlake-thrift-test-"))
    home.chmod(0o755)
    settings = Settings(
        project_dir=PROJECT_DIR,
        warehouse=home / "unused-local-warehouse",
        schema=THRIFT_SCHEMA,
        target="thrift",
        thrift_home=home,
        thrift_port=free_port(),
        metastore_port=free_port(),
    )
    started = optlake(settings, "thrift", "start")
    assert started.returncode == 0, started.stdout + started.stderr
    yield settings
    optlake(settings, "thrift", "stop")
    shutil.rmtree(home, ignore_errors=True)


def hive_rows(settings: Settings, sql: str) -> list[tuple]:
    from pyhive import hive

    connection = hive.connect(host="127.0.0.1", port=settings.thrift_port, username="optlake")
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        connection.close()


def as_text_sql(spark, table: str) -> str:
    """SELECT of every non-lineage column cast to string: Spark renders values identically on both sides."""
    columns = [f.name for f in spark.table(table).schema.fields if f.name not in LOAD_COLUMNS]
    return "select " + ", ".join(f"cast({c} as string) as {c}" for c in columns) + f" from {table}"


def test_status_reports_both_servers_running(thrift: Settings):
    status = optlake(thrift, "thrift", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "metastore: running" in status.stdout
    assert "thrift server: running" in status.stdout
    assert f"127.0.0.1:{thrift.thrift_port}" in status.stdout


def test_start_twice_reuses_the_running_servers(thrift: Settings):
    again = optlake(thrift, "thrift", "start")
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stderr


def test_metastore_lives_in_postgresql(thrift: Settings):
    env = {**os.environ, "PGPASSWORD": "optlake"}
    done = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(thrift.metastore_port),
            "-U",
            "optlake",
            "-d",
            "metastore",
            "-tAc",
            'select count(*) from "DBS"',
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 1  # the Hive metastore schema exists, with at least `default`


def test_build_on_thrift_matches_local_row_for_row(thrift: Settings, landing: Path, spark, dbt, tmp_path):
    # Bronze on thrift: the loader writes to the PostgreSQL catalog while the Thrift server runs.
    # Each engine loads its own copy of the files (a load moves them to processed/).
    shutil.copytree(landing, tmp_path / "thrift-landing")
    shutil.copytree(landing, tmp_path / "local-landing")
    loaded = optlake(thrift, "--target", "thrift", "load", str(tmp_path / "thrift-landing"))
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    rows_in = DAYS * (ROWS + len(EXTRA_QUOTES))
    assert f"rows read {rows_in:,} = loaded {rows_in:,} + quarantined 0" in loaded.stderr
    assert hive_rows(thrift, f"select count(*) from {THRIFT_SCHEMA}.bronze_options_chain") == [(rows_in,)]

    # Silver and Gold on thrift, with every data test and unit test of the project.
    target_path = tmp_path / "thrift-target"
    build = dbt_on_thrift(thrift, target_path, "build")
    assert build.returncode == 0, build.stdout[-5000:]
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    statuses = Counter(r["status"] for r in results)
    assert set(statuses) <= {"success", "pass"}, statuses
    built = {r["unique_id"]: r["status"] for r in results}
    # the options pipeline's models (staging and intermediate views, 2 Silver tables, 2 Gold) and
    # seed, and its unit tests (OSI parsing on the staging view, rules and policies on the
    # intermediate one), among everything else the project builds
    options = ("stg_bronze__options_chain", "int_quotes_classified", *MODELS)
    assert {built.get(f"model.optlake.{name}") for name in options} | {built.get("seed.optlake.underlying_map")} == {
        "success"
    }
    unit_tests = {
        u.split(".")[-1]
        for u in built
        if u.startswith("unit_test.optlake.stg_bronze__options_chain.")
        or u.startswith("unit_test.optlake.int_quotes_classified.")
    }
    assert len(unit_tests) == 6, unit_tests
    assert statuses["pass"] >= 43

    # The same files on local, in the test session.
    spark.sql(f"create database if not exists {LOCAL_SCHEMA}")
    load(spark, LocalLanding(tmp_path / "local-landing"), LOCAL_SCHEMA)
    assert spark.table(f"{LOCAL_SCHEMA}.bronze_options_chain").count() == rows_in
    dbt(LOCAL_SCHEMA, "build")

    for model in MODELS:
        local_sql = as_text_sql(spark, f"{LOCAL_SCHEMA}.{model}")
        local = Counter(tuple(row) for row in spark.sql(local_sql).collect())
        remote = Counter(hive_rows(thrift, local_sql.replace(f"from {LOCAL_SCHEMA}.", f"from {THRIFT_SCHEMA}.")))
        assert sum(local.values()) > 0 or model == "enriched_options_silver_rejected", model
        assert remote == local, (
            f"{model}: {sum(remote.values())} rows on thrift, {sum(local.values())} on local; "
            f"only on thrift: {list((remote - local).elements())[:3]}; only on local: {list((local - remote).elements())[:3]}"
        )

    rejected = dict(
        hive_rows(
            thrift,
            f"select reject_reason, count(*) from {THRIFT_SCHEMA}.enriched_options_silver_rejected group by reject_reason",
        )
    )
    assert rejected == {
        "invalid_symbol": 2 * DAYS,
        "missing_price": DAYS,
        "ask_below_bid": DAYS,
        "expiry_before_trade_date": DAYS,
    }
    underlyings = {
        row[0] for row in hive_rows(thrift, f"select distinct underlying from {THRIFT_SCHEMA}.enriched_options_silver")
    }
    assert underlyings == {"SPY", "QQQ", "AAPL1"}  # SPXW maps to SPY; an unmapped root to itself

    # The analyses (the ad-hoc Gold queries) compile for thrift and give the same answers there.
    compiled = dbt_on_thrift(thrift, target_path, "compile", "--select", "path:analyses", timeout=600)
    assert compiled.returncode == 0, compiled.stdout[-3000:]
    dbt(LOCAL_SCHEMA, "compile", "--select", "path:analyses")
    local_dir = dbt.target_path / PROJECT_DIR.name / "compiled" / "optlake" / "analyses"
    thrift_dir = target_path / "compiled" / "optlake" / "analyses"
    names = sorted(path.name for path in thrift_dir.glob("*.sql"))
    assert names == sorted(path.name for path in (PROJECT_DIR / "analyses").glob("*.sql"))
    for name in names:
        local_sql = (local_dir / name).read_text()
        remote_sql = (thrift_dir / name).read_text()
        assert f"{THRIFT_SCHEMA}." in remote_sql and f"{LOCAL_SCHEMA}." in local_sql
        local_rows = [tuple(str(value) for value in row) for row in spark.sql(local_sql).collect()]
        remote_rows = [tuple(str(value) for value in row) for row in hive_rows(thrift, remote_sql)]
        assert local_rows, name
        assert remote_rows == local_rows, name

    # The tables the Thrift server sees are Iceberg tables, partitioned by trading day.
    described = hive_rows(thrift, f"describe extended {THRIFT_SCHEMA}.enriched_options_silver")
    flat = " ".join(str(value) for row in described for value in row)
    assert "iceberg" in flat.lower() and "trade_date" in flat


def test_stop_stops_both_servers_and_start_brings_them_back(thrift: Settings):
    """Leaves both servers running, as the module fixture started them: the test order does not matter."""
    stopped = optlake(thrift, "thrift", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "thrift server: stopped" in stopped.stderr and "metastore: stopped" in stopped.stderr
    status = optlake(thrift, "thrift", "status")
    assert status.returncode == 3
    assert "metastore: stopped" in status.stdout and "thrift server: stopped" in status.stdout

    restarted = optlake(thrift, "thrift", "start")
    assert restarted.returncode == 0, restarted.stderr
    assert "thrift server: answers; databases:" in restarted.stderr and THRIFT_SCHEMA in restarted.stderr
    assert optlake(thrift, "thrift", "status").returncode == 0
