"""deploy/emr/emr.yaml: where the jobs run (application, role, region, S3) and how each mode is sized.

Every mistake in the file is a ConfigError naming the file and the key, never a stack trace.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: The optlake commands a job run can be (the entry point runs ``optlake <mode> <arguments>``).
MODES = ("load", "bootstrap", "daily", "strategy", "maintenance")

#: Modes whose optlake command takes a LOCATION (landing folder or s3:// prefix) first.
LOCATION_MODES = ("load", "bootstrap", "daily")

#: EMR Serverless worker sizes: vCPUs per driver or executor.
WORKER_CORES = (1, 2, 4, 8, 16)

_APP_ID = re.compile(r"^[0-9a-z]{16}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_MEMORY = re.compile(r"^\d+g$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

DEFAULT_PATH = Path("deploy") / "emr" / "emr.yaml"


class ConfigError(ValueError):
    """A mistake in the EMR config file (a ValueError, so `optlake` reports it as `error: ...`)."""


@dataclass(frozen=True)
class Resources:
    driver_cores: int
    driver_memory: str
    executor_cores: int
    executor_memory: str
    executors: int
    max_executors: int | None = None

    def spark_conf(self) -> dict[str, str]:
        conf = {
            "spark.driver.cores": str(self.driver_cores),
            "spark.driver.memory": self.driver_memory,
            "spark.executor.cores": str(self.executor_cores),
            "spark.executor.memory": self.executor_memory,
            "spark.executor.instances": str(self.executors),
        }
        if self.max_executors is not None:
            conf["spark.dynamicAllocation.maxExecutors"] = str(self.max_executors)
        return conf


@dataclass(frozen=True)
class Mode:
    name: str
    resources: Resources
    #: Arguments used when `optlake emr submit MODE` is given none (e.g. the landing prefix).
    arguments: tuple[str, ...] = ()
    spark_conf: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    timeout_minutes: int = 720


@dataclass(frozen=True)
class EmrConfig:
    path: Path
    region: str
    application_id: str
    execution_role_arn: str
    artifacts_uri: str
    logs_uri: str
    modes: dict[str, Mode]
    spark_conf: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def mode(self, name: str) -> Mode:
        if name not in self.modes:
            raise ConfigError(f"unknown mode {name!r}: {self.path} defines {', '.join(self.modes)}")
        return self.modes[name]


def default_path(project_dir: Path, env: dict[str, str] | None = None) -> Path:
    """$OPTLAKE_EMR_CONFIG, else deploy/emr/emr.yaml of the project."""
    env = os.environ if env is None else env
    return Path(env["OPTLAKE_EMR_CONFIG"]) if env.get("OPTLAKE_EMR_CONFIG") else project_dir / DEFAULT_PATH


def load_config(path: Path) -> EmrConfig:
    """Read and check the config file."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read the EMR config {path}: {exc.strerror or exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    return parse_config(data, Path(path))


def parse_config(data: Any, path: Path) -> EmrConfig:
    """An EmrConfig from the file's parsed YAML; ConfigError on the first problem."""
    where = str(path)
    top = _mapping(data, where, "the file")
    _no_unknown(
        top,
        {
            "region",
            "application_id",
            "execution_role_arn",
            "artifacts_uri",
            "logs_uri",
            "spark_conf",
            "env",
            "modes",
        },
        where,
        "",
    )
    region = _matching(top, "region", _REGION, where, "an AWS region like us-east-1")
    app = _matching(top, "application_id", _APP_ID, where, "an EMR Serverless application id (16 characters)")
    role = _matching(top, "execution_role_arn", _ROLE_ARN, where, "an IAM role ARN arn:aws:iam::ACCOUNT:role/NAME")
    artifacts = _matching(top, "artifacts_uri", _S3_URI, where, "an s3://bucket/prefix URI")
    logs = _matching(top, "logs_uri", _S3_URI, where, "an s3://bucket/prefix URI")
    modes_data = _mapping(_required(top, "modes", where), where, "modes")
    if not modes_data:
        raise ConfigError(f"{where}: modes is empty: define at least one of {', '.join(MODES)}")
    modes = {}
    for name, body in modes_data.items():
        if name not in MODES:
            raise ConfigError(f"{where}: unknown mode {name!r} under modes: the modes are {', '.join(MODES)}")
        modes[name] = _mode(name, body, where)
    return EmrConfig(
        path=path,
        region=region,
        application_id=app,
        execution_role_arn=role,
        artifacts_uri=artifacts.rstrip("/") + "/",
        logs_uri=logs.rstrip("/") + "/",
        modes=modes,
        spark_conf=_spark_conf(top.get("spark_conf"), where, "spark_conf"),
        env=_env(top.get("env"), where, "env"),
    )


