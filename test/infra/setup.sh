#!/usr/bin/env bash
# Installs what the tests need and is missing on this machine; `npm test` runs it before vitest.
# The HTTP runtime's tests need only Node >= 20.6 and the npm packages `npm ci` installed.
set -euo pipefail
major=$(node -p 'process.versions.node.split(".")[0]')
minor=$(node -p 'process.versions.node.split(".")[1]')
if (( major < 20 || (major == 20 && minor < 6) )); then
  echo "test setup: Node >= 20.6 is needed (module.register for TypeScript handlers), found $(node -v)" >&2
  exit 1
fi
echo "test setup: node $(node -v), nothing else to install"
