/**
 * The configuration files of a test node: containerd's (private root, state, socket, runc root and CNI
 * directories) and the kubelet's (cgroupfs, its own ports, no swap check, no iptables chains). Each choice
 * that this machine forced is explained beside it; docs/testing.md repeats the list.
 */
import { stringify } from 'yaml';
import { IMAGES } from './paths.js';

/** The directories and files one node keeps under its temp dir. */
export interface NodeLayout {
  dir: string;
  containerdRoot: string;
  containerdState: string;
  containerdSocket: string;
  /** runc's state (`--root`), private so cleanup can find and kill exactly this node's containers. */
  runcRoot: string;
  cniConfDir: string;
  cniBinDir: string;
  kubeletRoot: string;
  kubeletCertDir: string;
  resolvConf: string;
  logDir: string;
}

/** containerd's config.toml (version 2 schema, containerd 1.6). */
export function containerdConfig(l: NodeLayout): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${l.containerdRoot}"
state = "${l.containerdState}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "${l.containerdSocket}"

[ttrpc]
  address = "${l.containerdSocket}.ttrpc"

[metrics]
  address = ""

# Its default (/opt/containerd) would be created on the machine.
[plugins."io.containerd.internal.v1.opt"]
  path = "${l.containerdRoot}/opt"

[${cri}]
  sandbox_image = "${IMAGES.pause.ref}"
  # This machine lacks CAP_SYS_RESOURCE: runc cannot give the pause container oom_score_adj -998 and every
  # pod would fail with "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  # Network namespaces under the state dir instead of /var/run/netns (shared with other tests).
  netns_mounts_under_state_dir = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  # The kubelet uses the cgroupfs driver (no systemd here).
  SystemdCgroup = false
  BinaryName = "/usr/sbin/runc"
  Root = "${l.runcRoot}"

# Never /etc/cni/net.d (podman's config) or /usr/lib/cni: the node's own directories.
[${cri}.cni]
  bin_dir = "${l.cniBinDir}"
  conf_dir = "${l.cniConfDir}"
  max_conf_num = 1
`;
}

export interface KubeletPorts {
  port: number;
  healthzPort: number;
}

/** The kubelet's KubeletConfiguration (kubelet.config.k8s.io/v1beta1, Kubernetes 1.20). */
export function kubeletConfig(
  l: NodeLayout,
  o: {
    nodeIp: string;
    ports: KubeletPorts;
    caCert: string;
    serving: { cert: string; key: string };
    maxPods: number;
  },
): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: o.nodeIp,
    port: o.ports.port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: o.ports.healthzPort,
    tlsCertFile: o.serving.cert,
    tlsPrivateKeyFile: o.serving.key,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: o.caCert },
    },
    authorization: { mode: 'Webhook' },
    cgroupDriver: 'cgroupfs',
    failSwapOn: false,
    // No KUBE-* iptables chains on a machine other tests share (nothing here needs them: no kube-proxy,
    // no host ports).
    makeIPTablesUtilChains: false,
    clusterDomain: 'cluster.local',
    resolvConf: l.resolvConf,
    maxPods: o.maxPods,
    // The test images are imported, never pulled: image GC must never delete them, and a busy shared disk
    // must not make the node evict pods mid-test.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: {
      'memory.available': '1Mi',
      'nodefs.available': '1%',
      'nodefs.inodesFree': '1%',
      'imagefs.available': '1%',
    },
    volumePluginDir: `${l.kubeletRoot}/volume-plugins`,
    serializeImagePulls: false,
    nodeStatusUpdateFrequency: '10s',
    runtimeRequestTimeout: '2m',
  });
}
