/**
 * Several real ipkeeperd daemons (the built dist/daemon/main.js) on one real etcd cluster started here, and
 * the clients that drive them: the CNI socket protocol through the plugin's own code (runPlugin, as the
 * `bin/ipkeeper` executable runs it, without a process start per call) and the real kubectl. State is read
 * back through each daemon's API only.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { runPlugin } from '../../src/cni/plugin/plugin.js';
import { nodePluginHost } from '../support/node-plugin-host.js';
import { type RunningDaemon, removeDir, startDaemon, tempDir } from '../support/daemon.js';
import { EtcdCluster, type EtcdClusterOptions } from '../support/etcd.js';
import { type KubectlResult, runKubectl } from '../support/kubectl.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface FleetOptions {
  members?: 1 | 3;
  daemons?: number;
  /** Extra daemon flags (all daemons). */
  args?: string[];
  cluster?: EtcdClusterOptions;
}

/** A daemon's IP object as kubectl shows it (the fields the suites compare). */
export interface IpView {
  name: string;
  address: string;
  mac: string;
  subnet: string;
  resourceVersion: string;
}

export class Fleet {
  readonly dataDirs: string[] = [];
  private constructor(
    readonly cluster: EtcdCluster,
    readonly daemons: RunningDaemon[],
    private readonly extra: string[],
  ) {}

  static async start(options: FleetOptions = {}): Promise<Fleet> {
    const cluster = await EtcdCluster.start({ members: options.members ?? 3, ...(options.cluster ?? {}) });
    const fleet = new Fleet(cluster, [], options.args ?? []);
    try {
      const n = options.daemons ?? 3;
      for (let i = 0; i < n; i++) fleet.dataDirs.push(tempDir(`ipkeeper-fleet-${i}-`));
      // Started together on the empty prefix: one creates the default subnet, the others receive it.
      const started = await Promise.all(
        fleet.dataDirs.map((_, i) =>
          startDaemon({ dataDir: fleet.dataDirs[i]!, args: fleet.args(i), timeoutMs: 60_000 }),
        ),
      );
      fleet.daemons.push(...started);
      // Each daemon publishes itself and reads the others every 2 s (its share of each address space).
      await sleep(3000);
    } catch (e) {
      await fleet.close();
      throw e;
    }
    return fleet;
  }

  /** The store flags of daemon i (each names the members in another order). */
  args(i: number): string[] {
    const endpoints = this.cluster.endpoints.map((_, j, all) => all[(i + j) % all.length]!);
    return [
      '--store',
      'etcd',
      '--etcd-endpoints',
      endpoints.join(','),
      '--node-name',
      `node-${i}`,
      ...this.extra,
    ];
  }

  /** SIGKILL daemon i and start it again on its data dir (same socket). */
  async killDaemon(i: number): Promise<void> {
    await this.daemons[i]!.kill();
  }

  async startDaemon(i: number): Promise<void> {
    this.daemons[i] = await startDaemon({
      dataDir: this.dataDirs[i]!,
      args: this.args(i),
      timeoutMs: 60_000,
    });
  }

  kubectl(i: number, args: string[], input?: string, timeoutMs = 60_000): Promise<KubectlResult> {
    return runKubectl(args, {
      kubeconfig: this.daemons[i]!.kubeconfig,
      timeoutMs,
      ...(input !== undefined ? { input } : {}),
    });
  }

