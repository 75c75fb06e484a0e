#!/usr/bin/env bash
# Builds the Kubernetes binaries the cluster tests run (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet) from Debian's source package `kubernetes` with Debian's Go, and installs the
# Debian packages a node needs (containerd, runc, buildah, busybox-static, ...). No registry here ships
# Kubernetes binaries, so this recipe builds Debian's package; nothing fetched or built lands in the
# repository. The binaries are cached in ${IPKEEPER_K8S_CACHE:-/var/cache/ipkeeper/k8s}/bin with a stamp
# recording the source version and this recipe's hash: a second run is instant, a changed recipe rebuilds.
# Then builds the test images (scripts/k8s/images.sh), cached the same way.
#
# Usage: scripts/k8s/build.sh [--force]   (root; see docs/testing.md)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${IPKEEPER_K8S_CACHE:-/var/cache/ipkeeper/k8s}"
# The bookworm source: 1.20.2 upstream, the full tree with vendor/. Pinned (it is part of the recipe's
# hash, so the cache check needs no network); if the archive no longer has it, the version it has is built
# and recorded in the stamp.
k8s_source_version="1.20.5+really1.20.2-1.1+deb12u1"
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubelet)
# Debian packages the build and a node need. conntrack/iptables: the kubelet's host-port and
# kube-proxy-free rules; gcc: the static pause binary; buildah: the images.
runtime_packages=(containerd runc buildah busybox-static openssl iproute2 gcc libc6-dev conntrack iptables etcd-server)
build_packages=(golang-go rsync dpkg-dev golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev)

log() { echo "k8s/build: $*" >&2; }
apt_get() {
  # Other sessions install packages on this machine too: wait for the dpkg lock instead of failing.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}
missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed || echo "$p"
  done
}
install_packages() {
  local need
  mapfile -t need < <(missing_packages "$@")
  [ ${#need[@]} -eq 0 ] && return 0
  log "installing ${need[*]}"
  apt_get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
    { apt_get update -qq && apt_get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
}

force=0
[ "${1:-}" = "--force" ] && force=1
[ "$(id -u)" = 0 ] || { log "must run as root (installs Debian packages, writes $cache)"; exit 1; }

install_packages "${runtime_packages[@]}"

# The recipe's hash: this script without comments and blank lines (editing a comment rebuilds nothing).
recipe_hash="$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$here/build.sh" | sha256sum | cut -c1-16)"
stamp_file="$cache/bin/STAMP"
have_all=1
for b in "${binaries[@]}"; do [ -x "$cache/bin/$b" ] || have_all=0; done
if [ $force = 0 ] && [ $have_all = 1 ] && grep -q " recipe=$recipe_hash\$" "$stamp_file" 2>/dev/null; then
  log "binaries up to date in $cache/bin ($(cat "$stamp_file"))"
else
  start=$SECONDS
  install_packages "${build_packages[@]}"
  # A deb-src entry of its own (never editing the machine's debian.sources), for `apt-get source`.
  src_list=/etc/apt/sources.list.d/ipkeeper-bookworm-src.sources
  if ! apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Package: kubernetes'; then
    cat >"$src_list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt_get update -qq
  fi
  if ! apt-cache showsrc kubernetes | grep -qx "Version: $k8s_source_version"; then
    k8s_source_version="$(apt-cache showsrc kubernetes | sed -n 's/^Version: //p' | sort -V | tail -n1)"
    log "warning: the pinned source version is gone from the archive; building $k8s_source_version"
  fi
  src="$cache/src"
  mkdir -p "$src"
  # The downloaded tarballs stay in $src (apt-get source skips files it already has); the unpacked tree
  # and Go's caches are removed after the build.
  rm -rf "$src"/kubernetes-*/ "$src/gocache" "$src/gopath"
  # Downloaded as root into the cache (apt's _apt sandbox user cannot write there).
  (cd "$src" && apt-get -o APT::Sandbox::User=root source -qq "kubernetes=$k8s_source_version" >/dev/null)
  tree="$(find "$src" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)"
  [ -n "$tree" ] || { log "apt-get source left no kubernetes-* tree in $src"; exit 1; }
  # The vendored reflect2 1.0.1 faults in mapiterinit under Go >= 1.18 on the first custom-resource
  # write; Debian's reflect2 1.0.2 and json-iterator 1.1.12 (which needs the newer reflect2) replace them.
  # Only the top-level, non-test .go files: that is what the vendored package consists of.
  replace_vendor() {
    local from="$1" to="$tree/vendor/$2"
    [ -d "$from" ] || { log "missing $from"; exit 1; }
    rm -rf "$to" && mkdir -p "$to"
    find "$from" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' -o -name 'LICENSE' \) ! -name '*_test.go' \
      -exec cp {} "$to/" \;
  }
  replace_vendor /usr/share/gocode/src/github.com/modern-go/reflect2 github.com/modern-go/reflect2
  replace_vendor /usr/share/gocode/src/github.com/json-iterator/go github.com/json-iterator/go
  log "building ${binaries[*]} from kubernetes $k8s_source_version ($(go version | cut -d' ' -f3)); ~5 min on 2 cores"
  what=""
  for b in "${binaries[@]}"; do what+="cmd/$b "; done
  # nice: this machine's cores are shared. GOPROXY=off: vendor/ has everything (Go uses it by default for
  # this go.mod), nothing is fetched.
  (cd "$tree" && CGO_ENABLED=0 GOPROXY=off GOCACHE="$src/gocache" \
    KUBE_VERBOSE=0 nice -n 10 make WHAT="${what% }" >"$src/build.log" 2>&1) ||
    { log "build failed; last lines of $src/build.log:"; tail -n 30 "$src/build.log" >&2; exit 1; }
  mkdir -p "$cache/bin"
  for b in "${binaries[@]}"; do
    install -m 0755 "$tree/_output/bin/$b" "$cache/bin/$b.new" && mv -f "$cache/bin/$b.new" "$cache/bin/$b"
  done
  echo "kubernetes=$k8s_source_version go=$(go env GOVERSION) recipe=$recipe_hash" >"$stamp_file"
  rm -rf "$tree" "$src/gocache"
  log "built in $((SECONDS - start)) s: $(cd "$cache/bin" && ls "${binaries[@]}" | tr '\n' ' ')"
fi

if [ -x "$here/images.sh" ]; then bash "$here/images.sh"; fi
