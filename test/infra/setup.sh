#!/usr/bin/env bash
# Installs what the tests need and is missing on this machine (run by `npm test`).
set -euo pipefail
echo "test setup: nothing to install yet"
