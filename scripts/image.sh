#!/usr/bin/env bash
# scripts/image.sh: builds the ipkeeperd OCI image from scratch with Debian's buildah (no base image can be
# pulled, and none is needed). docs/deploy.md explains the recipe; in short the image holds only:
#   /usr/bin/node          this machine's Node.js (>= 20), stripped of debug symbols, and the shared
#   /lib*/…                libraries `ldd` lists for it and for the native addons (better-sqlite3)
#   /app                   package.json, dist/ (npm run build), the production node_modules
#   /usr/local/bin/ipkeeper     the CNI plugin, bin/ipkeeper copied as one file (what the init container installs)
#   /usr/local/bin/install-cni  scripts/install-cni.sh, the init container's installer
#   /bin/busybox + links   Debian's busybox-static: the shell install-cni runs in
# Entry point: node --max-semi-space-size=4 /app/dist/daemon/main.js (the Node flag of bin/ipkeeperd, why:
# see there), default arguments --data-dir /var/lib/ipkeeper
# --socket /run/ipkeeper/ipkeeper.sock.
#
# Reproducible: every file gets timestamp 0 and the image carries no build-host label, so the same inputs
# give the same image ID. With --cache-dir the result is a docker-archive named after a hash of every
# file that goes into the image (and of this script), reused while the inputs are unchanged.
#
# Usage: scripts/image.sh [--tag NAME] [--archive FILE] [--cache-dir DIR] [--root DIR --runroot DIR] [--no-build]
#   --tag NAME       image name (default localhost/ipkeeper:VERSION, VERSION from package.json)
#   --archive FILE   also write the image to FILE as a docker-archive (podman load -i, ctr images import)
#   --cache-dir DIR  keep the archive in DIR/ipkeeper-image-KEY.tar and reuse it; the image is then only
#                    in that archive (load it), not in buildah's storage
#   --root, --runroot  buildah storage directories (default: the machine's)
#   --no-build       use dist/ and bin/ipkeeper as they are (default: npm run build first)
# The last line on stdout is the image ID, or with --cache-dir the archive's path.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '/^# Usage:/,/^# The last line/p' "$0" | sed 's/^# \{0,1\}//'; }
tag="" archive="" cache_dir="" build=1 storage=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tag | --archive | --cache-dir | --root | --runroot)
      [ $# -ge 2 ] || { echo "image.sh: $1 needs a value" >&2; exit 2; }
      case "$1" in
        --tag) tag=$2 ;;
        --archive) archive=$2 ;;
        --cache-dir) cache_dir=$2 ;;
        *) storage+=("$1" "$2") ;;
      esac
      shift 2
      ;;
    --no-build) build=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "image.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

fail() { echo "image.sh: $*" >&2; exit 1; }
command -v buildah >/dev/null || fail "needs buildah (apt-get install buildah)"
busybox=/bin/busybox
ldd "$busybox" >/dev/null 2>&1 && fail "needs a static $busybox (apt-get install busybox-static)"
[ -x "$busybox" ] || fail "needs $busybox (apt-get install busybox-static)"
node_bin=$(readlink -f "$(command -v node)")
node_major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail "needs Node.js >= 20 to copy into the image, found $("$node_bin" --version)"
version=$(node -p 'require("./package.json").version')
tag=${tag:-localhost/ipkeeper:$version}

[ "$build" = 0 ] || npm run --silent build >&2
[ -f dist/daemon/main.js ] || fail "dist/ is not built (npm run build)"
[ -e bin/ipkeeper ] || fail "bin/ipkeeper is not built (npm run build)"

stage=$(mktemp -d "${TMPDIR:-/tmp}/ipkeeper-image.XXXXXX")
ctr=""
cleanup() {
  [ -z "$ctr" ] || buildah "${storage[@]}" rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$stage"
}
trap cleanup EXIT
root=$stage/rootfs
mkdir -p "$root"/{app,bin,etc,tmp,usr/bin,usr/local/bin,var/lib/ipkeeper,run/ipkeeper}

