/**
 * A real etcd (Debian's `etcd-server`, /usr/bin/etcd) for tests and benchmarks: one or three members on
 * loopback ports chosen at run time, each in its own temp data dir, stopped by process id. Members can be
 * killed (SIGKILL) and started again on the same data dir, and the whole cluster stopped and restarted, so
 * the suites can take etcd away under a running daemon (DUR-3).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD = process.env['ETCD'] ?? '/usr/bin/etcd';

/** Why etcd tests cannot run here, or undefined when they can. */
export function etcdMissing(): string | undefined {
  if (!existsSync(ETCD))
    return `${ETCD} is not installed (apt-get install etcd-server; npm test does it as root)`;
  const r = spawnSync(ETCD, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${ETCD} --version failed: ${r.stderr}`;
}

/** A free loopback TCP port (bound and released; etcd binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Client TLS for the cluster: the server certificate and key, and the CA that signs client certificates. */
export interface EtcdTls {
  cert: string;
  key: string;
  ca: string;
  /** A client certificate and key the CA signed, for the harness's own health checks. */
  clientCert: string;
  clientKey: string;
}

export interface EtcdClusterOptions {
  members?: 1 | 3;
  /** Serve clients over TLS and require client certificates signed by `ca`. */
  tls?: EtcdTls;
  /** Extra flags for every member (e.g. `--max-txn-ops=256`). */
  args?: string[];
}

interface Member {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  child: ChildProcess | undefined;
  /** True while the process runs (a SIGKILLed one has exitCode null, so that cannot tell). */
  running: boolean;
  exited: Promise<void> | undefined;
  log: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class EtcdCluster {
  private constructor(
    private readonly members: Member[],
    private readonly root: string,
    private readonly options: EtcdClusterOptions,
  ) {}

  /** Starts a fresh cluster and resolves once every member answers /health. */
  static async start(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const root = mkdtempSync(join(tmpdir(), `ipkeeper-etcd-${process.pid}-`));
    const members: Member[] = [];
    for (let i = 0; i < (options.members ?? 1); i++) {
      members.push({
        name: `m${i}`,
        clientPort: await freePort(),
        peerPort: await freePort(),
        dataDir: join(root, `m${i}`),
        child: undefined,
        running: false,
        exited: undefined,
        log: '',
      });
    }
    const cluster = new EtcdCluster(members, root, options);
    try {
      for (let i = 0; i < members.length; i++) cluster.spawn(i, 'new');
      await Promise.all(members.map((_, i) => cluster.waitHealthy(i)));
    } catch (e) {
      await cluster.close();
      throw e;
    }
    return cluster;
  }

  private get scheme(): string {
    return this.options.tls ? 'https' : 'http';
  }

  /** Client URLs of every member, for `--etcd-endpoints`. */
  get endpoints(): string[] {
    return this.members.map((m) => `${this.scheme}://127.0.0.1:${m.clientPort}`);
  }

  endpoint(i: number): string {
    return this.endpoints[i]!;
  }

  get size(): number {
    return this.members.length;
  }

  pid(i: number): number | undefined {
    return this.members[i]!.child?.pid;
  }

  /** What member i wrote to stderr (its log), for failure messages. */
  log(i: number): string {
    return this.members[i]!.log;
  }

  private spawn(i: number, state: 'new' | 'existing'): void {
    const m = this.members[i]!;
    const cluster = this.members.map((x) => `${x.name}=http://127.0.0.1:${x.peerPort}`).join(',');
    const tls = this.options.tls;
    const args = [
      '--name',
      m.name,
      '--data-dir',
      m.dataDir,
      '--listen-client-urls',
      `${this.scheme}://127.0.0.1:${m.clientPort}`,
      '--advertise-client-urls',
      `${this.scheme}://127.0.0.1:${m.clientPort}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${m.peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${m.peerPort}`,
      '--initial-cluster',
      cluster,
      '--initial-cluster-state',
      state,
      '--initial-cluster-token',
      `ipkeeper-test-${process.pid}-${this.members[0]!.clientPort}`,
      '--logger',
      'zap',
      '--log-level',
      'warn',
      ...(tls
        ? ['--cert-file', tls.cert, '--key-file', tls.key, '--trusted-ca-file', tls.ca, '--client-cert-auth']
        : []),
      ...(this.options.args ?? []),
    ];
    const child = spawn(ETCD, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    m.log = '';
    child.stderr!.on('data', (d: Buffer) => {
      m.log = (m.log + d.toString()).slice(-20_000);
    });
    m.child = child;
    m.running = true;
    m.exited = new Promise((resolve) =>
      child.once('exit', () => {
        m.running = false;
        resolve();
      }),
    );
  }

  /** Resolves when member i answers /health with true (a member of a quorum-less cluster never does). */
  async waitHealthy(i: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.healthy(i)) return;
      const m = this.members[i]!;
      if (!m.running) throw new Error(`etcd member ${m.name} exited:\n${m.log}`);
      if (Date.now() > deadline)
        throw new Error(`etcd member ${m.name} not healthy in ${timeoutMs} ms:\n${m.log}`);
      await sleep(100);
    }
  }

  private healthy(i: number): Promise<boolean> {
    const m = this.members[i]!;
    const tls = this.options.tls;
    return new Promise((resolve) => {
      const opts = { host: '127.0.0.1', port: m.clientPort, path: '/health', timeout: 2000 };
      const onReply = (res: IncomingMessage): void => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(res.statusCode === 200 && body.includes('"true"')));
      };
      const req = tls
        ? httpsRequest(
            {
              ...opts,
              ca: readFileSync(tls.ca, 'utf8'),
              cert: readFileSync(tls.clientCert, 'utf8'),
              key: readFileSync(tls.clientKey, 'utf8'),
            },
            onReply,
          )
        : request(opts, onReply);
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  }

  /** SIGKILL member i (by its pid) and wait for it to exit. */
  async kill(i: number): Promise<void> {
    const m = this.members[i]!;
    if (m.running) process.kill(m.child!.pid!, 'SIGKILL');
    await m.exited;
  }

  /** SIGTERM member i and wait for it to exit. */
  async stop(i: number): Promise<void> {
    const m = this.members[i]!;
    if (m.running) process.kill(m.child!.pid!, 'SIGTERM');
    await m.exited;
  }

  /** Starts member i again on its data dir (after kill or stop). Does not wait for health. */
  restart(i: number): void {
    const m = this.members[i]!;
    if (m.running) throw new Error(`etcd member ${m.name} is still running`);
    this.spawn(i, 'existing');
  }

  /** Stops every member and removes the data dirs. */
  async close(): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.stop(i)));
    rmSync(this.root, { recursive: true, force: true });
  }
}
