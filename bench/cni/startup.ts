/**
 * Where the plugin's start-up time goes, and how the choices compare: each variant is exec'd the way a
 * runtime execs a plugin (fresh process, CNI variables + PATH only), N times, variants interleaved so
 * machine load hits all alike. ADD variants talk to the real service on the memory store (test/support/cni-memory-daemon.ts) (the same idempotent ADD each
 * time), so they measure the plugin and the wire, not the store. Prints a table on stderr and one JSON line
 * (p50 ms per variant, and the executable's size) on stdout. Figures are in docs/cni.md.
 *
 * Run: `node --import tsx bench/cni/startup.ts [--n 200] [--extra NAME=EXECUTABLE]...` — `--extra` adds any
 * other build to compare (a Node single-executable application, an older plugin), run as VERSION and ADD.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BUN_BUILD_FLAGS, buildPluginExecutable } from '../../src/cni/build-plugin.js';
import { execCni } from '../../test/support/cni-exec.js';
import { spawnMemoryDaemon } from '../../test/support/cni-memory-daemon-process.js';
import { quantile } from './index.js';

interface Variant {
  name: string;
  argv: string[];
  command: 'ADD' | 'VERSION';
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<Record<string, number>> {
  const { values } = parseArgs({
    args: argv,
    options: { n: { type: 'string' }, extra: { type: 'string', multiple: true } },
  });
  const n = Number(values.n ?? 200);
  const dir = mkdtempSync(join(tmpdir(), 'ipk-startup-'));
  let memoryDaemon: ChildProcess | undefined;
  try {
    const socket = join(dir, 'run', 'ipkeeper.sock');
    memoryDaemon = await spawnMemoryDaemon(socket, '10.99.0.0/16');
    const chosen = join(dir, 'ipkeeper');
    buildPluginExecutable(chosen);
    // The same build without --bytecode: what compiling the code ahead of time buys.
    const noBytecode = join(dir, 'ipkeeper-no-bytecode');
    buildPluginExecutable(
      noBytecode,
      undefined,
      BUN_BUILD_FLAGS.filter((f) => f !== '--bytecode'),
    );
    const both = (name: string, file: string): Variant[] => [
      { name: `${name} VERSION`, argv: [file], command: 'VERSION' },
      { name: `${name} ADD`, argv: [file], command: 'ADD' },
    ];
    const variants: Variant[] = [
      ...both('ipkeeper (chosen)', chosen),
      ...both('ipkeeper without --bytecode', noBytecode),
      ...(values.extra ?? []).flatMap((spec) => {
        const eq = spec.indexOf('=');
        return both(spec.slice(0, eq), spec.slice(eq + 1));
      }),
      {
        name: 'node -e 0 (floor of any node-based plugin)',
        argv: [process.execPath, '-e', '0'],
        command: 'VERSION',
      },
      { name: 'host-local VERSION (Go, for scale)', argv: ['/usr/lib/cni/host-local'], command: 'VERSION' },
    ];
    const conf = JSON.stringify({ cniVersion: '0.4.0', name: 'n', ipam: { type: 'ipkeeper', socket } });
    const times = variants.map((): number[] => []);
    for (let i = 0; i < n; i++) {
      for (const [k, v] of variants.entries()) {
        const env = {
          CNI_COMMAND: v.command,
          CNI_CONTAINERID: 'startup',
          CNI_NETNS: '/var/run/netns/x',
          CNI_IFNAME: 'eth0',
          CNI_PATH: '/usr/lib/cni',
        };
        const r = await execCni(v.argv[0] ?? '', env, conf, v.argv.slice(1));
        if (r.code !== 0) throw new Error(`${v.name}: exit ${r.code}: ${r.stdout}${r.stderr}`);
        times[k]?.push(r.ms);
      }
    }
    const out: Record<string, number> = {};
    for (const [k, v] of variants.entries()) {
      const t = times[k] ?? [];
      const p50 = quantile(t, 0.5);
      out[v.name] = Math.round(p50 * 10) / 10;
      process.stderr.write(
        `${v.name.padEnd(44)} p50 ${p50.toFixed(1)} ms  p10 ${quantile(t, 0.1).toFixed(1)} ms\n`,
      );
    }
    out.executable_bytes = statSync(chosen).size;
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return out;
  } finally {
    memoryDaemon?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
