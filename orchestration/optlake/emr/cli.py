"""`optlake emr package | submit MODE | watch RUN_ID | logs RUN_ID | cancel RUN_ID`."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
import tempfile
from pathlib import Path

from optlake.emr import jobs as emr_jobs
from optlake.emr.config import MODES, ConfigError, EmrConfig, default_path, load_config
from optlake.emr.package import PackageError, package, read_manifest
from optlake.settings import Settings

log = logging.getLogger(__name__)

#: Lines of the driver's stderr shown when a job run failed.
FAILED_TAIL_LINES = 30

#: The boto3 clients (emr-serverless, s3) for a config; tests replace it.
make_clients = emr_jobs.clients


def _poll_interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text}")
    return value


def _command(fn):
    """Run an emr command with its config and clients; user and AWS errors become one `error:` line."""

    @functools.wraps(fn)
    def run(args: argparse.Namespace, settings: Settings) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            config = load_config(Path(args.config) if args.config else default_path(settings.project_dir))
            emr, s3 = make_clients(config)
            jobs = emr_jobs.Jobs(emr, s3, config, poll_interval=args.poll_interval)
            return fn(args, settings, config, jobs)
        except (ConfigError, PackageError, ValueError) as exc:
            log.error("error: %s", exc)
            return 2
        except emr_jobs.JobError as exc:
            log.error("error: %s", exc)
            return 1
        except ClientError as exc:
            error = exc.response.get("Error", {})
            log.error("error: %s: %s", error.get("Code", "AWS error"), error.get("Message") or exc)
            return 1
        except BotoCoreError as exc:
            log.error("error: %s", exc)
            return 1

    return run


@_command
def cmd_package(args: argparse.Namespace, settings: Settings, config: EmrConfig, jobs: emr_jobs.Jobs) -> int:
    with tempfile.TemporaryDirectory(prefix="optlake-emr-") as workdir:
        manifest = package(jobs.s3, config.artifacts_uri, settings.project_dir, Path(workdir), args.venv_archive)
    log.info("packaged version %s: `optlake emr submit MODE` runs it", manifest.version)
    print(manifest.to_json(), end="")
    return 0


@_command
def cmd_submit(args: argparse.Namespace, settings: Settings, config: EmrConfig, jobs: emr_jobs.Jobs) -> int:
    config.mode(args.mode)  # an unknown mode fails before any AWS call
    manifest = read_manifest(jobs.s3, config.artifacts_uri, args.version)
    if manifest is None:
        what = f"version {args.version}" if args.version else "nothing"
        raise PackageError(f"{what} packaged in {config.artifacts_uri}: run `optlake emr package` first")
    request = emr_jobs.job_run_request(config, args.mode, args.arguments, manifest, name=args.name)
    run_id = jobs.start(request)
    arguments = " ".join(request["jobDriver"]["sparkSubmit"]["entryPointArguments"])
    log.info("started job run %s: optlake %s (version %s)", run_id, arguments, manifest.version)
    print(run_id)
    return _watch(jobs, run_id) if args.wait else 0


@_command
def cmd_watch(args: argparse.Namespace, settings: Settings, config: EmrConfig, jobs: emr_jobs.Jobs) -> int:
    return _watch(jobs, args.run_id)


def _watch(jobs: emr_jobs.Jobs, run_id: str) -> int:
    jobs.get(run_id)  # an unknown id fails before anything is printed
    url, note = jobs.dashboard(run_id)
    print(f"dashboard: {url}")
    if note:
        log.info("note: %s", note)
    run = jobs.watch(run_id)
    state = run["state"]
    print(f"{run_id} {state}")
    if state == "SUCCESS":
        return 0
    log.error("error: job run %s %s: %s", run_id, state, run.get("stateDetails") or "(no state details)")
    if state == "FAILED":
        uri, text = jobs.driver_log(run_id, "stderr", run)
        if text:
            tail = text.rstrip("\n").splitlines()[-FAILED_TAIL_LINES:]
            log.error("last %d lines of %s:\n%s", len(tail), uri, "\n".join(tail))
        log.error("the driver's whole log: optlake emr logs %s", run_id)
    return 1


@_command
def cmd_logs(args: argparse.Namespace, settings: Settings, config: EmrConfig, jobs: emr_jobs.Jobs) -> int:
    run = jobs.get(args.run_id)
    streams = emr_jobs.DRIVER_STREAMS if args.stream == "both" else (args.stream,)
    found = 0
    for stream in streams:
        uri, text = jobs.driver_log(args.run_id, stream, run)
        if text is None:
            log.warning("no driver %s at %s (job run %s)", stream, uri, run["state"])
            continue
        found += 1
        log.info("==> %s <==", uri)
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    if not found:
        log.error(
            "error: no driver log of job run %s yet (EMR Serverless uploads it while the driver runs)", args.run_id
        )
        return 1
    return 0


@_command
def cmd_cancel(args: argparse.Namespace, settings: Settings, config: EmrConfig, jobs: emr_jobs.Jobs) -> int:
    state = jobs.cancel(args.run_id)
    print(f"{args.run_id} {state}")
    return 0


def add_emr_parser(sub) -> argparse.ArgumentParser:
    """Add `optlake emr ...` to optlake's subcommands (``sub``: the parser's subparsers object)."""
    emr = sub.add_parser(
        "emr",
        help="run the Spark jobs on EMR Serverless: package, submit MODE, watch, logs, cancel (docs/emr.md)",
        description="Package the project for EMR Serverless, start job runs of optlake's modes with the resources "
        "of deploy/emr/emr.yaml, watch them, read the driver's log. AWS credentials and region come from the "
        "usual chain; AWS_ENDPOINT_URL points boto3 elsewhere (a test server). Runbook: docs/emr.md.",
    )
    emr.add_argument("--config", help="EMR config file (default $OPTLAKE_EMR_CONFIG or deploy/emr/emr.yaml)")
    emr.add_argument(
        "--poll-interval",
        type=_poll_interval,
        default=os.environ.get("OPTLAKE_EMR_POLL_INTERVAL", "15"),  # parsed by type=
        help="seconds between GetJobRun calls while watching (default $OPTLAKE_EMR_POLL_INTERVAL or 15)",
    )
    actions = emr.add_subparsers(dest="emr_command", required=True, metavar="ACTION")

    pk = actions.add_parser(
        "package",
        help="upload the project archive (optlake + dbt project), the entry point and the Python environment",
        description="Build project.tar.gz (the optlake package and the dbt project, reproducible), upload it with "
        "the entry point under the config's artifacts_uri as a version named by its hash, and make it current. "
        "The Python environment archive (deploy/emr/build-env.sh builds it) is uploaded once with --venv-archive "
        "and kept by later packages.",
    )
    pk.add_argument(
        "--venv-archive",
        metavar="PATH_OR_S3_URI",
        help="the Python environment archive (.tar.gz) to use from now on: a local file (uploaded once, by "
        "content) or an s3:// URI",
    )
    pk.set_defaults(func=cmd_package)

    sm = actions.add_parser(
        "submit",
        help="start a job run of `optlake MODE ARGS` with the mode's resources; prints the job run id",
        description=f"Start a job run of `optlake MODE [ARGS]` on EMR Serverless. Modes: {', '.join(MODES)} "
        "(those in the config file). Without ARGS the mode's configured arguments are used (e.g. the landing "
        "prefix). Options of submit go before MODE; everything after MODE goes to optlake.",
    )
    sm.add_argument("--wait", action="store_true", help="then watch it to the end (as `optlake emr watch`)")
    sm.add_argument("--name", help="job run name (default optlake-MODE-UTC time)")
    sm.add_argument("--version", help="packaged version to run (default: the current one)")
    sm.add_argument("mode", metavar="MODE", help=f"one of {', '.join(MODES)}")
    sm.add_argument("arguments", nargs=argparse.REMAINDER, metavar="ARGS", help="arguments of `optlake MODE`")
    sm.set_defaults(func=cmd_submit)

    wt = actions.add_parser(
        "watch",
        help="poll a job run to its end, one line per state; exit 1 unless it succeeded",
        description="Print the dashboard URL, poll the job run until SUCCESS, FAILED or CANCELLED with one line "
        "per state change, then print the final state. FAILED: the state details and the end of the driver's "
        "stderr, exit 1. CANCELLED: exit 1.",
    )
    wt.add_argument("run_id", metavar="RUN_ID")
    wt.set_defaults(func=cmd_watch)

    lg = actions.add_parser("logs", help="print the driver's stdout and stderr from the job run's S3 log location")
    lg.add_argument("run_id", metavar="RUN_ID")
    lg.add_argument("--stream", choices=("stdout", "stderr", "both"), default="both", help="default both")
    lg.set_defaults(func=cmd_logs)

    cn = actions.add_parser("cancel", help="cancel a job run")
    cn.add_argument("run_id", metavar="RUN_ID")
    cn.set_defaults(func=cmd_cancel)
    return emr
