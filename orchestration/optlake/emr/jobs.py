"""EMR Serverless job runs: the StartJobRun request, watching, the driver's log, cancelling.

Every API call goes through `Retry`: throttling and server-side errors are retried with exponential
backoff and jitter (the clients are made with botocore's own retries off, so there is one policy).
"""

from __future__ import annotations

import gzip
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from optlake.emr.config import LOCATION_MODES, EmrConfig
from optlake.emr.package import Manifest, split_s3

log = logging.getLogger(__name__)

TERMINAL = ("SUCCESS", "FAILED", "CANCELLED")
#: Error codes worth another attempt (HTTP 5xx are retried too).
RETRYABLE = {
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ServiceUnavailableException",
    "InternalServerException",
    "RequestTimeout",
}
#: The environment archive and the project archive, as extracted in each container's working folder.
ENVIRONMENT, PROJECT = "environment", "project"
PYTHON = f"./{ENVIRONMENT}/bin/python3"
DRIVER_STREAMS = ("stdout", "stderr")


class JobError(RuntimeError):
    """A job run could not be found or read (reported as `error: ...`)."""


@dataclass
class Retry:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0
    sleep: Callable[[float], None] = time.sleep

    def __call__(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        for attempt in range(1, self.attempts + 1):
            try:
                return fn(**kwargs)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
                if attempt == self.attempts or not (code in RETRYABLE or status >= 500):
                    raise
                delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
                log.warning(
                    "%s: %s, retry %d of %d in %.1f s", fn.__name__, code or status, attempt, self.attempts - 1, delay
                )
                self.sleep(delay)
        raise AssertionError("unreachable")


def spark_submit_parameters(config: EmrConfig, mode: str, manifest: Manifest) -> str:
    """The job's sparkSubmitParameters: archives, Python, driver environment, resources, Spark conf.

    Later settings win: the common spark_conf, then the mode's resources, then the mode's spark_conf.
    """
    spec = config.mode(mode)
    env = {**config.env, **spec.env}
    conf: dict[str, str] = {
        "spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON": PYTHON,
        "spark.emr-serverless.driverEnv.PYSPARK_PYTHON": PYTHON,
        "spark.executorEnv.PYSPARK_PYTHON": PYTHON,
        # Python workers unpickle functions of optlake modules: the project's code on their path.
        "spark.executorEnv.PYTHONPATH": f"./{PROJECT}/orchestration",
        **{f"spark.emr-serverless.driverEnv.{k}": v for k, v in env.items()},
        **config.spark_conf,
        **spec.resources.spark_conf(),
        **spec.spark_conf,
    }
    archives = f"{manifest.venv_archive}#{ENVIRONMENT},{manifest.project_archive}#{PROJECT}"
    return " ".join([f"--archives {archives}", *(f"--conf {k}={v}" for k, v in conf.items())])


def job_run_request(
    config: EmrConfig,
    mode: str,
    arguments: list[str],
    manifest: Manifest,
    name: str | None = None,
    client_token: str | None = None,
) -> dict[str, Any]:
    """The StartJobRun request of ``optlake <mode> <arguments>`` (the mode's defaults when none)."""
    spec = config.mode(mode)
    arguments = list(arguments) or list(spec.arguments)
    if mode in LOCATION_MODES and (not arguments or arguments[0].startswith("-")):
        raise ValueError(
            f"mode {mode} needs a LOCATION (s3://bucket/landing/): give it after the mode, or set "
            f"modes.{mode}.arguments in {config.path}"
        )
    return {
        "applicationId": config.application_id,
        # Idempotency: a retried StartJobRun with the same token starts one job run.
        "clientToken": client_token or str(uuid.uuid4()),
        "name": name or f"optlake-{mode}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}",
        "executionRoleArn": config.execution_role_arn,
        "executionTimeoutMinutes": spec.timeout_minutes,
        "jobDriver": {
            "sparkSubmit": {
                "entryPoint": manifest.entry_point,
                "entryPointArguments": [mode, *arguments],
                "sparkSubmitParameters": spark_submit_parameters(config, mode, manifest),
            }
        },
        "configurationOverrides": {
            "monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": config.logs_uri}}
        },
        "tags": {"project": "optlake", "mode": mode, "version": manifest.version},
    }


