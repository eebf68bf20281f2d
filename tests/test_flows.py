"""The Prefect flows run for real under prefect_test_harness() on a small generated landing: a
backfill in day batches (one retried after a failed first attempt) and a narrow dbt build, the daily
flow on the next day (a rejected file, a quarantined line, strategies, the weekly maintenance), and
the per-symbol flows. Row counts reconcile with Bronze, each run's Markdown artifact is read back
through the Prefect client, and dbt invocations never overlap."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from optlake.bronze.landing import LocalLanding
from optlake.generator import generate

pytestmark = pytest.mark.integration

SCHEMA = "flows_test"
DAYS = [dt.date(2025, 2, 3), dt.date(2025, 2, 4), dt.date(2025, 2, 5)]  # Monday to Wednesday
ROWS = 2_000  # option quotes per day
STRATEGIES = ["LaymanSPY", "VIXAdaptive"]


@pytest.fixture(scope="module")
def prefect():
    """One temporary Prefect server (SQLite) for the module's flows."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        from prefect.testing.utilities import prefect_test_harness

        with prefect_test_harness(server_startup_timeout=180):
            yield


@pytest.fixture(scope="module")
def dbt_calls():
    """Every dbt invocation of the module's flows as (args, start, end), whichever thread made it."""
    from dbt.cli.main import dbtRunner

    calls: list[tuple[list[str], float, float]] = []
    guard = threading.Lock()
    invoke = dbtRunner.invoke

    def recorded(self, args, **kwargs):
        start = time.monotonic()
        try:
            return invoke(self, args, **kwargs)
        finally:
            with guard:
                calls.append((list(args), start, time.monotonic()))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dbtRunner, "invoke", recorded)
        yield calls


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[dt.date, list[Path]]:
    """Three days of option quotes and bars, by day."""
    out = tmp_path_factory.mktemp("generated")
    paths = generate(out, days=len(DAYS), rows_per_day=ROWS, start=DAYS[0], sets=("options", "bars"), seed=11)
    from optlake.bronze.spec import trade_date_from_name

    by_day: dict[dt.date, list[Path]] = {}
    for p in paths:
        by_day.setdefault(trade_date_from_name(p.name), []).append(p)
    assert sorted(by_day) == DAYS
    return by_day


@pytest.fixture(scope="module")
def world(prefect, dbt_calls, generated, settings, spark, tmp_path_factory):
    """The module's warehouse (the test session's, schema flows_test) and landing folder."""
    spark.sql(f"create database if not exists {SCHEMA}")
    landing = tmp_path_factory.mktemp("landing")
    return {"landing": landing, "warehouse": str(settings.warehouse), "spark": spark, "dbt": dbt_calls}


def count(spark, sql: str) -> int:
    return spark.sql(sql).collect()[0][0]


def bronze_rows(spark, days: list[dt.date]) -> int:
    where = "trade_date in (" + ", ".join(f"date '{d}'" for d in days) + ")"
    return sum(
        count(spark, f"select count(*) from {SCHEMA}.{t} where {where}")
        for t in ("bronze_options_chain", "bronze_bars")
    )


def artifact(flow_run_id) -> str:
    """The Markdown artifact a flow run wrote, read back through the Prefect client."""
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    markdown = [a for a in found if a.type == "markdown"]  # a failed run also has its result's artifact
    assert len(markdown) == 1, found
    return markdown[0].data


def run_log(flow_run_id) -> list[str]:
    """The messages of a flow run's log (its tasks' too) in the Prefect API."""
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])), limit=200)
    return [log.message for log in logs]


def task_runs(flow_run_id) -> dict:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {r.name: r for r in runs}


