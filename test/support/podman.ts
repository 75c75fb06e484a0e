/**
 * Debian's podman (4.3, CNI backend) as a real container runtime for the tests, kept apart from the
 * machine's own podman: private storage (`--root`/`--runroot`), a private `CONTAINERS_CONF` naming the
 * test's own CNI config and plugin directories and tmp dir. The machine's `/etc/cni/net.d` (where podman's
 * `87-podman-bridge.conflist` lives), `/usr/lib/cni` and containers are never touched.
 *
 * podman runs here only with `runc` and explicit ulimits: its default `crun` refuses this kernel's hybrid
 * cgroups, and without `--ulimit` runc's `setrlimit` is refused. {@link Podman.run} adds them. No image can be
 * pulled: {@link Podman.buildBusybox} builds one from scratch with buildah and Debian's busybox-static.
 */
import { execFile, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { shQuiet } from './cni-netns.js';
import { REPO, tempDir } from './daemon.js';

/** podman's `run` flags that make it work on this kernel (see the module comment). */
export const RUN_FLAGS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
const BUSYBOX = '/bin/busybox';
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
/** The name scripts/image.sh gives the daemon image by default (and deploy/ runs). */
export const DAEMON_IMAGE = `localhost/ipkeeper:${VERSION}`;
/** Where scripts/image.sh keeps daemon image archives between runs (outside the repository). */
export const IMAGE_CACHE = process.env['IPKEEPER_IMAGE_CACHE'] ?? '/var/cache/ipkeeper/image';
/** Applets linked in the busybox test image. */
const APPLETS = ['sh', 'ip', 'ls', 'cat', 'sleep', 'hostname', 'ping', 'echo', 'true'];

/** What one podman/buildah call produced. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr: stderr || (err && code === -1 ? String(err) : '') });
    });
  });
}

function which(cmd: string): boolean {
  return (process.env['PATH'] ?? '/usr/bin:/bin').split(':').some((d) => existsSync(join(d, cmd)));
}

/** Why podman tests cannot run here, or undefined when they can (scripts/setup.sh --test installs all). */
export function podmanSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (podman with CNI networks, buildah storage)';
  for (const cmd of ['podman', 'buildah', 'runc'])
    if (!which(cmd)) return `needs Debian's ${cmd} (apt-get install podman buildah runc)`;
  // A dynamically linked busybox (Debian's `busybox`) cannot run in an image that has no libc.
  if (!existsSync(BUSYBOX) || spawnSync('ldd', [BUSYBOX], { stdio: 'ignore' }).status === 0)
    return `needs Debian's busybox-static (${BUSYBOX} statically linked)`;
  return undefined;
}

/** Options of {@link Podman.create}. */
export interface PodmanOptions {
  /** CNI plugin executables (name → path) linked into the private plugin dir, besides /usr/lib/cni's. */
  plugins?: Record<string, string>;
}

/** One private podman: its storage, configuration, CNI directories, and everything it created. */
export class Podman {
  private readonly links: string[] = [];

  private constructor(
    /** The private directory everything lives under. */
    readonly dir: string,
  ) {}

  /** Private CNI network config directory (`network_config_dir`). */
  get confDir(): string {
    return join(this.dir, 'net.d');
  }

  /** Private CNI plugin directory (`cni_plugin_dirs`). */
  get pluginDir(): string {
    return join(this.dir, 'cni-bin');
  }

  /** A podman of its own: directories made, containers.conf written; nothing started. */
  static create(options: PodmanOptions = {}): Podman {
    const p = new Podman(tempDir('ipkeeper-podman-'));
    for (const d of ['net.d', 'cni-bin', 'tmp', 'root', 'runroot']) mkdirSync(join(p.dir, d));
    // Debian's main plugins by link (never a copy into or out of /usr/lib/cni), then the test's own.
    for (const name of readdirSync('/usr/lib/cni'))
      symlinkSync(join('/usr/lib/cni', name), join(p.pluginDir, name));
    for (const [name, path] of Object.entries(options.plugins ?? {}))
      symlinkSync(path, join(p.pluginDir, name));
    writeFileSync(
      join(p.dir, 'containers.conf'),
      [
        // The default network would be podman's own bridge (cni-podman0, 10.88.0.0/16): containers
        // without --network get none instead, so a test never shares a bridge with the machine's podman.
        '[containers]',
        'netns = "none"',
        '[network]',
        'network_backend = "cni"',
        `cni_plugin_dirs = [${JSON.stringify(p.pluginDir)}]`,
        `network_config_dir = ${JSON.stringify(p.confDir)}`,
        'default_network = "ipkeeper-test-unused"',
        '[engine]',
        'runtime = "runc"',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "none"',
        `tmp_dir = ${JSON.stringify(join(p.dir, 'tmp'))}`,
        '',
      ].join('\n'),
    );
    return p;
  }