def driver_log_uri(log_uri: str, application_id: str, run_id: str, stream: str) -> str:
    """Where EMR Serverless puts the driver's stdout or stderr under the job's logUri."""
    return f"{log_uri.rstrip('/')}/applications/{application_id}/jobs/{run_id}/SPARK_DRIVER/{stream}.gz"


def console_url(region: str) -> str:
    """The EMR Serverless page of the console (the application's job runs are under it)."""
    return f"https://{region}.console.aws.amazon.com/emr/home?region={region}#/serverless"


def _elapsed(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Jobs:
    """The job runs of one EMR Serverless application."""

    def __init__(
        self,
        emr,
        s3,
        config: EmrConfig,
        *,
        retry: Retry | None = None,
        poll_interval: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.emr = emr
        self.s3 = s3
        self.config = config
        self.retry = retry or Retry()
        self.poll_interval = poll_interval
        self.clock = clock

    @property
    def app(self) -> str:
        return self.config.application_id

    def start(self, request: dict[str, Any]) -> str:
        """Start the job run; its id."""
        response = self.retry(self.emr.start_job_run, **request)
        return response["jobRunId"]

    def get(self, run_id: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        try:
            return self.retry(self.emr.get_job_run, applicationId=self.app, jobRunId=run_id)["jobRun"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise JobError(f"no job run {run_id} in application {self.app}") from exc
            raise

    def watch(self, run_id: str) -> dict[str, Any]:
        """Poll until the job run ends; one progress line per state change. The last GetJobRun answer."""
        started = self.clock()
        last = None
        while True:
            run = self.get(run_id)
            state = run["state"]
            if state != last:
                log.info(
                    "job run %s (%s): %s after %s", run_id, run.get("name", ""), state, _elapsed(self.clock() - started)
                )
                last = state
            if state in TERMINAL:
                return run
            self.retry.sleep(self.poll_interval)

    def dashboard(self, run_id: str) -> tuple[str, str | None]:
        """(URL, note): the live Spark UI from GetDashboardForJobRun, else the console page and why."""
        try:
            response = self.retry(self.emr.get_dashboard_for_job_run, applicationId=self.app, jobRunId=run_id)
            return response["url"], None
        except Exception as exc:  # moto and older botocore do not have it; the URL is a convenience
            reason = getattr(exc, "response", {}).get("Error", {}).get("Message") or type(exc).__name__
            note = (
                f"GetDashboardForJobRun failed ({reason}): this is the console's EMR Serverless page; "
                f"open application {self.app}, job run {run_id}"
            )
            return console_url(self.config.region), note

    def cancel(self, run_id: str) -> str:
        """Cancel the job run; its state afterwards."""
        self.get(run_id)
        self.retry(self.emr.cancel_job_run, applicationId=self.app, jobRunId=run_id)
        return self.get(run_id)["state"]

    def log_uri(self, run: dict[str, Any]) -> str:
        """The job run's own logUri (the config's when the run has none)."""
        overrides = run.get("configurationOverrides") or {}
        s3 = (overrides.get("monitoringConfiguration") or {}).get("s3MonitoringConfiguration") or {}
        return s3.get("logUri") or self.config.logs_uri

    def driver_log(self, run_id: str, stream: str, run: dict[str, Any] | None = None) -> tuple[str, str | None]:
        """(S3 URI, text) of the driver's stdout or stderr; text None when the object is not there (yet)."""
        from botocore.exceptions import ClientError

        run = run or self.get(run_id)
        uri = driver_log_uri(self.log_uri(run), self.app, run_id, stream)
        bucket, key = split_s3(uri)
        try:
            body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()  # botocore retries S3
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return uri, None
            raise
        return uri, gzip.decompress(body).decode("utf-8", errors="replace")


def clients(config: EmrConfig):
    """(emr-serverless, s3) boto3 clients in the config's region (endpoints from AWS_ENDPOINT_URL*)."""
    import boto3
    from botocore.config import Config

    emr = boto3.client("emr-serverless", region_name=config.region, config=Config(retries={"total_max_attempts": 1}))
    s3 = boto3.client("s3", region_name=config.region, config=Config(retries={"mode": "standard", "max_attempts": 5}))
    return emr, s3
