#!/usr/bin/env bash
# Makes podman usable for the pod test (test/integration/pod) and builds the fnkit images:
#   1. installs podman and runc with apt-get when missing;
#   2. writes /etc/containers/containers.conf (no default ulimits, cgroupfs, runc) when it differs;
#   3. assembles the local base image from this machine's node (no image registry is reachable) and
#      builds localhost/fnkit/runtime-node and localhost/fnkit/init-builder when missing or stale.
# Safe to run again: each step is skipped when already done. Run by test/infra/setup.sh (npm test)
# after `npm run build`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
  echo "podman: installing podman and runc (apt-get)"
  as_root apt-get -o DPkg::Lock::Timeout=300 update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq podman runc >/dev/null
fi

conf=/etc/containers/containers.conf
wanted='[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"'
if [ "$(cat "$conf" 2>/dev/null)" != "$wanted" ]; then
  echo "podman: writing $conf"
  as_root mkdir -p /etc/containers
  printf '%s\n' "$wanted" | as_root tee "$conf" >/dev/null
fi

echo "podman: $(podman --version)"
bash "$repo/images/build.sh" --local-base | sed 's/^/podman: /'
