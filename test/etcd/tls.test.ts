/**
 * Client TLS to etcd: a CA, a server and a client certificate made here with openssl, an etcd member that
 * serves TLS and requires client certificates, and a real daemon with --etcd-cacert/--etcd-cert/--etcd-key.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { DAEMON, removeDir, startDaemon, tempDir } from '../support/daemon.js';
import { EtcdCluster, etcdMissing } from '../support/etcd.js';
import { runKubectl } from '../support/kubectl.js';

const missing = etcdMissing();

/** A CA, and a server and a client certificate it signed (EC P-256, one day). */
function makeCertificates(
  dir: string,
): Record<'ca' | 'caKey' | 'server' | 'serverKey' | 'client' | 'clientKey', string> {
  const f = (name: string): string => join(dir, name);
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-subj',
    '/CN=ipkeeper-test-ca',
    '-days',
    '1',
  );
  const sign = (name: string, ext: string): void => {
    ssl('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`);
    writeFileSync(f(`${name}.ext`), ext);
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.crt`),
      '-days',
      '1',
      '-extfile',
      f(`${name}.ext`),
    );
  };
  sign('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  sign('client', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: f('ca.crt'),
    caKey: f('ca.key'),
    server: f('server.crt'),
    serverKey: f('server.key'),
    client: f('client.crt'),
    clientKey: f('client.key'),
  };
}

describe('client TLS to etcd', { skip: missing ?? false }, () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let cluster: EtcdCluster;

  before(async () => {
    dir = tempDir('ipkeeper-etcd-tls-');
    certs = makeCertificates(dir);
    cluster = await EtcdCluster.start({
      members: 1,
      tls: {
        cert: certs.server,
        key: certs.serverKey,
        ca: certs.ca,
        clientCert: certs.client,
        clientKey: certs.clientKey,
      },
    });
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
      const client = new Etcd3({
        hosts: cluster.endpoints,
        credentials: {
          rootCertificate: readFileSync(certs.ca),
          privateKey: readFileSync(certs.clientKey),
          certChain: readFileSync(certs.client),
        },
      });
      try {
        const stored = await client.get('/ipkeeper/s/o/IP/tls.ns').string();
        assert.match(stored ?? '', /"podName":"tls"/, 'the object is in etcd');
      } finally {
        client.close();
      }
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
