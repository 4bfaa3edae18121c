#!/usr/bin/env bash
# Installs what the tests need and is missing on this machine, and starts the brokers the integration
# tests talk to; `npm test` runs it before vitest. Each part is its own script, safe to run again.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
major=$(node -p 'process.versions.node.split(".")[0]')
minor=$(node -p 'process.versions.node.split(".")[1]')
if (( major < 20 || (major == 20 && minor < 6) )); then
  echo "test setup: Node >= 20.6 is needed (module.register for TypeScript handlers), found $(node -v)" >&2
  exit 1
fi
echo "test setup: node $(node -v)"
for part in nats kafka podman; do
  if [ -f "$here/$part.sh" ]; then bash "$here/$part.sh"; fi
done
