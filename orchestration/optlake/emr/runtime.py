"""What the entry point runs on EMR: the optlake CLI with Spark from spark-submit's configuration.

On EMR the Spark settings (Glue catalog, S3 warehouse, resources) come from the job run's
sparkSubmitParameters. optlake's own `get_spark` renders the local/thrift targets of profiles.yml
(local master, Derby metastore), so it is replaced here by `cluster_spark`, which takes the session
spark-submit configured and adds nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from optlake.settings import Settings


def cluster_spark(settings: Settings, app_name: str = "optlake") -> SparkSession:
    """The session of this spark-submit (its --conf settings), with the schema created if missing."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName(app_name).enableHiveSupport().getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    spark.sql(f"create database if not exists {settings.schema}")
    return spark


def install() -> None:
    """Make optlake's Spark commands use `cluster_spark`."""
    from optlake.targets import spark_session

    spark_session.get_spark = cluster_spark


def run(argv: list[str]) -> int:
    """``optlake <argv>`` with the cluster's Spark session."""
    from optlake import cli

    install()
    return cli.main(argv)
