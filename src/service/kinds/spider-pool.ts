import { type SpiderPoolModel, buildSpiderPool, formatValue, spiderPoolUsage } from '../../core/index.js';
import { FINALIZER, type KubeObject } from '../types.js';
import { type KindContext, type KindHandler, checkImmutable, specStrings, specString } from './kind.js';

/** Annotation on IP objects carrying the pod UID (Spiderpool's allocatedIPs shows it). */
export const ANNOTATION_POD_UID = 'ipkeeper.io/pod-uid';

function model(obj: KubeObject): SpiderPoolModel {
  const spec = obj.spec ?? {};
  const ipVersion = spec.ipVersion;
  return buildSpiderPool({
    name: obj.metadata.name!,
    subnet: specString(spec, 'subnet') ?? '',
    ipVersion: typeof ipVersion === 'number' ? ipVersion : undefined,
    ips: specStrings(spec, 'ips'),
    excludeIPs: specStrings(spec, 'excludeIPs'),
    gateway: specString(spec, 'gateway'),
    default: spec.default === true,
    disable: spec.disable === true,
  });
}

/** SPP-2 normal form, the derived ipVersion (SPP-1), Spiderpool's CIDR label and finalizer. */
function normalised(obj: KubeObject, m: SpiderPoolModel): KubeObject {
  const spec: Record<string, unknown> = { ...(obj.spec ?? {}), ipVersion: m.family, subnet: m.space };
  if (spec.ips !== undefined) spec.ips = [...m.ipsText];
  if (spec.excludeIPs !== undefined) spec.excludeIPs = [...m.excludeText];
  spec.default ??= false;
  spec.disable ??= false;
  const labels = {
    ...(obj.metadata.labels ?? {}),
    'ipam.spidernet.io/ippool-cidr': m.space.replace(/[.:/]/g, '-'),
  };
  const finalizers = obj.metadata.finalizers ?? [];
  return {
    ...obj,
    spec,
    metadata: {
      ...obj.metadata,
      labels,
      finalizers: finalizers.includes(FINALIZER.SpiderIPPool!)
        ? finalizers
        : [...finalizers, FINALIZER.SpiderIPPool!],
    },
  };
}

/** `SpiderIPPool` (SPP-1 … SPP-4, SPP-7, SPP-8). */
export const spiderPoolHandler: KindHandler = {
  kind: 'SpiderIPPool',

  create(obj, ctx) {
    const m = model(obj);
    ctx.engine.putSpiderPool(m);
    return {
      object: normalised(obj, m),
      ops: [],
      undo: () => ctx.engine.restoreConfig('spider', m.name, undefined),
      touched: [],
    };
  },

  update(old, obj, ctx) {
    const next = { ...(obj.spec ?? {}) };
    next.ipVersion ??= old.spec?.ipVersion;
    checkImmutable(old.spec, next, ['subnet', 'ipVersion'], `SpiderIPPool ${old.metadata.name}`);
    const m = model({ ...obj, spec: next });
    const before = ctx.engine.configOf('spider', m.name);
    ctx.engine.putSpiderPool(m);
    return {
      object: normalised(obj, m),
      ops: [],
      undo: () => ctx.engine.restoreConfig('spider', m.name, before),
      touched: [],
    };
  },

  finalize(old, ctx) {
    const name = old.metadata.name!;
    const before = ctx.engine.configOf('spider', name);
    ctx.engine.removeSpiderPool(name);
    return {
      object: undefined,
      ops: [],
      undo: () => ctx.engine.restoreConfig('spider', name, before),
      touched: [],
    };
  },

  decorate(obj, ctx: KindContext) {
    const usage = spiderPoolUsage(ctx.engine, obj.metadata.name!);
    if (!usage) return obj;
    const pool = ctx.engine.spiderPools.get(obj.metadata.name!)!;
    const allocated: Record<string, { pod: string; podUid: string }> = {};
    for (const [value, lease] of usage.allocated) {
      const ip = ctx.objects.get('IP', lease.key);
      const pod = ip ? `${String(ip.spec?.namespace ?? '')}/${String(ip.spec?.podName ?? '')}` : lease.key;
      allocated[formatValue(pool.family, value)] = {
        pod,
        podUid: ip?.metadata.annotations?.[ANNOTATION_POD_UID] ?? '',
      };
    }
    const status: Record<string, unknown> = {
      ...(obj.status ?? {}),
      allocatedIPCount: usage.allocated.length,
      totalIPCount: usage.total,
    };
    if (usage.allocated.length > 0) status.allocatedIPs = JSON.stringify(allocated);
    else delete status.allocatedIPs;
    return { ...obj, status };
  },

  install(obj, ctx) {
    ctx.engine.restoreConfig('spider', obj.metadata.name!, model(obj));
  },
};
