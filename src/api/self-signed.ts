/**
 * A self-signed TLS certificate for the API, made with @peculiar/x509 (a maintained X.509 library on
 * WebCrypto) over node:crypto's WebCrypto: no openssl binary, no hand-written DER.
 *
 * Why it exists: kubectl (client-go) sends a bearer token only over HTTPS, so a token-protected API (SEC-1)
 * needs TLS even on loopback. The certificate is its own CA; its PEM goes into the kubeconfig as
 * `certificate-authority-data`. Key: ECDSA P-256; signature: ecdsa-with-SHA256; subjectAltName: every host
 * it serves (DNS names and IP addresses).
 *
 * Why this library: it makes ECDSA certificates with the extensions a server certificate needs (node-forge,
 * and `selfsigned` on top of it, make RSA only; node:crypto reads certificates but cannot make one), it is
 * typed, and it encodes DER itself — the hand-written encoder it replaces had already shipped one bug.
 */
// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

export interface SelfSignedOptions {
  /** DNS names and IP addresses the certificate is valid for (default: localhost, 127.0.0.1, ::1). */
  hosts?: string[];
  commonName?: string;
  /** Validity start (default a minute ago) and length (default 10 years). */
  notBefore?: Date;
  days?: number;
  /** Serial number bytes, big-endian (default 16 random bytes, positive). */
  serial?: Buffer;
}

export interface SelfSignedCertificate {
  /** PEM certificate; also the CA to trust (`certificate-authority-data`). */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** RFC 5280: a positive serial; the top bit cleared so no sign byte is needed. */
function serialHex(serial: Buffer | undefined): string {
  const bytes = serial ?? Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)));
  if (serial === undefined) bytes[0]! &= 0x7f;
  return bytes.toString('hex') || '00';
}

/** Generate a key pair and a self-signed certificate for `hosts`. */
export async function generateSelfSignedCertificate(
  opts: SelfSignedOptions = {},
): Promise<SelfSignedCertificate> {
  const hosts = opts.hosts ?? ['localhost', '127.0.0.1', '::1'];
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + (opts.days ?? 3650) * 86_400_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialHex(opts.serial),
      name: [{ CN: [opts.commonName ?? 'ipkeeper'] }],
      notBefore,
      notAfter,
      signingAlgorithm: EC,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true), // its own root
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          hosts.map((h) => ({ type: isIP(h) ? 'ip' : 'dns', value: h })),
        ),
      ],
    },
    webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1],
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return {
    cert: cert.toString('pem').replace(/\r\n/g, '\n').trimEnd() + '\n',
    key: `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END PRIVATE KEY-----\n`,
  };
}
