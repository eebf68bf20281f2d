"""The embedded Spark session, configured from the `local` or `thrift` target of profiles.yml.

profiles.yml is the one place that holds the Spark + Iceberg settings: dbt's `session` method reads
them as `server_side_parameters` (local), the oss_spark plugin as `session_parameters` (thrift), and
the optlake CLI renders the same block here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import yaml

from optlake.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PROFILE_NAME = "optlake"


#: The profiles.yml targets whose Spark settings the optlake CLI can start a session from.
SPARK_TARGETS = ("local", "thrift")


def render_value(text: str, env: dict[str, str]) -> str:
    """Render one profiles.yml value the way dbt does for the `env_var(name, default)` calls in it."""

    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        if default is None:
            raise KeyError(f"profiles.yml needs environment variable {name}")
        return default

    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return jinja.from_string(text).render(env_var=env_var)


def embedded_session_settings(profiles_text: str, target: str, env: dict[str, str]) -> dict[str, str]:
    """The Spark settings of an embedded session for one target, rendered.

    `local` keeps them in server_side_parameters (dbt-spark's `session` method); `thrift` in
    session_parameters (the oss_spark plugin: its server_side_parameters go to the Thrift server).
    Only this target's values are rendered, so other targets' environment variables are not needed.
    """
    if target not in SPARK_TARGETS:
        raise ValueError(
            f"target {target!r} has no embedded Spark session: optlake's Spark commands run on "
            f"{' or '.join(SPARK_TARGETS)} (on athena, Bronze is written by the Spark job on EMR)"
        )
    output = yaml.safe_load(profiles_text)[PROFILE_NAME]["outputs"][target]
    settings = output.get("session_parameters") or output.get("server_side_parameters") or {}
    return {str(key): render_value(str(value), env) for key, value in settings.items()}


def spark_conf(settings: Settings, target: str | None = None) -> dict[str, str]:
    """The Spark configuration of one profiles.yml target (default: the settings' target)."""
    env = {**os.environ, **settings.dbt_env()}
    text = (settings.project_dir / "profiles.yml").read_text()
    return embedded_session_settings(text, target or settings.target, env)


def get_spark(settings: Settings, app_name: str = "optlake") -> SparkSession:
    """Start (or return the running) embedded Spark session on the project warehouse."""
    from pyspark.sql import SparkSession

    conf = spark_conf(settings)
    Path(conf["spark.sql.warehouse.dir"]).mkdir(parents=True, exist_ok=True)
    # Python workers (the indicator models' pandas UDFs) run this interpreter: it has the packages.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.config("spark.app.name", app_name).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.sql(f"create database if not exists {settings.schema}")
    return spark
