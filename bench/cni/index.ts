/**
 * CNI IPAM benchmark: `bin/ipkeeper` against Debian's `host-local`, both exec'd as a runtime would (fresh
 * process, CNI variables + PATH only, config on stdin, CNI 0.4.0), IPAM only, on the same /16.
 *
 * - sequential: N ADDs, one at a time, ipkeeper and host-local interleaved call by call so machine load
 *   hits both alike → p50/p99 latency;
 * - parallel: N ADDs with 16 in flight → allocations per second.
 *
 * ipkeeper talks to a REAL ipkeeperd (dist/daemon/main.js, SQLite in a temp data dir, `--default-subnet`
 * the bench subnet, so every ADD is committed with fsync and recorded as an IP object). `--memory` uses the
 * CNI endpoint and the real service on the memory store instead (test/support/cni-memory-daemon.ts: no
 * SQLite, no fsync, no API);
 * `--socket PATH` a daemon already running. The last stdout line is one JSON object of figures.
 * Run: `npm run bench -- cni [--n 1000] [--parallel 16] [--memory | --socket PATH]`.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildPluginForTest, execCni, REPO_ROOT, type ExecResult } from '../../test/support/cni-exec.js';
import { spawnMemoryDaemon } from '../../test/support/cni-memory-daemon-process.js';
import { DAEMON, startDaemon, type RunningDaemon } from '../../test/support/daemon.js';

const SUBNET = '10.99.0.0/16';
const HOST_LOCAL = '/usr/lib/cni/host-local';
const VERSION_CALLS = 200;

/** The figures printed as the last stdout line. */
export interface CniBenchFigures {
  n: number;
  parallel: number;
  ipkeeper_p50_ms: number;
  ipkeeper_p99_ms: number;
  hostlocal_p50_ms: number;
  hostlocal_p99_ms: number;
  ipkeeper_parallel_per_s: number;
  hostlocal_parallel_per_s: number;
  /** ipkeeper ÷ host-local: above 1 means ipkeeper is slower (latency) … */
  p50_ratio: number;
  p99_ratio: number;
  /** … and for throughput above 1 means ipkeeper is faster. */
  parallel_ratio: number;
  /** VERSION (no daemon involved: the executable's start-up), 200 calls interleaved with host-local's. */
  ipkeeper_version_p50_ms: number;
  hostlocal_version_p50_ms: number;
  /** Size of the plugin executable that ran (one self-contained file, DEP-1). */
  executable_bytes: number;
  /** `real`: an ipkeeperd started for the run; `memory`: the service on the memory store; `external`: `--socket`. */
  daemon: 'real' | 'memory' | 'external';
}

