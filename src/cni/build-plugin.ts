/**
 * Build step: compiles the CNI plugin (src/cni/plugin/main.ts and what it imports) with `bun build
 * --compile` into ONE self-contained executable, `dist/cni/ipkeeper`, which `bin/ipkeeper` links to. It
 * embeds Bun's runtime, so a node needs no Node.js (DEP-1): copy the file into /opt/cni/bin and it runs.
 *
 * Why Bun, and these flags (docs/cni.md, "The executable", has the figures of every option measured):
 * - `--bytecode` stores the code pre-compiled: start-up halves (VERSION ~5 ms against ~10.8 ms without);
 * - `--minify` keeps the embedded source small;
 * - `--no-compile-autoload-dotenv` / `--no-compile-autoload-bunfig`: a compiled Bun program otherwise reads
 *   `.env` and `bunfig.toml` from the directory the runtime execs it in — input a plugin must not take;
 * - the runtime embedded is the Bun that runs the build (the `bun` dev dependency's binary for this
 *   machine's architecture; on x86-64 Bun 1.4 ships one binary for every CPU, the "baseline" package being
 *   byte-identical, so no AVX2 is needed on the node).
 *
 * Usage (after `tsc -p tsconfig.build.json`): `node dist/cni/build-plugin.js [--out FILE]`.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The repository root, from src/cni or dist/cni alike. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The plugin's entry in the sources; Bun compiles TypeScript itself, so dist/ is not needed for it. */
export const PLUGIN_ENTRY = join(ROOT, 'src', 'cni', 'plugin', 'main.ts');

/** `bun build` flags of the plugin executable (see the file comment for why each). */
export const BUN_BUILD_FLAGS = [
  '--compile',
  '--bytecode',
  '--minify',
  '--no-compile-autoload-dotenv',
  '--no-compile-autoload-bunfig',
] as const;

/**
 * The Bun binary of the `bun` dev dependency. Its postinstall moves the platform package's binary to
 * `bun/bin/bun.exe`; where install scripts did not run, the binary is still in the platform package.
 * `IPKEEPER_BUN` names another one.
 */
export function findBun(env: Record<string, string | undefined> = process.env): string {
  const cpu = arch() === 'arm64' ? 'aarch64' : 'x64';
  const candidates = [
    env.IPKEEPER_BUN,
    join(ROOT, 'node_modules', 'bun', 'bin', 'bun.exe'),
    join(ROOT, 'node_modules', '@oven', `bun-linux-${cpu}`, 'bin', 'bun'),
    join(ROOT, 'node_modules', '@oven', `bun-linux-${cpu}-baseline`, 'bin', 'bun'),
  ].filter((c): c is string => typeof c === 'string' && c !== '');
  for (const file of candidates) {
    if (existsSync(file) && spawnSync(file, ['--version'], { stdio: 'ignore' }).status === 0) return file;
  }
  throw new Error(
    `no usable Bun binary (tried ${candidates.join(', ')}): run npm ci, which installs the "bun" dev dependency`,
  );
}

/**
 * Compiles the plugin into `out` (mode 0755). `flags` other than {@link BUN_BUILD_FLAGS} are for
 * bench/cni/startup.ts's comparisons only. Throws with Bun's output when the build fails.
 */
export function buildPluginExecutable(
  out: string,
  entry = PLUGIN_ENTRY,
  flags: readonly string[] = BUN_BUILD_FLAGS,
): void {
  mkdirSync(dirname(out), { recursive: true });
  rmSync(out, { force: true });
  const r = spawnSync(findBun(), ['build', ...flags, entry, '--outfile', out], {
    cwd: ROOT,
    encoding: 'utf8',
    // Keep Bun from writing its install cache or telemetry anywhere a build should not.
    env: { ...process.env, DO_NOT_TRACK: '1' },
  });
  if (r.status !== 0 || !existsSync(out)) {
    throw new Error(`bun build failed (exit ${r.status}): ${r.stderr}${r.stdout}`);
  }
  chmodSync(out, 0o755);
}

function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const out = resolve(values.out ?? join(ROOT, 'dist', 'cni', 'ipkeeper'));
  buildPluginExecutable(out);
  process.stdout.write(`wrote ${out}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
