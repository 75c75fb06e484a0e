/**
 * Certificates for a test cluster, made with Debian's openssl in the cluster's temp dir: one CA, server
 * and client certificates signed by it (EC P-256: fast to make, accepted by every component), and the
 * service-account signing key pair. Identity is in the subject: CN is the user, O the groups, as the API
 * server's x509 authenticator reads them.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEBIAN_BIN } from './paths.js';

/** A certificate and its key, as PEM files. */
export interface CertFiles {
  cert: string;
  key: string;
}

export interface CertRequest {
  /** Common name: the user name for client certificates. */
  cn: string;
  /** Organisations: the groups of a client certificate. */
  groups?: string[];
  /** Subject alternative names of a server certificate. */
  ips?: string[];
  dns?: string[];
  /** What the certificate is for (default: client). */
  usage?: 'server' | 'client' | 'server+client';
}

function openssl(args: string[]): void {
  execFileSync(DEBIAN_BIN.openssl, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** An openssl config that puts exactly these subject fields and extensions on the certificate. */
function configText(subject: string[], extensions: string[]): string {
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    'x509_extensions = ext',
    '[dn]',
    ...subject,
    '[ext]',
    ...extensions,
    '',
  ].join('\n');
}

const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650'];

/** A self-signed CA named `name` in `dir` (files `name.crt`, `name.key`). */
export function createCa(dir: string, name: string): CertFiles {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const config = join(dir, `${name}.cnf`);
  writeFileSync(
    config,
    configText(
      [`CN = ${name}`],
      [
        'basicConstraints = critical,CA:TRUE',
        'keyUsage = critical,keyCertSign,cRLSign,digitalSignature',
        'subjectKeyIdentifier = hash',
      ],
    ),
  );
  openssl(['req', '-x509', '-new', '-config', config, ...NEW_KEY, '-keyout', files.key, '-out', files.cert]);
  return files;
}

/** A certificate signed by `ca`, written to `dir/name.crt` and `dir/name.key`. */
export function issueCert(ca: CertFiles, dir: string, name: string, request: CertRequest): CertFiles {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const config = join(dir, `${name}.cnf`);
  const usage = request.usage ?? 'client';
  const eku = { server: 'serverAuth', client: 'clientAuth', 'server+client': 'serverAuth,clientAuth' }[usage];
  const sans = [
    ...(request.ips ?? []).map((ip) => `IP:${ip}`),
    ...(request.dns ?? []).map((d) => `DNS:${d}`),
  ];
  const subject = [`CN = ${request.cn}`, ...(request.groups ?? []).map((g, i) => `${i}.O = ${g}`)];
  const extensions = [
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage = ${eku}`,
    'authorityKeyIdentifier = keyid',
    ...(sans.length > 0 ? [`subjectAltName = ${sans.join(',')}`] : []),
  ];
  writeFileSync(config, configText(subject, extensions));
  openssl([
    'req',
    '-x509',
    '-new',
    '-config',
    config,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    ...NEW_KEY,
    '-keyout',
    files.key,
    '-out',
    files.cert,
  ]);
  return files;
}

/** The service-account token signing key pair (`sa.key` private, `sa.pub` public). */
export function createServiceAccountKeys(dir: string): { privateKey: string; publicKey: string } {
  const privateKey = join(dir, 'sa.key');
  const publicKey = join(dir, 'sa.pub');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', privateKey]);
  openssl(['ec', '-in', privateKey, '-pubout', '-out', publicKey]);
  return { privateKey, publicKey };
}
