// ENG-8: every engine error code is documented in docs/errors.md with exactly the HTTP status and CNI code
// the two edges map it to, so the page cannot drift from the code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { IPAM_ERROR_MAP } from '../src/api/status.js';
import { ENGINE_TO_CNI_CODE } from '../src/cni/errors.js';
import { ALL_ERROR_CODES } from '../src/core/errors.js';

const page = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

test('ENG-8 every engine error code maps once to HTTP and CNI, as docs/errors.md says', () => {
  assert.ok(ALL_ERROR_CODES.length >= 18);
  for (const code of ALL_ERROR_CODES) {
    const http = IPAM_ERROR_MAP[code];
    const cni = ENGINE_TO_CNI_CODE[code];
    assert.ok(http && cni, `${code} is mapped at both edges`);
    const row = page.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
    assert.ok(row, `docs/errors.md has a row for ${code}`);
    const cells = row.split('|').map((c) => c.trim());
    assert.equal(cells[2], `${http.code} ${http.reason}`, `${code}: HTTP column`);
    assert.equal(cells[3], String(cni), `${code}: CNI column`);
  }
});

test('ENG-8 own CNI codes are unique and at least 100', () => {
  const own = ALL_ERROR_CODES.map((c) => ENGINE_TO_CNI_CODE[c]).filter((n) => n >= 100);
  assert.equal(new Set(own).size, own.length);
});
