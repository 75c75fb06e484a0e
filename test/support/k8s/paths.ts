/**
 * Where the cluster's parts live on this machine: the Kubernetes binaries and test images that
 * scripts/k8s/build.sh builds and caches outside the repository, and Debian's node packages.
 */
import { join } from 'node:path';
import { REPO } from '../daemon.js';

/** The build cache (`IPKEEPER_K8S_CACHE`, default /var/cache/ipkeeper/k8s), as scripts/k8s/build.sh uses it. */
export const K8S_CACHE = process.env['IPKEEPER_K8S_CACHE'] || '/var/cache/ipkeeper/k8s';

/** The four binaries built from Debian's source package `kubernetes` (1.20.2). */
export const K8S_BIN = {
  apiserver: join(K8S_CACHE, 'bin', 'kube-apiserver'),
  controllerManager: join(K8S_CACHE, 'bin', 'kube-controller-manager'),
  scheduler: join(K8S_CACHE, 'bin', 'kube-scheduler'),
  kubelet: join(K8S_CACHE, 'bin', 'kubelet'),
};

/** Debian's binaries the cluster runs. */
export const DEBIAN_BIN = {
  etcd: '/usr/bin/etcd',
  containerd: '/usr/bin/containerd',
  ctr: '/usr/bin/ctr',
  runc: '/usr/sbin/runc',
  openssl: '/usr/bin/openssl',
  flock: '/usr/bin/flock',
  setpriv: '/usr/bin/setpriv',
};

/** Debian's CNI plugins, copied into every node's private CNI bin directory. */
export const DEBIAN_CNI_DIR = '/usr/lib/cni';

/** The test images (docker-archive files) and the names they carry inside containerd. */
export const IMAGES = {
  pause: { file: join(K8S_CACHE, 'images', 'pause.tar'), ref: 'localhost/ipkeeper-test/pause:1' },
  busybox: { file: join(K8S_CACHE, 'images', 'busybox.tar'), ref: 'localhost/ipkeeper-test/busybox:1' },
};

/** The command that builds/installs everything the cluster needs. */
export const BUILD_COMMAND = `sudo bash ${join(REPO, 'scripts/k8s/build.sh')}`;

/**
 * Machine-wide state of the one node this machine can run: the lock file that queues `startNode` callers
 * and the record of what the running (or a crashed) node created, for cleanup.
 */
export const NODE_RUN_DIR = '/run/ipkeeper-k8s';
export const NODE_LOCK_FILE = join(NODE_RUN_DIR, 'node.lock');
export const NODE_RECORD_FILE = join(NODE_RUN_DIR, 'node.json');
