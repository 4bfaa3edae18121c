#!/usr/bin/env bash
# Builds the fnkit container images from the built workspaces (`npm run build` first):
#   localhost/fnkit/runtime-node:<version>   fn-run as the entrypoint
#   localhost/fnkit/init-builder:<version>   fn-build as the entrypoint (with npm)
# (another prefix with --prefix)
# and prints their sizes.
#
# Each image's build context is a staging directory (images/.stage/<image>) holding only production
# files: the packed workspaces installed with `npm install --omit=dev`, without source maps, type
# declarations and docs. An image whose inputs (built workspaces, lockfile, Dockerfile, base image)
# have not changed since it was built is kept as it is, so running this again is quick. A workspace
# that has not been built yet is built first.
#
# usage: images/build.sh [--local-base] [--base <image>] [--prefix <repo>] [--only runtime|init-builder]
#                        [--force | --check]
#   --local-base      assemble the base image from this machine's node (images/base/build-base.sh),
#                     for machines that cannot pull from a registry
#   --base <image>    base image (default: node:20-bookworm-slim, or $FNKIT_BASE_IMAGE)
#   --prefix <repo>   tag prefix (default: localhost/fnkit, or $FNKIT_IMAGE_PREFIX); e.g. ghcr.io/fnkit
#                     gives the tags `fn-run manifest` uses by default, ready to push
#   --only <image>    build one image
#   --force           rebuild even when nothing changed
#   --check           build nothing; exit 1 naming each image that is missing or older than its inputs
#   CONTAINER_ENGINE  podman (default) or docker
set -euo pipefail

# Under `npm test`, npm exports its own settings as npm_* variables; the npm commands below read the
# configuration themselves instead, as if run from a shell.
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(npm_|INIT_CWD$)')

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
engine="${CONTAINER_ENGINE:-podman}"
base="${FNKIT_BASE_IMAGE:-node:20-bookworm-slim}"
prefix="${FNKIT_IMAGE_PREFIX:-localhost/fnkit}"
local_base=0
only=""
force=0
check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --local-base) local_base=1 ;;
    --base) base="${2:?--base needs an image}"; shift ;;
    --prefix) prefix="${2:?--prefix needs a repository, e.g. ghcr.io/fnkit}"; prefix="${prefix%/}"; shift ;;
    --only) only="${2:?--only needs runtime or init-builder}"; shift ;;
    --force) force=1 ;;
    --check) check=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "images/build.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$only" in ""|runtime|init-builder) ;; *) echo "images/build.sh: --only takes runtime or init-builder, not '$only'" >&2; exit 2 ;; esac

if ! command -v "$engine" >/dev/null; then
  echo "images/build.sh: '$engine' is not installed (bash test/infra/podman.sh installs podman)" >&2
  exit 1
fi
# One build at a time (several `npm test` runs may start together): they share the staging directory.
mkdir -p "$here/.stage"
exec 9>"$here/.stage/.lock"
flock 9

if [ "$local_base" = 1 ] && [ "$check" = 1 ]; then
  base="$(bash "$here/base/build-base.sh" --print-tag)"
elif [ "$local_base" = 1 ]; then
  base="$(bash "$here/base/build-base.sh")"
fi
base_id="$("$engine" image inspect --format '{{.Id}}' "$base" 2>/dev/null || echo "$base")"

version_of() { node -p "require('$repo/packages/$1/package.json').version"; }

# Installs the packed workspaces (and their production dependencies) into $stage/node_modules.
stage() {
  local stage="$1"; shift
  local packs="$stage.packs"
  rm -rf "$stage" "$packs"
  mkdir -p "$stage" "$packs"
  local deps=()
  for ws in "$@"; do
    local tgz
    tgz="$(cd "$repo/packages/$ws" && npm pack --silent --pack-destination "$packs" | tail -n1)"
    deps+=("\"@fnkit/$ws\": \"file:../$(basename "$packs")/$tgz\"")
  done
  local IFS=,
  printf '{ "name": "fnkit-image", "private": true, "dependencies": { %s } }\n' "${deps[*]}" >"$stage/package.json"
  # Versions come from the workspaces' ranges, taken from the npm cache when it has them.
  (cd "$stage" && npm install --omit=dev --install-links --prefer-offline --no-audit --no-fund \
    --no-package-lock --loglevel=error >/dev/null)
  rm -rf "$packs"
  # Only what runs: no source maps, type declarations or docs.
  find "$stage/node_modules" -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.cts' -o -name '*.d.mts' \
    -o -iname '*.md' -o -iname 'CHANGELOG*' \) -delete
}

