// The build step that makes bin/ipkeeper: one CommonJS file with an interpreter line that finds node
// without PATH and drops NODE_OPTIONS / NODE_EXTRA_CA_CERTS (docs/cni.md, "Start-up").
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { interpreterLine } from '../../src/cni/build-plugin.js';
import { buildPluginForTest, execCni } from '../support/cni-exec.js';

describe('plugin executable build', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipk-build-'));
  const file = buildPluginForTest(dir);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is one executable CommonJS file with the absolute node path', () => {
    const text = readFileSync(file, 'utf8');
    assert.equal(text.split('\n')[0], `#!${interpreterLine('absolute')}`);
    assert.ok(text.includes(process.execPath));
    assert.ok((statSync(file).mode & 0o111) !== 0, 'executable');
    assert.doesNotMatch(text, /^\s*import\s/m, 'no ES module syntax left');
  });

  it('runs with an empty PATH and a hostile NODE_OPTIONS', async () => {
    const r = await execCni(
      file,
      { PATH: '', CNI_COMMAND: 'VERSION', NODE_OPTIONS: '--import does-not-exist' },
      '{}',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).cniVersion, '1.1.0');
  });

  it('falls back to a PATH lookup when the node path is too long for the kernel', () => {
    assert.match(interpreterLine('absolute', `/${'x'.repeat(120)}/node`), /(^|\s)node$/);
    assert.match(interpreterLine('env'), /(^|\s)node$/);
  });
});
