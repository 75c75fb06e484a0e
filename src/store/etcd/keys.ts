/**
 * The key layout of the etcd store, under one prefix (default `/ipkeeper/`). One key per object, per held
 * address, per lease, per held MAC and per quarantined address (DUR-4: never one document per pool), so two
 * daemons allocating different addresses never touch the same key. Every variable segment is
 * percent-encoded (address spaces are CIDRs and contain `/`), so each key decodes back to what it names.
 *
 * ```
 * P meta                     {"format":1}: marks the prefix as an ipkeeper store
 * P s/o/<Kind>/<name>        object body (JSON, without resourceVersion); its mod_revision is the resourceVersion
 * P s/a/<space>/<address>    held address: {"k": lease key, "p": pool}
 * P s/l/<lease key>          lease: {"s": subnet, "m": MAC?}
 * P s/m/<mac>                held MAC: the lease key holding it (unique per store, DUR-2)
 * P s/q/<space>/<address>    quarantined address: its release sequence number
 * P h/<stamp>                history entry (stamp sorts newest first), with indexes ha/<address>/<stamp>
 *                            and hk/<lease key>/<stamp> (empty values)
 * P t/<batch id>             batch marker: written by every commit, read back when a reply is lost
 * P members/<daemon id>      live daemons (on each daemon's lease): host, pid, applied revision
 * P leader                   the standalone leader (on its lease); duties compare its create_revision
 * ```
 * The state every daemon mirrors is under `s/`: the change feed watches only that, not the history, markers
 * and liveness keys written alongside (half the events otherwise).
 */

/** The prefix when none is given (`--etcd-prefix`). */
export const DEFAULT_ETCD_PREFIX = '/ipkeeper/';

/** Sub-prefixes, each ending in `/` where a range over it must not catch a longer sibling. */
export const SUB = {
  meta: 'meta',
  state: 's/',
  object: 's/o/',
  address: 's/a/',
  lease: 's/l/',
  mac: 's/m/',
  quarantine: 's/q/',
  history: 'h/',
  historyByAddress: 'ha/',
  historyByKey: 'hk/',
  marker: 't/',
  members: 'members/',
  leader: 'leader',
} as const;

const enc = encodeURIComponent;
const dec = decodeURIComponent;

/** Keys of one store prefix. */
export class KeyLayout {
  constructor(readonly prefix: string) {}

  /** The full key of a sub-prefix (or of a fixed key such as `meta`). */
  sub(name: keyof typeof SUB): string {
    return this.prefix + SUB[name];
  }

  object(kind: string, name: string): string {
    return `${this.prefix}${SUB.object}${enc(kind)}/${enc(name)}`;
  }

  address(space: string, address: string): string {
    return `${this.prefix}${SUB.address}${enc(space)}/${enc(address)}`;
  }

  lease(key: string): string {
    return `${this.prefix}${SUB.lease}${enc(key)}`;
  }

  mac(mac: string): string {
    return `${this.prefix}${SUB.mac}${enc(mac)}`;
  }

  quarantine(space: string, address: string): string {
    return `${this.prefix}${SUB.quarantine}${enc(space)}/${enc(address)}`;
  }

  history(stamp: string): string {
    return `${this.prefix}${SUB.history}${stamp}`;
  }

  historyByAddress(address: string, stamp = ''): string {
    return `${this.prefix}${SUB.historyByAddress}${enc(address)}/${stamp}`;
  }

  historyByKey(key: string, stamp = ''): string {
    return `${this.prefix}${SUB.historyByKey}${enc(key)}/${stamp}`;
  }

  marker(batchId: string): string {
    return `${this.prefix}${SUB.marker}${batchId}`;
  }

  member(daemonId: string): string {
    return `${this.prefix}${SUB.members}${daemonId}`;
  }

  /** What a key under the prefix names, for the change feed; undefined for bookkeeping keys. */
  parse(key: string): ParsedKey | undefined {
    const state = this.prefix + SUB.state;
    if (!key.startsWith(state)) return undefined;
    const rest = key.slice(this.prefix.length);
    const slash = rest.indexOf('/', SUB.state.length);
    if (slash < 0) return undefined;
    const head = rest.slice(0, slash + 1);
    const parts = rest.slice(slash + 1).split('/');
    switch (head) {
      case SUB.object:
        return parts.length === 2
          ? { type: 'object', kind: dec(parts[0]!), name: dec(parts[1]!) }
          : undefined;
      case SUB.address:
        return parts.length === 2
          ? { type: 'address', space: dec(parts[0]!), address: dec(parts[1]!) }
          : undefined;
      case SUB.quarantine:
        return parts.length === 2
          ? { type: 'quarantine', space: dec(parts[0]!), address: dec(parts[1]!) }
          : undefined;
      case SUB.lease:
        return parts.length === 1 ? { type: 'lease', key: dec(parts[0]!) } : undefined;
      case SUB.mac:
        return parts.length === 1 ? { type: 'mac', mac: dec(parts[0]!) } : undefined;
      default:
        return undefined;
    }
  }
}

export type ParsedKey =
  | { type: 'object'; kind: string; name: string }
  | { type: 'address'; space: string; address: string }
  | { type: 'quarantine'; space: string; address: string }
  | { type: 'lease'; key: string }
  | { type: 'mac'; mac: string };

/** The end of the range of every key starting with `prefix` (etcd's prefix range_end). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i]!++;
      return end;
    }
  }
  return Buffer.from([0]);
}

/**
 * A valid prefix: absolute, ending in `/`, no empty or dot segments and nothing an operator would not mean
 * (spaces, control characters). Returns the reason it is not, or undefined.
 */
export function prefixProblem(prefix: string): string | undefined {
  if (!prefix.startsWith('/')) return `it must start with "/" (e.g. /ipkeeper/)`;
  if (!prefix.endsWith('/'))
    return `it must end with "/" (e.g. ${prefix}/), so it cannot match a longer sibling`;
  if (prefix.length > 200) return 'it is longer than 200 characters';
  if ([...prefix].some((c) => c.trim() === '' || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    return 'it contains spaces or control characters';
  if (
    prefix.length > 1 &&
    prefix
      .slice(1, -1)
      .split('/')
      .some((s) => s === '' || s === '.' || s === '..')
  )
    return 'it has an empty, "." or ".." segment';
  return undefined;
}

// ----------------------------------------------------------------------------------------- values

/** Value of an address key. */
export interface AddressValue {
  k: string;
  p: string;
}

/** Value of a lease key. */
export interface LeaseValue {
  s: string;
  m?: string;
}

export const encodeAddress = (key: string, pool: string): string => JSON.stringify({ k: key, p: pool });
export const encodeLease = (subnet: string, mac: string | undefined): string =>
  JSON.stringify(mac ? { s: subnet, m: mac } : { s: subnet });

export function decodeAddress(value: string): AddressValue {
  const v = JSON.parse(value) as Partial<AddressValue>;
  return { k: String(v.k ?? ''), p: String(v.p ?? '') };
}

export function decodeLease(value: string): LeaseValue {
  const v = JSON.parse(value) as Partial<LeaseValue>;
  return v.m ? { s: String(v.s ?? ''), m: String(v.m) } : { s: String(v.s ?? '') };
}
