// DEP-1, CNI-5: the plugin executable itself — compiled from the sources as `npm run build` compiles it —
// copied alone into an empty directory and run where no Node.js exists (a mount namespace with node's
// binaries covered), against a real ipkeeperd; and every way a call can fail, each a CNI error object on
// stdout with a non-zero exit.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
  openSync,
  readSync,
  closeSync,
} from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPluginForTest, execCni, REPO_ROOT, type ExecResult } from '../support/cni-exec.js';
import { startDaemon, tempDir, type RunningDaemon } from '../support/daemon.js';

const SUBNET = '10.231.0.0/24';
const conf = (socket: string, ipam: Record<string, unknown> = {}): string =>
  JSON.stringify({ cniVersion: '1.0.0', name: 'exe', ipam: { type: 'ipkeeper', socket, ...ipam } });
const env = (command: string, id: string): Record<string, string> => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: id,
  CNI_NETNS: `/var/run/netns/${id}`,
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin',
});
const json = (r: ExecResult): { code?: number; msg?: string; ips?: { address: string }[] } => {
  try {
    return JSON.parse(r.stdout) as { code?: number };
  } catch {
    assert.fail(`stdout is not JSON (exit ${r.code}): ${r.stdout}\nstderr: ${r.stderr}`);
  }
};
/** A CNI error: exit 1, the code, and stdout one JSON object with cniVersion and msg. */
function assertCniError(r: ExecResult, code: number, msg?: RegExp): void {
  const body = json(r);
  assert.equal(r.code, 1, `exit status: ${r.stdout}${r.stderr}`);
  assert.equal(body.code, code, r.stdout);
  assert.equal(typeof body.msg, 'string');
  if (msg) assert.match(body.msg!, msg);
}

/** Every path a `node` may be run from here, resolved: the test covers each with an empty file. */
function nodeBinaries(): string[] {
  const found = spawnSync('sh', ['-c', 'which -a node nodejs 2>/dev/null'], { encoding: 'utf8' }).stdout;
  const paths = new Set([process.execPath, ...found.split('\n').filter(Boolean)]);
  return [...paths].flatMap((p) => [p, realpathSync(p)]).filter((p, i, all) => all.indexOf(p) === i);
}

const unshareSkip =
  process.getuid?.() !== 0
    ? 'needs root (unshare -m, bind mounts)'
    : spawnSync('unshare', ['-m', 'true']).status !== 0
      ? 'unshare -m is not permitted here'
      : undefined;