# A hash of everything that goes into an image, taken before staging so an unchanged image costs
# nothing: the workspaces' built files and manifests, the lockfile, the Dockerfile, this script and
# the base image.
fingerprint() {
  local dockerfile="$1"; shift
  {
    for ws in "$@"; do
      (cd "$repo/packages/$ws" && find dist bin package.json -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum)
    done
    cat "$repo/package-lock.json" "$dockerfile" "$here/build.sh" | sha256sum
    echo "$base_id"
  } | sha256sum | cut -c1-16
}

build_image() {
  local name="$1" dockerfile="$2" tag="$3"; shift 3
  local stage="$here/.stage/$name"
  for ws in "$@"; do
    if [ "$check" = 0 ] && [ ! -f "$repo/packages/$ws/dist/cli.js" ] && [ ! -f "$repo/packages/$ws/dist/index.js" ]; then
      echo "images: packages/$ws is not built; building it" >&2
      (cd "$repo" && npm run build -w "packages/$ws" >&2)
    fi
  done
  local fp existing
  fp="$(fingerprint "$dockerfile" "$@")"
  existing="$("$engine" image inspect --format '{{ index .Config.Labels "dev.fnkit.fingerprint" }}' "$tag" 2>/dev/null || true)"
  if [ "$force" = 0 ] && [ "$existing" = "$fp" ]; then
    echo "images: $tag is up to date" >&2
    return
  fi
  if [ "$check" = 1 ]; then
    if [ -z "$existing" ]; then echo "images: $tag is missing" >&2; else echo "images: $tag is older than its inputs" >&2; fi
    stale=1
    return
  fi
  echo "images: staging $name" >&2
  stage "$stage" "$@"
  echo "images: building $tag from $base" >&2
  # The Dockerfiles run at most one exec-form command (the runtime image remakes fn-run's code cache
  # with its node), so the build needs neither network nor a shell in the base.
  "$engine" build -f "$dockerfile" --build-arg "BASE_IMAGE=$base" \
    --label "dev.fnkit.fingerprint=$fp" -t "$tag" "$stage" >&2
}

stale=0
runtime_tag="$prefix/runtime-node:$(version_of runtime-node)"
builder_tag="$prefix/init-builder:$(version_of init-builder)"
if [ -z "$only" ] || [ "$only" = runtime ]; then
  build_image runtime "$here/runtime/Dockerfile" "$runtime_tag" sdk runtime-node
fi
if [ -z "$only" ] || [ "$only" = init-builder ]; then
  build_image init-builder "$here/init-builder/Dockerfile" "$builder_tag" init-builder
fi

if [ "$check" = 1 ]; then
  [ "$stale" = 0 ] || echo "images: run \`npm run build && bash test/infra/podman.sh\` (or images/build.sh) to build them" >&2
  exit "$stale"
fi

# Earlier builds of these images, now untagged.
"$engine" image prune -f --filter label=dev.fnkit.fingerprint >/dev/null 2>&1 || true

echo "images (base $base):"
"$engine" image inspect --format '{{.Size}}' "$base" | awk -v t="$base" '{ printf "  %-45s %6.1f MB\n", t, $1 / 1e6 }'
for tag in "$runtime_tag" "$builder_tag"; do
  if size="$("$engine" image inspect --format '{{.Size}}' "$tag" 2>/dev/null)"; then
    printf '  %-45s %6.1f MB\n' "$tag" "$(awk -v s="$size" 'BEGIN { print s / 1e6 }')"
  fi
done
