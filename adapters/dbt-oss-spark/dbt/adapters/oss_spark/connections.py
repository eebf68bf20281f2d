"""Credentials and connection manager: dbt-spark's, under the adapter type `oss_spark`."""

from dbt.adapters.spark.connections import SparkConnectionManager, SparkCredentials


class OssSparkCredentials(SparkCredentials):
    @property
    def type(self) -> str:
        return "oss_spark"


class OssSparkConnectionManager(SparkConnectionManager):
    TYPE = "oss_spark"
