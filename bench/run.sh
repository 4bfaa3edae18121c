#!/usr/bin/env bash
# Runs the HTTP benchmark. Installs the bench's own dependencies (autocannon and the peers) on first use.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
if [ ! -d bench/node_modules ]; then
  echo "[bench] installing bench dependencies (npm ci --prefix bench)" >&2
  npm ci --prefix bench --engine-strict=false --no-audit --no-fund --loglevel=error >/dev/null
fi
exec node bench/http.mjs
