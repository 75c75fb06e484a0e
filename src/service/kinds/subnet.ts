import {
  ErrorCode,
  IpamError,
  type SubnetModel,
  buildSubnet,
  canonicalCidrBlock,
  subnetUsage,
} from '../../core/index.js';
import { type KubeObject } from '../types.js';
import { withUsageStatus } from './usage-status.js';
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

/**
 * The shortest prefixes a subnet may have. The engine's cost does not grow with a subnet's size (ENG-7), so
 * this only refuses the absurd (`0.0.0.0/0`, `::/0`): IPv4 up to a /8, IPv6 up to a /32 (a /48 or /56 per
 * site is common; a /64 per link is the usual subnet).
 */
const MIN_PREFIX = { 4: 8, 6: 32 } as const;

/**
 * SEC-2: a CIDR such as `::/0` parses, but a subnet of the whole address family is absurd (and its counters
 * exceed what clients print as integers). Checked on writes only: a stored subnet always loads.
 */
function checkSize(m: SubnetModel): void {
  for (const f of m.families) {
    const min = MIN_PREFIX[f.family];
    if (f.cidr.prefix < min) {
      throw new IpamError(
        ErrorCode.InvalidCIDR,
        `spec.cidrBlock ${f.space} is too large: a subnet may be at most /${min} for IPv${f.family}; split it into smaller subnets`,
        {
          field: 'spec.cidrBlock',
          value: f.space,
        },
      );
    }
  }
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

/**
 * SUB-9 first: a new CIDR for a subnet in use is refused as such, before the rest of the new spec is judged —
 * its gateway and excludeIps, still of the old CIDR, would otherwise be reported as the problem. A CIDR that
 * does not parse is left for the model to report.
 */
function refuseCidrChangeInUse(obj: KubeObject, ctx: KindContext): void {
  const current = ctx.engine.subnets.get(obj.metadata.name!);
  if (!current) return;
  let next: string;
  try {
    next = canonicalCidrBlock(obj.spec?.cidrBlock);
  } catch {
    return;
  }
  if (next !== current.cidrBlock) ctx.engine.checkSubnetIdle(current.name, 'spec.cidrBlock');
}

/** Kube-OVN `Subnet` (SUB-1 … SUB-9). */
export const subnetHandler: KindHandler = {
  kind: 'Subnet',

  create(obj, ctx) {
    const m = model(obj);
    checkSize(m);
    ctx.engine.putSubnet(m);
    return {
      object: normalised(obj, m),
      ops: [],
      undo: () => ctx.engine.restoreConfig('subnet', m.name, undefined),
      touched: [],
    };
  },

  update(old, obj, ctx) {
    refuseCidrChangeInUse(obj, ctx);
    const m = model(obj);
    checkSize(m);
    const before = ctx.engine.configOf('subnet', m.name);
    ctx.engine.putSubnet(m);
    return {
      object: normalised(obj, m),
      ops: [],
      undo: () => ctx.engine.restoreConfig('subnet', m.name, before),
      touched: [],
    };
  },

  finalize(old, ctx): Change {
    const name = old.metadata.name!;
    const before = ctx.engine.configOf('subnet', name);
    ctx.engine.removeSubnet(name);
    return {
      object: undefined,
      ops: [],
      undo: () => ctx.engine.restoreConfig('subnet', name, before),
      touched: [],
    };
  },

  decorate(obj, ctx: KindContext) {
    const usage = subnetUsage(ctx.engine, obj.metadata.name!, { ranges: true });
    if (!usage) return obj;
    return withUsageStatus(obj, usage, {
      using: 'usingIPs',
      available: 'availableIPs',
      usingRange: 'usingIPrange',
      availableRange: 'availableIPrange',
    });
  },

  install(obj, ctx) {
    ctx.engine.restoreConfig('subnet', obj.metadata.name!, model(obj));
  },
};