describe('plugin executable (DEP-1)', () => {
  const dir = tempDir('ipk-exe-');
  let built: string;
  let daemon: RunningDaemon;
  before(async () => {
    built = buildPluginForTest(join(dir, 'build'));
    daemon = await startDaemon({ dataDir: join(dir, 'daemon'), args: ['--default-subnet', SUBNET] });
  });
  after(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('DEP-1 is one executable ELF file; bin/ipkeeper links to the one npm run build writes', () => {
    const head = Buffer.alloc(4);
    const fd = openSync(built, 'r');
    readSync(fd, head, 0, 4, 0);
    closeSync(fd);
    assert.deepEqual(
      [...head],
      [0x7f, 0x45, 0x4c, 0x46],
      'an ELF executable, not a script naming an interpreter',
    );
    assert.ok((statSync(built).mode & 0o111) !== 0, 'executable');
    assert.equal(readlinkSync(join(REPO_ROOT, 'bin', 'ipkeeper')), '../dist/cni/ipkeeper');
  });

  describe('copied alone into an empty directory, where no node exists', { skip: unshareSkip }, () => {
    let alone: string;
    let empty: string;
    before(() => {
      alone = join(dir, 'alone');
      mkdirSync(alone);
      copyFileSync(built, join(alone, 'ipkeeper'));
      chmodSync(join(alone, 'ipkeeper'), 0o755);
      empty = join(dir, 'empty-file');
      writeFileSync(empty, '');
    });

    /**
     * Runs the copy in a new mount namespace in which every node binary is an empty file. The script first
     * proves node cannot run there (exit 97 otherwise), then execs the plugin from its directory.
     */
    const noNode = (e: Record<string, string>, stdin: string): Promise<ExecResult> => {
      const mounts = nodeBinaries()
        .map((p) => `mount --bind '${empty}' '${p}'`)
        .join(' && ');
      const script = `${mounts} && if node -e 0 2>/dev/null; then echo node still runs >&2; exit 97; fi; cd '${alone}' && exec ./ipkeeper`;
      return execCni('unshare', e, stdin, ['-m', '--propagation', 'private', 'sh', '-c', script]);
    };

    it('DEP-1 VERSION, ADD and DEL against a running daemon', async () => {
      const version = await noNode(env('VERSION', 'x'), '{"cniVersion":"0.4.0"}');
      assert.equal(version.code, 0, version.stderr);
      assert.equal(JSON.parse(version.stdout).cniVersion, '0.4.0');

      const add = await noNode(env('ADD', 'nonode-1'), conf(daemon.socket));
      assert.equal(add.code, 0, add.stdout + add.stderr);
      const address = json(add).ips?.[0]?.address ?? '';
      assert.match(address, /^10\.231\.0\.\d+\/24$/);
      // The same ADD again is answered from the daemon's record: the call really reached it.
      const again = await noNode(env('ADD', 'nonode-1'), conf(daemon.socket));
      assert.equal(json(again).ips?.[0]?.address, address);

      const del = await noNode(env('DEL', 'nonode-1'), conf(daemon.socket));
      assert.deepEqual([del.code, del.stdout], [0, ''], del.stderr);
    });

    it('DEP-1 CNI-5 with no daemon: a CNI error with code 11 on stdout', async () => {
      const r = await noNode(env('ADD', 'nonode-2'), conf(join(dir, 'no-daemon.sock')));
      assertCniError(r, 11, /ipkeeper daemon unreachable at .*no-daemon\.sock: no such socket/);
    });
  });

  describe('whatever fails, a CNI error on stdout and a non-zero exit (CNI-5)', () => {
    it('CNI-5 garbage stdin → 6 whatever the socket (issue 7 item 5)', async () => {
      for (const stdin of ['hello}{garbage', '', '[1,2]']) {
        // No socket at the default path here, and none named: still 6, never "try again".
        assertCniError(await execCni(built, env('ADD', 'g'), stdin), 6, /error decoding network config/);
        const withSocket = { ...env('ADD', 'g'), IPKEEPER_SOCKET: daemon.socket };
        assertCniError(await execCni(built, withSocket, stdin), 6);
      }
    });

    it('CNI-5 an unknown CNI_COMMAND → 4 naming it', async () => {
      const r = await execCni(built, env('FROB', 'u'), conf(daemon.socket));
      assertCniError(r, 4, /CNI_COMMAND="FROB"/);
    });

    it('CNI-5 a missing socket → 11 naming it', async () => {
      const missing = join(dir, 'missing', 'ipkeeper.sock');
      const r = await execCni(built, env('ADD', 'm'), conf(missing));
      assertCniError(r, 11, new RegExp(`unreachable at ${missing}: no such socket`));
    });

    it('CNI-5 a daemon that is down (its socket left behind) → 11 naming the socket', async () => {
      const down = await startDaemon({
        dataDir: join(dir, 'down'),
        args: ['--default-subnet', '10.232.0.0/24'],
      });
      await down.kill(); // kill -9 leaves the socket file: connecting is refused
      const r = await execCni(built, env('ADD', 'd'), conf(down.socket));
      assertCniError(r, 11, new RegExp(`unreachable at ${down.socket}: connection refused`));
    });

    it(
      'CNI-5 a socket owned by another user → 5 with the fix, not "try again"',
      { skip: process.getuid?.() !== 0 ? 'needs root to run as another user' : undefined },
      async () => {
        // The plugin runs as nobody; the daemon's socket is root's, mode 0600 (SEC-1).
        const exe = join(dir, 'shared');
        mkdirSync(exe, { recursive: true, mode: 0o755 });
        chmodSync(dir, 0o755);
        copyFileSync(built, join(exe, 'ipkeeper'));
        chmodSync(join(exe, 'ipkeeper'), 0o755);
        const socketDir = join(dir, 'open-dir');
        mkdirSync(socketDir, { mode: 0o755 });
        chmodSync(socketDir, 0o755);
        const socket = join(socketDir, 'root-only.sock');
        const server = await listen(socket, () => undefined);
        chmodSync(socket, 0o600);
        try {
          const r = await execCni(join(exe, 'ipkeeper'), env('ADD', 'p'), conf(socket), [], {
            uid: 65534,
            gid: 65534,
          });
          assertCniError(r, 5, new RegExp(`permission denied on the ipkeeper daemon socket ${socket}`));
        } finally {
          server.close();
          chmodSync(dir, 0o700);
        }
      },
    );

    it('CNI-5 a daemon that hangs → 11 after ipam.daemon_timeout_seconds', async () => {
      const socket = join(dir, 'hang.sock');
      const held: Socket[] = [];
      const server = await listen(socket, (s) => held.push(s)); // accepts, reads, never answers
      try {
        const r = await execCni(built, env('ADD', 'h'), conf(socket, { daemon_timeout_seconds: 1 }));
        assertCniError(
          r,
          11,
          new RegExp(`daemon at ${socket} did not answer within 1 s \\(daemon_timeout_seconds\\)`),
        );
        assert.ok(r.ms >= 900, `gave up after ${r.ms} ms, before the timeout`);
      } finally {
        for (const s of held) s.destroy();
        server.close();
      }
    });

    it('a .env or bunfig.toml where the runtime execs it is not read', async () => {
      const cwd = join(dir, 'cwd');
      mkdirSync(cwd);
      writeFileSync(join(cwd, '.env'), `IPKEEPER_SOCKET=${join(dir, 'elsewhere.sock')}\n`);
      writeFileSync(join(cwd, 'bunfig.toml'), 'preload = ["./evil.ts"]\n');
      const r = await execCni(built, env('ADD', 'cwd-1'), conf(daemon.socket), [], { cwd });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      await execCni(built, env('DEL', 'cwd-1'), conf(daemon.socket));
    });
  });
});

function listen(path: string, onConnection: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(onConnection);
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}
