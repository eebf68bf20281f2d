"""Credentials and connection manager: dbt-spark's, under the adapter type `oss_spark`."""

from dataclasses import dataclass, field
from typing import Any

from dbt.adapters.spark.connections import SparkConnectionManager, SparkCredentials


@dataclass
class OssSparkCredentials(SparkCredentials):
    # Spark settings of the embedded session that runs Python models when SQL goes elsewhere
    # (method: thrift). dbt-spark sends server_side_parameters to the Thrift server as session
    # settings, so the embedded session's settings (master, catalog, metastore) need their own key.
    session_parameters: dict[str, str] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return "oss_spark"

    def embedded_session_parameters(self) -> dict[str, str]:
        """What a Python model's Spark session is built with: session_parameters, else server_side_parameters."""
        if not self.session_parameters:
            return dict(self.server_side_parameters)
        parameters = {str(key): str(value) for key, value in self.session_parameters.items()}
        parameters["spark.sql.ansi.enabled"] = "false"  # as dbt-spark sets for its own sessions
        return parameters


class OssSparkConnectionManager(SparkConnectionManager):
    TYPE = "oss_spark"

    @classmethod
    def get_result_from_cursor(cls, cursor: Any, limit: int | None) -> Any:
        # Through the Thrift server, a statement without a result set (CREATE VIEW, which dbt's
        # unit-test materialization runs with run_query) answers with a one-column `Result`
        # description but no column data, and PyHive's fetch fails with "'NoneType' object is not
        # iterable" (dbt-labs/dbt-adapters#481). That answer is an empty result.
        try:
            return super().get_result_from_cursor(cursor, limit)
        except TypeError as error:
            if "'NoneType' object is not iterable" not in str(error):
                raise
            from dbt_common.clients.agate_helper import table_from_data_flat

            return table_from_data_flat([], [column[0] for column in cursor.description or []])
