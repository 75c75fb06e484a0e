import { type ReservationModel, buildReservation } from '../../core/index.js';
import { type KubeObject } from '../types.js';
import { type KindContext, type KindHandler, type ObjectRef, checkImmutable, specStrings } from './kind.js';

function model(obj: KubeObject): ReservationModel {
  const spec = obj.spec ?? {};
  return buildReservation({
    name: obj.metadata.name!,
    ipVersion: typeof spec.ipVersion === 'number' ? spec.ipVersion : undefined,
    ips: specStrings(spec, 'ips'),
  });
}

function normalised(obj: KubeObject, m: ReservationModel): KubeObject {
  return { ...obj, spec: { ...(obj.spec ?? {}), ipVersion: m.family, ips: [...m.ipsText] } };
}

/** Every subnet and pool may change its available count when a reservation changes. */
function allPools(ctx: KindContext): ObjectRef[] {
  const kinds = ['Subnet', 'IPPool', 'SpiderIPPool'] as const;
  return kinds.flatMap((kind) => [...ctx.objects.list(kind)].map((o) => ({ kind, name: o.metadata.name! })));
}

/** `SpiderReservedIP` (SPR-1 … SPR-3): applies at once to every subnet and pool. */
export const reservedIpHandler: KindHandler = {
  kind: 'SpiderReservedIP',

  create(obj, ctx) {
    const m = model(obj);
    ctx.engine.putReservation(m);
    return {
      object: normalised(obj, m),
      ops: [],
      undo: () => ctx.engine.restoreConfig('reservation', m.name, undefined),
      touched: allPools(ctx),
    };
  },

  update(old, obj, ctx) {
    const next = { ...(obj.spec ?? {}) };
    next.ipVersion ??= old.spec?.ipVersion;
    checkImmutable(old.spec, next, ['ipVersion'], `SpiderReservedIP ${old.metadata.name}`);
    const m = model({ ...obj, spec: next });
    const before = ctx.engine.configOf('reservation', m.name);
    ctx.engine.putReservation(m);
    return {
      object: normalised(obj, m),
      ops: [],
      undo: () => ctx.engine.restoreConfig('reservation', m.name, before),
      touched: allPools(ctx),
    };
  },

  finalize(old, ctx) {
    const name = old.metadata.name!;
    const before = ctx.engine.configOf('reservation', name);
    ctx.engine.removeReservation(name);
    return {
      object: undefined,
      ops: [],
      undo: () => ctx.engine.restoreConfig('reservation', name, before),
      touched: allPools(ctx),
    };
  },

  decorate(obj) {
    return obj;
  },

  install(obj, ctx) {
    ctx.engine.restoreConfig('reservation', obj.metadata.name!, model(obj));
  },
};
