/**
 * A self-signed TLS certificate made with node:crypto alone (no package, no openssl binary).
 *
 * Why this exists: kubectl (client-go) sends a bearer token only over HTTPS, so a token-protected API
 * (SEC-1) needs TLS even on loopback. The certificate is its own CA; its PEM goes into the kubeconfig
 * as `certificate-authority-data`. Key: ECDSA P-256; signature: ecdsa-with-SHA256.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';

// Minimal DER encoding: tag, length, content.
function der(tag: number, content: Buffer): Buffer {
  const len = content.length;
  let header: Buffer;
  if (len < 0x80) header = Buffer.from([tag, len]);
  else {
    const bytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, content]);
}
const seq = (...parts: Buffer[]): Buffer => der(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]): Buffer => der(0x31, Buffer.concat(parts));
const explicit = (n: number, inner: Buffer): Buffer => der(0xa0 + n, inner);
const octets = (b: Buffer): Buffer => der(0x04, b);
const bitString = (b: Buffer): Buffer => der(0x03, Buffer.concat([Buffer.from([0]), b]));
const bool = (v: boolean): Buffer => der(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string): Buffer => der(0x0c, Buffer.from(s, 'utf8'));

/**
 * A non-negative INTEGER from big-endian bytes, in DER's minimal form: leading zero bytes dropped
 * (a 0x00 followed by a byte below 0x80 is "illegal padding" to OpenSSL), then one 0x00 put back when
 * the high bit is set so the value stays positive. Zero is the single byte 0x00.
 */
export function derInteger(b: Buffer): Buffer {
  let start = 0;
  while (start < b.length - 1 && b[start] === 0) start++;
  const body = b.length === 0 ? Buffer.from([0]) : b.subarray(start);
  return der(0x02, (body[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), body]) : body);
}

function oid(text: string): Buffer {
  const [a = 0, b = 0, ...rest] = text.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return der(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(iso.slice(2))) : der(0x18, Buffer.from(iso));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
    : ip.split(':');
  return Buffer.concat(groups.map((g) => Buffer.from([parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff])));
}

export interface SelfSignedOptions {
  /** DNS names and IP addresses the certificate is valid for (default: localhost, 127.0.0.1, ::1). */
  hosts?: string[];
  commonName?: string;
  /** Validity start (default now) and length (default 10 years). */
  notBefore?: Date;
  days?: number;
  /** Serial number bytes, big-endian (default 16 random bytes). */
  serial?: Buffer;
}

export interface SelfSignedCertificate {
  /** PEM certificate; also the CA to trust (`certificate-authority-data`). */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

/** Generate a key pair and a self-signed certificate for `hosts`. */
export function generateSelfSignedCertificate(opts: SelfSignedOptions = {}): SelfSignedCertificate {
  const hosts = opts.hosts ?? ['localhost', '127.0.0.1', '::1'];
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const name = seq(set(seq(oid('2.5.4.3'), utf8(opts.commonName ?? 'ipkeeper'))));
  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + (opts.days ?? 3650) * 86_400_000);
  const sigAlg = seq(oid('1.2.840.10045.4.3.2'));
  const san = seq(
    ...hosts.map((h) => (isIP(h) ? der(0x87, ipBytes(h)) : der(0x82, Buffer.from(h, 'ascii')))),
  );
  const extensions = seq(
    seq(oid('2.5.29.19'), bool(true), octets(seq(bool(true)))), // basicConstraints: CA (it is its own root)
    seq(oid('2.5.29.15'), bool(true), octets(der(0x03, Buffer.from([0x02, 0x84])))), // keyUsage: digitalSignature, keyCertSign
    seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.1')))), // extKeyUsage: serverAuth
    seq(oid('2.5.29.17'), octets(san)), // subjectAltName
  );
  // RFC 5280: a positive serial of at most 20 octets; derInteger() keeps the encoding minimal.
  const serial = opts.serial ?? randomBytes(16);
  const tbs = seq(
    explicit(0, derInteger(Buffer.from([2]))),
    derInteger(serial),
    sigAlg,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    spki,
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey);
  const certDer = seq(tbs, sigAlg, bitString(signature));
  const b64 = certDer
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    key: createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }))
      .export({ type: 'pkcs8', format: 'pem' })
      .toString(),
  };
}