  /** kubectl that must succeed. */
  async ok(i: number, args: string[], input?: string): Promise<string> {
    const r = await this.kubectl(i, args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} on daemon ${i} failed:\n${r.stderr}`);
    return r.stdout;
  }

  /** Every IP object as daemon i serves it, by name. */
  async ips(i: number): Promise<Map<string, IpView>> {
    const out = JSON.parse(await this.ok(i, ['get', 'ips.kubeovn.io', '-o', 'json'])) as {
      items: { metadata: { name: string; resourceVersion: string }; spec: Record<string, string> }[];
    };
    return new Map(
      out.items.map((o) => [
        o.metadata.name,
        {
          name: o.metadata.name,
          address: o.spec['v4IpAddress'] ?? '',
          mac: o.spec['macAddress'] ?? '',
          subnet: o.spec['subnet'] ?? '',
          resourceVersion: o.metadata.resourceVersion,
        },
      ]),
    );
  }

  /** The status counters of a subnet as daemon i serves them. */
  async subnetStatus(i: number, name: string): Promise<Record<string, unknown>> {
    const o = JSON.parse(await this.ok(i, ['get', 'subnet', name, '-o', 'json'])) as {
      status: Record<string, unknown>;
    };
    return o.status;
  }

  /** Waits until every daemon serves the same IP objects (names, addresses, MACs, resourceVersions). */
  async converged(timeoutMs = 30_000): Promise<Map<string, IpView>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const views = await Promise.all(this.daemons.map((_, i) => this.ips(i)));
      const key = (m: Map<string, IpView>): string =>
        JSON.stringify([...m.values()].sort((a, b) => (a.name < b.name ? -1 : 1)));
      if (views.every((v) => key(v) === key(views[0]!))) return views[0]!;
      if (Date.now() > deadline) {
        const sizes = views.map((v) => v.size).join(', ');
        assert.fail(`the daemons did not converge within ${timeoutMs} ms (IP objects per daemon: ${sizes})`);
      }
      await sleep(500);
    }
  }

  /** Stops everything. With IPKEEPER_FLEET_LOGS=PATH set, each daemon's log is kept in PATH-<i>.log first. */
  async close(): Promise<void> {
    if (process.env['IPKEEPER_FLEET_LOGS'])
      this.daemons.forEach((d, i) =>
        writeFileSync(`${process.env['IPKEEPER_FLEET_LOGS']}-${i}.log`, d.stderr()),
      );
    await Promise.allSettled(this.daemons.map((d) => d.stop()));
    await this.cluster.close();
    for (const d of this.dataDirs) removeDir(d);
  }
}

/** One CNI call's outcome: the result (address, MAC) or the CNI error code and message. */
export interface CniOutcome {
  ok: boolean;
  code?: number;
  msg?: string;
  address?: string;
  mac?: string;
}

/** A CNI call over the daemon's socket, exactly as the plugin executable makes it (minus the process). */
export async function cniCall(
  socket: string,
  command: 'ADD' | 'DEL',
  containerId: string,
  network: string,
  ipam: Record<string, unknown> = {},
): Promise<CniOutcome> {
  const stdin = JSON.stringify({
    cniVersion: '1.0.0',
    name: network,
    // MACs allocated (the chained step would apply them): DUR-2 is about MACs as much as addresses.
    ipam: { type: 'ipkeeper', socket, mac: 'chained', ...ipam },
  });
  const env = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: `/var/run/netns/${containerId}`,
    CNI_IFNAME: 'eth0',
    CNI_PATH: '/usr/lib/cni',
  };
  const reply = await runPlugin({ env, stdin }, nodePluginHost);
  if (reply.exitCode !== 0) {
    const err = JSON.parse(reply.stdout) as { code: number; msg: string };
    return { ok: false, code: err.code, msg: err.msg };
  }
  if (command === 'DEL') return { ok: true };
  const result = JSON.parse(reply.stdout) as { ips: { address: string }[]; interfaces?: { mac?: string }[] };
  return { ok: true, address: result.ips[0]!.address.split('/')[0]!, mac: result.interfaces?.[0]?.mac ?? '' };
}

/** CNI STATUS (spec 1.1) through the plugin's code: 0 when the daemon can serve ADD now, else the error code. */
export async function cniStatus(socket: string, network: string): Promise<number> {
  const stdin = JSON.stringify({ cniVersion: '1.1.0', name: network, ipam: { type: 'ipkeeper', socket } });
  const reply = await runPlugin(
    { env: { CNI_COMMAND: 'STATUS', CNI_PATH: '/usr/lib/cni' }, stdin },
    nodePluginHost,
  );
  return reply.exitCode === 0 ? 0 : (JSON.parse(reply.stdout) as { code: number }).code;
}

export interface StormOptions {
  /** Containers to ADD, split over the clients. */
  adds: number;
  clients: number;
  network: string;
  /** The socket client c uses (called per call: a restarted daemon keeps its socket path). */
  socketOf: (client: number) => string;
  /** Called between calls, so a test can act mid-storm (kill something) once enough were acknowledged. */
  onProgress?: (acked: number) => void;
  /** Give up on one container after this long of "try again" answers. */
  patienceMs?: number;
}

export interface StormResult {
  /** Container → address and MAC, as acknowledged. */
  acked: Map<string, { address: string; mac: string }>;
  /** CNI error code → how many calls failed with it (all retried). */
  failures: Map<number, number>;
  /** Messages of failures other than 11 (what went wrong, for the assertion message). */
  unexpected: string[];
  /** The first few messages of the "try again" answers. */
  retried: string[];
}

/**
 * A storm of ADDs: `clients` concurrent runtimes, each retrying a container's ADD on "try again later" (11)
 * until it succeeds, as kubelet does. Any other error is recorded and the container is given up.
 */
export async function storm(o: StormOptions): Promise<StormResult> {
  const acked = new Map<string, { address: string; mac: string }>();
  const failures = new Map<number, number>();
  const unexpected: string[] = [];
  const retried: string[] = [];
  let next = 0;
  let stop: unknown;
  const client = async (c: number): Promise<void> => {
    for (let n = next++; n < o.adds && stop === undefined; n = next++) {
      const id = `${o.network}-${n}`;
      const deadline = Date.now() + (o.patienceMs ?? 120_000);
      for (;;) {
        const r = await cniCall(o.socketOf(c), 'ADD', id, o.network);
        if (r.ok) {
          acked.set(id, { address: r.address!, mac: r.mac! });
          try {
            o.onProgress?.(acked.size);
          } catch (e) {
            stop ??= e; // every client stops: nothing keeps running after the test failed
          }
          break;
        }
        failures.set(r.code!, (failures.get(r.code!) ?? 0) + 1);
        if (retried.length < 20) retried.push(`${id}: ${r.msg}`);
        if (r.code !== 11) {
          unexpected.push(`${id}: ${r.code} ${r.msg}`);
          break;
        }
        if (Date.now() > deadline || stop !== undefined) {
          unexpected.push(`${id}: still "try again" after ${o.patienceMs ?? 120_000} ms: ${r.msg}`);
          break;
        }
        await sleep(50);
      }
    }
  };
  await Promise.all(Array.from({ length: o.clients }, (_, c) => client(c)));
  if (stop !== undefined) throw stop;
  return { acked, failures, unexpected, retried };
}

/** Asserts that no value occurs twice, naming the duplicates. */
export function assertDistinct(values: Iterable<string>, what: string): void {
  const seen = new Map<string, number>();
  for (const v of values) seen.set(v, (seen.get(v) ?? 0) + 1);
  const dup = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
  assert.deepEqual(dup.slice(0, 20), [], `${what} handed out twice (${dup.length} in all)`);
}
