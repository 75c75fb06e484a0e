import { IpamError } from '../errors.js';
import { parseMac } from '../mac.js';
import { annotationError } from './common.js';
import { OVN_KEYS } from './keys.js';

/**
 * `ovn.kubernetes.io/mac_address` (STA-2): a static MAC, `aa:bb:cc:dd:ee:ff` or `aa-bb-cc-dd-ee-ff`, any
 * case, surrounding whitespace ignored. It must be unicast (first octet even). Answers the 48-bit value;
 * `formatMac` gives the canonical lower-case colon text (`00:00:00:53:6B:B6` → `00:00:00:53:6b:b6`).
 */
export function parseMacAddressAnnotation(value: string, key: string = OVN_KEYS.macAddress): number {
  try {
    return parseMac(value.trim());
  } catch (e) {
    const why = e instanceof IpamError ? e.message : String(e);
    throw annotationError(key, value, why);
  }
}
