import { type IPPoolModel, buildIPPool, ippoolUsage } from '../../core/index.js';
import { FINALIZER, type KubeObject } from '../types.js';
import { withUsageStatus } from './usage-status.js';
import { type KindContext, type KindHandler, checkImmutable, requireSubnet, specStrings } from './kind.js';

function model(obj: KubeObject, ctx: KindContext): IPPoolModel {
  const spec = obj.spec ?? {};
  const subnet = requireSubnet(spec, ctx, 'the subnet this pool is carved from');
  return buildIPPool(
    {
      name: obj.metadata.name!,
      subnet: subnet.name,
      ips: specStrings(spec, 'ips') ?? [],
      namespaces: specStrings(spec, 'namespaces'),
    },
    subnet,
  );
}

function withFinalizer(obj: KubeObject): KubeObject {
  const finalizers = obj.metadata.finalizers ?? [];
  if (finalizers.includes(FINALIZER.IPPool!)) return obj;
  return { ...obj, metadata: { ...obj.metadata, finalizers: [...finalizers, FINALIZER.IPPool!] } };
}

/** Kube-OVN `IPPool` (POOL-1, POOL-2, POOL-4, POOL-5). */
export const ippoolHandler: KindHandler = {
  kind: 'IPPool',

  create(obj, ctx) {
    const m = model(obj, ctx);
    ctx.engine.putIPPool(m);
    return {
      object: withFinalizer(obj),
      ops: [],
      undo: () => ctx.engine.restoreConfig('ippool', m.name, undefined),
      touched: [{ kind: 'Subnet', name: m.subnet }],
    };
  },

  update(old, obj, ctx) {
    checkImmutable(old.spec, obj.spec, ['subnet'], `IPPool ${old.metadata.name}`);
    const m = model(obj, ctx);
    const before = ctx.engine.configOf('ippool', m.name);
    ctx.engine.putIPPool(m);
    return {
      object: withFinalizer(obj),
      ops: [],
      undo: () => ctx.engine.restoreConfig('ippool', m.name, before),
      touched: [{ kind: 'Subnet', name: m.subnet }],
    };
  },

  finalize(old, ctx) {
    const name = old.metadata.name!;
    const before = ctx.engine.configOf('ippool', name);
    ctx.engine.removeIPPool(name);
    const subnet = String(old.spec?.subnet ?? '');
    return {
      object: undefined,
      ops: [],
      undo: () => ctx.engine.restoreConfig('ippool', name, before),
      touched: subnet ? [{ kind: 'Subnet', name: subnet }] : [],
    };
  },

  decorate(obj, ctx) {
    const usage = ippoolUsage(ctx.engine, obj.metadata.name!, { ranges: true });
    if (!usage) return obj;
    return withUsageStatus(obj, usage, {
      using: 'UsingIPs',
      available: 'AvailableIPs',
      usingRange: 'UsingIPRange',
      availableRange: 'AvailableIPRange',
    });
  },

  install(obj, ctx) {
    ctx.engine.restoreConfig('ippool', obj.metadata.name!, model(obj, ctx));
  },
};