def test_backfill_loads_day_batches_retries_a_failed_one_and_builds_once(world, generated, monkeypatch):
    from flows.backfill import backfill

    spark, landing = world["spark"], world["landing"]
    for day in DAYS[:2]:
        for p in generated[day]:
            shutil.copy(p, landing / p.name)
    flaky = f"opra-pillar-{DAYS[1]:%Y%m%d}.cbbo-1m.csv"
    attempts: list[str] = []
    local_path = LocalLanding.local_path

    def unreadable_once(self, f):
        if f.name == flaky:
            attempts.append(f.name)
            if len(attempts) == 1:
                raise PermissionError(f"[Errno 13] Permission denied: {f.uri}")
        return local_path(self, f)

    monkeypatch.setattr(LocalLanding, "local_path", unreadable_once)
    builds_before = len(world["dbt"])
    state = backfill(
        str(landing),
        build_select=["tag:silver"],
        retry_delay_seconds=0,
        warehouse=world["warehouse"],
        schema_name=SCHEMA,
        return_state=True,
    )
    assert state.is_completed(), state.message
    result = state.result()

    assert result["batches"] == [d.isoformat() for d in DAYS[:2]]
    assert result["attempts"] == {DAYS[0].isoformat(): 1, DAYS[1].isoformat(): 2}
    assert len(attempts) == 2  # the failed attempt, then the retry that loaded it
    runs = task_runs(state.state_details.flow_run_id)
    assert runs[f"load {DAYS[1]}"].run_count == 2 and runs[f"load {DAYS[0]}"].run_count == 1
    files = sum(len(generated[d]) for d in DAYS[:2])
    assert result["files_loaded"] == files and result["files_rejected"] == 0 and result["rows_quarantined"] == 0
    assert result["rows_loaded"] == bronze_rows(spark, DAYS[:2]) > 2 * ROWS
    assert count(spark, f"select count(*) from {SCHEMA}.bronze_options_chain") == 2 * ROWS
    assert sorted(p.name for p in (landing / "processed").iterdir()) == sorted(
        p.name for d in DAYS[:2] for p in generated[d]
    )
    # one dbt build, of the selection, after the seeds
    builds = [args for args, _, _ in world["dbt"][builds_before:] if args[0] == "build"]
    assert [a[: a.index("--quiet")] for a in builds] == [["build", "--select", "tag:silver"]]
    assert count(spark, f"select count(*) from {SCHEMA}.enriched_options_silver") == 2 * ROWS
    assert count(spark, f"select count(*) from {SCHEMA}.bars_5m") > 0

    md = artifact(state.state_details.flow_run_id)
    assert md.startswith(f"# optlake backfill of {landing}")
    per_day = {d: len(generated[d]) for d in DAYS[:2]}
    assert f"| {DAYS[0]} | {per_day[DAYS[0]]} | Completed | 1 | {per_day[DAYS[0]]} | 0 |" in md
    assert f"| {DAYS[1]} | {per_day[DAYS[1]]} | Completed | 2 | {per_day[DAYS[1]]} | 0 |" in md
    assert f"| count | {files} | {result['rows_loaded']:,} | {result['rows_loaded']:,} | 0 |" in md
    assert "`dbt build --select tag:silver` succeeded." in md


def test_a_batch_failing_for_good_fails_the_backfill_after_its_artifact(world, generated, tmp_path, monkeypatch):
    from flows.backfill import backfill

    day = DAYS[2]
    name = f"opra-pillar-{day:%Y%m%d}.cbbo-1m.csv"
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(next(p for p in generated[day] if p.name == name), landing / name)

    def unreadable(self, f):
        raise PermissionError(f"[Errno 13] Permission denied: {f.uri}")

    monkeypatch.setattr(LocalLanding, "local_path", unreadable)
    state = backfill(
        str(landing),
        retries=1,
        retry_delay_seconds=0,
        warehouse=world["warehouse"],
        schema_name=SCHEMA,
        return_state=True,
    )
    assert state.is_failed() and f"backfill: 1 batch(es) failed: {day}" in state.message
    assert task_runs(state.state_details.flow_run_id)[f"load {day}"].run_count == 2
    md = artifact(state.state_details.flow_run_id)
    assert f"| {day} | 1 | Failed | 2 | 0 | 0 | 0 | 0 |" in md
    assert f"## dbt build\n\nNot run: batch(es) {day} failed." in md
    assert (landing / name).exists()  # still pending, for the next run
    assert (
        count(world["spark"], f"select count(*) from {SCHEMA}.bronze_options_chain where trade_date = date '{day}'")
        == 0
    )


def test_daily_flow_on_a_new_day(world, generated, monkeypatch):
    from flows.daily import daily
    from optlake.jobs import daily as job

    spark, landing = world["spark"], world["landing"]
    day = DAYS[2]
    for p in generated[day]:
        shutil.copy(p, landing / p.name)
    options = landing / f"opra-pillar-{day:%Y%m%d}.cbbo-1m.csv"
    with options.open("a") as f:
        f.write("not,a,quote\n")  # one line to quarantine (the file goes to the Spark engine)
    (landing / f"broken-{day:%Y%m%d}.csv").write_text("hello\n1,2\n")  # rejected: no known header
    tested: list[list[dt.date]] = []
    monkeypatch.setattr(job, "test_days", lambda settings, days: tested.append(days))  # analytics are not built here
    bronze_before = bronze_rows(spark, DAYS)

    state = daily(
        str(landing),
        run_date=dt.date(2025, 2, 9),  # a Sunday: the weekly maintenance is due
        steps=["load", "silver", "market_data", "strategies", "test"],
        strategies=STRATEGIES,
        maintenance_tables=["bronze_options_chain"],
        warehouse=world["warehouse"],
        schema_name=SCHEMA,
        return_state=True,
    )
    assert state.is_completed(), state.message
    result = state.result()

    assert result["days"] == [day.isoformat()] and tested == [[day]]
    assert result["files"] == {"loaded": len(generated[day]), "rejected": 1, "duplicate": 0}
    assert result["rows_loaded"] == bronze_rows(spark, DAYS) - bronze_before == bronze_rows(spark, [day])
    assert (
        result["rows_quarantined"]
        == 1
        == count(spark, f"select count(*) from {SCHEMA}.bronze_quarantine where file_name = '{options.name}'")
    )
    assert count(spark, f"select count(*) from {SCHEMA}.bronze_options_chain where trade_date = date '{day}'") == ROWS
    assert result["maintenance"] is True
    assert list(result["seconds"]) == [
        "spark",
        "load",
        "seed",
        "silver",
        "market_data",
        "strategies",
        "test",
        "signals",
        "maintenance",
    ]

    signals = {}
    for model in ("gold_laymanspystrategy", "gold_vixadaptivestrategy"):
        rows = spark.sql(
            f"select signal, count(*) as n from {SCHEMA}.{model} where trade_date = date '{day}' group by signal"
        ).collect()
        signals[model] = {r["signal"]: r["n"] for r in rows}
        assert sum(signals[model].values()) > 0
    assert result["signals"] == signals

    md = artifact(state.state_details.flow_run_id)
    assert md.startswith("# optlake daily 2025-02-09\n\n## Bronze load")
    rows = result["rows_loaded"]
    assert f"| count | {len(generated[day])} | 1 | {rows + 1:,} | {rows:,} | 1 |" in md
    assert f"| broken-{day:%Y%m%d}.csv | {day} | rejected | 0 | 0 |" in md
    assert f"## Signals per strategy ({day})" in md
    lay = signals["gold_laymanspystrategy"]
    names = sorted({s for per in signals.values() for s in per})
    cells = " | ".join(f"{lay.get(s, 0):,}" for s in names)
    assert f"| gold_laymanspystrategy | {cells} | {sum(lay.values()):,} |" in md
    assert "| market_data |" in md and "| maintenance |" in md
    assert "## Weekly maintenance\n\n| table | data_files | bytes | manifests | snapshots |" in md
    assert "| bronze_options_chain |" in md.split("## Weekly maintenance")[1]
    # the loader's own messages are in the run's log
    assert any(
        m.startswith("Load ") and " 1 rejected; rows read " in m for m in run_log(state.state_details.flow_run_id)
    )