def _mode(name: str, body: Any, where: str) -> Mode:
    key = f"modes.{name}"
    body = _mapping(body, where, key)
    _no_unknown(body, {"resources", "arguments", "spark_conf", "env", "timeout_minutes"}, where, key)
    res = _mapping(_required(body, "resources", where, key), where, f"{key}.resources")
    rkey = f"{key}.resources"
    _no_unknown(
        res,
        {"driver_cores", "driver_memory", "executor_cores", "executor_memory", "executors", "max_executors"},
        where,
        rkey,
    )
    resources = Resources(
        driver_cores=_cores(res, "driver_cores", where, rkey),
        driver_memory=_memory(res, "driver_memory", where, rkey),
        executor_cores=_cores(res, "executor_cores", where, rkey),
        executor_memory=_memory(res, "executor_memory", where, rkey),
        executors=_int(res, "executors", 1, where, rkey),
        max_executors=_int(res, "max_executors", 1, where, rkey) if "max_executors" in res else None,
    )
    if resources.max_executors is not None and resources.max_executors < resources.executors:
        raise ConfigError(f"{where}: {rkey}.max_executors is less than executors ({resources.executors})")
    arguments = body.get("arguments", [])
    if not isinstance(arguments, list) or not all(isinstance(a, str | int | float) for a in arguments):
        raise ConfigError(f"{where}: {key}.arguments must be a list of strings")
    timeout = _int(body, "timeout_minutes", 5, where, key) if "timeout_minutes" in body else 720
    return Mode(
        name=name,
        resources=resources,
        arguments=tuple(str(a) for a in arguments),
        spark_conf=_spark_conf(body.get("spark_conf"), where, f"{key}.spark_conf"),
        env=_env(body.get("env"), where, f"{key}.env"),
        timeout_minutes=timeout,
    )


def _name(key: str, prefix: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _mapping(value: Any, where: str, what: str) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {what} must be a mapping of keys to values, got {type(value).__name__}")
    return value


def _required(data: dict, key: str, where: str, prefix: str = "") -> Any:
    if key not in data or data[key] is None:
        raise ConfigError(f"{where}: missing key {_name(key, prefix)}")
    return data[key]


def _no_unknown(data: dict, known: set[str], where: str, prefix: str) -> None:
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise ConfigError(f"{where}: unknown key {_name(unknown[0], prefix)} (known: {', '.join(sorted(known))})")


def _matching(data: dict, key: str, pattern: re.Pattern[str], where: str, what: str) -> str:
    value = str(_required(data, key, where))
    if not pattern.match(value):
        raise ConfigError(f"{where}: {key} must be {what}, got {value!r} (replace the placeholders)")
    return value


def _int(data: dict, key: str, minimum: int, where: str, prefix: str) -> int:
    value = _required(data, key, where, prefix)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where}: {_name(key, prefix)} must be an integer >= {minimum}, got {value!r}")
    return value


def _cores(data: dict, key: str, where: str, prefix: str) -> int:
    value = _required(data, key, where, prefix)
    if value not in WORKER_CORES or isinstance(value, bool):
        sizes = ", ".join(map(str, WORKER_CORES))
        raise ConfigError(f"{where}: {_name(key, prefix)} must be one of {sizes} (vCPUs), got {value!r}")
    return value


def _memory(data: dict, key: str, where: str, prefix: str) -> str:
    value = str(_required(data, key, where, prefix))
    if not _MEMORY.match(value):
        raise ConfigError(f"{where}: {_name(key, prefix)} must be gigabytes like 16g, got {value!r}")
    return value


def _spark_conf(value: Any, where: str, key: str) -> dict[str, str]:
    if value is None:
        return {}
    conf = {}
    for name, setting in _mapping(value, where, key).items():
        text = str(setting).lower() if isinstance(setting, bool) else str(setting)
        if not str(name).startswith("spark.") or any(c.isspace() for c in f"{name}{text}"):
            raise ConfigError(
                f"{where}: {key}: {name}={text!r}: keys start with 'spark.' and neither keys nor values may "
                "contain spaces (sparkSubmitParameters is split on whitespace)"
            )
        conf[str(name)] = text
    return conf


def _env(value: Any, where: str, key: str) -> dict[str, str]:
    if value is None:
        return {}
    env = {}
    for name, setting in _mapping(value, where, key).items():
        text = str(setting)
        if not _ENV_NAME.match(str(name)) or any(c.isspace() for c in text):
            raise ConfigError(f"{where}: {key}: {name}={text!r}: a variable name, and a value without spaces")
        env[str(name)] = text
    return env
