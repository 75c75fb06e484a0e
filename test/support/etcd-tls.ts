/**
 * Client TLS to a test etcd: a CA and a server and a client certificate made with openssl, a one-member
 * etcd (test/support/etcd.ts) that serves TLS and requires client certificates, and an etcd3 client with
 * the client certificate for reading what the daemons wrote.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { EtcdCluster } from './etcd.js';

/** PEM files in one directory. */
export type EtcdCertificates = Record<
  'ca' | 'caKey' | 'server' | 'serverKey' | 'client' | 'clientKey',
  string
>;

/** A CA, and a server (127.0.0.1, localhost) and a client certificate it signed (EC P-256, one day). */
export function makeEtcdCertificates(dir: string): EtcdCertificates {
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

/** A one-member etcd on loopback serving https:// and requiring client certificates signed by `certs.ca`. */
export function startTlsEtcd(certs: EtcdCertificates): Promise<EtcdCluster> {
  return EtcdCluster.start({
    members: 1,
    tls: {
      cert: certs.server,
      key: certs.serverKey,
      ca: certs.ca,
      clientCert: certs.client,
      clientKey: certs.clientKey,
    },
  });
}

/** The value stored at `key`, read with the client certificate; undefined when absent. */
export async function readEtcdKey(
  cluster: EtcdCluster,
  certs: EtcdCertificates,
  key: string,
): Promise<string | undefined> {
  const client = new Etcd3({
    hosts: cluster.endpoints,
    credentials: {
      rootCertificate: readFileSync(certs.ca),
      privateKey: readFileSync(certs.clientKey),
      certChain: readFileSync(certs.client),
    },
  });
  try {
    return (await client.get(key).string()) ?? undefined;
  } finally {
    client.close();
  }
}
