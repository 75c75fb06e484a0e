// The plugin executable's own logic (CNI-5 code 11/50 when the daemon is unreachable, VERSION without the
// daemon, socket selection) and its HTTP-over-unix-socket client against the real endpoint listener.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeWireRequest } from '../../src/cni/http-endpoint.js';
import { parseHttpReply, postJson } from '../../src/cni/plugin/http-over-socket.js';
import { runPlugin, type PostJson } from '../../src/cni/plugin/plugin.js';
import { DEFAULT_SOCKET_PATH } from '../../src/cni/wire.js';
import { startMemoryDaemon, type MemoryDaemon } from '../support/cni-memory-daemon.js';

const conf = (ipam: Record<string, unknown> = {}): string =>
  JSON.stringify({ cniVersion: '1.0.0', name: 'n', ipam: { type: 'ipkeeper', ...ipam } });
const addEnv = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/x', CNI_IFNAME: 'eth0' };

function recordingPost(
  reply = { status: 200, body: '{"exitCode":0,"stdout":"OUT"}' },
): PostJson & { sockets: string[] } {
  const sockets: string[] = [];
  const post = async (socket: string) => {
    sockets.push(socket);
    return reply;
  };
  return Object.assign(post, { sockets });
}

describe('CNI plugin forwarder', () => {
  it('CNI-1 VERSION is answered without the daemon', async () => {
    const post = recordingPost();
    const r = await runPlugin({ env: { CNI_COMMAND: 'VERSION' }, stdin: '{"cniVersion":"0.3.1"}' }, post);
    assert.equal(r.exitCode, 0);
    assert.equal(JSON.parse(r.stdout).cniVersion, '0.3.1');
    assert.equal(post.sockets.length, 0);
  });

  it('socket: IPKEEPER_SOCKET, then ipam.socket, then the default', async () => {
    const post = recordingPost();
    await runPlugin(
      { env: { ...addEnv, IPKEEPER_SOCKET: '/e.sock' }, stdin: conf({ socket: '/c.sock' }) },
      post,
    );
    await runPlugin({ env: addEnv, stdin: conf({ socket: '/c.sock' }) }, post);
    await runPlugin({ env: addEnv, stdin: 'not json' }, post);
    assert.deepEqual(post.sockets, ['/e.sock', '/c.sock', DEFAULT_SOCKET_PATH]);
  });

  it('the daemon answer is printed verbatim', async () => {
    const r = await runPlugin({ env: addEnv, stdin: conf() }, recordingPost());
    assert.deepEqual(r, { exitCode: 0, stdout: 'OUT' });
  });

  it('CNI-5 daemon unreachable → 11 naming the socket; STATUS → 50', async () => {
    const failing: PostJson = async () => {
      throw Object.assign(new Error('connect ENOENT /s'), { code: 'ENOENT' });
    };
    const r = await runPlugin({ env: addEnv, stdin: conf({ socket: '/s' }) }, failing);
    assert.equal(r.exitCode, 1);
    assert.deepEqual(JSON.parse(r.stdout), {
      cniVersion: '1.0.0',
      code: 11,
      msg: 'ipkeeper daemon unreachable at /s',
      details: 'ENOENT: connect ENOENT /s',
    });
    const status = await runPlugin(
      { env: { CNI_COMMAND: 'STATUS' }, stdin: conf({ socket: '/s' }) },
      failing,
    );
    assert.equal(JSON.parse(status.stdout).code, 50);
  });

  it('CNI-5 a daemon answer that is not a wire response → 11', async () => {
    for (const reply of [
      { status: 500, body: 'oops' },
      { status: 200, body: '{"exit":0}' },
      { status: 200, body: 'nope' },
    ]) {
      const r = await runPlugin({ env: addEnv, stdin: conf() }, recordingPost(reply));
      assert.equal(JSON.parse(r.stdout).code, 11, JSON.stringify(reply));
    }
  });

  it('only CNI variables are forwarded', async () => {
    let sent = '';
    const post: PostJson = async (_s, _p, json) => {
      sent = json;
      return { status: 200, body: '{"exitCode":0,"stdout":""}' };
    };
    await runPlugin({ env: { ...addEnv, HOME: '/root', CNI_ARGS: 'A=b' }, stdin: conf() }, post);
    assert.deepEqual(JSON.parse(sent).env, { ...addEnv, CNI_ARGS: 'A=b' });
  });
});

describe('HTTP over the unix socket', () => {
  it('parses Content-Length and chunked replies, refuses truncated ones', () => {
    const plain = parseHttpReply(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
    assert.deepEqual(plain, { status: 200, body: 'hi' });
    const chunked = parseHttpReply(
      Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n'),
    );
    assert.deepEqual(chunked, { status: 200, body: 'hello' });
    assert.throws(
      () => parseHttpReply(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi')),
      /mid-reply/,
    );
    assert.throws(() => parseHttpReply(Buffer.from('HTTP/1.1 200')), /complete reply/);
  });

  it('decodeWireRequest keeps CNI variables only and refuses non-string values', () => {
    assert.deepEqual(decodeWireRequest('{"env":{"CNI_COMMAND":"ADD","X":"1"},"stdin":"{}"}'), {
      env: { CNI_COMMAND: 'ADD' },
      stdin: '{}',
    });
    assert.equal(decodeWireRequest('{"env":{"CNI_COMMAND":1},"stdin":"{}"}'), undefined);
    assert.equal(decodeWireRequest('{"env":{}}'), undefined);
    assert.equal(decodeWireRequest('nope'), undefined);
  });

  describe('against the endpoint listener', () => {
    let dir: string;
    let daemon: MemoryDaemon;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ipk-http-'));
      daemon = await startMemoryDaemon(join(dir, 'run', 'd.sock'), {
        defaultSubnet: { name: 's', cidrBlock: '10.5.0.0/24' },
      });
    });
    after(async () => {
      await daemon.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a forwarded ADD round-trips', async () => {
      const r = await runPlugin({ env: addEnv, stdin: conf({ socket: daemon.socketPath }) }, postJson);
      assert.equal(r.exitCode, 0, r.stdout);
      assert.equal(JSON.parse(r.stdout).ips[0].address, '10.5.0.2/24');
    });

    it('wrong path → 404, bad body → 400', async () => {
      assert.equal((await postJson(daemon.socketPath, '/v1/other', '{}', 5000)).status, 404);
      assert.equal((await postJson(daemon.socketPath, '/v1/cni', '{"env":5}', 5000)).status, 400);
    });

    it('a missing socket fails with ENOENT', async () => {
      await assert.rejects(postJson(join(dir, 'none.sock'), '/v1/cni', '{}', 5000), { code: 'ENOENT' });
    });

    it('a reply that takes longer than a tick still arrives (the client never half-closes)', async () => {
      // node's http server (default httpAllowHalfOpen=false) drops the request and closes the socket on the
      // client's FIN; the plugin used to send one after the body, which lost every slow reply (a CNI GC).
      const server = createServer((_req, res) => {
        setTimeout(() => res.end('{"exitCode":0,"stdout":""}'), 50);
      });
      const path = join(dir, 'slow.sock');
      await new Promise<void>((ok) => server.listen(path, ok));
      try {
        const reply = await postJson(path, '/v1/cni', '{}', 5000);
        assert.deepEqual(reply, { status: 200, body: '{"exitCode":0,"stdout":""}' });
      } finally {
        await new Promise((ok) => server.close(ok));
      }
    });
  });
});