interface Target {
  name: string;
  file: string;
  conf: string;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<CniBenchFigures> {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string' },
      parallel: { type: 'string' },
      socket: { type: 'string' },
      memory: { type: 'boolean' },
    },
  });
  const n = Number(values.n ?? 1000);
  const parallel = Number(values.parallel ?? 16);
  if (!existsSync(HOST_LOCAL))
    throw new Error(`${HOST_LOCAL} missing: apt-get install containernetworking-plugins`);
  const dir = mkdtempSync(join(tmpdir(), 'ipk-bench-cni-'));
  let memoryDaemon: ChildProcess | undefined;
  let real: RunningDaemon | undefined;
  const mode: CniBenchFigures['daemon'] = values.socket ? 'external' : values.memory ? 'memory' : 'real';
  try {
    let socket = values.socket ?? join(dir, 'run', 'ipkeeper.sock');
    if (mode === 'memory') memoryDaemon = await spawnMemoryDaemon(socket, SUBNET);
    if (mode === 'real') {
      if (!existsSync(DAEMON)) throw new Error(`${DAEMON} missing: npm run build`);
      real = await startDaemon({
        dataDir: join(dir, 'ipkeeperd'),
        args: ['--default-subnet', SUBNET, '--log-level', 'warn'],
      });
      socket = real.socket;
    }
    const ipkeeper: Target = {
      name: 'ipkeeper',
      file: pluginPath(dir),
      conf: netconf('ipkeeper', { socket }),
    };
    const hostLocal: Target = {
      name: 'host-local',
      file: HOST_LOCAL,
      conf: netconf('host-local', { ranges: [[{ subnet: SUBNET }]], dataDir: join(dir, 'host-local') }),
    };
    log(
      `plugin ${ipkeeper.file}; daemon ${mode} at ${socket}${real ? ` (pid ${real.pid})` : ''}; n=${n}, parallel=${parallel}`,
    );
    for (const target of [ipkeeper, hostLocal]) await add(target, 'warm', 0); // page cache, first-run costs
    const seq = { ipkeeper: [] as number[], hostLocal: [] as number[] };
    for (let i = 0; i < n; i++) {
      seq.ipkeeper.push((await add(ipkeeper, 'seq', i)).ms);
      seq.hostLocal.push((await add(hostLocal, 'seq', i)).ms);
    }
    const versions = { ipkeeper: [] as number[], hostLocal: [] as number[] };
    for (let i = 0; i < VERSION_CALLS; i++) {
      versions.ipkeeper.push((await version(ipkeeper)).ms);
      versions.hostLocal.push((await version(hostLocal)).ms);
    }
    const ipkPerS = await throughput(ipkeeper, n, parallel);
    const hlPerS = await throughput(hostLocal, n, parallel);
    const figures: CniBenchFigures = {
      n,
      parallel,
      ipkeeper_p50_ms: round(quantile(seq.ipkeeper, 0.5)),
      ipkeeper_p99_ms: round(quantile(seq.ipkeeper, 0.99)),
      hostlocal_p50_ms: round(quantile(seq.hostLocal, 0.5)),
      hostlocal_p99_ms: round(quantile(seq.hostLocal, 0.99)),
      ipkeeper_parallel_per_s: round(ipkPerS),
      hostlocal_parallel_per_s: round(hlPerS),
      p50_ratio: round(quantile(seq.ipkeeper, 0.5) / quantile(seq.hostLocal, 0.5)),
      p99_ratio: round(quantile(seq.ipkeeper, 0.99) / quantile(seq.hostLocal, 0.99)),
      parallel_ratio: round(ipkPerS / hlPerS),
      ipkeeper_version_p50_ms: round(quantile(versions.ipkeeper, 0.5)),
      hostlocal_version_p50_ms: round(quantile(versions.hostLocal, 0.5)),
      executable_bytes: statSync(ipkeeper.file).size,
      daemon: mode,
    };
    log(
      `ipkeeper   p50 ${figures.ipkeeper_p50_ms} ms, p99 ${figures.ipkeeper_p99_ms} ms, ${figures.ipkeeper_parallel_per_s}/s`,
    );
    log(
      `VERSION p50: ipkeeper ${figures.ipkeeper_version_p50_ms} ms, host-local ${figures.hostlocal_version_p50_ms} ms; executable ${figures.executable_bytes} bytes`,
    );
    log(
      `host-local p50 ${figures.hostlocal_p50_ms} ms, p99 ${figures.hostlocal_p99_ms} ms, ${figures.hostlocal_parallel_per_s}/s`,
    );
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return figures;
  } finally {
    memoryDaemon?.kill('SIGTERM');
    await real?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `bin/ipkeeper` when the build produced it; otherwise the same executable compiled from sources. */
function pluginPath(dir: string): string {
  const bin = join(REPO_ROOT, 'bin', 'ipkeeper');
  if (existsSync(bin)) return realpathSync(bin);
  log('bin/ipkeeper is not built (npm run build); compiling the plugin from sources');
  return buildPluginForTest(dir);
}

function netconf(type: string, ipam: Record<string, unknown>): string {
  return JSON.stringify({ cniVersion: '0.4.0', name: 'benchnet', ipam: { type, ...ipam } });
}

/** One ADD with a unique container ID; a failed ADD aborts the run (figures of failures mean nothing). */
async function add(target: Target, phase: string, i: number): Promise<ExecResult> {
  const env = {
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: `${phase}-${i}`,
    CNI_NETNS: '/var/run/netns/bench',
    CNI_IFNAME: 'eth0',
    CNI_PATH: '/usr/lib/cni',
  };
  const r = await execCni(target.file, env, target.conf);
  if (r.code !== 0) throw new Error(`${target.name} ADD ${phase}-${i} failed: ${r.stdout}${r.stderr}`);
  return r;
}

/** One VERSION call, as a runtime probes a plugin. */
async function version(target: Target): Promise<ExecResult> {
  const r = await execCni(target.file, { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"0.4.0"}');
  if (r.code !== 0) throw new Error(`${target.name} VERSION failed: ${r.stdout}${r.stderr}`);
  return r;
}

async function throughput(target: Target, n: number, parallel: number): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < n) await add(target, 'par', next++);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return n / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** The value at quantile `q` (nearest rank). */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function log(line: string): void {
  process.stderr.write(`bench/cni: ${line}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
