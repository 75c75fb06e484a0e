import { type Address, formatAddress, tryParseAddress } from '../ip/address.js';
import {
  type AddressPair,
  annotationError,
  isObjectName,
  pairFrom,
  parseAnnotationAddress,
  quote,
  splitItems,
} from './common.js';
import { OVN_KEYS } from './keys.js';

/** `ip_pool` names an IPPool object (STA-7)… */
export interface IpPoolName {
  readonly kind: 'pool';
  readonly name: string;
}

/** …or lists static addresses, one entry per pod, in the order written (STA-5). */
export interface IpPoolList {
  readonly kind: 'list';
  readonly entries: readonly AddressPair[];
}

export type IpPoolAnnotation = IpPoolName | IpPoolList;

const DUAL_HINT =
  'for dual stack separate pods with ";" and write each pod as v4,v6, e.g. 10.16.0.15,fd00::f;10.16.0.16,fd00::10';

/**
 * Parses `ovn.kubernetes.io/ip_pool` (STA-5, STA-7).
 *
 * - One token that is not an address and is a valid object name → `{kind: 'pool', name}`. A token that
 *   looks like an address (digits and dots, or a `:` or `/`) but does not parse is an address error, not a
 *   pool name: Kube-OVN would look up a pool called `10.16.0.256` and report "not found".
 * - With `;`: pods are separated by `;`, and each pod is `v4`, `v6` or `v4,v6` (`,` separates families).
 * - With `,` only: single stack, every item is one pod — except that exactly two items of different
 *   families are one dual-stack pod (the "dual-entry rule", Kube-OVN PR #3054). More than two items that
 *   mix families are ambiguous and refused with a hint to use `;`.
 *
 * Whitespace around items is trimmed; empty items, junk, `/prefix` suffixes and an address listed twice
 * (two pods could never both get it) are `InvalidAnnotation`; two addresses of one family inside one `;`
 * item are `InvalidIPFamily`. IPv6 may be upper case with leading zeros (`fd00:10:16::000E`).
 */
export function parseIpPoolAnnotation(value: string, key: string = OVN_KEYS.ipPool): IpPoolAnnotation {
  const text = value.trim();
  if (text === '') {
    throw annotationError(
      key,
      value,
      'is empty; write an IPPool name, or addresses such as 10.16.0.15,10.16.0.16 (one per pod)',
    );
  }
  if (!text.includes(';') && !text.includes(',')) {
    if (tryParseAddress(text) === undefined && !looksLikeAddress(text)) {
      if (isObjectName(text)) return { kind: 'pool', name: text };
      throw annotationError(
        key,
        value,
        `${quote(text)} is neither an IP address nor an IPPool name ` +
          `(names are lower-case letters, digits, "-" and ".", starting and ending with a letter or digit)`,
      );
    }
    return checked(key, value, [pairFrom(key, value, [text], quote(text))]);
  }
  if (text.includes(';')) {
    const pods = splitItems(key, value, text, ';', 'entry');
    const entries = pods.map((pod, i) =>
      pairFrom(
        key,
        value,
        splitItems(key, value, pod, ',', `entry ${i + 1}: address`),
        `entry ${i + 1} (${quote(pod)})`,
      ),
    );
    return checked(key, value, entries);
  }
  const items = splitItems(key, value, text, ',', 'item');
  const addrs = items.map((item) => listAddress(key, value, item));
  if (addrs.length === 2 && addrs[0]!.family !== addrs[1]!.family) {
    return checked(key, value, [pairFrom(key, value, items, quote(text))]);
  }
  if (addrs.some((a) => a.family !== addrs[0]!.family)) {
    throw annotationError(
      key,
      value,
      `${quote(text)} mixes IPv4 and IPv6 in a ","-separated list of ${items.length} items, which is ambiguous; ${DUAL_HINT}`,
    );
  }
  return checked(
    key,
    value,
    addrs.map((a) => (a.family === 4 ? { v4: a } : { v6: a })),
  );
}

/** Digits and dots only, or a `:` (before any `/prefix`): meant as an address, never an object name. */
function looksLikeAddress(text: string): boolean {
  const bare = text.split('/')[0]!;
  return /^[0-9.]+$/.test(bare) || bare.includes(':');
}

function listAddress(key: string, value: string, item: string): Address {
  if (tryParseAddress(item) === undefined && !looksLikeAddress(item) && isObjectName(item)) {
    throw annotationError(
      key,
      value,
      `${quote(item)} is not an address; ip_pool takes either one IPPool name or a list of addresses, not several names`,
    );
  }
  return parseAnnotationAddress(key, value, item);
}

/** Refuses an address written twice: the second pod to draw it would wait forever. */
function checked(key: string, value: string, entries: AddressPair[]): IpPoolList {
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    for (const a of [entry.v4, entry.v6]) {
      if (!a) continue;
      const id = formatAddress(a);
      const first = seen.get(id);
      if (first !== undefined) {
        throw annotationError(
          key,
          value,
          `${id} is listed twice (entries ${first + 1} and ${i + 1}); each pod needs an address of its own`,
        );
      }
      seen.set(id, i);
    }
  });
  return { kind: 'list', entries };
}
