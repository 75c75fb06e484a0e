// SEC-1: the API's TLS certificate is made at first start (src/api/self-signed.ts, @peculiar/x509). OpenSSL
// (node:crypto's X509Certificate, and the openssl binary when present) must read it, the key must match, the
// subjectAltName must name every host served, and the real kubectl must trust it (test/api/kubectl-*.test.ts
// and every e2e suite connect with it).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadOrCreateTls } from '../../src/daemon/data-dir.js';
import { generateSelfSignedCertificate } from '../../src/api/self-signed.js';

describe('SEC-1 self-signed certificate', () => {
  // Serials whose DER needs care: a leading zero byte before a byte below 0x80 broke the hand-written encoder.
  for (const serial of ['0001020304050607', '00ff', '7f', '0000000000000000000000000000002a']) {
    it(`serial ${serial} gives a certificate OpenSSL parses, with the same serial`, async () => {
      const { cert, key } = await generateSelfSignedCertificate({ serial: Buffer.from(serial, 'hex') });
      const x = new X509Certificate(cert);
      assert.equal(x.serialNumber.replace(/^0+(?=.)/, '').toLowerCase(), serial.replace(/^0+(?=.)/, ''));
      assert.ok(x.checkPrivateKey(createPrivateKey(key)), 'key matches certificate');
      assert.ok(x.verify(x.publicKey), 'self-signature verifies');
      assert.ok(x.checkIP('127.0.0.1') && x.checkIP('::1') && x.checkHost('localhost'));
      assert.ok(x.ca, 'its own CA');
      assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extended key usage: serverAuth');
    });
  }

  it('50 certificates with random serials all parse, with distinct positive serials', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const x = new X509Certificate((await generateSelfSignedCertificate()).cert);
      assert.ok(BigInt(`0x${x.serialNumber}`) < 1n << 127n, 'a positive 16-byte serial');
      serials.add(x.serialNumber);
    }
    assert.equal(serials.size, 50);
  });

  it(
    'the openssl binary reads it as an ECDSA P-256 CA certificate for its hosts',
    { skip: !hasOpenssl() && 'no openssl binary' },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ipk-tls-'));
      try {
        const { cert } = await generateSelfSignedCertificate({
          hosts: ['localhost', '127.0.0.1', '10.1.2.3', 'api.example'],
        });
        writeFileSync(join(dir, 'c.pem'), cert);
        const r = spawnSync('openssl', ['x509', '-in', join(dir, 'c.pem'), '-noout', '-text'], {
          encoding: 'utf8',
        });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /ecdsa-with-SHA256/);
        assert.match(r.stdout, /NIST CURVE: P-256|prime256v1/);
        assert.match(r.stdout, /CA:TRUE/);
        assert.match(
          r.stdout,
          /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:10\.1\.2\.3, DNS:api\.example/,
        );
        const verify = spawnSync('openssl', ['verify', '-CAfile', join(dir, 'c.pem'), join(dir, 'c.pem')], {
          encoding: 'utf8',
        });
        assert.equal(verify.status, 0, verify.stdout + verify.stderr);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('the daemon keeps its certificate, names the listen host in it, and makes a new one it cannot read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipk-tls-'));
    try {
      const first = await loadOrCreateTls(dir, '127.0.0.2');
      assert.ok(new X509Certificate(first.cert).checkIP('127.0.0.2'), 'SAN for the listen host');
      assert.equal((await loadOrCreateTls(dir, '127.0.0.2')).cert, first.cert, 'a good certificate is kept');
      const moved = await loadOrCreateTls(dir, 'ipk.example');
      assert.ok(new X509Certificate(moved.cert).checkHost('ipk.example'), 'a new host, a new certificate');
      writeFileSync(join(dir, 'tls.crt'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      const again = await loadOrCreateTls(dir, 'ipk.example');
      assert.doesNotThrow(() => new X509Certificate(again.cert));
      assert.equal(readFileSync(join(dir, 'tls.crt'), 'utf8'), again.cert);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version']).status === 0;
}
