#!/usr/bin/env bash
# The browser tests' system packages, from Debian: a headless Chromium (chromium-headless-shell) that
# renders `optlake report`'s page and the dbt docs site, and fonts for its text. Installs only what is
# missing; `make browser-deps` and `make test` run it.
set -euo pipefail

need=()
command -v chromium-headless-shell >/dev/null 2>&1 || need+=(chromium-headless-shell)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
[ "${#need[@]}" -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install as root: apt-get install -y ${need[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "installing Debian packages for the browser tests: ${need[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
