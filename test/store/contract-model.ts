import fc from 'fast-check';
import {
  type CommitResult,
  type HistoryEntry,
  type StoreOp,
  type StoreSnapshot,
} from '../../src/store/store.js';

/**
 * The store contract written as the simplest thing that could be right: plain maps, a batch applied to a copy
 * and kept only if every operation succeeded. The property test in the conformance suite compares every
 * backend against it. Deliberately written without looking up indexes (the MAC check scans every lease), so
 * it does not share the backends' shortcuts.
 */
export class StoreModel {
  revision = 0;
  objects = new Map<
    string,
    { kind: string; name: string; revision: number; body: Record<string, unknown> }
  >();
  leases = new Map<string, { subnet: string; mac: string | undefined }>();
  addresses = new Map<string, { space: string; address: string; key: string; pool: string }>();
  quarantine = new Map<string, { space: string; address: string; seq: number }>();
  history: Omit<HistoryEntry, 'at'>[] = [];

  private copy(): StoreModel {
    const m = new StoreModel();
    m.revision = this.revision;
    m.objects = new Map(this.objects);
    m.leases = new Map(this.leases);
    m.addresses = new Map(this.addresses);
    m.quarantine = new Map(this.quarantine);
    m.history = [...this.history];
    return m;
  }

  /**
   * What the store must answer for `batch`. `revision` is the one the store reported when it said ok (backends
   * number batches their own way); the model checks everything else.
   */
  expect(batch: readonly StoreOp[]): CommitResult {
    const next = this.copy();
    for (let index = 0; index < batch.length; index++) {
      const failed = next.applyOp(batch[index]!, Number.NaN);
      if (failed) return { ok: false, index, ...failed };
    }
    return { ok: true, revision: Number.NaN };
  }

  /** Applies an ok batch with the revision the store gave it. */
  apply(batch: readonly StoreOp[], revision: number): void {
    for (const op of batch) {
      if (this.applyOp(op, revision)) throw new Error('model: apply() called with a failing batch');
    }
    this.revision = revision;
  }

  private applyOp(
    op: StoreOp,
    revision: number,
  ): { reason: 'taken' | 'conflict'; holder?: string } | undefined {
    const a = (space: string, address: string): string => `${space}|${address}`;
    switch (op.op) {
      case 'putObject':
      case 'deleteObject': {
        const k = `${op.kind}|${op.name}`;
        if (op.expectRevision !== undefined && (this.objects.get(k)?.revision ?? 0) !== op.expectRevision) {
          return { reason: 'conflict' };
        }
        if (op.op === 'deleteObject') this.objects.delete(k);
        else this.objects.set(k, { kind: op.kind, name: op.name, revision, body: structuredClone(op.body) });
        return undefined;
      }
      case 'claimAddress': {
        const cur = this.addresses.get(a(op.space, op.address));
        if (cur && cur.key !== op.key) return { reason: 'taken', holder: cur.key };
        this.addresses.set(a(op.space, op.address), {
          space: op.space,
          address: op.address,
          key: op.key,
          pool: op.pool,
        });
        return undefined;
      }
      case 'freeAddress':
        if (this.addresses.get(a(op.space, op.address))?.key === op.key)
          this.addresses.delete(a(op.space, op.address));
        return undefined;
      case 'putLease': {
        for (const [key, l] of this.leases) {
          if (op.mac && l.mac === op.mac && key !== op.key) return { reason: 'taken', holder: key };
        }
        this.leases.set(op.key, { subnet: op.subnet, mac: op.mac || undefined });
        return undefined;
      }
      case 'deleteLease':
        this.leases.delete(op.key);
        return undefined;
      case 'quarantine':
        this.quarantine.set(a(op.space, op.address), { space: op.space, address: op.address, seq: op.seq });
        return undefined;
      case 'unquarantine':
        this.quarantine.delete(a(op.space, op.address));
        return undefined;
      case 'history':
        this.history.push(op.entry);
        return undefined;
    }
  }

