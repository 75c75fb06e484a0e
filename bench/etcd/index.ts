/**
 * Several daemons on etcd (issue "Several daemons on one etcd cluster"): real ipkeeperd processes on a real
 * etcd started here, driven over each daemon's CNI socket by the plugin's own code (runPlugin: the CNI
 * process start-up is excluded, so the daemons and the store are what is measured), 48 concurrent clients.
 *
 * - three: three daemons on a three-member etcd, ADDs into the default /16 subnet;
 * - one: one daemon on one member, the same;
 * - churn: three daemons, each client ADDs then DELs, on a /16 (uncontended) and on a 256-address subnet
 *   that every client on every daemon draws from (contended: at most 48 held at once, released addresses
 *   reused oldest first by all three daemons).
 * Allocations per second and ADD latency p50/p99 (client-side, socket round trip included).
 *
 * `--churn-cycles N` instead measures bounded growth: N allocate/release cycles through one daemon's
 * service on a one-member etcd with the leader's maintenance running, reporting etcd's database size.
 *
 * Run: `npm run bench -- etcd [--adds 3000] [--clients 48] [--churn-cycles 1000000]`. The last stdout line is
 * one JSON object of figures.
 */
import { parseArgs } from 'node:util';
import { CompareResult, CompareTarget, Etcd3 } from 'etcd3';
import { Fleet, cniCall } from '../../test/etcd/fleet.js';
import { churn } from './churn.js';

const { values } = parseArgs({
  options: {
    adds: { type: 'string' },
    clients: { type: 'string' },
    'churn-cycles': { type: 'string' },
  },
});
const ADDS = Number(values.adds ?? 3000);
const CLIENTS = Number(values.clients ?? 48);

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

interface RunFigures {
  per_s: number;
  p50_ms: number;
  p99_ms: number;
  retries: number;
}

/**
 * `ADDS` ADDs by `CLIENTS` clients spread over the fleet's daemons; with `release`, each client DELs what it
 * added right after (a churn). Any failed call fails the benchmark.
 */
