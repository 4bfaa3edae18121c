#!/usr/bin/env bash
# Runs the benchmarks side by side with their peers: HTTP first, then the triggers (Kafka, JetStream)
# and the init-builder, each script writing its table to bench/results/. BENCH_ONLY=http,kafka runs some.
# Installs the bench's own dependencies (autocannon and the peers) on first use.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
if [ ! -d bench/node_modules ] || [ bench/package.json -nt bench/node_modules ]; then
  echo "[bench] installing bench dependencies (npm install --prefix bench)" >&2
  npm install --prefix bench --engine-strict=false --no-audit --no-fund --loglevel=error >/dev/null
  touch bench/node_modules
fi
only=",${BENCH_ONLY:-http,kafka,jetstream,build},"
for name in http kafka jetstream build; do
  [[ "$only" == *",$name,"* ]] || continue
  [ -f "bench/$name.mjs" ] || continue
  echo "[bench] $name" >&2
  node "bench/$name.mjs"
done
