import { type SubnetModel, buildSubnet, subnetUsage } from '../../core/index.js';
import { type KubeObject } from '../types.js';
import { type Change, type KindContext, type KindHandler, specStrings, specString } from './kind.js';

function model(obj: KubeObject): SubnetModel {
  const spec = obj.spec ?? {};
  return buildSubnet({
    name: obj.metadata.name!,
    cidrBlock: specString(spec, 'cidrBlock') ?? '',
    gateway: specString(spec, 'gateway'),
    excludeIps: specStrings(spec, 'excludeIps'),
    provider: specString(spec, 'provider'),
    namespaces: specStrings(spec, 'namespaces'),
    default: spec.default === true,
  });
}

/** The spec as written back: normalised CIDR, gateway and excludeIps (SUB-1…SUB-4) and Kube-OVN's defaults. */
function normalised(obj: KubeObject, m: SubnetModel): KubeObject {
  const spec = { ...(obj.spec ?? {}) };
  spec.cidrBlock = m.cidrBlock;
  spec.gateway = m.gatewayText;
  spec.excludeIps = [...m.excludeIps];
  spec.protocol = m.protocol;
  spec.provider = m.provider;
  if (m.provider === 'ovn') spec.vpc ??= 'ovn-cluster';
  spec.default ??= false;
  spec.private ??= false;
  spec.natOutgoing ??= false;
  spec.gatewayType ??= 'distributed';
  return { ...obj, spec };
}

/** Kube-OVN `Subnet` (SUB-1 … SUB-9). */
export const subnetHandler: KindHandler = {
  kind: 'Subnet',

  create(obj, ctx) {
    const m = model(obj);
    ctx.engine.putSubnet(m);
    return { object: normalised(obj, m), ops: [], undo: () => ctx.engine.restoreConfig('subnet', m.name, undefined), touched: [] };
  },

  update(old, obj, ctx) {
    const m = model(obj);
    const before = ctx.engine.configOf('subnet', m.name);
    ctx.engine.putSubnet(m);
    return { object: normalised(obj, m), ops: [], undo: () => ctx.engine.restoreConfig('subnet', m.name, before), touched: [] };
  },

  finalize(old, ctx): Change {
    const name = old.metadata.name!;
    const before = ctx.engine.configOf('subnet', name);
    ctx.engine.removeSubnet(name);
    return { object: undefined, ops: [], undo: () => ctx.engine.restoreConfig('subnet', name, before), touched: [] };
  },

  decorate(obj, ctx: KindContext) {
    const usage = subnetUsage(ctx.engine, obj.metadata.name!, { ranges: true });
    if (!usage) return obj;
    const status: Record<string, unknown> = { ...(obj.status ?? {}) };
    for (const fam of [4, 6] as const) {
      const u = usage.find((x) => x.family === fam);
      const p = `v${fam}`;
      status[`${p}usingIPs`] = u?.using ?? 0;
      status[`${p}availableIPs`] = u ? u.available : 0;
      status[`${p}usingIPrange`] = u?.usingRange ?? '';
      status[`${p}availableIPrange`] = u?.availableRange ?? '';
    }
    return { ...obj, status };
  },

  install(obj, ctx) {
    ctx.engine.restoreConfig('subnet', obj.metadata.name!, model(obj));
  },
};
