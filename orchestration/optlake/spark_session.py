"""The embedded Spark session, configured from the `local` target of profiles.yml.

profiles.yml is the one place that holds the Spark + Iceberg settings: dbt's `session` method reads
them as `server_side_parameters`, and the optlake CLI renders the same block here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import yaml

from optlake.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PROFILE_NAME = "optlake"


def render_profiles(text: str, env: dict[str, str]) -> dict:
    """Render profiles.yml the way dbt does for the `env_var(name, default)` calls it contains."""

    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        if default is None:
            raise KeyError(f"profiles.yml needs environment variable {name}")
        return default

    rendered = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(text).render(env_var=env_var)
    return yaml.safe_load(rendered)


def spark_conf(settings: Settings, target: str = "local") -> dict[str, str]:
    """The Spark configuration of one profiles.yml target, with this process's warehouse and schema."""
    env = {**os.environ, **settings.dbt_env()}
    profiles = render_profiles((settings.project_dir / "profiles.yml").read_text(), env)
    output = profiles[PROFILE_NAME]["outputs"][target]
    return {str(k): str(v) for k, v in output.get("server_side_parameters", {}).items()}


def get_spark(settings: Settings, app_name: str = "optlake") -> "SparkSession":
    """Start (or return the running) embedded Spark session on the project warehouse."""
    from pyspark.sql import SparkSession

    Path(settings.warehouse).mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in spark_conf(settings).items():
        builder = builder.config(key, value)
    spark = builder.config("spark.app.name", app_name).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.sql(f"create database if not exists {settings.schema}")
    return spark
