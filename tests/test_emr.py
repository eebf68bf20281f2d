"""`optlake emr`: config checks, packaging, job runs, watching, logs and retries, offline.

S3 and EMR Serverless are a moto server on 127.0.0.1 (tests marked `integration`). moto marks a job
run SUCCESS at once, so RUNNING -> FAILED and throttling are played by an EMR Serverless client
under botocore's Stubber. What no test here can show (a real Spark job on EMR, the Glue catalog, IAM):
docs/emr.md.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from loopback import moto_server
from optlake import cli
from optlake.emr import cli as emr_cli
from optlake.emr import jobs as emr_jobs
from optlake.emr.config import MODES, ConfigError, load_config, parse_config
from optlake.emr.package import build_project_archive, project_files
from optlake.settings import PROJECT_DIR

REGION = "us-east-1"
BUCKET = "optlake-lake"
ROLE = "arn:aws:iam::123456789012:role/optlake-emr-job"


def config_data(app_id: str = "00fabcdefghij123") -> dict:
    """A valid config: load without default arguments, daily with them."""
    small = {"driver_cores": 1, "driver_memory": "4g", "executor_cores": 1, "executor_memory": "4g", "executors": 1}
    return {
        "region": REGION,
        "application_id": app_id,
        "execution_role_arn": ROLE,
        "artifacts_uri": f"s3://{BUCKET}/emr/artifacts",
        "logs_uri": f"s3://{BUCKET}/emr/logs/",
        "env": {"OPTLAKE_TARGET": "athena", "OPTLAKE_ATHENA_S3_DATA_DIR": f"s3://{BUCKET}/warehouse/"},
        "spark_conf": {
            "spark.sql.catalog.spark_catalog.catalog-impl": "org.apache.iceberg.aws.glue.GlueCatalog",
            "spark.executor.instances": "99",  # the mode's resources win
        },
        "modes": {
            "load": {
                "timeout_minutes": 60,
                "resources": {**small, "driver_cores": 4, "driver_memory": "16g", "executors": 4, "max_executors": 8},
            },
            "daily": {"arguments": [f"s3://{BUCKET}/landing/"], "resources": small},
            "strategy": {"resources": small, "spark_conf": {"spark.sql.shuffle.partitions": 8}},
        },
    }


def write_config(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------------------------------
# config


def _without(data: dict, *path: str) -> dict:
    node = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return data


BAD_CONFIGS = [
    (lambda d: _without(d, "application_id"), "missing key application_id"),
    (lambda d: _without(d, "modes", "load", "resources", "executor_memory"), "missing key modes.load.resources.executor_memory"),
    (lambda d: {**d, "modes": {**d["modes"], "backfill": d["modes"]["load"]}}, "unknown mode 'backfill' under modes"),
    (lambda d: {**d, "application_id": "APPLICATION_ID"}, "replace the placeholders"),
    (lambda d: {**d, "artifacts_uri": "s3://LAKE_BUCKET/emr/"}, "artifacts_uri must be an s3://bucket/prefix URI"),
    (lambda d: {**d, "execution_role_arn": "optlake-emr-job"}, "execution_role_arn must be an IAM role ARN"),
    (lambda d: {**d, "logs": "s3://x/y"}, "unknown key logs"),
    (lambda d: {**d, "modes": {}}, "modes is empty"),
    (lambda d: {**d, "modes": {"load": {**d["modes"]["load"], "resources": {**d["modes"]["load"]["resources"], "driver_cores": 3}}}}, "modes.load.resources.driver_cores must be one of 1, 2, 4, 8, 16"),
    (lambda d: {**d, "modes": {"load": {**d["modes"]["load"], "resources": {**d["modes"]["load"]["resources"], "executor_memory": "16GB"}}}}, "must be gigabytes like 16g"),
    (lambda d: {**d, "modes": {"load": {**d["modes"]["load"], "resources": {**d["modes"]["load"]["resources"], "max_executors": 2}}}}, "max_executors is less than executors"),
    (lambda d: {**d, "spark_conf": {"spark.driver.extraJavaOptions": "-Da=1 -Db=2"}}, "nor values may contain spaces"),
    (lambda d: {**d, "modes": {"load": {**d["modes"]["load"], "timeout_minutes": 2}}}, "timeout_minutes must be an integer >= 5"),
    (lambda d: [d], "the file must be a mapping"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "message"), BAD_CONFIGS, ids=[m for _, m in BAD_CONFIGS])
def test_config_mistakes_are_named(mutate, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        parse_config(mutate(config_data()), Path("emr.yaml"))
    assert message in str(caught.value)
    assert str(caught.value).startswith("emr.yaml")


def test_config_file_errors_and_unknown_mode_are_one_error_line(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nope.yaml"
    code, out, err = run_cli(capsys, "emr", "--config", str(missing), "submit", "load", "s3://x/")
    assert (code, out) == (2, "")
    assert err.startswith(f"error: cannot read the EMR config {missing}") and "Traceback" not in err

    (tmp_path / "broken.yaml").write_text("region: [unclosed\n")
    code, _, err = run_cli(capsys, "emr", "--config", str(tmp_path / "broken.yaml"), "watch", "r1")
    assert code == 2 and "is not valid YAML" in err and "Traceback" not in err

    config = write_config(tmp_path / "emr.yaml", config_data())
    code, _, err = run_cli(capsys, "emr", "--config", str(config), "submit", "maintenance")
    assert code == 2
    assert err.strip() == f"error: unknown mode 'maintenance': {config} defines load, daily, strategy"


def test_shipped_config_is_complete_once_placeholders_are_replaced() -> None:
    path = PROJECT_DIR / "deploy" / "emr" / "emr.yaml"
    with pytest.raises(ConfigError, match="replace the placeholders"):
        load_config(path)
    text = path.read_text()
    for placeholder, value in {
        "APPLICATION_ID": "00fabcdefghij123",
        "ACCOUNT_ID": "123456789012",
        "RESULTS_BUCKET": "results-bucket",
        "LAKE_BUCKET": "lake-bucket",
    }.items():
        text = text.replace(placeholder, value)
    config = parse_config(yaml.safe_load(text), path)
    assert set(config.modes) == set(MODES)
    assert (
        config.spark_conf["spark.sql.catalog.spark_catalog.catalog-impl"] == "org.apache.iceberg.aws.glue.GlueCatalog"
    )
    assert config.spark_conf["spark.sql.catalog.spark_catalog.warehouse"].startswith("s3://lake-bucket/")
    assert config.env["OPTLAKE_TARGET"] == "athena"
    for name in ("load", "bootstrap", "daily"):
        assert config.modes[name].arguments == ("s3://lake-bucket/landing/",)


def test_job_role_policies_are_valid_json_without_wildcard_actions() -> None:
    for path in sorted((PROJECT_DIR / "deploy" / "emr").glob("*.json")):
        policy = json.loads(path.read_text())
        assert policy["Version"] == "2012-10-17", path
        for statement in policy["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(a == "*" or a.endswith(":*") for a in actions), (path, statement)


# ---------------------------------------------------------------------------------------------
# the project archive (no server)


def test_project_archive_holds_optlake_and_the_dbt_project_reproducibly(tmp_path: Path) -> None:
    first = build_project_archive(PROJECT_DIR, tmp_path / "a" / "project.tar.gz")
    second = build_project_archive(PROJECT_DIR, tmp_path / "b" / "project.tar.gz")
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first) as tar:
        names = set(tar.getnames())
        member = tar.getmember("orchestration/optlake/cli.py")
        assert (member.mtime, member.uid, member.uname) == (0, 0, "")
    for name in (
        "dbt_project.yml",
        "profiles.yml",
        "selectors.yml",
        "orchestration/optlake/cli.py",
        "orchestration/optlake/emr/entrypoint.py",
        "conf/log4j2.properties",
    ):
        assert name in names, name
    for folder in ("models/", "macros/", "python_models/", "seeds/", "tests/dbt/"):
        assert any(n.startswith(folder) for n in names), folder
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith(("tests/test_", "warehouse/", "target/", ".venv/", "docs/"))]
    assert names == {name for _, name in project_files(PROJECT_DIR)}


def test_entry_point_runs_optlake_from_the_extracted_archive(tmp_path: Path) -> None:
    archive = build_project_archive(PROJECT_DIR, tmp_path / "project.tar.gz")
    work = tmp_path / "container"
    (work / "project").mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(work / "project", filter="data")
    entry = work / "project" / "orchestration" / "optlake" / "emr" / "entrypoint.py"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(entry), "maintenance", "--help"], cwd=work, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert f"optlake from {work / 'project' / 'orchestration' / 'optlake'}" in done.stderr
    assert "usage: optlake maintenance" in done.stdout

    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run(
        [sys.executable, str(entry), "load", "s3://x/"], cwd=empty, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2 and "no project at" in done.stderr


def test_runtime_replaces_the_profiles_spark_session(monkeypatch: pytest.MonkeyPatch) -> None:
    from optlake.emr import runtime
    from optlake.targets import spark_session

    monkeypatch.setattr(spark_session, "get_spark", spark_session.get_spark)
    runtime.install()
    assert spark_session.get_spark is runtime.cluster_spark


# ---------------------------------------------------------------------------------------------
# the StartJobRun request and retries (no server)


def _manifest():
    from optlake.emr.package import Manifest

    return Manifest(
        version="abc123abc123",
        entry_point=f"s3://{BUCKET}/emr/artifacts/abc123abc123/entrypoint.py",
        project_archive=f"s3://{BUCKET}/emr/artifacts/abc123abc123/project.tar.gz",
        venv_archive=f"s3://{BUCKET}/emr/artifacts/environments/0123-env.tar.gz",
        created_at="2025-01-28T00:00:00+00:00",
    )


def test_spark_submit_parameters_order_and_mode_defaults() -> None:
    config = parse_config(config_data(), Path("emr.yaml"))
    request = emr_jobs.job_run_request(config, "daily", [], _manifest(), client_token="t1")
    assert request["jobDriver"]["sparkSubmit"]["entryPointArguments"] == ["daily", f"s3://{BUCKET}/landing/"]
    params = request["jobDriver"]["sparkSubmit"]["sparkSubmitParameters"].split()
    assert params[:2] == [
        "--archives",
        f"s3://{BUCKET}/emr/artifacts/environments/0123-env.tar.gz#environment,"
        f"s3://{BUCKET}/emr/artifacts/abc123abc123/project.tar.gz#project",
    ]
    confs = [params[i + 1] for i in range(2, len(params), 2)]
    assert all(params[i] == "--conf" for i in range(2, len(params), 2))
    assert "spark.executor.instances=1" in confs and "spark.executor.instances=99" not in confs
    assert "spark.emr-serverless.driverEnv.PYSPARK_PYTHON=./environment/bin/python3" in confs
    assert "spark.executorEnv.PYSPARK_PYTHON=./environment/bin/python3" in confs
    assert "spark.emr-serverless.driverEnv.OPTLAKE_TARGET=athena" in confs
    assert request["clientToken"] == "t1" and request["executionTimeoutMinutes"] == 720

    with pytest.raises(ValueError, match="mode load needs a LOCATION"):
        emr_jobs.job_run_request(config, "load", [], _manifest())
    with pytest.raises(ValueError, match="mode load needs a LOCATION"):
        emr_jobs.job_run_request(config, "load", ["--replace-day"], _manifest())


def _client():
    return boto3.client(
        "emr-serverless", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def _run(state: str, details: str = "-") -> dict:
    import datetime as dt

    now = dt.datetime(2025, 1, 28, tzinfo=dt.UTC)
    return {
        "jobRun": {
            "applicationId": "00fabcdefghij123",
            "jobRunId": "00run00run00run0",
            "name": "optlake-load-test",
            "arn": "arn:aws:emr-serverless:us-east-1:123456789012:/applications/00fabcdefghij123/jobruns/x",
            "createdBy": ROLE,
            "createdAt": now,
            "updatedAt": now,
            "executionRole": ROLE,
            "state": state,
            "stateDetails": details,
            "releaseLabel": "emr-7.5.0",
            "jobDriver": {"sparkSubmit": {"entryPoint": "s3://b/e.py"}},
            "configurationOverrides": {
                "monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": f"s3://{BUCKET}/emr/logs/"}}
            },
        }
    }


def test_throttled_calls_are_retried_with_backoff_and_other_errors_are_not() -> None:
    from botocore.exceptions import ClientError

    config = parse_config(config_data(), Path("emr.yaml"))
    request = emr_jobs.job_run_request(config, "load", ["s3://b/landing/"], _manifest(), client_token="tok")
    client = _client()
    slept: list[float] = []
    jobs = emr_jobs.Jobs(client, None, config, retry=emr_jobs.Retry(attempts=3, base_delay=1.0, sleep=slept.append))
    ids = {"applicationId": "00fabcdefghij123", "jobRunId": "00run00run00run0"}
    with Stubber(client) as stub:
        stub.add_client_error("start_job_run", "ThrottlingException", "Rate exceeded", 400, expected_params=request)
        stub.add_client_error("start_job_run", "InternalServerException", "oops", 500, expected_params=request)
        stub.add_response("start_job_run", {**ids, "arn": _run("RUNNING")["jobRun"]["arn"]}, expected_params=request)
        assert jobs.start(request) == "00run00run00run0"
        stub.assert_no_pending_responses()
    assert len(slept) == 2 and 0.5 <= slept[0] <= 1.0 and 1.0 <= slept[1] <= 2.0  # exponential, jittered

    slept.clear()
    with Stubber(client) as stub:
        stub.add_client_error("start_job_run", "ValidationException", "bad role", 400)
        with pytest.raises(ClientError, match="bad role"):
            jobs.start(request)
        for _ in range(3):
            stub.add_client_error("get_job_run", "ThrottlingException", "Rate exceeded", 400, expected_params=ids)
        with pytest.raises(ClientError, match="Rate exceeded"):
            jobs.get("00run00run00run0")
        stub.assert_no_pending_responses()
    assert len(slept) == 2  # 3 attempts, no sleep after the last


# ---------------------------------------------------------------------------------------------
# against moto on loopback


@pytest.fixture(scope="module")
def moto():
    """A moto server, the environment pointing boto3 at it, a bucket and an EMR Serverless application."""
    with moto_server() as endpoint, pytest.MonkeyPatch.context() as mp:
        for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_EMR_SERVERLESS", "OPTLAKE_EMR_CONFIG"):
            mp.delenv(key, raising=False)
        mp.setenv("AWS_ENDPOINT_URL", endpoint)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_REGION", REGION)
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        emr = boto3.client("emr-serverless", region_name=REGION)
        app = emr.create_application(name="optlake", releaseLabel="emr-7.5.0", type="SPARK")["applicationId"]
        yield {"endpoint": endpoint, "s3": s3, "emr": emr, "app": app}


@pytest.fixture(scope="module")
def packaged(moto, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The config file, and the manifest of an `optlake emr package --venv-archive` of a tiny environment."""
    tmp = tmp_path_factory.mktemp("emr")
    config = write_config(tmp / "emr.yaml", config_data(moto["app"]))
    env_dir = tmp / "env"
    (env_dir / "bin").mkdir(parents=True)
    (env_dir / "bin" / "python3").write_text("#!/bin/sh\n")
    env_archive = tmp / "optlake-env.tar.gz"
    with tarfile.open(env_archive, "w:gz") as tar:
        tar.add(env_dir / "bin", arcname="bin")
    code = cli.main(["emr", "--config", str(config), "package", "--venv-archive", str(env_archive)])
    assert code == 0
    body = moto["s3"].get_object(Bucket=BUCKET, Key="emr/artifacts/current.json")["Body"].read()
    return {"config": config, "env_archive": env_archive, "manifest": json.loads(body)}


