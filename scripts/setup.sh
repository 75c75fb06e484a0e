#!/usr/bin/env bash
# Installs what ipkeeper needs on a fresh Debian machine: node modules (better-sqlite3 builds from source),
# and for the test suite the real etcd, Debian's CNI plugins, podman, buildah, busybox-static and the
# one-node Kubernetes cluster. Safe to run again; does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
if [ "${1:-}" = "--test" ]; then
  command -v etcd >/dev/null 2>&1 || need_apt+=(etcd-server)
  [ -x /usr/lib/cni/bridge ] || need_apt+=(containernetworking-plugins)
  command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
  command -v ping >/dev/null 2>&1 || need_apt+=(iputils-ping)
  # podman as a real runtime (test/podman), buildah and busybox-static for images built from scratch.
  for tool in podman buildah runc; do command -v "$tool" >/dev/null 2>&1 || need_apt+=("$tool"); done
  dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || need_apt+=(busybox-static)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${need_apt[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    # Other set-ups may hold dpkg's lock on a shared machine: wait for it instead of failing.
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing ${need_apt[*]} (run as root, or: sudo apt-get install -y ${need_apt[*]}); tests that need them are skipped" >&2
  fi
fi
# The real Kubernetes test cluster (scripts/k8s/build.sh): Debian's node packages, the Kubernetes binaries
# built from Debian's source and the test images, all cached outside the repository (a repeat takes a
# second; a fresh machine ~5 minutes of build). IPKEEPER_K8S=skip leaves it out (its suites then skip).
if [ "${1:-}" = "--test" ] && [ "${IPKEEPER_K8S:-}" != "skip" ]; then
  if [ "$(id -u)" = 0 ]; then
    bash scripts/k8s/build.sh
  else
    echo "setup: the Kubernetes test cluster needs root to build (sudo bash scripts/k8s/build.sh); its suites are skipped" >&2
  fi
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
