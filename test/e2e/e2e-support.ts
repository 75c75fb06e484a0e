/**
 * Shared pieces of the end-to-end suites: a real ipkeeperd (built, in `dist/`) on a free port, driven by the real
 * kubectl and by raw HTTPS with the daemon's own CA and token. Everything here reads state back from the daemon;
 * nothing looks inside it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type Agent } from 'node:https';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO, removeDir, startDaemon, tempDir, type RunningDaemon } from '../support/daemon.js';
import { httpsJson, type JsonReply } from '../support/https-json.js';
import { runKubectl, type KubectlResult } from '../support/kubectl.js';

export const SEEDS = join(REPO, 'test/fixtures/seeds');
export const seedPath = (file: string): string => join(SEEDS, file);
export const seedText = (file: string): string => readFileSync(seedPath(file), 'utf8');

/** A Kubernetes-style object as kubectl prints it with `-o json`. */
export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** kubectl resource names of the five kinds, in one argument for `kubectl get`. */
export const ALL_KINDS =
  'subnets.kubeovn.io,ips.kubeovn.io,ippools.kubeovn.io,spiderippools,spiderreservedips';

const GROUP_PATH: Record<string, string> = {
  subnets: '/apis/kubeovn.io/v1/subnets',
  ips: '/apis/kubeovn.io/v1/ips',
  ippools: '/apis/kubeovn.io/v1/ippools',
  spiderippools: '/apis/spiderpool.spidernet.io/v2beta1/spiderippools',
  spiderreservedips: '/apis/spiderpool.spidernet.io/v2beta1/spiderreservedips',
};
/** The REST collection path of a plural (`ips` → `/apis/kubeovn.io/v1/ips`). */
export const collectionPath = (plural: keyof typeof GROUP_PATH): string => GROUP_PATH[plural]!;

export type HttpReply = JsonReply;

export interface HttpOptions {
  body?: string | Buffer;
  contentType?: string;
  /** Bearer token; `null` sends none. Default: the daemon's token. */
  token?: string | null;
  agent?: Agent;
  timeoutMs?: number;
}

/** Objects in the shape the daemon accepts, for bodies and `kubectl apply -f -` (JSON is YAML). */
export const make = {
  ip: (name: string, spec: Record<string, unknown>): Obj => ({
    apiVersion: 'kubeovn.io/v1',
    kind: 'IP',
    metadata: { name },
    spec,
  }),
  /** A reservation `<pod>.<ns>` in `subnet`, with optional extra spec fields. */
  reservation: (pod: string, ns: string, subnet: string, extra: Record<string, unknown> = {}): Obj =>
    make.ip(`${pod}.${ns}`, { subnet, namespace: ns, podName: pod, ...extra }),
  subnet: (name: string, spec: Record<string, unknown>): Obj => ({
    apiVersion: 'kubeovn.io/v1',
    kind: 'Subnet',
    metadata: { name },
    spec,
  }),
  ippool: (name: string, spec: Record<string, unknown>): Obj => ({
    apiVersion: 'kubeovn.io/v1',
    kind: 'IPPool',
    metadata: { name },
    spec,
  }),
  spiderPool: (name: string, spec: Record<string, unknown>): Obj => ({
    apiVersion: 'spiderpool.spidernet.io/v2beta1',
    kind: 'SpiderIPPool',
    metadata: { name },
    spec,
  }),
  spiderReserved: (name: string, spec: Record<string, unknown>): Obj => ({
    apiVersion: 'spiderpool.spidernet.io/v2beta1',
    kind: 'SpiderReservedIP',
    metadata: { name },
    spec,
  }),
};

/** Several objects as a stream of JSON documents (a `kind: List` works too: test/e2e/list-apply.test.ts). */
export const listOf = (items: Obj[]): string => items.map((o) => JSON.stringify(o)).join('\n');

/** One daemon and the clients that drive it. */
export class E2E {
  private constructor(
    public daemon: RunningDaemon,
    private readonly owned: boolean,
  ) {}

  /** Starts a daemon on a fresh (or the given) data dir. */
  static async start(options: { dataDir?: string; args?: string[] } = {}): Promise<E2E> {
    const daemon = await startDaemon({
      ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
      args: options.args ?? [],
    });
    return new E2E(daemon, options.dataDir === undefined);
  }

  get dataDir(): string {
    return this.daemon.dataDir;
  }

  /** SIGTERM, then a new daemon on the same data dir (a clean restart). */
  async restart(): Promise<void> {
    await this.daemon.stop();
    this.daemon = await startDaemon({ dataDir: this.dataDir });
  }

  /** Stops the daemon and removes the data dir if this suite made it. */
  async close(): Promise<void> {
    await this.daemon.stop();
    if (this.owned) removeDir(this.dataDir);
  }

  kubectl(args: string[], input?: string): Promise<KubectlResult> {
    return runKubectl(args, {
      kubeconfig: this.daemon.kubeconfig,
      ...(input !== undefined ? { input } : {}),
    });
  }