def _keys(s3, prefix: str) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])}


@pytest.mark.integration
def test_package_uploads_entry_point_project_and_environment(moto, packaged, capsys) -> None:
    s3, manifest = moto["s3"], packaged["manifest"]
    version = manifest["version"]
    env_key = next(iter(_keys(s3, "emr/artifacts/environments/")))
    assert env_key.endswith("-optlake-env.tar.gz")
    assert _keys(s3, "emr/artifacts/") == {
        "emr/artifacts/current.json",
        f"emr/artifacts/{version}/entrypoint.py",
        f"emr/artifacts/{version}/project.tar.gz",
        f"emr/artifacts/{version}/manifest.json",
        env_key,
    }
    assert manifest["venv_archive"] == f"s3://{BUCKET}/{env_key}"
    assert manifest["entry_point"] == f"s3://{BUCKET}/emr/artifacts/{version}/entrypoint.py"
    entry = s3.get_object(Bucket=BUCKET, Key=f"emr/artifacts/{version}/entrypoint.py")["Body"].read()
    assert entry == (PROJECT_DIR / "orchestration/optlake/emr/entrypoint.py").read_bytes()
    project = s3.get_object(Bucket=BUCKET, Key=f"emr/artifacts/{version}/project.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(project)) as tar:
        names = set(tar.getnames())
    assert {"dbt_project.yml", "profiles.yml", "orchestration/optlake/cli.py"} <= names
    assert any(n.startswith("models/") for n in names)

    # Again without --venv-archive: the environment is kept; with it again: not uploaded twice.
    config = str(packaged["config"])
    code, out, _ = run_cli(capsys, "emr", "--config", config, "package")
    assert code == 0 and json.loads(out)["venv_archive"] == manifest["venv_archive"]
    code, out, err = run_cli(
        capsys, "emr", "--config", config, "package", "--venv-archive", str(packaged["env_archive"])
    )
    assert code == 0 and json.loads(out)["version"] == version
    assert "environment optlake-env.tar.gz already uploaded" in err


@pytest.mark.integration
def test_package_without_any_environment_says_how_to_build_one(moto, tmp_path: Path, capsys) -> None:
    data = config_data(moto["app"])
    data["artifacts_uri"] = f"s3://{BUCKET}/elsewhere/"
    config = write_config(tmp_path / "emr.yaml", data)
    code, out, err = run_cli(capsys, "emr", "--config", str(config), "package")
    assert (code, out) == (2, "")
    assert "no Python environment in s3://optlake-lake/elsewhere/ yet" in err and "build-env.sh" in err
    code, _, err = run_cli(capsys, "emr", "--config", str(config), "submit", "daily")
    assert code == 2 and "nothing packaged in s3://optlake-lake/elsewhere/" in err
    code, _, err = run_cli(capsys, "emr", "--config", str(config), "package", "--venv-archive", str(tmp_path / "x.tgz"))
    assert code == 2 and "no such file" in err


@pytest.mark.integration
def test_submit_sends_the_mode_request_and_wait_reports_success(moto, packaged, capsys) -> None:
    emr, manifest, config = moto["emr"], packaged["manifest"], str(packaged["config"])
    code, out, err = run_cli(
        capsys, "emr", "--config", config, "submit", "load", f"s3://{BUCKET}/landing/", "--replace-day"
    )
    assert code == 0, err
    run_id = out.strip()
    run = emr.get_job_run(applicationId=moto["app"], jobRunId=run_id)["jobRun"]
    driver = run["jobDriver"]["sparkSubmit"]
    assert driver["entryPoint"] == manifest["entry_point"]
    assert driver["entryPointArguments"] == ["load", f"s3://{BUCKET}/landing/", "--replace-day"]
    params = driver["sparkSubmitParameters"]
    assert params.startswith(
        f"--archives {manifest['venv_archive']}#environment,{manifest['project_archive']}#project --conf "
    )
    for conf in (
        "spark.driver.cores=4",
        "spark.driver.memory=16g",
        "spark.executor.instances=4",
        "spark.dynamicAllocation.maxExecutors=8",
        "spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON=./environment/bin/python3",
        "spark.emr-serverless.driverEnv.OPTLAKE_ATHENA_S3_DATA_DIR=s3://optlake-lake/warehouse/",
        "spark.sql.catalog.spark_catalog.catalog-impl=org.apache.iceberg.aws.glue.GlueCatalog",
    ):
        assert f"--conf {conf}" in params.split(" --conf ") or f" --conf {conf}" in params, conf
    assert run["executionRole"] == ROLE
    assert run["configurationOverrides"] == {
        "monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": f"s3://{BUCKET}/emr/logs/"}}
    }
    assert run["name"].startswith("optlake-load-") and run["tags"]["version"] == manifest["version"]
    assert f"started job run {run_id}: optlake load s3://{BUCKET}/landing/ --replace-day" in err

    # The mode's own arguments, and --wait to the end (moto: SUCCESS at once).
    code, out, err = run_cli(capsys, "emr", "--config", config, "--poll-interval", "0", "submit", "--wait", "daily")
    assert code == 0, err
    run_id, dashboard, final = out.splitlines()
    assert final == f"{run_id} SUCCESS"
    assert dashboard.startswith("dashboard: https://")
    run = emr.get_job_run(applicationId=moto["app"], jobRunId=run_id)["jobRun"]
    assert run["jobDriver"]["sparkSubmit"]["entryPointArguments"] == ["daily", f"s3://{BUCKET}/landing/"]
    assert f"job run {run_id} ({run['name']}): SUCCESS after 0:00:00" in err

    code, out, err = run_cli(capsys, "emr", "--config", config, "submit", "load")
    assert code == 2 and out == "" and "error: mode load needs a LOCATION" in err


