import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { StoreError, type StoreOp } from '../../src/store/store.js';
import { storeContract } from './contract.js';
import { normalize } from './contract-model.js';

async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ipkeeper-sqlite-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

storeContract('store contract: sqlite', async (options) => {
  const { dir, cleanup } = await tempDir();
  const path = join(dir, 'ipkeeper.db');
  return {
    store: SqliteStore.open(path, options),
    reopen: async () => SqliteStore.open(path, options),
    cleanup,
  };
});

const claim = (address: string, key: string): StoreOp => ({
  op: 'claimAddress',
  space: 'default',
  address,
  key,
  pool: '',
});
const isCode = (code: string) => (e: unknown) => e instanceof StoreError && e.code === code;

describe('sqlite store', () => {
  test('migrates a fresh file to the current user_version, in WAL mode', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'fresh.db');
      await SqliteStore.open(path).close();
      const db = new Database(path, { readonly: true });
      try {
        assert.ok(SCHEMA_VERSION >= 1);
        assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
        const tables = (
          db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as {
            name: string;
          }[]
        ).map((r) => r.name);
        assert.deepEqual(tables, ['addresses', 'history', 'leases', 'meta', 'objects', 'quarantine']);
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        db.close();
      }
      // Opening a current file again does not re-run migrations (they would fail on existing tables).
      const again = SqliteStore.open(path);
      assert.equal((await again.load()).revision, 0);
      await again.close();
    } finally {
      await cleanup();
    }
  });

  test('a file with a NEWER user_version is refused with CORRUPT and left as it was', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'future.db');
      await SqliteStore.open(path).close();
      const raw = new Database(path);
      raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      raw.close();
      assert.throws(() => SqliteStore.open(path), isCode('CORRUPT'));
      const check = new Database(path, { readonly: true });
      assert.equal(check.pragma('user_version', { simple: true }), SCHEMA_VERSION + 1);
      check.close();
    } finally {
      await cleanup();
    }
  });

  test('a file that is not an SQLite database is refused with CORRUPT and not overwritten', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'junk.db');
      const junk = Buffer.from('this is not a database, but it is somebody’s file\n'.repeat(200));
      await writeFile(path, junk);
      assert.throws(() => SqliteStore.open(path), isCode('CORRUPT'));
      assert.deepEqual(await readFile(path), junk);
    } finally {
      await cleanup();
    }
  });

  test('a missing directory is an IO error', () => {
    assert.throws(
      () => SqliteStore.open(join(tmpdir(), 'ipkeeper-no-such-dir-', String(process.pid), 'x.db')),
      isCode('IO'),
    );
  });

  test('group commit: 100 concurrent commits share far fewer transactions', async () => {
    const { dir, cleanup } = await tempDir();
    const store = SqliteStore.open(join(dir, 'group.db'));
    try {
      // Sequential commits: one transaction each (the counter really counts transactions).
      for (let i = 0; i < 3; i++) await store.commit([claim(`10.1.0.${i}`, `seq-${i}`)]);
      assert.deepEqual(store.stats(), { transactions: 3, batches: 3 });
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => store.commit([claim(`10.0.0.${i}`, `pod-${i}`)])),
      );
      assert.ok(results.every((r) => r.ok));
      const { transactions, batches } = store.stats();
      assert.equal(batches, 103);
      assert.ok(transactions - 3 <= 5, `100 concurrent commits took ${transactions - 3} transactions`);
      assert.equal(normalize(await store.load()).leases.length, 103);
    } finally {
      await store.close();
      await cleanup();
    }
  });

  test('a rejected batch inside a group does not affect the others in the same group (and they survive reopen)', async () => {
    const { dir, cleanup } = await tempDir();
    const path = join(dir, 'group.db');
    let store = SqliteStore.open(path);
    try {
      const r0 = await store.commit([{ op: 'putObject', kind: 'Subnet', name: 'net1', body: { v: 0 } }]);
      assert.ok(r0.ok);
      const t0 = store.stats().transactions;
      const results = await Promise.all([
        store.commit([claim('10.0.0.1', 'a')]),
        // Claims 10.0.0.2, then fails on 10.0.0.1: its claim of .2 must be rolled back ...
        store.commit([claim('10.0.0.2', 'b'), claim('10.0.0.1', 'b')]),
        // ... so that this one, later in the same transaction, gets .2.
        store.commit([claim('10.0.0.2', 'c')]),
        store.commit([
          { op: 'putObject', kind: 'Subnet', name: 'net1', body: { v: 9 }, expectRevision: 12345 },
          claim('10.0.0.9', 'd'),
        ]),
        store.commit([
          { op: 'putObject', kind: 'Subnet', name: 'net1', body: { v: 1 }, expectRevision: r0.revision },
        ]),
      ]);
      assert.equal(store.stats().transactions - t0, 1, 'the five batches shared one transaction');
      assert.deepEqual(results, [
        { ok: true, revision: r0.revision + 1 },
        { ok: false, index: 1, reason: 'taken', holder: 'a' },
        { ok: true, revision: r0.revision + 2 },
        { ok: false, index: 0, reason: 'conflict' },
        { ok: true, revision: r0.revision + 3 },
      ]);
      const expected = {
        revision: r0.revision + 3,
        objects: [{ kind: 'Subnet', name: 'net1', revision: r0.revision + 3, body: { v: 1 } }],
        leases: [
          {
            key: 'a',
            subnet: '',
            mac: null,
            addresses: [{ space: 'default', address: '10.0.0.1', pool: '' }],
          },
          {
            key: 'c',
            subnet: '',
            mac: null,
            addresses: [{ space: 'default', address: '10.0.0.2', pool: '' }],
          },
        ],
        quarantine: [],
      };
      assert.deepEqual(normalize(await store.load()), expected);
      await store.close();
      store = SqliteStore.open(path);
      assert.deepEqual(normalize(await store.load()), expected);
    } finally {
      await store.close();
      await cleanup();
    }
  });
});
