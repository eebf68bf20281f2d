"""The adapter: dbt-spark's SparkAdapter with one more Python submission method, `session`."""

from dbt.adapters.__about__ import version as base_adapter_version
from dbt.adapters.base import PythonJobHelper
from dbt.adapters.base.relation import AdapterTrackingRelationInfo
from dbt.adapters.contracts.relation import RelationConfig
from dbt.adapters.spark.impl import SparkAdapter

from dbt.adapters.oss_spark.__version__ import version as adapter_version
from dbt.adapters.oss_spark.connections import OssSparkConnectionManager
from dbt.adapters.oss_spark.python_submissions import SessionPythonJobHelper


class OssSparkAdapter(SparkAdapter):
    ConnectionManager = OssSparkConnectionManager

    @classmethod
    def get_adapter_run_info(cls, config: RelationConfig) -> AdapterTrackingRelationInfo:
        # dbt's default derives the module from the class name ("OssSpark" -> "ossspark").
        return AdapterTrackingRelationInfo(
            adapter_name="oss_spark",
            base_adapter_version=base_adapter_version,
            adapter_version=adapter_version,
            model_adapter_details={},
        )

    @property
    def default_python_submission_method(self) -> str:
        return "session"

    @property
    def python_submission_helpers(self) -> dict[str, type[PythonJobHelper]]:
        return {**super().python_submission_helpers, "session": SessionPythonJobHelper}
