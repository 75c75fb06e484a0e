// The plugin executable's own decisions (src/cni/plugin/plugin.ts) with its I/O replaced: what it answers
// without the daemon (CNI-1 VERSION, CNI-5/DEP-1 codes 4, 6, 7), how it maps each way the daemon cannot be
// reached (11, 5, 50), socket and timeout selection, and running the delegate the daemon names. The same
// paths through the real executable and a real daemon are in cni-executable.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransportError, parseHttpReply } from '../../src/cni/plugin/http-reply.js';
import { runPlugin, type ExecOutcome, type PluginHost } from '../../src/cni/plugin/plugin.js';
import { DEFAULT_SOCKET_PATH } from '../../src/cni/wire.js';

const conf = (ipam: Record<string, unknown> = {}): string =>
  JSON.stringify({ cniVersion: '1.0.0', name: 'n', ipam: { type: 'ipkeeper', ...ipam } });
const addEnv = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/x', CNI_IFNAME: 'eth0' };

interface Recorded {
  posts: { socket: string; json: string; timeoutMs: number }[];
  execs: { file: string; env: Record<string, string>; stdin: string }[];
}

/** A host whose daemon answers `reply` (or fails with `fail`) and whose delegates answer `delegateOut`. */
function fakeHost(
  options: {
    reply?: { status: number; body: string };
    fail?: Error;
    plugins?: Record<string, string>;
    delegateOut?: ExecOutcome;
  } = {},
): PluginHost & Recorded {
  const rec: Recorded = { posts: [], execs: [] };
  return Object.assign(rec, {
    post: async (socket: string, _path: string, json: string, timeoutMs: number) => {
      rec.posts.push({ socket, json, timeoutMs });
      if (options.fail) throw options.fail;
      return options.reply ?? { status: 200, body: '{"exitCode":0,"stdout":"OUT"}' };
    },
    findPlugin: (name: string, cniPath: string) =>
      cniPath.split(':').includes('/opt/cni/bin') ? options.plugins?.[name] : undefined,
    exec: async (file: string, env: Record<string, string>, stdin: string) => {
      rec.execs.push({ file, env, stdin });
      return options.delegateOut ?? { exitCode: 0, stdout: 'DELEGATED', stderr: '' };
    },
  });
}

const parsed = (stdout: string): { code?: number; msg?: string; cniVersion?: string; details?: string } =>
  JSON.parse(stdout) as { code?: number; msg?: string };

describe('CNI plugin: what it answers without the daemon', () => {
  it('CNI-1 VERSION is answered without the daemon, even with no stdin', async () => {
    const host = fakeHost();
    const r = await runPlugin({ env: { CNI_COMMAND: 'VERSION' }, stdin: '{"cniVersion":"0.3.1"}' }, host);
    assert.deepEqual([r.exitCode, parsed(r.stdout).cniVersion], [0, '0.3.1']);
    const bare = await runPlugin({ env: { CNI_COMMAND: 'VERSION' }, stdin: '' }, host);
    assert.deepEqual([bare.exitCode, parsed(bare.stdout).cniVersion], [0, '1.1.0']);
    assert.equal(host.posts.length, 0);
  });

  it('CNI-5 DEP-1 undecodable stdin → 6 whatever the socket, the daemon never asked', async () => {
    const host = fakeHost({ fail: new TransportError('ENOENT', 'no socket') });
    for (const stdin of ['hello}{garbage', '', '[1,2]', 'null', '"x"', ' '.repeat(2 ** 20 + 1)]) {
      const r = await runPlugin({ env: addEnv, stdin }, host);
      assert.equal(r.exitCode, 1, stdin.slice(0, 20));
      assert.equal(parsed(r.stdout).code, 6, `${stdin.slice(0, 20)}: ${r.stdout}`);
      assert.match(parsed(r.stdout).msg!, /network config/);
    }
    assert.equal(host.posts.length, 0);
  });

  it('CNI-5 DEP-1 a missing or unknown CNI_COMMAND → 4 naming it, the daemon never asked', async () => {
    const host = fakeHost();
    const missing = await runPlugin({ env: { CNI_CONTAINERID: 'c' }, stdin: conf() }, host);
    assert.equal(parsed(missing.stdout).code, 4);
    assert.match(parsed(missing.stdout).msg!, /CNI_COMMAND/);
    const unknown = await runPlugin({ env: { ...addEnv, CNI_COMMAND: 'FROB' }, stdin: conf() }, host);
    assert.deepEqual([unknown.exitCode, parsed(unknown.stdout).code], [1, 4]);
    assert.match(parsed(unknown.stdout).msg!, /CNI_COMMAND="FROB".*ADD, DEL, CHECK, GC, STATUS, VERSION/);
    assert.equal(host.posts.length, 0);
  });

  it('CNI-5 a malformed or over-long socket, or daemon_timeout_seconds → 7 naming the field', async () => {
    const host = fakeHost();
    for (const [ipam, field] of [
      [{ socket: 5 }, /ipam\.socket/],
      [{ socket: '' }, /ipam\.socket/],
      [{ daemon_timeout_seconds: 0 }, /ipam\.daemon_timeout_seconds/],
      [{ daemon_timeout_seconds: '30' }, /ipam\.daemon_timeout_seconds/],
      [{ daemon_timeout_seconds: 601 }, /ipam\.daemon_timeout_seconds .*at most 600/],
      [{ socket: `/tmp/${'x'.repeat(120)}.sock` }, /ipam\.socket .* longer than the 107 bytes/],
    ] as const) {
      const r = await runPlugin({ env: addEnv, stdin: conf(ipam) }, host);
      assert.equal(parsed(r.stdout).code, 7, r.stdout);
      assert.match(parsed(r.stdout).msg!, field);
    }
    const env = await runPlugin(
      { env: { ...addEnv, IPKEEPER_SOCKET: `/${'y'.repeat(107)}` }, stdin: conf() },
      host,
    );
    assert.equal(parsed(env.stdout).code, 4);
    assert.match(parsed(env.stdout).msg!, /^IPKEEPER_SOCKET /);
    assert.equal(host.posts.length, 0);
  });
});

