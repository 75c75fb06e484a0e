// Engine benchmark: the scenarios of Kube-OVN's own IPAM benchmark (test/unittest/ipam_bench), so the
// figures compare one to one. Each scenario runs 3 rounds; every figure is the median of those rounds (bytes
// included, from the same rounds), and `_min`/`_max` give the spread of allocations — as Kube-OVN's figures are
// medians of three. Progress goes to stderr; the last stdout line is one JSON object of figures.
import type * as CoreModule from '../../src/core/index.js';
import { type Address } from '../../src/core/index.js';

// The figures are those of the engine as it ships: the tsc output in dist/ (`npm run bench` builds it).
// Loading the TypeScript through tsx instead adds its transforms (e.g. a helper call per closure created).
type Core = typeof CoreModule;
const distCore = '../../dist/core/index.js';
const { Engine, allocate, buildSubnet, mulberry32, parseCidr, usableRange } = (await import(
  distCore
)) as Core;
type Engine = InstanceType<Core['Engine']>;

const N = Number(process.env.BENCH_N ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;

function heap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

function engineWith(cidrBlock: string): Engine {
  const engine = new Engine({ random: mulberry32(7) });
  engine.putSubnet(buildSubnet({ name: 'bench', cidrBlock }));
  return engine;
}

/** N distinct addresses drawn as Kube-OVN's measurement did: mulberry32(42), first usable after the gateway. */
function scatteredAddresses(cidr: string, n: number): Address[] {
  const c = parseCidr(cidr);
  const usable = usableRange(c);
  const first = usable.start + 1n; // the gateway is the first usable address
  const count = usable.end - first + 1n;
  const random = mulberry32(42);
  const seen = new Set<bigint>();
  const out: Address[] = [];
  while (out.length < n) {
    const value = first + (BigInt(random.nextUint32()) % count);
    if (seen.has(value)) continue;
    seen.add(value);
    out.push({ family: c.family, value });
  }
  return out;
}

interface Run {
  allocsPerS: number;
  releasesPerS: number;
  bytesPerHeld: number;
}

function run(cidrBlock: string, statics: Address[][] | undefined): Run {
  const engine = engineWith(cidrBlock);
  const keys = Array.from({ length: N }, (_, i) => `default/pod-${i}/eth0`);
  const before = heap();
  let t = performance.now();
  for (let i = 0; i < N; i++) allocate(engine, { key: keys[i]!, subnet: 'bench', addresses: statics?.[i] });
  const allocMs = performance.now() - t;
  const bytesPerHeld = (heap() - before) / N;
  t = performance.now();
  for (let i = 0; i < N; i++) engine.release(keys[i]!);
  const releaseMs = performance.now() - t;
  return {
    allocsPerS: Math.round((N / allocMs) * 1000),
    releasesPerS: Math.round((N / releaseMs) * 1000),
    bytesPerHeld: Math.round(bytesPerHeld),
  };
}

/** The median of each figure over `rounds` runs (all from the same rounds), and the spread of allocations. */
interface Summary extends Run {
  allocsMin: number;
  allocsMax: number;
}

const ROUNDS = 3;

function median(f: () => Run, rounds = ROUNDS): Summary {
  const runs = Array.from({ length: rounds }, f);
  const mid = (pick: (r: Run) => number): number => {
    const xs = runs.map(pick).sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)]!;
  };
  const allocs = runs.map((r) => r.allocsPerS);
  return {
    allocsPerS: mid((r) => r.allocsPerS),
    releasesPerS: mid((r) => r.releasesPerS),
    bytesPerHeld: mid((r) => r.bytesPerHeld),
    allocsMin: Math.min(...allocs),
    allocsMax: Math.max(...allocs),
  };
}

function subnetCreation(cidrBlock: string): { us: number; bytes: number } {
  const engines: Engine[] = [];
  const before = heap();
  const t = performance.now();
  for (let i = 0; i < 1000; i++) engines.push(engineWith(cidrBlock));
  const us = ((performance.now() - t) / 1000) * 1000;
  const bytes = (heap() - before) / 1000;
  if (engines.length !== 1000) throw new Error('unreachable');
  return { us: Math.round(us * 10) / 10, bytes: Math.round(bytes) };
}

function scatteredFor(cidr: string): Address[][] {
  return scatteredAddresses(cidr, N).map((a) => [a]);
}

const v4 = '10.0.0.0/8';
const v6 = 'fd00::/104';
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const first = scatteredAddresses(v4, 1)[0]!;
log(
  `first scattered IPv4 address: 10.${Number((first.value >> 16n) & 255n)}.${Number((first.value >> 8n) & 255n)}.${Number(first.value & 255n)}`,
);

const serial4 = median(() => run(v4, undefined));
log(`serial v4: ${JSON.stringify(serial4)}`);
const s4 = scatteredFor(v4);
const scattered4 = median(() => run(v4, s4));
log(`scattered v4: ${JSON.stringify(scattered4)}`);
const serial6 = median(() => run(v6, undefined));
log(`serial v6: ${JSON.stringify(serial6)}`);
const s6 = scatteredFor(v6);
const scattered6 = median(() => run(v6, s6));
log(`scattered v6: ${JSON.stringify(scattered6)}`);
const dual = median(() => run(`${v4},${v6}`, undefined));
log(`dual: ${JSON.stringify(dual)}`);
const sub8 = subnetCreation('10.0.0.0/8');
const sub64 = subnetCreation('fd00:1::/64');
log(`subnet creation /8: ${JSON.stringify(sub8)}  /64: ${JSON.stringify(sub64)}`);

console.log(
  JSON.stringify({
    n: N,
    serial_v4_allocs_per_s: serial4.allocsPerS,
    serial_v4_releases_per_s: serial4.releasesPerS,
    scattered_v4_allocs_per_s: scattered4.allocsPerS,
    scattered_v4_releases_per_s: scattered4.releasesPerS,
    serial_v6_allocs_per_s: serial6.allocsPerS,
    scattered_v6_allocs_per_s: scattered6.allocsPerS,
    dual_allocs_per_s: dual.allocsPerS,
    bytes_per_held_allocation: serial4.bytesPerHeld,
    bytes_per_held_allocation_scattered: scattered4.bytesPerHeld,
    bytes_per_held_allocation_dual: dual.bytesPerHeld,
    subnet_create_v4_8_us: sub8.us,
    subnet_create_v6_64_us: sub64.us,
    subnet_create_v4_8_bytes: sub8.bytes,
    subnet_create_v6_64_bytes: sub64.bytes,
    rounds: ROUNDS,
    serial_v4_allocs_per_s_min: serial4.allocsMin,
    serial_v4_allocs_per_s_max: serial4.allocsMax,
    scattered_v4_allocs_per_s_min: scattered4.allocsMin,
    scattered_v4_allocs_per_s_max: scattered4.allocsMax,
    serial_v6_allocs_per_s_min: serial6.allocsMin,
    serial_v6_allocs_per_s_max: serial6.allocsMax,
    scattered_v6_allocs_per_s_min: scattered6.allocsMin,
    scattered_v6_allocs_per_s_max: scattered6.allocsMax,
    dual_allocs_per_s_min: dual.allocsMin,
    dual_allocs_per_s_max: dual.allocsMax,
  }),
);