  /** kubectl that must succeed; returns stdout. */
  async ok(args: string[], input?: string): Promise<string> {
    const r = await this.kubectl(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}`);
    return r.stdout;
  }

  /** kubectl that must fail; returns stderr. */
  async fails(args: string[], input?: string): Promise<string> {
    const r = await this.kubectl(args, input);
    assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should have failed; stdout:\n${r.stdout}`);
    return r.stderr;
  }

  /** `kubectl apply -f -` of objects (one or a List). */
  apply(...objects: Obj[]): Promise<string> {
    return this.ok(['apply', '-f', '-'], listOf(objects));
  }

  /** `kubectl apply -f -` that must be refused; returns stderr. */
  applyFails(obj: Obj): Promise<string> {
    return this.fails(['apply', '-f', '-'], JSON.stringify(obj));
  }

  /** `kubectl get KIND NAME -o json`, or undefined when the server says NotFound. */
  async get(kind: string, name: string): Promise<Obj | undefined> {
    const r = await this.kubectl(['get', kind, name, '-o', 'json']);
    if (r.code !== 0) {
      assert.match(r.stderr, /NotFound|not found/, `kubectl get ${kind} ${name}: ${r.stderr}`);
      return undefined;
    }
    return JSON.parse(r.stdout) as Obj;
  }

  /** Like `get`, but the object must exist. */
  async must(kind: string, name: string): Promise<Obj> {
    const o = await this.get(kind, name);
    assert.ok(o, `${kind} ${name} should exist`);
    return o;
  }

  /** `kubectl get KIND -o json` items. */
  async list(kind: string): Promise<Obj[]> {
    return (JSON.parse(await this.ok(['get', kind, '-o', 'json'])) as { items: Obj[] }).items;
  }

  /** Every object of every kind, as JSON text: equal text = no state change (statuses included). */
  async snapshot(): Promise<string> {
    const all = JSON.parse(await this.ok(['get', ALL_KINDS, '-o', 'json'])) as { items: Obj[] };
    return JSON.stringify(all.items, null, 1);
  }

  /** A subnet's status counters (SUB-7). */
  async subnetStatus(name: string): Promise<Record<string, unknown>> {
    return (await this.must('subnet', name)).status ?? {};
  }

  /** `kubectl get KIND NAME` (table) as rows of whitespace-split cells, header first. */
  async table(args: string[]): Promise<string[][]> {
    const out = await this.ok(['get', ...args]);
    return out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim().split(/\s+/));
  }

  /** A raw HTTPS request to the API with the daemon's CA (from its kubeconfig) and token. */
  http(method: string, path: string, options: HttpOptions = {}): Promise<HttpReply> {
    const { server, ca } = kubeconfigServer(this.daemon.kubeconfig);
    const url = new URL(path, server);
    const token = options.token === undefined ? this.daemon.token : options.token;
    return httpsJson(url, {
      method,
      headers: token !== null ? { Authorization: `Bearer ${token}` } : {},
      body: options.body,
      contentType: options.contentType,
      timeoutMs: options.timeoutMs ?? 30_000,
      tls: { ca, ...(options.agent ? { agent: options.agent } : {}) },
    });
  }
}

/** Server URL and CA certificate of a kubeconfig the daemon wrote. */
export function kubeconfigServer(path: string): { server: string; ca: Buffer } {
  const cfg = parse(readFileSync(path, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  };
  const cluster = cfg.clusters[0]!.cluster;
  return { server: cluster.server, ca: Buffer.from(cluster['certificate-authority-data'], 'base64') };
}

/** A directory for suites that restart a daemon on the same data. */
export { tempDir, removeDir };

// ---- address helpers (independent of the product's code) ----

/** IPv4 dotted quad → number. */
export function v4(text: string): number {
  const parts = text.split('.').map(Number);
  assert.equal(parts.length, 4, `not an IPv4 address: ${text}`);
  return parts.reduce((n, p) => {
    assert.ok(Number.isInteger(p) && p >= 0 && p <= 255, `not an IPv4 address: ${text}`);
    return n * 256 + p;
  }, 0);
}

/** True when `addr` lies in `cidr` (IPv4). */
export function inV4Cidr(addr: string, cidr: string): boolean {
  const [net, len] = cidr.split('/');
  const size = 2 ** (32 - Number(len));
  const start = v4(net!);
  return v4(addr) >= start && v4(addr) < start + size;
}

/** ENG-6: lower-case, unicast, locally administered (`x2`, `x6`, `xA`, `xE` first octet). */
export function assertMacShape(mac: unknown): void {
  assert.equal(typeof mac, 'string');
  assert.match(
    mac as string,
    /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/,
    `MAC ${String(mac)} must be lower-case hex pairs`,
  );
  const first = parseInt((mac as string).slice(0, 2), 16);
  assert.equal(first & 0b01, 0, `MAC ${String(mac)} must be unicast`);
  assert.equal(first & 0b10, 0b10, `MAC ${String(mac)} must be locally administered`);
}

/** Checks that a kubectl error names `field` and (optionally) matches `pattern`. */
export function assertFieldError(stderr: string, field: string, pattern?: RegExp): void {
  assert.ok(stderr.includes(field), `the error should name ${field}:\n${stderr}`);
  if (pattern) assert.match(stderr, pattern);
}
