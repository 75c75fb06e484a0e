import { DEFAULT_QUARANTINE_CAP } from '../core/index.js';

/** Command-line configuration of ipkeeperd (SPEC §13). */
export interface DaemonConfig {
  dataDir: string;
  listenHost: string;
  listenPort: number;
  socket: string;
  store: 'sqlite' | 'etcd';
  etcdEndpoints: string[];
  kubeconfig: string | undefined;
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

export const HELP = `ipkeeperd — the ipkeeper IPAM daemon

Usage: ipkeeperd [options]

Serves a Kubernetes-style API (kubectl works against it), the CNI endpoint on a unix socket for the
'ipkeeper' IPAM plugin, and keeps every allocation in a durable store.

Options:
  --data-dir DIR          where state lives: the SQLite store, the API token, DIR/kubeconfig
                          (default ./data)
  --listen HOST:PORT      API address (default 127.0.0.1:6780; port 0 picks a free port). The API is
                          always HTTPS: kubectl sends its token only over TLS
  --socket PATH           CNI endpoint socket (default DIR/ipkeeper.sock; mode 0600, directory 0700)
  --store sqlite|etcd     state backend (default sqlite, one file under DIR; etcd: not in this build yet)
  --etcd-endpoints URLS   comma-separated etcd client URLs (with --store etcd)
  --kubeconfig PATH       Kubernetes mode: watch Pods, Namespaces, StatefulSets and VMs of that cluster
                          (not in this build yet: ipkeeperd runs in standalone CNI mode)
  --default-subnet CIDR   CIDR of the default subnet 'ovn-default' created on first start
                          (default 10.16.0.0/16; 'none' for no default subnet)
  --node-name NAME        node name written on IP objects of CNI attachments (default: the hostname)
  --tls-cert FILE         TLS certificate (PEM) for the API; without it a self-signed one is made at
                          first start (DIR/tls.crt) and trusted by DIR/kubeconfig
  --tls-key FILE          its private key (PEM)
  --history-limit N       allocation history entries kept, oldest dropped first (default 1000000,
                          about 170 MB on disk; 0 keeps everything)
  --quarantine-limit N    released addresses kept out of use per IPv6 subnet larger than /96, which never
                          runs out of never-used ones (default 65536); the oldest release beyond it is
                          free again. Smaller subnets (every IPv4 one) reuse only when nothing is left
  --log-level LEVEL       debug, info, warn or error (default info); logs go to stderr as JSON lines
  -h, --help              this text

When ready it prints one line:
  ipkeeperd ready api=https://HOST:PORT socket=PATH kubeconfig=FILE
and 'kubectl --kubeconfig DIR/kubeconfig get subnets' works at once. SIGTERM stops it cleanly.

Operators: 'kubectl --kubeconfig DIR/kubeconfig get --raw /ipkeeper/v1/history?address=10.16.0.3' shows
who held an address and when; '... get --raw /metrics' the usage counters.
`;

export class ConfigError extends Error {}

function splitHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (!m) throw new ConfigError(`--listen "${text}" must be HOST:PORT, e.g. 127.0.0.1:6780 or [::1]:6780`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`--listen port ${port} is above 65535`);
  return { host: (m[1] ?? m[2])!, port };
}

/** Parses argv (without node and script); throws ConfigError with a message that says what to fix. */
export function parseArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  hostname: string,
): DaemonConfig | 'help' {
  const values = new Map<string, string>();
  const known = [
    '--data-dir',
    '--listen',
    '--socket',
    '--store',
    '--etcd-endpoints',
    '--kubeconfig',
    '--default-subnet',
    '--node-name',
    '--tls-cert',
    '--tls-key',
    '--log-level',
    '--history-limit',
    '--quarantine-limit',
  ];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return 'help';
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!known.includes(name)) throw new ConfigError(`unknown option ${name}; see ipkeeperd --help`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError(`${name} needs a value; see ipkeeperd --help`);
    values.set(name, value);
  }
  const dataDir = values.get('--data-dir') ?? env.IPKEEPER_DATA_DIR ?? './data';
  const { host, port } = splitHostPort(values.get('--listen') ?? '127.0.0.1:6780');
  const store = values.get('--store') ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'etcd')
    throw new ConfigError(`--store must be sqlite or etcd, not "${store}"`);
  const etcdEndpoints = (values.get('--etcd-endpoints') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (store === 'etcd' && etcdEndpoints.length === 0)
    throw new ConfigError('--store etcd needs --etcd-endpoints, e.g. http://127.0.0.1:2379');
  const logLevel = values.get('--log-level') ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
    throw new ConfigError(`--log-level must be debug, info, warn or error`);
  const ds = values.get('--default-subnet') ?? '10.16.0.0/16';
  const historyText = values.get('--history-limit') ?? String(DEFAULT_HISTORY_LIMIT);
  if (!/^\d{1,15}$/.test(historyText))
    throw new ConfigError(
      `--history-limit "${historyText}" must be a whole number of entries, e.g. 1000000 (0 keeps everything)`,
    );
  const quarantineText = values.get('--quarantine-limit') ?? String(DEFAULT_QUARANTINE_CAP);
  if (!/^\d{1,15}$/.test(quarantineText) || Number(quarantineText) < 1)
    throw new ConfigError(
      `--quarantine-limit "${quarantineText}" must be a whole number of addresses, at least 1, e.g. 65536`,
    );
  return {
    dataDir,
    listenHost: host,
    listenPort: port,
    socket: values.get('--socket') ?? `${dataDir.replace(/\/$/, '')}/ipkeeper.sock`,
    store,
    etcdEndpoints,
    kubeconfig: values.get('--kubeconfig'),
    defaultSubnet: ds === 'none' ? null : ds,
    nodeName: values.get('--node-name') ?? hostname,
    tlsCert: values.get('--tls-cert'),
    tlsKey: values.get('--tls-key'),
    logLevel: logLevel as DaemonConfig['logLevel'],
    historyLimit: Number(historyText),
    quarantineLimit: Number(quarantineText),
  };
}