  private get env(): NodeJS.ProcessEnv {
    return {
      PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: this.dir,
      CONTAINERS_CONF: join(this.dir, 'containers.conf'),
      TMPDIR: join(this.dir, 'tmp'),
    };
  }

  /** The storage flags every podman and buildah call of this instance carries. */
  get storageFlags(): string[] {
    return [
      '--root',
      join(this.dir, 'root'),
      '--runroot',
      join(this.dir, 'runroot'),
      '--storage-driver',
      'overlay',
    ];
  }

  /** `podman ARGS` with this instance's storage and runc; never rejects. */
  podman(args: string[], timeoutMs = 120_000): Promise<CommandResult> {
    return run('podman', [...this.storageFlags, '--runtime', 'runc', ...args], this.env, timeoutMs);
  }

  /** `podman ARGS` that must succeed; returns stdout. */
  async ok(args: string[], timeoutMs?: number): Promise<string> {
    const r = await this.podman(args, timeoutMs);
    if (r.code !== 0) throw new Error(`podman ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** `podman run` with the flags this kernel needs ({@link RUN_FLAGS}) and `args`. */
  run(args: string[], timeoutMs?: number): Promise<CommandResult> {
    return this.podman(['run', ...RUN_FLAGS, ...args], timeoutMs);
  }

  /** `buildah ARGS` on this instance's storage; must succeed; returns stdout trimmed. */
  async buildah(args: string[]): Promise<string> {
    const r = await run('buildah', [...this.storageFlags, ...args], this.env, 300_000);
    if (r.code !== 0) throw new Error(`buildah ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
    return r.stdout.trim();
  }

  /** Builds `tag` from scratch: Debian's static busybox and a few applets, `sh` as its command. */
  async buildBusybox(tag = 'localhost/busybox:test'): Promise<string> {
    const ctr = await this.buildah(['from', 'scratch']);
    try {
      await this.buildah(['copy', ctr, BUSYBOX, '/bin/busybox']);
      const mount = await this.buildah(['mount', ctr]);
      for (const applet of APPLETS) symlinkSync('busybox', join(mount, 'bin', applet));
      await this.buildah(['umount', ctr]);
      await this.buildah(['config', '--cmd', '["/bin/sh"]', ctr]);
      await this.buildah(['commit', '--quiet', ctr, tag]);
    } finally {
      await this.buildah(['rm', ctr]).catch(() => undefined);
    }
    return tag;
  }

  /** Loads a docker/oci archive (scripts/image.sh's) into this storage. */
  async load(archive: string): Promise<void> {
    await this.ok(['load', '--quiet', '--input', archive], 300_000);
  }

  /**
   * The daemon image as scripts/image.sh builds it from the current dist/ and bin/ipkeeper (built by
   * `npm run build`): a docker-archive reused from {@link IMAGE_CACHE} while its inputs are unchanged
   * (built in this instance's storage when they changed). Returns the archive's path.
   */
  async daemonImageArchive(): Promise<string> {
    const script = join(REPO, 'scripts/image.sh');
    const args = [script, '--no-build', '--cache-dir', IMAGE_CACHE, '--root', join(this.dir, 'root')];
    const r = await run('bash', [...args, '--runroot', join(this.dir, 'runroot')], this.env, 600_000);
    if (r.code !== 0) throw new Error(`scripts/image.sh failed (${r.code}):\n${r.stderr}`);
    return r.stdout.trim().split('\n').pop()!;
  }

  /** {@link daemonImageArchive} loaded into this storage; returns the image's name. */
  async loadDaemonImage(): Promise<string> {
    await this.load(await this.daemonImageArchive());
    return DAEMON_IMAGE;
  }

  /**
   * Writes a CNI network `name` (a conflist) into the private config dir; `bridge`, if named, is a host
   * link the network creates, deleted by {@link cleanup}.
   */
  addNetwork(name: string, plugins: Record<string, unknown>[], bridge?: string): void {
    const conflist = { cniVersion: '1.0.0', name, plugins };
    writeFileSync(join(this.confDir, `50-${name}.conflist`), JSON.stringify(conflist, null, 2));
    if (bridge) this.links.push(bridge);
  }

  /**
   * Removes every container (their CNI DEL runs first), image and build container, unmounts what storage
   * left mounted, deletes the bridges networks created, and the private directory.
   */
  async cleanup(): Promise<void> {
    await this.podman(['rm', '--all', '--force', '--time', '0']);
    await run('buildah', [...this.storageFlags, 'rm', '--all'], this.env, 60_000);
    await this.podman(['rmi', '--all', '--force']);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(`${this.dir}/`))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) shQuiet('umount', '-l', m);
    for (const link of this.links) shQuiet('ip', 'link', 'del', link);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
