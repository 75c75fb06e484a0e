#!/bin/sh
# install-cni: puts the ipkeeper CNI plugin and a network config onto a node, and takes exactly those two
# files away again. It runs in the daemon image (busybox sh): as the DaemonSet's init container
# (deploy/base/daemonset.yaml), or by hand with the node's directories mounted in.
#
#   install-cni [install]   copy /usr/local/bin/ipkeeper to CNI_BIN_DIR/ipkeeper, then CNI_CONF_SOURCE to
#                           CNI_CONF_DIR/CNI_CONF_NAME (plugin first: a runtime that sees the config finds it)
#   install-cni uninstall   remove CNI_CONF_DIR/CNI_CONF_NAME, then CNI_BIN_DIR/ipkeeper; nothing else.
#                           Run it after the pods on that network are gone: their DEL needs the plugin.
#
# Environment (defaults are the DaemonSet's mounts): CNI_BIN_DIR=/host/opt/cni/bin,
# CNI_CONF_DIR=/host/etc/cni/net.d, CNI_CONF_SOURCE=/etc/ipkeeper/cni/10-ipkeeper.conflist (the ConfigMap;
# empty: install no config), CNI_CONF_NAME=basename of CNI_CONF_SOURCE.
set -eu
bin_dir=${CNI_BIN_DIR:-/host/opt/cni/bin}
conf_dir=${CNI_CONF_DIR:-/host/etc/cni/net.d}
conf_source=${CNI_CONF_SOURCE-/etc/ipkeeper/cni/10-ipkeeper.conflist}
conf_name=${CNI_CONF_NAME:-$(basename "${conf_source:-10-ipkeeper.conflist}")}
plugin=/usr/local/bin/ipkeeper

# Copy to a temporary name in the target directory, then rename: a runtime never executes or reads a
# half-written file, and replacing a plugin that is running at that moment does not fail ("text file busy").
place() {
  tmp="$2.install-cni.$$"
  cp "$1" "$tmp"
  chmod "$3" "$tmp"
  mv -f "$tmp" "$2"
  echo "install-cni: installed $2"
}

case "${1:-install}" in
install)
  [ -f "$plugin" ] || { echo "install-cni: $plugin is missing from this image" >&2; exit 1; }
  mkdir -p "$bin_dir"
  place "$plugin" "$bin_dir/ipkeeper" 0755
  if [ -n "$conf_source" ]; then
    [ -f "$conf_source" ] || { echo "install-cni: CNI_CONF_SOURCE $conf_source does not exist" >&2; exit 1; }
    mkdir -p "$conf_dir"
    place "$conf_source" "$conf_dir/$conf_name" 0644
  fi
  ;;
uninstall)
  for file in "$conf_dir/$conf_name" "$bin_dir/ipkeeper"; do
    if [ -e "$file" ]; then
      rm -f "$file"
      echo "install-cni: removed $file"
    fi
  done
  ;;
*)
  echo "usage: install-cni [install|uninstall] (see the comment at the top of this script)" >&2
  exit 2
  ;;
esac
