import { annotationError, isObjectName, quote, splitItems } from './common.js';
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

/**
 * `ovn.kubernetes.io/logical_switch` on a namespace (K8S-3): one subnet name or a comma list, tried in the
 * order written. Each item must be a subnet name; a name listed twice is refused (it would only be tried
 * twice). Whether the subnets exist is the caller's question (`NoSubnet`).
 */
export function parseNamespaceLogicalSwitches(value: string, key: string = OVN_KEYS.logicalSwitch): string[] {
  const names = splitItems(key, value, value.trim(), ',', 'subnet name');
  const seen = new Set<string>();
  for (const name of names) {
    if (!isObjectName(name))
      throw annotationError(
        key,
        value,
        `${quote(name)} is not a subnet name (lower-case letters, digits, "-" and ".", starting and ending with a letter or digit)`,
      );
    if (seen.has(name)) throw annotationError(key, value, `subnet ${quote(name)} is listed twice`);
    seen.add(name);
  }
  return names;
}
