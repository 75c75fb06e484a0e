import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type CommitResult,
  type Store,
  StoreError,
  type StoreOp,
  type StoreOptions,
} from '../../src/store/store.js';
import { StoreModel, normalize, normalizeHistory, opSpec, resolve } from './contract-model.js';

/** What a backend's test file hands the suite: a fresh, empty store, and how to reopen the same data. */
export interface OpenedStore {
  store: Store;
  /** Opens the same data again after `store` was closed (durable backends only). */
  reopen?: () => Promise<Store>;
  /** Removes what `open` created. The suite closes every store it got before calling it. */
  cleanup: () => Promise<void>;
}

interface Ctx {
  store: Store;
  /** Closes the current store and returns a new one on the same data; undefined when the backend cannot. */
  reopen: (() => Promise<Store>) | undefined;
}

const claim = (address: string, key: string, pool = '', space = 'default'): StoreOp => ({
  op: 'claimAddress',
  space,
  address,
  key,
  pool,
});
const ok = (r: CommitResult): number => {
  assert.equal(r.ok, true, `expected ok, got ${JSON.stringify(r)}`);
  return (r as { revision: number }).revision;
};
const isClosed = (e: unknown): boolean => e instanceof StoreError && e.code === 'CLOSED';

/**
 * The store conformance suite (STYLE lesson 3): every backend (memory, SQLite, etcd) runs every case here.
 * `options.skip` maps a case's exact title to the reason it does not apply; the reason is shown in the test
 * report, and an unknown title is an error, so a renamed case cannot be skipped by accident.
 */