describe('CNI plugin: finding and asking the daemon', () => {
  it('socket: IPKEEPER_SOCKET, then ipam.socket (top-level socket for a chained entry), then the default', async () => {
    const host = fakeHost();
    await runPlugin(
      { env: { ...addEnv, IPKEEPER_SOCKET: '/e.sock' }, stdin: conf({ socket: '/c.sock' }) },
      host,
    );
    await runPlugin({ env: addEnv, stdin: conf({ socket: '/c.sock' }) }, host);
    const chained = JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'ipkeeper', socket: '/t.sock' });
    await runPlugin({ env: addEnv, stdin: chained }, host);
    await runPlugin({ env: addEnv, stdin: conf() }, host);
    assert.deepEqual(
      host.posts.map((p) => p.socket),
      ['/e.sock', '/c.sock', '/t.sock', DEFAULT_SOCKET_PATH],
    );
    assert.equal(DEFAULT_SOCKET_PATH, '/run/ipkeeper/ipkeeper.sock');
  });

  it('the timeout is daemon_timeout_seconds, 30 s by default', async () => {
    const host = fakeHost();
    await runPlugin({ env: addEnv, stdin: conf() }, host);
    await runPlugin({ env: addEnv, stdin: conf({ daemon_timeout_seconds: 2.5 }) }, host);
    assert.deepEqual(
      host.posts.map((p) => p.timeoutMs),
      [30_000, 2_500],
    );
  });

  it('the daemon answer is printed verbatim; only CNI variables are forwarded', async () => {
    const host = fakeHost();
    const r = await runPlugin({ env: { ...addEnv, HOME: '/root', CNI_ARGS: 'A=b' }, stdin: conf() }, host);
    assert.deepEqual(r, { exitCode: 0, stdout: 'OUT' });
    assert.deepEqual(JSON.parse(host.posts[0]!.json).env, { ...addEnv, CNI_ARGS: 'A=b' });
  });

  it('CNI-5 no socket, refused, no answer in time, garbled → 11 naming the socket; STATUS → 50', async () => {
    for (const [code, msg] of [
      ['ENOENT', /unreachable at \/s: no such socket/],
      ['ECONNREFUSED', /unreachable at \/s: connection refused/],
      ['ETIMEDOUT', /at \/s did not answer within 30 s \(daemon_timeout_seconds\)/],
      ['EPROTO', /unreachable at \/s/],
    ] as const) {
      const host = fakeHost({ fail: new TransportError(code, 'x') });
      const r = await runPlugin({ env: addEnv, stdin: conf({ socket: '/s' }) }, host);
      assert.equal(r.exitCode, 1);
      const body = parsed(r.stdout);
      assert.deepEqual([body.cniVersion, body.code], ['1.0.0', 11], r.stdout);
      assert.match(body.msg!, msg);
      const status = await runPlugin({ env: { CNI_COMMAND: 'STATUS' }, stdin: conf({ socket: '/s' }) }, host);
      assert.equal(parsed(status.stdout).code, 50);
    }
  });

  it('CNI-5 a socket we may not open → 5 with the fix, not "try again"', async () => {
    for (const code of ['EACCES', 'EPERM']) {
      const host = fakeHost({ fail: new TransportError(code, 'Permission denied') });
      const r = await runPlugin({ env: addEnv, stdin: conf({ socket: '/s' }) }, host);
      assert.equal(parsed(r.stdout).code, 5, r.stdout);
      assert.match(
        parsed(r.stdout).msg!,
        /permission denied on the ipkeeper daemon socket \/s.*run the plugin as/,
      );
    }
  });

  it('CNI-5 a daemon answer that is not a wire response → 11', async () => {
    for (const reply of [
      { status: 500, body: 'oops' },
      { status: 413, body: '{}' },
      { status: 200, body: '{"exit":0}' },
      { status: 200, body: 'nope' },
      { status: 200, body: '{"exitCode":0,"stdout":"","delegate":{"plugin":1}}' },
    ]) {
      const r = await runPlugin({ env: addEnv, stdin: conf() }, fakeHost({ reply }));
      assert.equal(parsed(r.stdout).code, 11, JSON.stringify(reply));
    }
  });
});

