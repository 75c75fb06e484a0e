import { annotationError, isObjectName, quote } from './common.js';
import { OVN_KEYS } from './keys.js';

/**
 * `ovn.kubernetes.io/logical_switch` on a pod (STA-4): the name of one Subnet. Surrounding whitespace is
 * trimmed; anything that cannot be an object name (a comma list included — that form exists only on
 * namespaces) is `InvalidAnnotation`. Whether the subnet exists is the caller's question (`NoSubnet`).
 */
export function parseLogicalSwitchAnnotation(value: string, key: string = OVN_KEYS.logicalSwitch): string {
  const name = value.trim();
  if (isObjectName(name)) return name;
  const why = name.includes(',')
    ? 'names several subnets; a pod names exactly one'
    : 'is not a subnet name (lower-case letters, digits, "-" and ".", starting and ending with a letter or digit)';
  throw annotationError(key, value, `${quote(name)} ${why}`);
}
