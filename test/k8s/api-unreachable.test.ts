/**
 * K8S-2 bad input from the cluster side: Kubernetes mode with an API server that refuses connections, and
 * one that accepts them and never answers. No cluster is needed: the daemon is real, the plugin is real, the
 * "API servers" are a closed port and a silent socket. CNI ADD must answer code 11 naming the cause and
 * allocate nothing; the daemon keeps serving its own API; /readyz says it is not ready.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CniHarness, E2E, tag } from '../cni-e2e/cni-e2e-support.js';
import { removeDir, tempDir } from '../support/daemon.js';

function kubeconfigFor(dir: string, server: string): string {
  const file = join(dir, 'kubeconfig');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'unused' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  return file;
}

describe('K8S-2 CNI-5 Kubernetes mode with an API server that refuses or never answers', () => {
  const t = tag();
  const silentSockets = new Set<Socket>();
  const dirs: string[] = [];
  let silent: Server;
  let refused: E2E;
  let hanging: E2E;

  before(async () => {
    silent = createServer((sock) => silentSockets.add(sock));
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    const silentPort = (silent.address() as { port: number }).port;
    // Each daemon its own socket: the Kubernetes-mode default (/run/ipkeeper/ipkeeper.sock) is one per host.
    const args = (server: string) => {
      const dir = tempDir('ipk-k8s-kc-');
      dirs.push(dir);
      return [
        '--kubeconfig',
        kubeconfigFor(dir, server),
        '--socket',
        join(dir, 'ipkeeper.sock'),
        '--node-name',
        `n${t}`,
      ];
    };
    // Port 1 (tcpmux): nothing listens there, and no test can be handed it by listen(0).
    refused = await E2E.start({ args: args('https://127.0.0.1:1') });
    hanging = await E2E.start({ args: args(`https://127.0.0.1:${silentPort}`) });
  });

  after(async () => {
    await refused?.close();
    await hanging?.close();
    for (const s of silentSockets) s.destroy();
    silent?.close();
    for (const dir of dirs) removeDir(dir);
  });

  const pod = (name: string) => ({
    containerId: `c-${name}-${t}`,
    pod: { namespace: 'default', name, uid: `uid-${name}` },
  });

  test('K8S-2 a refused connection: ADD answers 11 naming the cause, nothing is allocated, the daemon keeps serving', async () => {
    const h = new CniHarness(refused, `net-${t}`);
    const failed = await h.addFails(pod('web-1'), 11);
    assert.match(failed.msg ?? '', /Kubernetes API server is unreachable \(ECONNREFUSED\)/);
    assert.deepEqual(await h.ips(), [], 'no IP object');
    assert.equal(await h.used('ovn-default'), 0, 'no address held');
    const ready = await refused.http('GET', '/readyz', { token: null });
    assert.equal(ready.status, 503, 'not ready while the informers cannot list');
    assert.equal((await refused.http('GET', '/livez', { token: null })).status, 200, 'alive');
  });

  test('K8S-2 an API server that never answers: ADD answers 11 after the request deadline, nothing is allocated', async () => {
    const h = new CniHarness(hanging, `net-${t}`);
    const failed = await h.addFails(pod('web-2'), 11);
    assert.match(failed.msg ?? '', /did not answer in time/);
    assert.deepEqual(await h.ips(), []);
    assert.equal(await h.used('ovn-default'), 0);
  });
});