# The application: what `node dist/daemon/main.js` loads. Each production package is copied without its
# nested node_modules (npm lists those as packages of their own), so no development package slips in.
cp package.json "$root/app/"
cp -r dist "$root/app/dist"
while read -r dir; do
  rel=${dir#"$PWD"/}
  mkdir -p "$root/app/$rel"
  tar -C "$dir" --exclude=./node_modules -cf - . | tar -C "$root/app/$rel" -xf -
done < <(npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2)
# better-sqlite3 needs only its JavaScript and the built addon at run time, not the SQLite sources (10 MB)
# or the build's intermediate files (15 MB).
sqlite=$root/app/node_modules/better-sqlite3
if [ -d "$sqlite" ]; then
  rm -rf "$sqlite/deps" "$sqlite/src" "$sqlite/build"
  mkdir -p "$sqlite/build/Release"
  cp node_modules/better-sqlite3/build/Release/better_sqlite3.node "$sqlite/build/Release/"
fi
find "$root/app/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.[cm]ts' -o -name '*.map' \
  -o \( -name '*.md' ! -iname 'licen[cs]e*' \) \) -delete
mapfile -t addons < <(find "$root/app/node_modules" -name '*.node' -type f)
for addon in "${addons[@]}"; do strip --strip-unneeded "$addon"; done

# The runtime: this machine's node, without its 12 MB of debug symbols, and the libraries it and the
# addons link (ldd's list, with the dynamic loader), at the paths ldd names.
strip -o "$root/usr/bin/node" "$node_bin"
mapfile -t libs < <(ldd "$node_bin" "${addons[@]}" | awk '/=> \//{print $3} /^\t\//{print $1}' | sort -u)
for lib in "${libs[@]}"; do cp -L --parents "$lib" "$root"; done

# The CNI plugin as one file (whatever bin/ipkeeper is: a script today, one executable later), the
# installer, and busybox for its shell.
cp -L bin/ipkeeper "$root/usr/local/bin/ipkeeper"
cp scripts/install-cni.sh "$root/usr/local/bin/install-cni"
cp "$busybox" "$root/bin/busybox"
for applet in sh cp mv rm mkdir chmod cat ls ln basename echo test; do ln -s busybox "$root/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
chmod 0755 "$root/usr/local/bin/"* "$root/usr/bin/node"
chmod 1777 "$root/tmp"
chmod -R u+rwX,go+rX,go-w "$root/app"

# The key: the name, every path, type, mode, link target and content hash of the file system, and this script.
key=$(
  {
    echo "$tag"
    sha256sum "$0" scripts/install-cni.sh | cut -d' ' -f1
    (cd "$root" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort)
    (cd "$root" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-24
)
if [ -n "$cache_dir" ]; then
  mkdir -p "$cache_dir"
  cached=$cache_dir/ipkeeper-image-$key.tar
  # One build per key at a time: test files that start together wait for the first and reuse its archive.
  exec 9>"$cache_dir/.lock"
  flock 9
  if [ -f "$cached" ]; then
    touch "$cached"
    [ -z "$archive" ] || cp "$cached" "$archive"
    echo "image.sh: reusing $cached" >&2
    echo "$cached"
    exit 0
  fi
fi

ctr=$(buildah "${storage[@]}" from scratch)
buildah "${storage[@]}" copy --chown 0:0 "$ctr" "$root" / >/dev/null
buildah "${storage[@]}" config \
  --entrypoint '["/usr/bin/node", "--max-semi-space-size=4", "/app/dist/daemon/main.js"]' \
  --cmd '["--data-dir", "/var/lib/ipkeeper", "--socket", "/run/ipkeeper/ipkeeper.sock"]' \
  --workingdir /app \
  --env NODE_ENV=production \
  --port 6780/tcp \
  --label org.opencontainers.image.title=ipkeeper \
  --label org.opencontainers.image.description="ipkeeperd, the ipkeeper IPAM daemon, and its CNI plugin" \
  --label org.opencontainers.image.version="$version" \
  --label org.opencontainers.image.licenses=Apache-2.0 \
  --label io.ipkeeper.node-version="$("$node_bin" --version)" \
  "$ctr"
id=$(buildah "${storage[@]}" commit --quiet --timestamp 0 --identity-label=false --rm "$ctr" "$tag")
ctr=""
if [ -n "$cache_dir" ]; then
  tmp=$cached.tmp.$$
  buildah "${storage[@]}" push --quiet "$tag" "docker-archive:$tmp:$tag" >&2
  mv "$tmp" "$cached"
  buildah "${storage[@]}" rmi "$tag" >/dev/null 2>&1 || true
  # Archives of older inputs are dropped after two days unused (other checkouts may still load theirs).
  find "$cache_dir" -maxdepth 1 -name 'ipkeeper-image-*.tar' -mtime +2 -delete
  [ -z "$archive" ] || cp "$cached" "$archive"
  echo "image.sh: built $tag into $cached ($(du -m "$cached" | cut -f1) MB)" >&2
  echo "$cached"
  exit 0
fi
[ -z "$archive" ] || buildah "${storage[@]}" push --quiet "$tag" "docker-archive:$archive:$tag" >&2
echo "image.sh: built $tag" >&2
echo "$id"
