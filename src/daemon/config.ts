import { type ParseArgsConfig, parseArgs as parseArgsUtil } from 'node:util';
import { DEFAULT_SOCKET_PATH } from '../cni/wire.js';
import { DEFAULT_QUARANTINE_CAP } from '../core/index.js';
import { DEFAULT_ETCD_PREFIX, prefixProblem } from '../store/etcd/keys.js';

/** Command-line configuration of ipkeeperd (SPEC §13). */
export interface DaemonConfig {
  dataDir: string;
  listenHost: string;
  listenPort: number;
  socket: string;
  store: 'sqlite' | 'etcd';
  etcdEndpoints: string[];
  /** Key prefix of the store in etcd. */
  etcdPrefix: string;
  /** Client TLS files for etcd (PEM). */
  etcdTls: { caFile: string | undefined; certFile: string | undefined; keyFile: string | undefined };
  /** Kubernetes mode: where the cluster's credentials come from; undefined for standalone CNI mode. */
  kubernetes: KubernetesSource | undefined;
  /** GC-3 grace period and sweep interval, seconds (Kubernetes mode). */
  gcGraceSeconds: number;
  gcIntervalSeconds: number;
  /** K8S-6: the Lease (namespace and name) that makes one daemon the collector. */
  gcLease: { namespace: string; name: string };
  /** CIDR of `ovn-default` on first start, or null for none. */
  defaultSubnet: string | null;
  nodeName: string;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** History entries kept (0: all). */
  historyLimit: number;
  /** Releases quarantined per IPv6 space larger than /96. */
  quarantineLimit: number;
}

const DEFAULT_HISTORY_LIMIT = 1_000_000;
/**
 * etcd keeps every key's index in memory and its database under a quota (2 GiB by default). An entry is three
 * keys there (the entry and two index keys), and after deletions bbolt leaves pages a quarter to half full:
 * a million cycles with 100,000 entries kept stay at ~210 MB, with 200,000 reached 775 MB (BENCHMARKS.md).
 */
const DEFAULT_ETCD_HISTORY_LIMIT = 100_000;

/** Where Kubernetes mode reads the cluster from. */
export type KubernetesSource = { kind: 'kubeconfig'; path: string } | { kind: 'in-cluster' };

/** What the daemon knows about running inside a pod (read by main; plain data here). */
export interface PodEnvironment {
  /** The service account token file exists. */
  hasServiceAccount: boolean;
  /** The pod's namespace (the service account's namespace file), if readable. */
  namespace?: string | undefined;
}

export const HELP = `ipkeeperd — the ipkeeper IPAM daemon

Usage: ipkeeperd [options]

Serves a Kubernetes-style API (kubectl works against it), the CNI endpoint on a unix socket for the
'ipkeeper' IPAM plugin, and keeps every allocation in a durable store.

Options:
  --data-dir DIR          where state lives: the SQLite store, the API token, DIR/kubeconfig
                          (default ./data)
  --listen HOST:PORT      API address (default 127.0.0.1:6780; port 0 picks a free port). The API is
                          always HTTPS: kubectl sends its token only over TLS
  --socket PATH           CNI endpoint socket (mode 0600, directory 0700). Default DIR/ipkeeper.sock;
                          in Kubernetes mode (a node agent) /run/ipkeeper/ipkeeper.sock, the path the
                          'ipkeeper' plugin uses when its config names no socket. A socket another
                          running daemon answers on is refused; a stale one is replaced
  --store sqlite|etcd     state backend: sqlite (default, one file under DIR, one daemon) or etcd (several
                          daemons, one per node, on one etcd v3 cluster; DIR still holds the token,
                          certificate, kubeconfig and lock of this daemon)
  --etcd-endpoints URLS   comma-separated etcd client URLs, e.g. https://10.0.0.1:2379,https://10.0.0.2:2379
  --etcd-prefix PREFIX    key prefix of the store in etcd (default /ipkeeper/); every daemon of one
                          cluster uses the same one
  --etcd-cacert FILE      CA certificate (PEM) that signed the etcd members' certificates (https:// URLs)
  --etcd-cert FILE        client certificate (PEM) for etcd's --client-cert-auth
  --etcd-key FILE         its private key (PEM)
  --kubeconfig PATH       Kubernetes mode: read Pods, Namespaces and their owners from that cluster,
                          annotate pods, collect the addresses of deleted pods. 'in-cluster' uses the
                          pod's service account; 'none' forces standalone CNI mode. Default: in-cluster
                          when run in a pod (KUBERNETES_SERVICE_HOST and a service account token are
                          there), else standalone
  --gc-grace SECONDS      Kubernetes mode: an address whose pod is gone is released once it was seen
                          orphaned twice this far apart (default 60)
  --gc-interval SECONDS   Kubernetes mode: every pod address is checked this often (default 300)
  --gc-lease NS/NAME      Kubernetes mode: the coordination.k8s.io Lease whose holder collects, and with
                          etcd also runs the store's upkeep (default POD-NAMESPACE or kube-system /
                          ipkeeper-gc-NODE with sqlite, whose store is the node's own; ipkeeper-gc with
                          etcd, shared by every daemon)
  --default-subnet CIDR   CIDR of the default subnet 'ovn-default' created on first start
                          (default 10.16.0.0/16; 'none' for no default subnet)
  --node-name NAME        node name written on IP objects of CNI attachments (default: $NODE_NAME,
                          else the hostname)
  --tls-cert FILE         TLS certificate (PEM) for the API; without it a self-signed one is made at
                          first start (DIR/tls.crt) and trusted by DIR/kubeconfig
  --tls-key FILE          its private key (PEM)
  --history-limit N       allocation history entries kept, oldest dropped first (default 1000000,
                          about 170 MB on disk; with --store etcd 100000, about 210 MB of etcd's
                          database; 0 keeps everything)
  --quarantine-limit N    released addresses kept out of use per IPv6 subnet larger than /96, which never
                          runs out of never-used ones (default 65536); the oldest release beyond it is
                          free again. Smaller subnets (every IPv4 one) reuse only when nothing is left
  --log-level LEVEL       debug, info, warn or error (default info); logs go to stderr as JSON lines
  -h, --help              this text

Subcommand:
  ipkeeperd migrate --from sqlite:DIR --to etcd:URLS [--etcd-prefix P] [--etcd-cacert …]
                          copies a stopped daemon's SQLite store into an empty etcd prefix
                          (ipkeeperd migrate --help)

When ready it prints one line:
  ipkeeperd ready api=https://HOST:PORT socket=PATH kubeconfig=FILE
and 'kubectl --kubeconfig DIR/kubeconfig get subnets' works at once. SIGTERM stops it cleanly.

Operators: 'kubectl --kubeconfig DIR/kubeconfig get --raw /ipkeeper/v1/history?address=10.16.0.3' shows
who held an address and when; '... get --raw /metrics' the usage counters.
`;

