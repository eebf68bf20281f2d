#!/usr/bin/env bash
# `sqlfluff lint` of the athena target's rendering in the athena (Trino) dialect. The dbt templater
# opens the athena profile, so its AWS calls go to a moto server on loopback started here; nothing
# leaves the machine and no AWS account is needed. Run by `make lint`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

PORT=$($BIN/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$BIN/moto_server -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
MOTO=$!
trap 'kill $MOTO 2>/dev/null || true' EXIT
for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.2; done

env -u AWS_PROFILE AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  AWS_REGION=us-east-1 OPTLAKE_TARGET=athena \
  OPTLAKE_ATHENA_S3_STAGING_DIR=s3://lint-results/ OPTLAKE_ATHENA_S3_DATA_DIR=s3://lint-data/ \
  $BIN/sqlfluff lint models tests/dbt analyses --config conf/sqlfluff-athena.cfg "$@"
