#!/usr/bin/env bash
# Assembles a minimal Node base image from this machine's own Node installation and imports it with
# `podman import`, for machines that cannot pull `node:20-bookworm-slim` from a registry.
#
# The root filesystem mirrors the official image's layout: node in /usr/local/bin, npm in
# /usr/local/lib/node_modules/npm, the shared libraries node links against (from ldd), the CA bundle,
# /bin/sh and /usr/bin/env (npm's bin shims and lifecycle scripts need them), /etc/passwd and /etc/group
# basics, and a world-writable /tmp. Prints the image tag on stdout; everything else goes to stderr.
#
# usage: images/base/build-base.sh [--force | --print-tag]
#   FNKIT_BASE_TAG   tag to create (default: localhost/fnkit/node-base:<node version>)
#   CONTAINER_ENGINE podman (default) or docker
set -euo pipefail

engine="${CONTAINER_ENGINE:-podman}"
force=0
print_tag=0
case "${1:-}" in
  --force) force=1 ;;
  --print-tag) print_tag=1 ;;
  "") ;;
  *) echo "images/base/build-base.sh: unknown argument '$1' (--force or --print-tag)" >&2; exit 2 ;;
esac

node_bin="$(readlink -f "$(command -v node)")"
node_version="$("$node_bin" -p 'process.versions.node')"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
tag="${FNKIT_BASE_TAG:-localhost/fnkit/node-base:${node_version}}"
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$print_tag" = 1 ]; then echo "$tag"; exit 0; fi

# The image records what it was made from; a different node, npm or script makes it stale.
npm_version="$(node -p "require('$npm_dir/package.json').version")"
fingerprint="$(
  {
    echo "node=$node_version npm=$npm_version"
    sha256sum "$node_bin" "$here/build-base.sh" | cut -d' ' -f1
  } | sha256sum | cut -c1-16
)"

if [ "$force" = 0 ] && existing="$("$engine" image inspect --format '{{ index .Config.Labels "dev.fnkit.fingerprint" }}' "$tag" 2>/dev/null)" \
  && [ "$existing" = "$fingerprint" ]; then
  echo "base image: $tag is up to date" >&2
  echo "$tag"
  exit 0
fi

echo "base image: assembling $tag from $node_bin (node $node_version, npm $npm_version)" >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{usr/local/bin,usr/local/lib/node_modules,usr/bin,bin,etc/ssl/certs,tmp,home}
chmod 1777 "$root/tmp"

# Copies a file with its parent directories, following symlinks (a library's soname link included).
copy_file() {
  local src="$1" dest="$root$2"
  mkdir -p "$(dirname "$dest")"
  cp -L "$src" "$dest"
}

# node, stripped of debug symbols when strip is at hand (about 12 MB less; dynamic symbols stay, so
# native addons still link).
cp -L "$node_bin" "$root/usr/local/bin/node"
if command -v strip >/dev/null; then strip "$root/usr/local/bin/node"; fi

# The shared libraries of node, sh and env, at the paths the dynamic loader looks for them.
for bin in "$node_bin" /bin/dash /usr/bin/env; do
  ldd "$bin" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | while read -r lib; do
    copy_file "$lib" "$lib"
  done
done
cp -L /bin/dash "$root/bin/sh"
cp -L /usr/bin/env "$root/usr/bin/env"

# npm without its manual pages and docs.
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
rm -rf "$root/usr/local/lib/node_modules/npm/docs" "$root/usr/local/lib/node_modules/npm/man"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

copy_file /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
node:x:1000:1000::/home/node:/bin/sh
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
node:x:1000:
EOF
echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
mkdir -p "$root/home/node" "$root/root"

"$root/usr/local/bin/node" -e '' # the copy runs on this machine at least

tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$work/rootfs.tar" .
"$engine" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_VERSION='"$node_version" \
  --change 'ENV NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt' \
  --change 'LABEL dev.fnkit.fingerprint='"$fingerprint" \
  --change 'CMD ["node"]' \
  "$work/rootfs.tar" "$tag" >&2
echo "$tag"
