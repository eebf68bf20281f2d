"""dbt adapter `oss_spark`: dbt-spark, plus Python models run in the dbt process's own Spark session.

Select it with `type: oss_spark` in profiles.yml; every dbt-spark setting keeps its meaning. Macros
dispatch to `oss_spark__*` first and fall back to dbt-spark's `spark__*` versions.
"""

import os
import sys

from dbt.adapters.base import AdapterPlugin

from dbt.adapters.oss_spark.connections import OssSparkConnectionManager, OssSparkCredentials  # noqa: F401
from dbt.adapters.oss_spark.impl import OssSparkAdapter
from dbt.include import oss_spark

# Spark's Python workers (pandas UDFs of the Python models) run the interpreter dbt runs in, which
# has the project's packages; Spark's default, the first `python3` on PATH, may not.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

Plugin = AdapterPlugin(
    adapter=OssSparkAdapter,  # type: ignore[arg-type]
    credentials=OssSparkCredentials,
    include_path=oss_spark.PACKAGE_PATH,
    dependencies=["spark"],
)