describe('CNI plugin: delegating as the daemon asks (the chained MAC step)', () => {
  const plan = (delegate: Record<string, unknown>): { status: number; body: string } => ({
    status: 200,
    body: JSON.stringify({ exitCode: 0, stdout: '', delegate }),
  });
  const env = {
    ...addEnv,
    CNI_PATH: '/nowhere:/opt/cni/bin',
    CNI_ARGS: 'IgnoreUnknown=1;MAC=02:00:00:00:00:01',
  };

  it('runs the named plugin from CNI_PATH with the CNI variables, CNI_ARGS replaced, and prints its answer', async () => {
    const host = fakeHost({
      reply: plan({ plugin: 'tuning', stdin: '{"t":1}', cniArgs: 'IgnoreUnknown=1' }),
      plugins: { tuning: '/opt/cni/bin/tuning' },
    });
    const r = await runPlugin({ env: { ...env, PATH: '/usr/bin', HOME: '/root' }, stdin: conf() }, host);
    assert.deepEqual(r, { exitCode: 0, stdout: 'DELEGATED' });
    assert.deepEqual(host.execs, [
      {
        file: '/opt/cni/bin/tuning',
        env: { ...addEnv, CNI_PATH: env.CNI_PATH, CNI_ARGS: 'IgnoreUnknown=1', PATH: '/usr/bin' },
        stdin: '{"t":1}',
      },
    ]);
  });

  it('a delegate missing from CNI_PATH → 4 naming CNI_PATH and what to install', async () => {
    const host = fakeHost({ reply: plan({ plugin: 'tuning', stdin: '{}' }) });
    const r = await runPlugin({ env: { ...env, CNI_PATH: '/a:/b' }, stdin: conf() }, host);
    const body = parsed(r.stdout);
    assert.equal(body.code, 4);
    assert.match(body.msg!, /failed to find plugin "tuning" in CNI_PATH \[\/a \/b\]/);
    assert.match(body.details!, /containernetworking-plugins/);
    assert.equal(host.execs.length, 0);
  });

  it("the delegate's CNI error passes through; a failure without one becomes 999 with its stderr", async () => {
    const err = '{"cniVersion":"1.0.0","code":7,"msg":"bad mac"}';
    const passes = fakeHost({
      reply: plan({ plugin: 'tuning', stdin: '{}' }),
      plugins: { tuning: '/opt/cni/bin/tuning' },
      delegateOut: { exitCode: 1, stdout: err, stderr: '' },
    });
    assert.deepEqual(await runPlugin({ env, stdin: conf() }, passes), { exitCode: 1, stdout: err });
    const crashes = fakeHost({
      reply: plan({ plugin: 'tuning', stdin: '{}' }),
      plugins: { tuning: '/opt/cni/bin/tuning' },
      delegateOut: { exitCode: 2, stdout: 'panic', stderr: 'goroutine 1\n' },
    });
    const r = await runPlugin({ env, stdin: conf() }, crashes);
    assert.deepEqual([r.exitCode, parsed(r.stdout).code, parsed(r.stdout).details], [1, 999, 'goroutine 1']);
  });

  it('a delegate name that is a path is refused, never run', async () => {
    const host = fakeHost({
      reply: plan({ plugin: '../../bin/sh', stdin: '{}' }),
      plugins: { tuning: '/x' },
    });
    const r = await runPlugin({ env, stdin: conf() }, host);
    assert.equal(parsed(r.stdout).code, 999);
    assert.equal(host.execs.length, 0);
  });
});

describe('HTTP reply parsing', () => {
  const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
  it('parses Content-Length and chunked replies, refuses truncated ones', () => {
    assert.deepEqual(parseHttpReply(bytes('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi')), {
      status: 200,
      body: 'hi',
    });
    const chunked = parseHttpReply(
      bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n'),
    );
    assert.deepEqual(chunked, { status: 200, body: 'hello' });
    assert.throws(() => parseHttpReply(bytes('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi')), /mid-reply/);
    assert.throws(() => parseHttpReply(bytes('HTTP/1.1 200')), /complete reply/);
  });
});
