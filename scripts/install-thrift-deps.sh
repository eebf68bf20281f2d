#!/usr/bin/env bash
# The thrift target's system packages, from Debian: the PostgreSQL server (the Hive metastore's
# database) and its JDBC driver. Installs only what is missing; `make thrift-deps` and `make test` run it.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -f /usr/share/java/postgresql.jar ] || need+=(libpostgresql-jdbc-java)
[ "${#need[@]}" -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install as root: apt-get install -y ${need[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "installing Debian packages for the thrift target: ${need[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