@pytest.mark.integration
def test_logs_reads_the_driver_log_and_cancel_cancels(moto, packaged, capsys) -> None:
    s3, emr, app, config = moto["s3"], moto["emr"], moto["app"], str(packaged["config"])
    code, out, _ = run_cli(capsys, "emr", "--config", config, "submit", "strategy")
    run_id = out.strip()

    code, out, err = run_cli(capsys, "emr", "--config", config, "logs", run_id)
    assert code == 1 and out == ""
    assert f"no driver stdout at s3://{BUCKET}/emr/logs/applications/{app}/jobs/{run_id}/SPARK_DRIVER/stdout.gz" in err

    base = f"emr/logs/applications/{app}/jobs/{run_id}/SPARK_DRIVER"
    s3.put_object(Bucket=BUCKET, Key=f"{base}/stdout.gz", Body=gzip.compress(b"Loaded 3 file(s)\n"))
    s3.put_object(Bucket=BUCKET, Key=f"{base}/stderr.gz", Body=gzip.compress(b"WARN spark\nINFO done"))
    code, out, err = run_cli(capsys, "emr", "--config", config, "logs", run_id)
    assert code == 0 and out == "Loaded 3 file(s)\nWARN spark\nINFO done\n"
    assert f"==> s3://{BUCKET}/{base}/stderr.gz <==" in err
    code, out, _ = run_cli(capsys, "emr", "--config", config, "logs", run_id, "--stream", "stdout")
    assert code == 0 and out == "Loaded 3 file(s)\n"

    code, out, _ = run_cli(capsys, "emr", "--config", config, "cancel", run_id)
    assert (code, out) == (0, f"{run_id} CANCELLED\n")
    assert emr.get_job_run(applicationId=app, jobRunId=run_id)["jobRun"]["state"] == "CANCELLED"
    code, out, err = run_cli(capsys, "emr", "--config", config, "--poll-interval", "0", "watch", run_id)
    assert code == 1 and out.splitlines()[-1] == f"{run_id} CANCELLED"

    code, out, err = run_cli(capsys, "emr", "--config", config, "watch", "nosuchrun0000000")
    assert (code, out) == (1, "")
    assert f"error: no job run nosuchrun0000000 in application {app}" in err and "Traceback" not in err


