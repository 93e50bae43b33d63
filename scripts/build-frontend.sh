#!/usr/bin/env bash
# The dashboard's front end: `install` puts the node packages of frontend/package-lock.json into
# frontend/node_modules (npm ci: exactly the lockfile); `build` bundles frontend/src with esbuild into
# src/segmentr/web/static/dist/. Called by the Makefile (`make bundle`, which `make demo` and `make test` need).
set -euo pipefail
cd "$(dirname "$0")/../frontend"

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "error: the dashboard's front end needs Node.js (>= 20) and npm, which are not installed." >&2
  echo "       On Debian: apt-get install -y nodejs npm   (then run the make command again)" >&2
  exit 1
fi

case "${1:-build}" in
  install)
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
    ;;
  build)
    node build.mjs
    ;;
  *)
    echo "usage: $0 install|build" >&2
    exit 2
    ;;
esac
