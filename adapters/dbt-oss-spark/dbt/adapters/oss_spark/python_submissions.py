"""Run a compiled dbt Python model in this process's Spark session.

The session is the one dbt's `session` connection method started (same builder, same
server_side_parameters, so `getOrCreate` returns it). With method `thrift` the SQL runs on the Thrift
server and the first Python model starts an embedded session from the profile's
`session_parameters`, which point at the same metastore (PostgreSQL) and warehouse as the server.
"""

from typing import Any

from dbt.adapters.base import PythonJobHelper
from dbt_common.exceptions import DbtRuntimeError

from dbt.adapters.oss_spark.connections import OssSparkCredentials


def spark_session(server_side_parameters: dict[str, str]) -> Any:
    """The running Spark session, or a new one configured like dbt-spark's `session` method."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in server_side_parameters.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


class SessionPythonJobHelper(PythonJobHelper):
    def __init__(self, parsed_model: dict, credentials: OssSparkCredentials) -> None:
        self.model_name = f"{parsed_model['schema']}.{parsed_model['alias']}"
        self.credentials = credentials

    def submit(self, compiled_code: str) -> None:
        spark = spark_session(self.credentials.embedded_session_parameters())
        # The materialization's Jinja indents the first line; Python does not accept that.
        code = compile(compiled_code.lstrip(), f"<dbt python model {self.model_name}>", "exec")
        try:
            exec(code, {"spark": spark, "__name__": "__dbt_python_model__"})
        except Exception as error:  # surface the model's own error, with its name, to dbt
            raise DbtRuntimeError(f"Python model {self.model_name} failed: {type(error).__name__}: {error}") from error
