#!/usr/bin/env bash
# Builds the test cluster's two images from scratch (no image can be pulled here), as docker-archive files
# the node harness imports into its containerd (`ctr -n k8s.io images import`):
#   localhost/ipkeeper-test/pause:1    the static pause binary of scripts/k8s/pause.c (the sandbox image)
#   localhost/ipkeeper-test/busybox:1  Debian's busybox-static as /bin/busybox, /bin/sh and every applet
# Cached in ${IPKEEPER_K8S_CACHE:-/var/cache/ipkeeper/k8s}/images with a stamp of this recipe's hash and the
# busybox version: a second run is instant. buildah runs with a private storage root under the cache (vfs:
# no mounts) so the machine's own container storage is never touched; no step needs a runtime.
#
# Usage: scripts/k8s/images.sh [--force]   (root; scripts/k8s/build.sh installs buildah, gcc, busybox-static)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${IPKEEPER_K8S_CACHE:-/var/cache/ipkeeper/k8s}"
out="$cache/images"
log() { echo "k8s/images: $*" >&2; }

busybox_version="$(dpkg-query -W -f='${Version}' busybox-static)"
recipe="$(cat "$here/images.sh" "$here/pause.c" | sha256sum | cut -c1-16)"
stamp="recipe=$recipe busybox-static=$busybox_version"
if [ "${1:-}" != "--force" ] && [ -s "$out/pause.tar" ] && [ -s "$out/busybox.tar" ] &&
  [ "$(cat "$out/STAMP" 2>/dev/null)" = "$stamp" ]; then
  log "images up to date in $out ($stamp)"
  exit 0
fi
start=$SECONDS
mkdir -p "$out"
work="$(mktemp -d "${TMPDIR:-/tmp}/ipkeeper-k8s-images.XXXXXX")"
storage=(--root "$out/storage" --runroot "$work/run" --storage-driver vfs)
containers=()
cleanup() {
  local c
  for c in "${containers[@]}"; do buildah "${storage[@]}" rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work" "$out/storage"
}
trap cleanup EXIT

# build NAME ROOTFS-DIR ENTRYPOINT-JSON: one layer holding ROOTFS-DIR, pushed as $out/NAME.tar.
build() {
  local name="$1" rootfs="$2" entrypoint="$3" ref="localhost/ipkeeper-test/$1:1" c
  c="$(buildah "${storage[@]}" from --quiet scratch)"
  containers+=("$c")
  buildah "${storage[@]}" copy --quiet "$c" "$rootfs" / >/dev/null
  buildah "${storage[@]}" config --entrypoint "$entrypoint" --cmd '' --os linux --arch amd64 "$c"
  buildah "${storage[@]}" commit --quiet --rm "$c" "$ref" >/dev/null
  containers=("${containers[@]/$c/}")
  rm -f "$out/$name.tar.new"
  buildah "${storage[@]}" push --quiet "$ref" "docker-archive:$out/$name.tar.new:$ref"
  buildah "${storage[@]}" rmi "$ref" >/dev/null
  mv -f "$out/$name.tar.new" "$out/$name.tar"
}

mkdir -p "$work/pause"
gcc -static -Os -s -o "$work/pause/pause" "$here/pause.c"
build pause "$work/pause" '["/pause"]'

# busybox: the static binary and a symlink per applet (what `busybox --install -s` would make), so `sh`,
# `sleep`, `ip`, `cat` ... all resolve in /bin.
mkdir -p "$work/busybox/bin" "$work/busybox/tmp"
cp /bin/busybox "$work/busybox/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "$work/busybox/bin/$applet"
done
build busybox "$work/busybox" '["/bin/sh"]'

echo "$stamp" >"$out/STAMP"
log "built in $((SECONDS - start)) s: $(cd "$out" && ls -s --block-size=K pause.tar busybox.tar | tr '\n' ' ')"
