// SEC-1: the API's TLS certificate is made at first start. A bad DER encoding makes ipkeeperd fail to
// start (OpenSSL: "illegal padding"), so every serial a random source can produce must encode.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadOrCreateTls } from '../../src/daemon/data-dir.js';
import { derInteger, generateSelfSignedCertificate } from '../../src/api/self-signed.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('SEC-1 self-signed certificate', () => {
  it('derInteger is minimal: no leading zero unless the high bit needs it', () => {
    assert.equal(hex(derInteger(Buffer.from([2]))), '020102');
    assert.equal(hex(derInteger(Buffer.from([0x00, 0x05]))), '020105');
    assert.equal(hex(derInteger(Buffer.from([0x00, 0x00, 0x7f, 0x01]))), '02027f01');
    assert.equal(hex(derInteger(Buffer.from([0x80]))), '02020080');
    assert.equal(hex(derInteger(Buffer.from([0x00, 0x80]))), '02020080');
    assert.equal(hex(derInteger(Buffer.from([0x00, 0x00]))), '020100');
    assert.equal(hex(derInteger(Buffer.alloc(0))), '020100');
  });

  // The serials that broke CI once in ~500 starts: a first byte of 0x00 before a byte below 0x80.
  for (const serial of ['0001020304050607', '00ff', '80', '7f', '0000000000000000000000000000002a']) {
    it(`serial ${serial} gives a certificate OpenSSL parses, with the same serial`, () => {
      const { cert, key } = generateSelfSignedCertificate({ serial: Buffer.from(serial, 'hex') });
      const x = new X509Certificate(cert);
      assert.equal(x.serialNumber.replace(/^0+(?=.)/, '').toLowerCase(), serial.replace(/^0+(?=.)/, ''));
      assert.ok(x.checkPrivateKey(createPrivateKey(key)), 'key matches certificate');
      assert.ok(x.verify(x.publicKey), 'self-signature verifies');
      assert.ok(x.checkIP('127.0.0.1') && x.checkIP('::1') && x.checkHost('localhost'));
    });
  }

  it('200 certificates with random serials all parse', () => {
    for (let i = 0; i < 200; i++) {
      const { cert } = generateSelfSignedCertificate();
      assert.doesNotThrow(() => new X509Certificate(cert), `certificate ${i}`);
    }
  });

  it('a kept certificate OpenSSL cannot read is made again, not served', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipk-tls-'));
    try {
      const first = loadOrCreateTls(dir, '127.0.0.1');
      assert.equal(loadOrCreateTls(dir, '127.0.0.1').cert, first.cert, 'a good certificate is kept');
      writeFileSync(join(dir, 'tls.crt'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      const again = loadOrCreateTls(dir, '127.0.0.1');
      assert.doesNotThrow(() => new X509Certificate(again.cert));
      assert.equal(readFileSync(join(dir, 'tls.crt'), 'utf8'), again.cert);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
