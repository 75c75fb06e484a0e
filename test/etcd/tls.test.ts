/**
 * Client TLS to etcd: a CA, a server and a client certificate made with openssl (test/support/etcd-tls.ts),
 * an etcd member that serves TLS and requires client certificates, and a real daemon with --etcd-cacert/--etcd-cert/--etcd-key.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { DAEMON, removeDir, startDaemon, tempDir } from '../support/daemon.js';
import { type EtcdCluster, etcdMissing } from '../support/etcd.js';
import {
  type EtcdCertificates,
  makeEtcdCertificates,
  readEtcdKey,
  startTlsEtcd,
} from '../support/etcd-tls.js';
import { runKubectl } from '../support/kubectl.js';

const missing = etcdMissing();

describe('client TLS to etcd', { skip: missing ?? false }, () => {
  let dir: string;
  let certs: EtcdCertificates;
  let cluster: EtcdCluster;

  before(async () => {
    dir = tempDir('ipkeeper-etcd-tls-');
    certs = makeEtcdCertificates(dir);
    cluster = await startTlsEtcd(certs);
  });
  after(async () => {
    await cluster?.close();
    if (dir) removeDir(dir);
  });

  test('a daemon with --etcd-cacert, --etcd-cert and --etcd-key works against an etcd requiring client certificates', async () => {
    const tls = ['--etcd-cacert', certs.ca, '--etcd-cert', certs.client, '--etcd-key', certs.clientKey];
    const d = await startDaemon({
      args: ['--store', 'etcd', '--etcd-endpoints', cluster.endpoint(0), ...tls],
    });
    try {
      const ip = {
        apiVersion: 'kubeovn.io/v1',
        kind: 'IP',
        metadata: { name: 'tls.ns' },
        spec: { subnet: 'ovn-default', podName: 'tls', namespace: 'ns' },
      };
      const r = await runKubectl(['create', '-f', '-'], {
        kubeconfig: d.kubeconfig,
        input: JSON.stringify(ip),
      });
      assert.equal(r.code, 0, r.stderr);
      const stored = await readEtcdKey(cluster, certs, '/ipkeeper/s/o/IP/tls.ns');
      assert.match(stored ?? '', /"podName":"tls"/, 'the object is in etcd');
    } finally {
      await d.stop();
      removeDir(d.dataDir);
    }
  });

  test('without a client certificate, or over http://, the daemon says it cannot reach etcd and exits', async () => {
    for (const args of [
      ['--etcd-endpoints', cluster.endpoint(0), '--etcd-cacert', certs.ca],
      ['--etcd-endpoints', cluster.endpoint(0).replace('https:', 'http:')],
    ]) {
      const data = tempDir();
      try {
        const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, [
            DAEMON,
            '--data-dir',
            data,
            '--listen',
            '127.0.0.1:0',
            '--store',
            'etcd',
            ...args,
          ]);
          let stderr = '';
          child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
          child.on('close', (code) => resolve({ code, stderr }));
        });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /ipkeeperd: cannot reach etcd at https?:\/\/127\.0\.0\.1:\d+/);
      } finally {
        removeDir(data);
      }
    }
  });
});