@pytest.mark.integration
def test_watch_running_then_failed_shows_state_details_and_the_driver_stderr(
    moto, packaged, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """GetJobRun answers SUBMITTED, RUNNING, RUNNING (throttled once), FAILED; S3 (moto) holds the driver stderr."""
    data = config_data("00fabcdefghij123")
    config = write_config(packaged["config"].parent / "stubbed.yaml", data)
    base = "emr/logs/applications/00fabcdefghij123/jobs/00run00run00run0/SPARK_DRIVER"
    stderr = "\n".join(f"line {i}" for i in range(50)) + "\nValueError: counts do not reconcile\n"
    moto["s3"].put_object(Bucket=BUCKET, Key=f"{base}/stderr.gz", Body=gzip.compress(stderr.encode()))

    client = _client()
    ids = {"applicationId": "00fabcdefghij123", "jobRunId": "00run00run00run0"}
    monkeypatch.setattr(emr_cli, "make_clients", lambda _config: (client, moto["s3"]))
    monkeypatch.setattr(emr_jobs.Retry, "sleep", staticmethod(lambda _s: None))
    with Stubber(client) as stub:
        stub.add_response("get_job_run", _run("SUBMITTED"), expected_params=ids)  # the id exists
        stub.add_response("get_dashboard_for_job_run", {"url": "https://spark-ui.example/run"}, expected_params=ids)
        stub.add_response("get_job_run", _run("SUBMITTED"), expected_params=ids)
        stub.add_response("get_job_run", _run("RUNNING"), expected_params=ids)
        stub.add_client_error("get_job_run", "ThrottlingException", "Rate exceeded", 400, expected_params=ids)
        stub.add_response("get_job_run", _run("RUNNING"), expected_params=ids)
        stub.add_response("get_job_run", _run("FAILED", "Job failed, please check complete logs"), expected_params=ids)
        code, out, err = run_cli(
            capsys, "emr", "--config", str(config), "--poll-interval", "0", "watch", ids["jobRunId"]
        )
        stub.assert_no_pending_responses()
    assert code == 1
    assert out == "dashboard: https://spark-ui.example/run\n00run00run00run0 FAILED\n"
    states = [line.split(": ")[1].split(" after ")[0] for line in err.splitlines() if line.startswith("job run ")]
    assert states == ["SUBMITTED", "RUNNING", "FAILED"]
    assert "get_job_run: ThrottlingException, retry 1 of 5" in err
    assert "error: job run 00run00run00run0 FAILED: Job failed, please check complete logs" in err
    assert f"last 30 lines of s3://{BUCKET}/{base}/stderr.gz:" in err
    assert "ValueError: counts do not reconcile" in err and "\nline 21\n" in err and "line 20\n" not in err
    assert "the driver's whole log: optlake emr logs 00run00run00run0" in err

    # No GetDashboardForJobRun (moto, old botocore): the console page and a note instead.
    with Stubber(client) as stub:
        stub.add_response("get_job_run", _run("SUCCESS"), expected_params=ids)
        stub.add_client_error("get_dashboard_for_job_run", "UnknownOperationException", "not implemented", 404)
        stub.add_response("get_job_run", _run("SUCCESS"), expected_params=ids)
        code, out, err = run_cli(
            capsys, "emr", "--config", str(config), "--poll-interval", "0", "watch", ids["jobRunId"]
        )
    assert code == 0
    assert (
        out.splitlines()[0]
        == f"dashboard: https://{REGION}.console.aws.amazon.com/emr/home?region={REGION}#/serverless"
    )
    assert "note: GetDashboardForJobRun failed (not implemented)" in err
