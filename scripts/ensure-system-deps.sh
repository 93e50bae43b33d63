#!/usr/bin/env bash
# Installs the system packages the test suite needs when a fresh machine lacks them:
# PostgreSQL (the tests start their own private server on 127.0.0.1 in a temporary directory).
set -euo pipefail

have_postgres() {
  command -v initdb >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}

if ! have_postgres; then
  echo "PostgreSQL server binaries missing: installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
