#!/usr/bin/env bash
# Installs the system packages the test suite needs when a fresh machine lacks them (idempotent, quiet):
# PostgreSQL (the tests start their own private server on 127.0.0.1 in a temporary directory) and Debian's
# Chromium (the dashboard's browser tests drive /usr/bin/chromium; no browser is ever downloaded).
set -euo pipefail

have_postgres() {
  command -v initdb >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}

missing=()
have_postgres || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages the tests need: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
