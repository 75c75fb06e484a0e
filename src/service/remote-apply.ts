import {
  type ConfigKind,
  type Engine,
  type LeaseRecord,
  type ReplicatedState,
  applyReplicated,
  cloneLease,
  formatMac,
  formatValue,
  parseAddress,
} from '../core/index.js';
import { type ChangeSet, type StoreChange } from '../store/change-feed.js';
import { type KindHandler, type ObjectRef } from './kinds/kind.js';
import { touchedBy } from './kinds/ip.js';
import { type ResourceTable } from './resource-service.js';
import { KIND_NAMES, type KindName, type KubeObject } from './types.js';

/** The engine configuration each configuration kind installs. */
export const CONFIG_KIND: Partial<Record<KindName, ConfigKind>> = {
  Subnet: 'subnet',
  IPPool: 'ippool',
  SpiderIPPool: 'spider',
  SpiderReservedIP: 'reservation',
};

export interface RemoteApplyDeps {
  engine: Engine;
  resources: ResourceTable;
  handlers: Record<KindName, KindHandler>;
}

/**
 * Applies one revision another daemon committed (DUR-5): objects into the table and, for configuration kinds,
 * into the engine; leases, held addresses and quarantine into the engine; watchers of the objects and of the
 * counters they moved get their events at the store's revision.
 */
export function applyChangeSet(deps: RemoteApplyDeps, set: ChangeSet): void {
  for (const c of set.changes) if (c.type === 'object') applyObject(deps, c, set.revision);
  const state = leaseState(deps.engine, set.changes);
  if (state.leases.size === 0 && state.quarantine.length === 0) return;
  const refs: ObjectRef[] = [];
  for (const key of state.leases.keys()) {
    const before = deps.engine.getLease(key);
    if (before) refs.push(...touchedBy(deps.engine, cloneLease(before)));
  }
  applyReplicated(deps.engine, state);
  for (const key of state.leases.keys()) refs.push(...touchedBy(deps.engine, deps.engine.getLease(key)));
  for (const q of state.quarantine) {
    const subnet = deps.engine.subnetOfSpace(q.space);
    if (subnet) refs.push({ kind: 'Subnet', name: subnet.name });
  }
  deps.resources.touch(refs, set.revision);
}

function applyObject(
  deps: RemoteApplyDeps,
  c: Extract<StoreChange, { type: 'object' }>,
  revision: number,
): void {
  if (!(KIND_NAMES as readonly string[]).includes(c.kind)) return;
  const kind = c.kind as KindName;
  const object = c.body as KubeObject | undefined;
  const config = CONFIG_KIND[kind];
  if (config) {
    if (object && !object.metadata.deletionTimestamp) {
      try {
        deps.handlers[kind].install(object, deps.resources.ctx);
      } catch {
        // Stored but no longer valid: served as it is, as at start-up, so an operator can fix it.
      }
    } else deps.engine.restoreConfig(config, c.name, undefined);
  }
  deps.resources.applyRemote(kind, c.name, object, revision);
}

/**
 * The whole new record of every lease a revision touched, from the engine's current leases and the
 * revision's address and lease rows, as `load()` would group them; and the quarantine rows it touched.
 */
export function leaseState(engine: Engine, changes: readonly StoreChange[]): ReplicatedState {
  type Held = { space: string; address: string; pool: string };
  const held = new Map<string, Map<string, Held>>();
  const rows = new Map<string, { subnet: string; mac: string | undefined } | undefined>();
  const quarantine: { space: string; address: string; seq: number | undefined }[] = [];
  const addressesOf = (key: string): Map<string, Held> => {
    let m = held.get(key);
    if (!m) {
      m = new Map();
      for (const a of engine.getLease(key)?.addresses ?? []) {
        const address = formatValue(a.family, a.value);
        m.set(`${a.space}|${address}`, { space: a.space, address, pool: a.pool });
      }
      held.set(key, m);
    }
    return m;
  };
  for (const c of changes) {
    if (c.type === 'address') {
      const id = `${c.space}|${c.address}`;
      const old = engine.holderOf(c.space, parseAddress(c.address).value);
      if (old) addressesOf(old.key).delete(id);
      if (c.holder)
        addressesOf(c.holder.key).set(id, { space: c.space, address: c.address, pool: c.holder.pool });
    } else if (c.type === 'lease') {
      addressesOf(c.key);
      rows.set(c.key, c.lease);
    } else if (c.type === 'quarantine') {
      quarantine.push({ space: c.space, address: c.address, seq: c.seq });
    }
  }
  const leases = new Map<string, LeaseRecord | undefined>();
  for (const [key, addresses] of held) {
    const current = engine.getLease(key);
    const row = rows.has(key)
      ? rows.get(key)
      : current && {
          subnet: current.subnet,
          mac: current.mac === undefined ? undefined : formatMac(current.mac),
        };
    const list = [...addresses.values()].map((a) => ({
      space: a.space,
      address: a.address,
      ...(a.pool ? { pool: a.pool } : {}),
    }));
    if (!row && list.length === 0) leases.set(key, undefined);
    else
      leases.set(key, {
        key,
        subnet: row?.subnet ?? '',
        addresses: list,
        ...(row?.mac ? { mac: row.mac } : {}),
      });
  }
  return { leases, quarantine };
}