export function storeContract(
  name: string,
  open: (options?: StoreOptions) => Promise<OpenedStore>,
  options: { skip?: Record<string, string> } = {},
): void {
  const titles = new Set<string>();
  const skip = options.skip ?? {};

  const run = (
    title: string,
    fn: (ctx: Ctx) => Promise<void>,
    extra: { needsReopen?: boolean; options?: StoreOptions } = {},
  ): void => {
    titles.add(title);
    test(title, { skip: skip[title] ?? false }, async (t) => {
      const opened = await open(extra.options);
      const stores = [opened.store];
      const ctx: Ctx = {
        store: opened.store,
        reopen: opened.reopen
          ? async () => {
              await ctx.store.close();
              ctx.store = await opened.reopen!();
              stores.push(ctx.store);
              return ctx.store;
            }
          : undefined,
      };
      try {
        if (extra.needsReopen && !ctx.reopen) {
          t.skip('the backend keeps nothing across close/open (no reopen)');
          return;
        }
        await fn(ctx);
      } finally {
        for (const s of stores) await s.close();
        await opened.cleanup();
      }
    });
  };

  describe(name, () => {
    run('empty store loads as revision 0 with nothing in it', async ({ store }) => {
      assert.deepEqual(await store.load(), { revision: 0, objects: [], leases: [], quarantine: [] });
      assert.deepEqual(await store.history({}), []);
    });

    run(
      'putObject/deleteObject: objects carry the revision of their batch, which increases per batch',
      async ({ store }) => {
        const r1 = ok(
          await store.commit([
            { op: 'putObject', kind: 'Subnet', name: 'net1', body: { spec: { cidrBlock: '10.0.0.0/24' } } },
          ]),
        );
        const r2 = ok(
          await store.commit([
            { op: 'putObject', kind: 'IP', name: 'ip1', body: { spec: { ipAddress: '10.0.0.5' } } },
          ]),
        );
        assert.ok(r1 > 0 && r2 > r1, `revisions ${r1}, ${r2}`);
        let snap = normalize(await store.load());
        assert.equal(snap.revision, r2);
        assert.deepEqual(snap.objects, [
          { kind: 'IP', name: 'ip1', revision: r2, body: { spec: { ipAddress: '10.0.0.5' } } },
          { kind: 'Subnet', name: 'net1', revision: r1, body: { spec: { cidrBlock: '10.0.0.0/24' } } },
        ]);
        const r3 = ok(
          await store.commit([
            {
              op: 'putObject',
              kind: 'Subnet',
              name: 'net1',
              body: { spec: { cidrBlock: '10.1.0.0/24' } },
              expectRevision: r1,
            },
            { op: 'deleteObject', kind: 'IP', name: 'ip1', expectRevision: r2 },
          ]),
        );
        assert.ok(r3 > r2);
        snap = normalize(await store.load());
        assert.equal(snap.revision, r3);
        assert.deepEqual(snap.objects, [
          { kind: 'Subnet', name: 'net1', revision: r3, body: { spec: { cidrBlock: '10.1.0.0/24' } } },
        ]);
      },
    );

    run('CAS create (expectRevision 0) twice: the second is a conflict', async ({ store }) => {
      const put = (n: number): StoreOp => ({
        op: 'putObject',
        kind: 'Subnet',
        name: 'net1',
        body: { n },
        expectRevision: 0,
      });
      const r1 = ok(await store.commit([put(1)]));
      assert.deepEqual(await store.commit([put(2)]), { ok: false, index: 0, reason: 'conflict' });
      const snap = await store.load();
      assert.equal(snap.revision, r1);
      assert.deepEqual(
        snap.objects.map((o) => o.body),
        [{ n: 1 }],
      );
    });

    run(
      'CAS update with a stale revision is a conflict and the whole batch leaves no trace',
      async ({ store }) => {
        const r1 = ok(
          await store.commit([{ op: 'putObject', kind: 'Subnet', name: 'net1', body: { v: 1 } }]),
        );
        const r2 = ok(
          await store.commit([
            { op: 'putObject', kind: 'Subnet', name: 'net1', body: { v: 2 }, expectRevision: r1 },
          ]),
        );
        const before = await store.load();
        const result = await store.commit([
          claim('10.0.0.7', 'pod-a/eth0', 'pool-1'),
          { op: 'putLease', key: 'pod-a/eth0', subnet: 'net1', mac: '02:00:00:00:00:07' },
          { op: 'quarantine', space: 'default', address: '10.0.0.9', seq: 1 },
          {
            op: 'history',
            entry: {
              event: 'allocate',
              key: 'pod-a/eth0',
              space: 'default',
              address: '10.0.0.7',
              reason: 'pod',
            },
          },
          { op: 'deleteObject', kind: 'IP', name: 'never', expectRevision: undefined },
          { op: 'putObject', kind: 'Subnet', name: 'net1', body: { v: 3 }, expectRevision: r1 },
        ]);
        assert.deepEqual(result, { ok: false, index: 5, reason: 'conflict' });
        assert.deepEqual(normalize(await store.load()), normalize(before));
        assert.equal((await store.load()).revision, r2);
        assert.deepEqual(await store.history({}), []);
        // The address and the MAC of the failed batch are still free for someone else.
        ok(
          await store.commit([
            claim('10.0.0.7', 'pod-b/eth0'),
            { op: 'putLease', key: 'pod-b/eth0', subnet: 'net1', mac: '02:00:00:00:00:07' },
          ]),
        );
      },
    );

    run(
      'DUR-2 claimAddress is create-if-absent per (space, address): taken names the holder',
      async ({ store }) => {
        ok(await store.commit([claim('10.0.0.1', 'pod-a/eth0')]));
        assert.deepEqual(await store.commit([claim('10.0.0.1', 'pod-b/eth0')]), {
          ok: false,
          index: 0,
          reason: 'taken',
          holder: 'pod-a/eth0',
        });
        // The same key again is fine (idempotent), and may move the address into a pool.
        ok(await store.commit([claim('10.0.0.1', 'pod-a/eth0', 'pool-1')]));
        // The same address in another space is another address.
        ok(await store.commit([claim('10.0.0.1', 'pod-b/eth0', '', 'vpc-1')]));
        const leases = normalize(await store.load()).leases;
        assert.deepEqual(leases, [
          {
            key: 'pod-a/eth0',
            subnet: '',
            mac: null,
            addresses: [{ space: 'default', address: '10.0.0.1', pool: 'pool-1' }],
          },
          {
            key: 'pod-b/eth0',
            subnet: '',
            mac: null,
            addresses: [{ space: 'vpc-1', address: '10.0.0.1', pool: '' }],
          },
        ]);
      },
    );

    run('freeAddress frees only the holder’s claim', async ({ store }) => {
      ok(await store.commit([claim('10.0.0.1', 'pod-a/eth0')]));
      ok(
        await store.commit([{ op: 'freeAddress', space: 'default', address: '10.0.0.1', key: 'pod-b/eth0' }]),
      );
      assert.deepEqual(await store.commit([claim('10.0.0.1', 'pod-b/eth0')]), {
        ok: false,
        index: 0,
        reason: 'taken',
        holder: 'pod-a/eth0',
      });
      ok(
        await store.commit([{ op: 'freeAddress', space: 'default', address: '10.0.0.1', key: 'pod-a/eth0' }]),
      );
      assert.deepEqual((await store.load()).leases, []);
      ok(await store.commit([claim('10.0.0.1', 'pod-b/eth0')]));
      // Freeing what nobody holds succeeds (releasing nothing is not an error).
      ok(
        await store.commit([{ op: 'freeAddress', space: 'default', address: '10.9.9.9', key: 'pod-b/eth0' }]),
      );
    });

    run(
      'DUR-2 putLease: a MAC is unique across leases; changing a lease’s MAC frees the old one',
      async ({ store }) => {
        const m1 = '02:00:00:00:00:01';
        const m2 = '02:00:00:00:00:02';
        ok(await store.commit([{ op: 'putLease', key: 'pod-a/eth0', subnet: 'net1', mac: m1 }]));
        assert.deepEqual(
          await store.commit([{ op: 'putLease', key: 'pod-b/eth0', subnet: 'net1', mac: m1 }]),
          {
            ok: false,
            index: 0,
            reason: 'taken',
            holder: 'pod-a/eth0',
          },
        );
        // Same key, same MAC: an upsert.
        ok(await store.commit([{ op: 'putLease', key: 'pod-a/eth0', subnet: 'net2', mac: m1 }]));
        ok(await store.commit([{ op: 'putLease', key: 'pod-a/eth0', subnet: 'net2', mac: m2 }]));
        ok(await store.commit([{ op: 'putLease', key: 'pod-b/eth0', subnet: 'net1', mac: m1 }]));
        assert.deepEqual(
          (await store.commit([{ op: 'putLease', key: 'pod-c/eth0', subnet: 'net1', mac: m2 }])).ok,
          false,
        );
        // Leases without a MAC never collide, whether the MAC is absent or empty.
        ok(await store.commit([{ op: 'putLease', key: 'pod-d/eth0', subnet: 'net1' }]));
        ok(await store.commit([{ op: 'putLease', key: 'pod-e/eth0', subnet: 'net1' }]));
        ok(await store.commit([{ op: 'putLease', key: 'pod-f/eth0', subnet: 'net1', mac: '' }]));
        ok(await store.commit([{ op: 'putLease', key: 'pod-g/eth0', subnet: 'net1', mac: '' }]));
        assert.deepEqual(
          normalize(await store.load()).leases.map((l) => [l.key, l.subnet, l.mac]),
          [
            ['pod-a/eth0', 'net2', m2],
            ['pod-b/eth0', 'net1', m1],
            ['pod-d/eth0', 'net1', null],
            ['pod-e/eth0', 'net1', null],
            ['pod-f/eth0', 'net1', null],
            ['pod-g/eth0', 'net1', null],
          ],
        );
      },
    );

    run('DUR-2 deleteLease frees the MAC', async ({ store }) => {
      const m = '02:00:00:00:00:0a';
      ok(await store.commit([{ op: 'putLease', key: 'pod-a/eth0', subnet: 'net1', mac: m }]));
      ok(await store.commit([{ op: 'deleteLease', key: 'pod-a/eth0' }]));
      assert.deepEqual((await store.load()).leases, []);
      ok(await store.commit([{ op: 'putLease', key: 'pod-b/eth0', subnet: 'net1', mac: m }]));
      // Deleting a lease that does not exist succeeds.
      ok(await store.commit([{ op: 'deleteLease', key: 'nobody' }]));
    });

    run('quarantine upserts, unquarantine removes, load returns them', async ({ store }) => {
      ok(
        await store.commit([
          { op: 'quarantine', space: 'default', address: '10.0.0.1', seq: 5 },
          { op: 'quarantine', space: 'vpc-1', address: '10.0.0.1', seq: 6 },
          { op: 'quarantine', space: 'default', address: '10.0.0.2', seq: 7 },
        ]),
      );
      ok(await store.commit([{ op: 'quarantine', space: 'default', address: '10.0.0.1', seq: 9 }]));
      ok(await store.commit([{ op: 'unquarantine', space: 'default', address: '10.0.0.2' }]));
      ok(await store.commit([{ op: 'unquarantine', space: 'default', address: '10.7.7.7' }]));
      assert.deepEqual(normalize(await store.load()).quarantine, [
        { space: 'default', address: '10.0.0.1', seq: 9 },
        { space: 'vpc-1', address: '10.0.0.1', seq: 6 },
      ]);
    });

    run(
      'history: commit order, newest first, by address and by key, with a limit; times are ISO-8601',
      async ({ store }) => {
        const h = (
          event: 'allocate' | 'release',
          key: string,
          address: string,
          reason: string,
          mac?: string,
        ): StoreOp => ({
          op: 'history',
          entry: { event, key, space: 'default', address, reason, ...(mac ? { mac } : {}) },
        });
        ok(
          await store.commit([
            h('allocate', 'pod-a/eth0', '10.0.0.1', 'pod', '02:00:00:00:00:01'),
            h('allocate', 'pod-b/eth0', '10.0.0.2', 'pod'),
          ]),
        );
        ok(await store.commit([h('release', 'pod-a/eth0', '10.0.0.1', 'cni-del')]));
        ok(await store.commit([h('allocate', 'pod-c/eth0', '10.0.0.1', 'reservation')]));
        const all = await store.history({});
        for (const e of all) assert.ok(!Number.isNaN(Date.parse(e.at)) && e.at.includes('T'), `time ${e.at}`);
        assert.deepEqual(
          all
            .map(normalizeHistory)
            .map((e) => `${e.event} ${e.key} ${e.address} ${e.reason} ${e.mac ?? '-'}`),
          [
            'allocate pod-c/eth0 10.0.0.1 reservation -',
            'release pod-a/eth0 10.0.0.1 cni-del -',
            'allocate pod-b/eth0 10.0.0.2 pod -',
            'allocate pod-a/eth0 10.0.0.1 pod 02:00:00:00:00:01',
          ],
        );
        assert.deepEqual(
          (await store.history({ address: '10.0.0.1' })).map((e) => e.key),
          ['pod-c/eth0', 'pod-a/eth0', 'pod-a/eth0'],
        );
        assert.deepEqual(
          (await store.history({ key: 'pod-a/eth0' })).map((e) => e.event),
          ['release', 'allocate'],
        );
        assert.deepEqual(
          (await store.history({ address: '10.0.0.1', key: 'pod-a/eth0', limit: 1 })).map((e) => e.event),
          ['release'],
        );
        assert.deepEqual(
          (await store.history({ limit: 2 })).map((e) => e.key),
          ['pod-c/eth0', 'pod-a/eth0'],
        );
        assert.deepEqual(await store.history({ address: '10.9.9.9' }), []);
      },
    );

    run(
      'history retention: historyLimit keeps the newest entries, across batches and a reopen',
      async (ctx) => {
        const h = (n: number): StoreOp => ({
          op: 'history',
          entry: {
            event: 'allocate',
            key: `pod-${n}/eth0`,
            space: 'default',
            address: `10.0.0.${n}`,
            reason: 'pod',
          },
        });
        ok(await ctx.store.commit([h(1), h(2)]));
        ok(await ctx.store.commit([h(3)]));
        assert.deepEqual(
          (await ctx.store.history({})).map((e) => e.key),
          ['pod-3/eth0', 'pod-2/eth0', 'pod-1/eth0'],
        );
        // One batch that alone is larger than the limit keeps only its newest three.
        ok(await ctx.store.commit([h(4), h(5), h(6), h(7)]));
        assert.deepEqual(
          (await ctx.store.history({})).map((e) => e.key),
          ['pod-7/eth0', 'pod-6/eth0', 'pod-5/eth0'],
        );
        // A rejected batch writes no history and drops none.
        const r = await ctx.store.commit([h(8), claim('10.0.0.8', 'a'), claim('10.0.0.8', 'b')]);
        assert.equal(r.ok, false);
        assert.deepEqual((await ctx.store.history({ address: '10.0.0.5' })).length, 1);
        if (ctx.reopen) {
          const again = await ctx.reopen();
          ok(await again.commit([h(9)]));
          assert.deepEqual(
            (await again.history({})).map((e) => e.key),
            ['pod-9/eth0', 'pod-7/eth0', 'pod-6/eth0'],
          );
        }
      },
      { options: { historyLimit: 3 } },
    );

    run('load groups address rows into lease records with pools and MACs', async ({ store }) => {
      ok(
        await store.commit([
          claim('10.0.0.1', 'pod-a/eth0', 'pool-1'),
          claim('fd00::1', 'pod-a/eth0', 'pool-6'),
          { op: 'putLease', key: 'pod-a/eth0', subnet: 'net1', mac: '02:00:00:00:00:01' },
        ]),
      );
      ok(
        await store.commit([
          { op: 'putLease', key: 'pod-b/eth0', subnet: 'net2' },
          claim('10.0.1.1', 'pod-b/eth0', '', 'vpc-1'),
        ]),
      );
      // A lease row without addresses, and addresses without a lease row (the store does not cascade).
      ok(
        await store.commit([
          { op: 'putLease', key: 'pod-c/eth0', subnet: 'net1' },
          claim('10.0.0.9', 'orphan/eth0'),
        ]),
      );
      assert.deepEqual(normalize(await store.load()).leases, [
        {
          key: 'orphan/eth0',
          subnet: '',
          mac: null,
          addresses: [{ space: 'default', address: '10.0.0.9', pool: '' }],
        },
        {
          key: 'pod-a/eth0',
          subnet: 'net1',
          mac: '02:00:00:00:00:01',
          addresses: [
            { space: 'default', address: '10.0.0.1', pool: 'pool-1' },
            { space: 'default', address: 'fd00::1', pool: 'pool-6' },
          ],
        },
        {
          key: 'pod-b/eth0',
          subnet: 'net2',
          mac: null,
          addresses: [{ space: 'vpc-1', address: '10.0.1.1', pool: '' }],
        },
        { key: 'pod-c/eth0', subnet: 'net1', mac: null, addresses: [] },
      ]);
    });

    run('load returns copies: changing a snapshot does not change the store', async ({ store }) => {
      ok(
        await store.commit([
          { op: 'putObject', kind: 'Subnet', name: 'n', body: { spec: { a: 1 } } },
          claim('10.0.0.1', 'k'),
        ]),
      );
      ok(
        await store.commit([
          { op: 'quarantine', space: 'default', address: '10.0.0.2', seq: 1 },
          { op: 'putLease', key: 'k', subnet: 's' },
        ]),
      );
      const before = normalize(await store.load());
      const snap = await store.load();
      (snap.objects[0]!.body.spec as Record<string, unknown>).a = 2;
      snap.leases[0]!.addresses.push({ space: 'default', address: '10.0.0.3' });
      snap.leases[0]!.subnet = 'changed';
      snap.quarantine[0]!.seq = 99;
      assert.deepEqual(normalize(await store.load()), before);
    });

    run(
      'DUR-2 200 concurrent claims of one address from different keys: exactly one wins',
      async ({ store }) => {
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) => store.commit([claim('10.0.0.1', `pod-${i}/eth0`)])),
        );
        const winners = results.flatMap((r, i) => (r.ok ? [i] : []));
        assert.equal(winners.length, 1, `winners: ${winners.join(', ')}`);
        const winner = `pod-${winners[0]}/eth0`;
        for (const r of results)
          if (!r.ok) assert.deepEqual(r, { ok: false, index: 0, reason: 'taken', holder: winner });
        assert.deepEqual(
          normalize(await store.load()).leases.map((l) => [l.key, l.addresses.map((a) => a.address)]),
          [[winner, ['10.0.0.1']]],
        );
      },
    );

    run(
      '500 concurrent claims of distinct addresses all commit, with distinct revisions',
      async ({ store }) => {
        const results = await Promise.all(
          Array.from({ length: 500 }, (_, i) =>
            store.commit([
              claim(`10.0.${i >> 8}.${i & 255}`, `pod-${i}/eth0`),
              { op: 'putLease', key: `pod-${i}/eth0`, subnet: 'n', mac: `m-${i}` },
            ]),
          ),
        );
        const revisions = results.map(ok);
        assert.equal(new Set(revisions).size, 500);
        const snap = normalize(await store.load());
        assert.equal(snap.revision, Math.max(...revisions));
        assert.equal(snap.leases.length, 500);
        for (const l of snap.leases) {
          const i = Number(/^pod-(\d+)\/eth0$/.exec(l.key)![1]);
          assert.deepEqual(
            [l.mac, l.addresses.map((a) => a.address)],
            [`m-${i}`, [`10.0.${i >> 8}.${i & 255}`]],
          );
        }
      },
    );

    run(
      'DUR-1 everything committed is there after close and reopen, and revisions continue',
      async (ctx) => {
        const { store } = ctx;
        ok(
          await store.commit([
            {
              op: 'putObject',
              kind: 'Subnet',
              name: 'net1',
              body: { spec: { cidrBlock: '10.0.0.0/24', list: [1, 'two', null, true] } },
            },
          ]),
        );
        ok(
          await store.commit([
            claim('10.0.0.1', 'pod-a/eth0', 'pool-1'),
            { op: 'putLease', key: 'pod-a/eth0', subnet: 'net1', mac: '02:00:00:00:00:01' },
          ]),
        );
        ok(await store.commit([{ op: 'quarantine', space: 'default', address: '10.0.0.2', seq: 3 }]));
        const last = ok(
          await store.commit([
            {
              op: 'history',
              entry: {
                event: 'allocate',
                key: 'pod-a/eth0',
                space: 'default',
                address: '10.0.0.1',
                reason: 'pod',
              },
            },
          ]),
        );
        const before = normalize(await store.load());
        const history = await store.history({});
        // A commit still queued when close() is called is part of what must survive.
        const queued = store.commit([claim('10.0.0.3', 'pod-q/eth0')]);
        const again = await ctx.reopen!();
        const lastQueued = ok(await queued);
        assert.ok(lastQueued > last);
        const after = normalize(await again.load());
        assert.equal(after.revision, lastQueued);
        assert.deepEqual(
          { ...after, revision: 0, leases: after.leases.filter((l) => l.key !== 'pod-q/eth0') },
          { ...before, revision: 0 },
        );
        assert.ok(after.leases.some((l) => l.key === 'pod-q/eth0'));
        assert.deepEqual(await again.history({}), history);
        assert.deepEqual(await again.commit([claim('10.0.0.1', 'pod-b/eth0')]), {
          ok: false,
          index: 0,
          reason: 'taken',
          holder: 'pod-a/eth0',
        });
        const next = ok(await again.commit([claim('10.0.0.4', 'pod-b/eth0')]));
        assert.ok(next > lastQueued, `revision ${next} after reopen must exceed ${lastQueued}`);
      },
      { needsReopen: true },
    );

    run(
      'close lets queued commits finish; afterwards every call fails with StoreError CLOSED',
      async ({ store }) => {
        const queued = store.commit([claim('10.0.0.1', 'pod-a/eth0')]);
        await store.close();
        ok(await queued);
        await store.close(); // idempotent
        await assert.rejects(store.load(), isClosed);
        await assert.rejects(store.commit([claim('10.0.0.2', 'pod-a/eth0')]), isClosed);
        await assert.rejects(store.history({}), isClosed);
      },
    );

    run(
      'a batch that cannot be stored rejects with a StoreError and leaves no trace; others are unaffected',
      async ({ store }) => {
        // A body whose serialization throws (both JSON and structured clone refuse it).
        const poison = {
          toJSON() {
            throw new Error('cannot serialize');
          },
        } as unknown as Record<string, unknown>;
        const [a, bad, c] = await Promise.allSettled([
          store.commit([claim('10.0.0.1', 'pod-a/eth0')]),
          store.commit([
            claim('10.0.0.2', 'pod-b/eth0'),
            { op: 'putObject', kind: 'Subnet', name: 'x', body: poison },
          ]),
          store.commit([claim('10.0.0.3', 'pod-c/eth0')]),
        ]);
        assert.equal(a.status === 'fulfilled' && a.value.ok, true, JSON.stringify(a));
        assert.equal(c.status === 'fulfilled' && c.value.ok, true, JSON.stringify(c));
        assert.equal(bad.status, 'rejected');
        assert.ok((bad as PromiseRejectedResult).reason instanceof StoreError);
        const snap = normalize(await store.load());
        assert.deepEqual(snap.objects, []);
        assert.deepEqual(
          snap.leases.map((l) => l.key),
          ['pod-a/eth0', 'pod-c/eth0'],
        );
        ok(await store.commit([claim('10.0.0.2', 'pod-d/eth0')]));
      },
    );

    run(
      'property (fast-check, seed 42): random batches match a model; failing batches change nothing',
      async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.array(opSpec, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 10 }),
            async (batches) => {
              const opened = await open();
              const model = new StoreModel();
              try {
                for (const specs of batches) {
                  const batch = resolve(model, specs);
                  const want = model.expect(batch);
                  const got = await opened.store.commit(batch);
                  if (want.ok) {
                    const revision = ok(got);
                    assert.ok(revision > model.revision, `revision ${revision} after ${model.revision}`);
                    model.apply(batch, revision);
                  } else assert.deepEqual(got, want, `batch ${JSON.stringify(batch)}`);
                  assert.deepEqual(normalize(await opened.store.load()), model.snapshot());
                }
                const history = await opened.store.history({ limit: 10_000 });
                assert.deepEqual(
                  history.map(normalizeHistory),
                  model.history.map(normalizeHistory).reverse(),
                );
              } finally {
                await opened.store.close();
                await opened.cleanup();
              }
            },
          ),
          { seed: 42, numRuns: 60 },
        );
      },
    );

    test('every skipped case names a case of this suite', () => {
      for (const title of Object.keys(skip)) assert.ok(titles.has(title), `skip names no case: ${title}`);
    });
  });
}
