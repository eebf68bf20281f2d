#!/usr/bin/env bash
# Build the Python environment archive of the EMR Serverless jobs: optlake-env.tar.gz.
#
# EMR 7.x images run Python 3.9; optlake needs 3.11. So the archive is a relocatable CPython 3.11
# (python-build-standalone, "install_only") with requirements.lock installed into it, built inside
# Amazon Linux 2023 (the OS of EMR 7.x) for the application's architecture. A job run extracts it
# as ./environment and runs ./environment/bin/python3 (sparkSubmitParameters from `optlake emr`).
# Left out: pyspark and py4j (EMR's Spark provides them) and the Iceberg runtime wheel (EMR ships
# Iceberg: spark.jars in deploy/emr/emr.yaml).
#
# Usage: deploy/emr/build-env.sh [OUT_DIR]         (default dist/emr; needs Docker and the internet)
#   ARCH=aarch64 for an ARM64 application (default x86_64)
#   PBS_RELEASE / PYTHON_VERSION: the python-build-standalone release and CPython version
# Then: optlake emr package --venv-archive dist/emr/optlake-env.tar.gz
set -euo pipefail

OUT=$(realpath -m "${1:-dist/emr}")
ARCH=${ARCH:-x86_64}
PBS_RELEASE=${PBS_RELEASE:-20241016}
PYTHON_VERSION=${PYTHON_VERSION:-3.11.10}
case "$ARCH" in
  x86_64) PLATFORM=linux/amd64 ;;
  aarch64) PLATFORM=linux/arm64 ;;
  *) echo "ARCH must be x86_64 or aarch64, got $ARCH" >&2; exit 2 ;;
esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
URL="https://github.com/astral-sh/python-build-standalone/releases/download/${PBS_RELEASE}/cpython-${PYTHON_VERSION}+${PBS_RELEASE}-${ARCH}-unknown-linux-gnu-install_only.tar.gz"
mkdir -p "$OUT"

docker run --rm --platform "$PLATFORM" -v "$ROOT/requirements.lock:/src/requirements.lock:ro" -v "$OUT:/out" \
  amazonlinux:2023 bash -euo pipefail -c "
    dnf install -y -q tar gzip >/dev/null
    curl -fsSL '$URL' | tar -xz -C /opt          # -> /opt/python/{bin,lib,...}
    grep -v -E '^(pyspark|py4j|snowpark-connect-deps-iceberg)==' /src/requirements.lock > /tmp/requirements.txt
    /opt/python/bin/python3 -m pip install --quiet --no-cache-dir --no-deps --prefer-binary \
      -r /tmp/requirements.txt
    /opt/python/bin/python3 -c 'import dbt.adapters.athena, boto3, pyarrow, pandas, yaml; print(\"imports ok\")'
    find /opt/python -name __pycache__ -prune -exec rm -rf {} +
    tar -czf /out/optlake-env.tar.gz -C /opt/python .
  "
echo "$OUT/optlake-env.tar.gz ($(du -h "$OUT/optlake-env.tar.gz" | cut -f1))"
echo "next: optlake emr package --venv-archive $OUT/optlake-env.tar.gz"