export class ConfigError extends Error {}

/** The options ipkeeperd accepts; every one takes a value except --help. */
const OPTIONS = {
  'data-dir': { type: 'string' },
  listen: { type: 'string' },
  socket: { type: 'string' },
  store: { type: 'string' },
  'etcd-endpoints': { type: 'string' },
  'etcd-prefix': { type: 'string' },
  'etcd-cacert': { type: 'string' },
  'etcd-cert': { type: 'string' },
  'etcd-key': { type: 'string' },
  kubeconfig: { type: 'string' },
  'gc-grace': { type: 'string' },
  'gc-interval': { type: 'string' },
  'gc-lease': { type: 'string' },
  'default-subnet': { type: 'string' },
  'node-name': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'log-level': { type: 'string' },
  'history-limit': { type: 'string' },
  'quarantine-limit': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type Values = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

function splitHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (!m) throw new ConfigError(`--listen "${text}" must be HOST:PORT, e.g. 127.0.0.1:6780 or [::1]:6780`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`--listen port ${port} is above 65535`);
  return { host: (m[1] ?? m[2])!, port };
}

/** node:util parseArgs with its errors turned into messages that say what to fix. */
function readOptions(argv: readonly string[]): Values {
  try {
    return parseArgsUtil({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const err = e as Error & { code?: string };
    const option = /'(-{1,2}[^'\s]+)/.exec(err.message)?.[1]?.replace(/=.*$/, '');
    switch (err.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new ConfigError(`unknown option ${option ?? ''}; see ipkeeperd --help`);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        if (/ambiguous/.test(err.message))
          throw new ConfigError(
            `${option} needs a value; write one that starts with "-" as ${option}=VALUE; see ipkeeperd --help`,
          );
        if (/does not take an argument/.test(err.message))
          throw new ConfigError(`${option} takes no value; see ipkeeperd --help`);
        throw new ConfigError(`${option ?? 'an option'} needs a value; see ipkeeperd --help`);
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
        const word = /'([^']*)'/.exec(err.message)?.[1] ?? '';
        throw new ConfigError(`"${word}" is not an option (options start with --); see ipkeeperd --help`);
      }
      default:
        throw new ConfigError(`${err.message}; see ipkeeperd --help`);
    }
  }
}

function wholeNumber(name: string, text: string, what: string, min: number): number {
  if (!/^\d{1,15}$/.test(text) || Number(text) < min)
    throw new ConfigError(`--${name} "${text}" must be a whole number ${what}`);
  return Number(text);
}

/**
 * SPEC §13: standalone, the socket lives with the state (DIR/ipkeeper.sock); in Kubernetes mode the daemon
 * is the node's agent and listens where the plugin looks when its config names no socket.
 */
export function defaultSocket(dataDir: string, kubernetesMode: boolean): string {
  return kubernetesMode ? DEFAULT_SOCKET_PATH : `${dataDir.replace(/\/$/, '')}/ipkeeper.sock`;
}

/**
 * `--kubeconfig PATH|in-cluster|none`; without it, in-cluster when run in a pod: the API server's address
 * in KUBERNETES_SERVICE_HOST and a service account token mounted (both are needed to talk to it).
 */
