/**
 * Where the plugin's start-up time goes: each variant is exec'd the way a runtime execs a plugin (fresh
 * process, CNI variables + PATH only), N times, variants interleaved so machine load hits all alike.
 * Prints a table on stderr and one JSON line (p50 ms per variant) on stdout. Figures are in docs/cni.md.
 *
 * Run after `npm run build` (the ESM variant needs dist/): `node --import tsx bench/cni/startup.ts [--n 100]`.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildPluginForTest, execCni, REPO_ROOT } from '../../test/support/cni-exec.js';
import { spawnMemoryDaemon } from '../../test/support/cni-memory-daemon-process.js';
import { quantile } from './index.js';

interface Variant {
  name: string;
  argv: string[];
  command: 'ADD' | 'VERSION';
  /** Extra environment, e.g. a variable a runtime might pass on. */
  env?: Record<string, string>;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<Record<string, number>> {
  const { values } = parseArgs({ args: argv, options: { n: { type: 'string' } } });
  const n = Number(values.n ?? 100);
  const dir = mkdtempSync(join(tmpdir(), 'ipk-startup-'));
  let memoryDaemon: ChildProcess | undefined;
  try {
    const socket = join(dir, 'run', 'ipkeeper.sock');
    memoryDaemon = await spawnMemoryDaemon(socket, '10.99.0.0/16');
    const bundle = buildPluginForTest(dir);
    // The same bundle with a bare `#!node` line, to show what the env -u in the chosen line buys.
    const bare = join(dir, 'bare');
    mkdirSync(bare);
    const bareBundle = buildPluginForTest(bare);
    writeFileSync(bareBundle, readFileSync(bareBundle, 'utf8').replace(/^#!.*/, `#!${process.execPath}`));
    const caCerts = { NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' };
    writeFileSync(join(dir, 'empty.cjs'), '');
    writeFileSync(join(dir, 'empty.mjs'), '');
    const node = process.execPath;
    const variants: Variant[] = [
      { name: 'node -e 0', argv: [node, '-e', '0'], command: 'VERSION' },
      { name: 'node empty.cjs', argv: [node, join(dir, 'empty.cjs')], command: 'VERSION' },
      { name: 'node empty.mjs', argv: [node, join(dir, 'empty.mjs')], command: 'VERSION' },
      { name: 'ipkeeper VERSION (bundle)', argv: [bundle], command: 'VERSION' },
      { name: 'ipkeeper ADD (bundle, chosen)', argv: [bundle], command: 'ADD' },
      { name: 'ipkeeper ADD (bundle, --jitless)', argv: [node, '--jitless', bundle], command: 'ADD' },
      { name: 'ipkeeper ADD (bare #!node line)', argv: [bareBundle], command: 'ADD' },
      { name: 'ipkeeper ADD (chosen, CA certs env)', argv: [bundle], command: 'ADD', env: caCerts },
      { name: 'ipkeeper ADD (bare line, CA certs env)', argv: [bareBundle], command: 'ADD', env: caCerts },
      { name: 'host-local VERSION', argv: ['/usr/lib/cni/host-local'], command: 'VERSION' },
    ];
    const esmEntry = join(REPO_ROOT, 'dist', 'cni', 'plugin', 'main.js');
    if (existsSync(esmEntry))
      variants.push({ name: 'ipkeeper ADD (ESM modules)', argv: [node, esmEntry], command: 'ADD' });
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
          ...v.env,
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
        `${v.name.padEnd(36)} p50 ${p50.toFixed(1)} ms  p10 ${quantile(t, 0.1).toFixed(1)} ms\n`,
      );
    }
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return out;
  } finally {
    memoryDaemon?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