def test_symbol_flows_fan_out_while_dbt_runs_one_at_a_time(world):
    from flows.symbols import analyze_symbol, analyze_symbols

    spark = world["spark"]
    state = analyze_symbols(
        ["AAPL", "MSFT"], ["VIXAdaptive"], warehouse=world["warehouse"], schema_name=SCHEMA, return_state=True
    )
    assert state.is_completed(), state.message
    result = state.result()
    for symbol in ("AAPL", "MSFT"):
        rows = spark.sql(
            f"select signal, count(*) as n from {SCHEMA}.gold_vixadaptivestrategy where symbol = '{symbol}' group by signal"
        ).collect()
        assert result[symbol] == {r["signal"]: r["n"] for r in rows} and sum(result[symbol].values()) > 0
    md = artifact(state.state_details.flow_run_id)
    assert "Strategies: gold_vixadaptivestrategy." in md
    aapl = result["AAPL"]
    assert "| AAPL | Completed | 1 | " + " | ".join(f"{aapl.get(s, 0):,}" for s in sorted(aapl)) in md

    # the two symbol tasks ran at the same time ...
    runs = task_runs(state.state_details.flow_run_id)
    a, m = runs["analyze AAPL"], runs["analyze MSFT"]
    assert a.start_time < m.end_time and m.start_time < a.end_time

    one = analyze_symbol("AAPL", warehouse=world["warehouse"], schema_name=SCHEMA, return_state=True)
    assert one.is_completed(), one.message
    assert one.result() == {"symbol": "AAPL", "models": ["gold_vixadaptivestrategy"], "signals": aapl}
    assert artifact(one.state_details.flow_run_id).startswith("# optlake analyze AAPL")

    # ... and no two dbt invocations of the module's flows ever overlapped
    calls = sorted(world["dbt"], key=lambda c: c[1])
    assert len(calls) >= 8
    for (args, _, end), (later, start, _) in itertools.pairwise(calls):
        assert end <= start, f"dbt {args[:3]} overlapped dbt {later[:3]}"


def test_prefect_yaml_deploys_every_flow(prefect):
    """`prefect deploy --all` of prefect.yaml against the test server: four deployments on the process pool."""
    import subprocess
    import sys

    from prefect import get_client
    from prefect.settings import PREFECT_API_URL

    from optlake.settings import PROJECT_DIR

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "OPTLAKE_PROJECT_DIR": str(PROJECT_DIR)}
    cli = [sys.executable, "-m", "prefect"]
    for args in (["work-pool", "create", "optlake-process", "--type", "process"], ["--no-prompt", "deploy", "--all"]):
        done = subprocess.run([*cli, *args], env=env, cwd=PROJECT_DIR, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with get_client(sync_client=True) as client:
        deployments = {d.name: d for d in client.read_deployments()}
    assert {name: d.entrypoint for name, d in deployments.items()} == {
        "daily": "orchestration/flows/daily.py:daily",
        "backfill": "orchestration/flows/backfill.py:backfill",
        "analyze-symbols": "orchestration/flows/symbols.py:analyze_symbols",
        "analyze-symbol": "orchestration/flows/symbols.py:analyze_symbol",
    }
    daily = deployments["daily"]
    assert daily.work_pool_name == "optlake-process" and daily.schedules[0].schedule.cron == "30 22 * * *"
    assert daily.job_variables["env"]["OPTLAKE_PROJECT_DIR"] == str(PROJECT_DIR)
