import { ErrorCode, IpamError } from './errors.js';
import { type RandomSource } from './random.js';

/**
 * MAC addresses are 48-bit integers inside the engine (exact in a JS number) and canonical lower-case
 * colon text at the edges.
 */
const MAC_RE =
  /^([0-9a-fA-F]{2})([:-])([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})$/;

/** Parses `aa:bb:cc:dd:ee:ff` or `aa-bb-cc-dd-ee-ff` in any case and requires a unicast address (ENG-6). */
export function parseMac(text: string): number {
  const m = typeof text === 'string' ? MAC_RE.exec(text) : null;
  if (!m) {
    throw new IpamError(
      ErrorCode.InvalidMAC,
      `invalid MAC address "${String(text)}": expected six hex pairs such as 02:42:ac:11:00:02`,
      {
        value: String(text),
      },
    );
  }
  const octets = [m[1], m[3], m[4], m[5], m[6], m[7]].map((h) => parseInt(h!, 16));
  if ((octets[0]! & 1) === 1) {
    throw new IpamError(
      ErrorCode.InvalidMAC,
      `MAC address "${text}" is multicast (the first octet is odd); an interface needs a unicast MAC`,
      {
        value: text,
      },
    );
  }
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

export function formatMac(mac: number): string {
  const hex = mac.toString(16).padStart(12, '0');
  return `${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}`;
}

/** Canonical text of a MAC given as text; throws InvalidMAC. */
export function canonicalMac(text: string): string {
  return formatMac(parseMac(text));
}

/**
 * A random locally administered unicast MAC (first octet x2, x6, xA or xE) not in `taken`.
 * 46 random bits make a collision unlikely; the loop makes it impossible.
 */
export function randomMac(random: RandomSource, taken: { has(mac: number): boolean }): number {
  for (;;) {
    const hi = ((random.nextUint32() & 0xfeff) | 0x0200) & 0xfeff; // first octet: local bit on, multicast bit off
    const lo = random.nextUint32();
    const mac = hi * 2 ** 32 + lo;
    if (!taken.has(mac)) return mac;
  }
}
