import { type FamilyUsage } from '../../core/index.js';
import { type KubeObject } from '../types.js';

/** How a kind spells its per-family status fields (Kube-OVN: `v4usingIPs` on Subnet, `v4UsingIPs` on IPPool). */
export interface UsageFieldNames {
  using: string;
  available: string;
  usingRange: string;
  availableRange: string;
}

/** The object with its per-family usage written into status (SUB-7, POOL-5); both families always present. */
export function withUsageStatus(
  obj: KubeObject,
  usage: readonly FamilyUsage[],
  names: UsageFieldNames,
): KubeObject {
  const status: Record<string, unknown> = { ...(obj.status ?? {}) };
  for (const fam of [4, 6] as const) {
    const u = usage.find((x) => x.family === fam);
    const p = `v${fam}`;
    status[`${p}${names.using}`] = u?.using ?? 0;
    status[`${p}${names.available}`] = u ? u.available : 0;
    status[`${p}${names.usingRange}`] = u?.usingRange ?? '';
    status[`${p}${names.availableRange}`] = u?.availableRange ?? '';
  }
  return { ...obj, status };
}