  /** The model's state in the shape of {@link normalize}d snapshots. */
  snapshot(): ReturnType<typeof normalize> {
    const leases = new Map<string, StoreSnapshot['leases'][number]>();
    for (const [key, l] of this.leases) leases.set(key, { key, subnet: l.subnet, addresses: [], mac: l.mac });
    for (const x of this.addresses.values()) {
      let lease = leases.get(x.key);
      if (!lease) leases.set(x.key, (lease = { key: x.key, subnet: '', addresses: [] }));
      lease.addresses.push({ space: x.space, address: x.address, pool: x.pool });
    }
    return normalize({
      revision: this.revision,
      objects: [...this.objects.values()],
      leases: [...leases.values()],
      quarantine: [...this.quarantine.values()],
    });
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A snapshot in a canonical form: the interface promises no order of rows and lets a backend either omit an
 * absent MAC or pool or spell it `undefined`; both read the same here.
 */
export function normalize(s: StoreSnapshot) {
  return {
    revision: s.revision,
    objects: s.objects
      .map((o) => ({ kind: o.kind, name: o.name, revision: o.revision, body: o.body }))
      .sort((x, y) => cmp(x.kind, y.kind) || cmp(x.name, y.name)),
    leases: s.leases
      .map((l) => ({
        key: l.key,
        subnet: l.subnet,
        mac: l.mac || null,
        addresses: l.addresses
          .map((x) => ({ space: x.space, address: x.address, pool: x.pool ?? '' }))
          .sort((x, y) => cmp(x.space, y.space) || cmp(x.address, y.address)),
      }))
      .sort((x, y) => cmp(x.key, y.key)),
    quarantine: s.quarantine
      .map((q) => ({ space: q.space, address: q.address, seq: q.seq }))
      .sort((x, y) => cmp(x.space, y.space) || cmp(x.address, y.address)),
  };
}

/** A history entry without its time, with an absent MAC spelled one way. */
export function normalizeHistory(h: Omit<HistoryEntry, 'at'>): Omit<HistoryEntry, 'at'> {
  return {
    event: h.event,
    key: h.key,
    space: h.space,
    address: h.address,
    mac: h.mac ?? undefined,
    reason: h.reason,
  };
}

/** Compare-and-swap expectations, resolved against the model just before the batch is committed. */
type Cas = 'none' | 'absent' | 'current' | 'stale';
export type OpSpec = StoreOp extends infer O
  ? O extends { expectRevision?: number | undefined }
    ? Omit<O, 'expectRevision'> & { cas: Cas }
    : O
  : never;

/** Small domains, so that random batches collide on addresses, MACs and objects often. */
const key = fc.constantFrom('pod-a/eth0', 'pod-b/eth0', 'pod-c/eth0');
const space = fc.constantFrom('default', 'vpc-1');
const address = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3', 'fd00::1');
const mac = fc.option(fc.constantFrom('02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03'), {
  nil: undefined,
});
const cas = fc.constantFrom<Cas>('none', 'absent', 'current', 'stale');
const kind = fc.constantFrom('Subnet', 'IP');
const name = fc.constantFrom('one', 'two');

export const opSpec: fc.Arbitrary<OpSpec> = fc.oneof(
  fc.record({
    op: fc.constant('putObject' as const),
    kind,
    name,
    body: fc.record({ spec: fc.record({ n: fc.nat(9) }) }),
    cas,
  }),
  fc.record({ op: fc.constant('deleteObject' as const), kind, name, cas }),
  fc.record({
    op: fc.constant('claimAddress' as const),
    space,
    address,
    key,
    pool: fc.constantFrom('', 'pool-1'),
  }),
  fc.record({ op: fc.constant('freeAddress' as const), space, address, key }),
  fc.record({ op: fc.constant('putLease' as const), key, subnet: fc.constantFrom('net1', 'net2'), mac }),
  fc.record({ op: fc.constant('deleteLease' as const), key }),
  fc.record({ op: fc.constant('quarantine' as const), space, address, seq: fc.nat(1000) }),
  fc.record({ op: fc.constant('unquarantine' as const), space, address }),
  fc.record({
    op: fc.constant('history' as const),
    entry: fc.record({
      event: fc.constantFrom('allocate' as const, 'release' as const),
      key,
      space,
      address,
      mac,
      reason: fc.constant('pod'),
    }),
  }),
);

/** Turns generated specs into operations, choosing CAS revisions that are right, absent or stale now. */
export function resolve(model: StoreModel, specs: readonly OpSpec[]): StoreOp[] {
  return specs.map((s): StoreOp => {
    if (!('cas' in s)) return s;
    const { cas: c, ...op } = s;
    const current = model.objects.get(`${op.kind}|${op.name}`)?.revision ?? 0;
    // 'stale' is far from any revision a backend could reach in a test, including the one this batch gets.
    const expectRevision =
      c === 'none' ? undefined : c === 'absent' ? 0 : c === 'current' ? current : current + 1_000_000;
    return { ...op, expectRevision } as StoreOp;
  });
}
