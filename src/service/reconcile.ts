import { type LeaseRecord, applyReplicated, formatValue, leaseRecordOf } from '../core/index.js';
import { type StoreSnapshot } from '../store/store.js';
import { type ObjectRef } from './kinds/kind.js';
import { CONFIG_KIND, type RemoteApplyDeps } from './remote-apply.js';
import { KIND_NAMES, type KindName, type KubeObject } from './types.js';

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Brings memory in line with a freshly loaded snapshot (level-triggered: whatever was missed, the result is
 * the store's state). Objects that differ are installed or removed with their events, in revision order
 * (removals at the snapshot's revision); every lease and quarantine row that differs is replaced in the
 * engine; every subnet's watchers get its counters again.
 */
export function reconcile(deps: RemoteApplyDeps, snapshot: StoreSnapshot, revision: number): void {
  const { engine, resources } = deps;
  type Step = { kind: KindName; name: string; object: KubeObject | undefined; revision: number };
  const steps: Step[] = [];
  for (const kind of KIND_NAMES) {
    const stored = new Map(snapshot.objects.filter((o) => o.kind === kind).map((o) => [o.name, o]));
    for (const o of stored.values()) {
      if (resources.entry(kind, o.name)?.storedRevision !== o.revision)
        steps.push({ kind, name: o.name, object: o.body as unknown as KubeObject, revision: o.revision });
    }
    for (const object of resources.rawList(kind)) {
      const name = object.metadata.name!;
      if (!stored.has(name)) steps.push({ kind, name, object: undefined, revision });
    }
  }
  steps.sort((a, b) => a.revision - b.revision);
  for (const s of steps) {
    const config = CONFIG_KIND[s.kind];
    if (config) {
      if (s.object && !s.object.metadata.deletionTimestamp) {
        try {
          deps.handlers[s.kind].install(s.object, resources.ctx);
        } catch {
          // Served as stored, as at start-up.
        }
      } else engine.restoreConfig(config, s.name, undefined);
    }
    resources.applyRemote(s.kind, s.name, s.object, s.revision);
  }

  const leases = new Map<string, LeaseRecord | undefined>();
  const wanted = new Map(snapshot.leases.map((l) => [l.key, l]));
  for (const [key, lease] of engine.leases) {
    const want = wanted.get(key);
    if (!want) leases.set(key, undefined);
    else if (!same(normal(leaseRecordOf(lease)), normal(want))) leases.set(key, want);
  }
  for (const [key, want] of wanted) if (!engine.leases.has(key)) leases.set(key, want);
  const quarantine: { space: string; address: string; seq: number | undefined }[] = [];
  const storedQ = new Map(snapshot.quarantine.map((q) => [`${q.space}|${q.address}`, q.seq]));
  for (const space of engine.spaces.values()) {
    for (const e of space.quarantine) {
      const address = formatValue(space.family, e.value);
      const seq = storedQ.get(`${space.id}|${address}`);
      if (seq !== e.seq) quarantine.push({ space: space.id, address, seq });
      storedQ.delete(`${space.id}|${address}`);
    }
  }
  for (const q of snapshot.quarantine)
    if (storedQ.has(`${q.space}|${q.address}`))
      quarantine.push({ space: q.space, address: q.address, seq: q.seq });
  applyReplicated(engine, { leases, quarantine });
  const refs: ObjectRef[] = [...engine.subnets.keys()].map((name) => ({ kind: 'Subnet', name }));
  resources.touch(refs, revision);
}

/** A lease record with its addresses in one order and absent fields spelled one way. */
function normal(l: LeaseRecord): LeaseRecord {
  return {
    key: l.key,
    subnet: l.subnet,
    mac: l.mac || undefined,
    addresses: [...l.addresses]
      .map((a) => ({ space: a.space, address: a.address, pool: a.pool ?? '' }))
      .sort((a, b) => (a.space + a.address < b.space + b.address ? -1 : 1)),
  };
}
