import { type AddressPair, annotationError, pairFrom, quote, splitItems } from './common.js';
import { OVN_KEYS } from './keys.js';

/**
 * `ovn.kubernetes.io/ip_address` (STA-1): the static address(es) of one pod interface, `10.16.0.15` or
 * `10.16.0.15,fd00:10:16::15` (either order). Whitespace around items is trimmed; empty items, junk,
 * a `/prefix`, more than two items → `InvalidAnnotation`; two of one family → `InvalidIPFamily`.
 * IPv6 may be written in any case and with leading zeros; the result is the parsed value.
 */
export function parseIpAddressAnnotation(value: string, key: string = OVN_KEYS.ipAddress): AddressPair {
  const text = value.trim();
  if (text === '') {
    throw annotationError(
      key,
      value,
      'is empty; write an address such as 10.16.0.15, or 10.16.0.15,fd00:10:16::15 for dual stack',
    );
  }
  if (text.includes(';')) {
    throw annotationError(
      key,
      value,
      `${quote(text)} contains ";"; ${key} gives one pod its addresses ("v4" or "v4,v6"), ` +
        `a list of addresses for several pods belongs in ip_pool`,
    );
  }
  const items = splitItems(key, value, text, ',', 'address');
  return pairFrom(key, value, items, quote(text));
}