function kubernetesSource(
  value: string | undefined,
  env: Record<string, string | undefined>,
  pod: PodEnvironment,
): KubernetesSource | undefined {
  if (value === 'none') return undefined;
  if (
    value === 'in-cluster' ||
    (value === undefined && env.KUBERNETES_SERVICE_HOST && pod.hasServiceAccount)
  ) {
    if (!env.KUBERNETES_SERVICE_HOST || !pod.hasServiceAccount)
      throw new ConfigError(
        '--kubeconfig in-cluster needs KUBERNETES_SERVICE_HOST and a service account token (run ipkeeperd in a pod), or give --kubeconfig PATH',
      );
    return { kind: 'in-cluster' };
  }
  if (value === undefined) return undefined;
  if (value === '') throw new ConfigError('--kubeconfig needs a path (or in-cluster, or none)');
  return { kind: 'kubeconfig', path: value };
}

function gcLease(
  value: string | undefined,
  store: string,
  nodeName: string,
  pod: PodEnvironment,
): { namespace: string; name: string } {
  if (value !== undefined) {
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(value);
    if (!m)
      throw new ConfigError(`--gc-lease "${value}" must be NAMESPACE/NAME, e.g. kube-system/ipkeeper-gc`);
    return { namespace: m[1]!, name: m[3]! };
  }
  const node = nodeName
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return {
    namespace: pod.namespace || 'kube-system',
    // With SQLite every daemon has a store of its own and collects it alone; with etcd one collects for all.
    name: store === 'etcd' ? 'ipkeeper-gc' : `ipkeeper-gc-${node || 'node'}`.slice(0, 253),
  };
}

/** Parses argv (without node and script); throws ConfigError with a message that says what to fix. */
export function parseArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  hostname: string,
  pod: PodEnvironment = { hasServiceAccount: false },
): DaemonConfig | 'help' {
  // --help wins wherever it stands, even after an option that is wrong.
  if (argv.some((a) => a === '-h' || a === '--help')) return 'help';
  const values = readOptions(argv);
  if (values.help) return 'help';
  const dataDir = values['data-dir'] ?? env.IPKEEPER_DATA_DIR ?? './data';
  const { host, port } = splitHostPort(values.listen ?? '127.0.0.1:6780');
  const store = values.store ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'etcd')
    throw new ConfigError(`--store must be sqlite or etcd, not "${store}"`);
  const etcdEndpoints = (values['etcd-endpoints'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (store === 'etcd' && etcdEndpoints.length === 0)
    throw new ConfigError('--store etcd needs --etcd-endpoints, e.g. http://127.0.0.1:2379');
  const etcdFlags = ['etcd-endpoints', 'etcd-prefix', 'etcd-cacert', 'etcd-cert', 'etcd-key'] as const;
  const stray = etcdFlags.find((f) => values[f] !== undefined);
  if (store !== 'etcd' && stray) throw new ConfigError(`--${stray} needs --store etcd`);
  const etcdPrefix = values['etcd-prefix'] ?? DEFAULT_ETCD_PREFIX;
  const prefixBad = prefixProblem(etcdPrefix);
  if (prefixBad) throw new ConfigError(`--etcd-prefix "${etcdPrefix}" is not usable: ${prefixBad}`);
  const logLevel = values['log-level'] ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
    throw new ConfigError(`--log-level must be debug, info, warn or error`);
  const ds = values['default-subnet'] ?? '10.16.0.0/16';
  const kubernetes = kubernetesSource(values.kubeconfig, env, pod);
  const nodeName = values['node-name'] ?? (env.NODE_NAME || hostname);
  return {
    dataDir,
    listenHost: host,
    listenPort: port,
    socket: values.socket ?? defaultSocket(dataDir, kubernetes !== undefined),
    store,
    etcdEndpoints,
    etcdPrefix,
    etcdTls: { caFile: values['etcd-cacert'], certFile: values['etcd-cert'], keyFile: values['etcd-key'] },
    kubernetes,
    gcGraceSeconds: wholeNumber('gc-grace', values['gc-grace'] ?? '60', 'of seconds, e.g. 60', 1),
    gcIntervalSeconds: wholeNumber('gc-interval', values['gc-interval'] ?? '300', 'of seconds, e.g. 300', 1),
    gcLease: gcLease(values['gc-lease'], store, nodeName, pod),
    defaultSubnet: ds === 'none' ? null : ds,
    nodeName,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    logLevel: logLevel as DaemonConfig['logLevel'],
    historyLimit: wholeNumber(
      'history-limit',
      values['history-limit'] ??
        String(store === 'etcd' ? DEFAULT_ETCD_HISTORY_LIMIT : DEFAULT_HISTORY_LIMIT),
      'of entries, e.g. 1000000 (0 keeps everything)',
      0,
    ),
    quarantineLimit: wholeNumber(
      'quarantine-limit',
      values['quarantine-limit'] ?? String(DEFAULT_QUARANTINE_CAP),
      'of addresses, at least 1, e.g. 65536',
      1,
    ),
  };
}
