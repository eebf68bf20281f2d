"""Put the Iceberg Spark runtime on PySpark's class path (run once by `make`, after pip install).

The jar comes from the pinned PyPI package snowpark-connect-deps-iceberg (see DESIGN.md: the runtime
is not on Maven here). Copying it into pyspark/jars makes every Spark started from this venv (dbt,
the loader, spark-submit for the Thrift server) see Iceberg without per-tool settings.
"""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

ICEBERG_JAR = "iceberg-spark-runtime-3.5_2.12-1.9.2.jar"


def source_jar() -> Path:
    return Path(str(resources.files("snowpark_connect_deps_iceberg") / "jars" / ICEBERG_JAR))


def pyspark_jars_dir() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "jars"


def install() -> Path:
    source = source_jar()
    if not source.is_file():
        raise FileNotFoundError(f"{source} not found: is snowpark-connect-deps-iceberg==1.0.1 installed?")
    target = pyspark_jars_dir() / ICEBERG_JAR
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        shutil.copyfile(source, target)
    return target


if __name__ == "__main__":
    print(f"Iceberg runtime: {install()}")
    sys.exit(0)