async function run(
  fleet: Fleet,
  network: string,
  subnet: string | undefined,
  release: boolean,
): Promise<RunFigures> {
  const latencies: number[] = [];
  let next = 0;
  const ipam = subnet ? { subnet } : {};
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const socket = fleet.daemons[c % fleet.daemons.length]!.socket;
      for (let n = next++; n < ADDS; n = next++) {
        const id = `${network}-${n}`;
        const started = performance.now();
        const r = await cniCall(socket, 'ADD', id, network, ipam);
        latencies.push(performance.now() - started);
        if (!r.ok) throw new Error(`ADD ${id} failed: ${r.code} ${r.msg}`);
        if (release) {
          const d = await cniCall(socket, 'DEL', id, network, ipam);
          if (!d.ok) throw new Error(`DEL ${id} failed: ${d.code} ${d.msg}`);
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  let retries = 0;
  for (let i = 0; i < fleet.daemons.length; i++) {
    const metrics = await fleet.ok(i, ['get', '--raw', '/metrics']);
    retries += Number(/^ipkeeper_proposal_retries_total (\d+)/m.exec(metrics)?.[1] ?? 0);
  }
  return {
    per_s: Math.round(ADDS / seconds),
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    retries,
  };
}

/**
 * The ceiling etcd itself sets here: CLIENTS concurrent transactions shaped like an ADD's (four compares,
 * an object of ~700 bytes and seven small keys) straight from one client, for 5 s.
 */
async function rawEtcd(fleet: Fleet): Promise<RunFigures> {
  const client = new Etcd3({ hosts: fleet.cluster.endpoints });
  try {
    const latencies: number[] = [];
    let n = 0;
    const t0 = performance.now();
    const end = t0 + 5000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < end) {
          const k = `/raw-baseline/${n++}`;
          const started = performance.now();
          await client.kv.txn({
            compare: [0, 1, 2, 3].map((i) => ({
              key: Buffer.from(`${k}/c${i}`),
              target: CompareTarget.Mod,
              result: CompareResult.Equal,
              mod_revision: 0,
            })),
            success: Array.from({ length: 8 }, (_, i) => ({
              request_put: { key: Buffer.from(`${k}/${i}`), value: Buffer.alloc(i === 0 ? 700 : 40, 97) },
            })),
          });
          latencies.push(performance.now() - started);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    return {
      per_s: Math.round(latencies.length / seconds),
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      retries: 0,
    };
  } finally {
    client.close();
  }
}

async function withFleet<T>(members: 1 | 3, daemons: number, fn: (fleet: Fleet) => Promise<T>): Promise<T> {
  const fleet = await Fleet.start({ members, daemons });
  try {
    return await fn(fleet);
  } finally {
    await fleet.close();
  }
}

if (values['churn-cycles']) {
  const figures = await churn(Number(values['churn-cycles']), log);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} else {
  const [raw, three] = await withFleet(3, 3, async (fleet) => {
    const baseline = await rawEtcd(fleet);
    log(
      `etcd alone, three members: ${baseline.per_s} txn/s, p50 ${baseline.p50_ms} ms, p99 ${baseline.p99_ms} ms`,
    );
    const adds = await run(fleet, 'three', undefined, false);
    log(
      `three daemons, three members: ${adds.per_s} ADDs/s, p50 ${adds.p50_ms} ms, p99 ${adds.p99_ms} ms, ${adds.retries} retries`,
    );
    return [baseline, adds];
  });
  const one = await withFleet(1, 1, async (fleet) => {
    const adds = await run(fleet, 'one', undefined, false);
    log(`one daemon, one member: ${adds.per_s} ADDs/s, p50 ${adds.p50_ms} ms, p99 ${adds.p99_ms} ms`);
    return adds;
  });
  const [calm, contended] = await withFleet(3, 3, async (fleet) => {
    await fleet.ok(
      0,
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'kubeovn.io/v1',
        kind: 'Subnet',
        metadata: { name: 'pool256' },
        spec: { cidrBlock: '10.200.0.0/24' },
      }),
    );
    await new Promise((r) => setTimeout(r, 1000));
    const a = await run(fleet, 'calm', undefined, true);
    log(
      `churn on a /16, three daemons: ${a.per_s} ADD+DEL/s, ADD p50 ${a.p50_ms} ms, p99 ${a.p99_ms} ms, ${a.retries} retries`,
    );
    const b = await run(fleet, 'contended', 'pool256', true);
    log(
      `churn on one 256-address subnet, three daemons: ${b.per_s} ADD+DEL/s, ADD p50 ${b.p50_ms} ms, p99 ${b.p99_ms} ms, ${b.retries - a.retries} retries`,
    );
    return [a, { ...b, retries: b.retries - a.retries }];
  });
  const figures = {
    adds: ADDS,
    clients: CLIENTS,
    etcd_alone_txn_per_s: raw.per_s,
    etcd_alone_p50_ms: raw.p50_ms,
    etcd_alone_p99_ms: raw.p99_ms,
    three_members_three_daemons_per_s: three.per_s,
    three_p50_ms: three.p50_ms,
    three_p99_ms: three.p99_ms,
    three_retries: three.retries,
    one_member_one_daemon_per_s: one.per_s,
    one_p50_ms: one.p50_ms,
    one_p99_ms: one.p99_ms,
    churn_uncontended_per_s: calm.per_s,
    churn_uncontended_p99_ms: calm.p99_ms,
    churn_contended_256_per_s: contended.per_s,
    churn_contended_256_p50_ms: contended.p50_ms,
    churn_contended_256_p99_ms: contended.p99_ms,
    churn_contended_retries: contended.retries,
    /** Uncontended ÷ contended throughput: the goal is at most 2. */
    contention_slowdown: round(calm.per_s / contended.per_s, 2),
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
