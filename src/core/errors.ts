/**
 * The engine's error catalog. Every failure the engine reports is an {@link IpamError} with one of these
 * stable codes; callers branch on `code`, never on message text. Each code maps exactly once to an HTTP
 * `metav1.Status` (src/api) and to a CNI error code (src/cni); docs/errors.md lists them.
 */
export const ErrorCode = {
  /** No address is left in the candidate set (subnet, pool or ip_pool list). */
  NoAvailableAddress: 'NoAvailableAddress',
  /** The address or MAC is held by another owner, or is the gateway. */
  AddressConflict: 'AddressConflict',
  /** A static address lies outside the subnet or pool, or is its network/broadcast address. */
  AddressOutOfRange: 'AddressOutOfRange',
  /** The named subnet does not exist. */
  NoSubnet: 'NoSubnet',
  /** A CIDR does not parse or is not allowed (/32, /128, host bits where canonical form is required). */
  InvalidCIDR: 'InvalidCIDR',
  /** The address family does not fit the subnet or pool, or two addresses of one family were given. */
  InvalidIPFamily: 'InvalidIPFamily',
  /** The named pool does not exist. */
  PoolNotFound: 'PoolNotFound',
  /** An address does not parse. */
  InvalidAddress: 'InvalidAddress',
  /** A range (`a..b`, `a-b`) does not parse or is reversed. */
  InvalidRange: 'InvalidRange',
  /** A MAC address does not parse or is multicast. */
  InvalidMAC: 'InvalidMAC',
  /** An annotation value does not follow its grammar. */
  InvalidAnnotation: 'InvalidAnnotation',
  /** A subnet specification is inconsistent (gateway, overlap, excludeIps…). */
  InvalidSubnet: 'InvalidSubnet',
  /** A pool specification is inconsistent (overlap, gateway inside ips…). */
  InvalidPool: 'InvalidPool',
  /** A reservation specification is inconsistent. */
  InvalidReservation: 'InvalidReservation',
  /** Any other malformed input. */
  InvalidInput: 'InvalidInput',
  /** The change would strand addresses in use (delete a busy subnet, remove a held address from a pool). */
  InUse: 'InUse',
  /** The object already exists. */
  AlreadyExists: 'AlreadyExists',
  /** A field that cannot change was changed. */
  Immutable: 'Immutable',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Every code, for the catalog test and docs/errors.md. */
export const ALL_ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);

export interface IpamErrorOptions {
  /** Dotted path of the offending input field, e.g. `spec.excludeIps[2]`. */
  field?: string;
  /** The offending value, shown back to the user. */
  value?: string;
  /** Who holds a conflicting address or MAC, or the name of the overlapping object. */
  holder?: string;
}

/** A typed engine error. `message` is for people; `code` (and `field`) are for programs. */
export class IpamError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly value: string | undefined;
  readonly holder: string | undefined;

  constructor(code: ErrorCode, message: string, options: IpamErrorOptions = {}) {
    super(message);
    this.name = 'IpamError';
    this.code = code;
    this.field = options.field;
    this.value = options.value;
    this.holder = options.holder;
  }

  /** A copy whose field path is prefixed, so a nested validator's error names the full path. */
  at(prefix: string): IpamError {
    const field = this.field ? `${prefix}${this.field.startsWith('[') ? '' : '.'}${this.field}` : prefix;
    return new IpamError(this.code, this.message, { field, value: this.value, holder: this.holder });
  }
}

export function isIpamError(e: unknown): e is IpamError {
  return e instanceof IpamError;
}
