import { ErrorCode, isIpamError } from '../core/errors.js';
import { CNI_ALLOCATION_MISMATCH, CNI_ALLOCATION_MISSING, CNI_SERVICE_UNAVAILABLE } from './cni-service.js';
import { CniWellKnownCode } from './wire.js';

/**
 * ipkeeper's own CNI error codes (≥ 100, the range the spec leaves to plugins). Stable: runtimes and
 * operators may match on them; docs/cni.md lists them and a test pins the table.
 */
export const CniOwnCode = {
  NoAvailableAddress: 100,
  AddressConflict: 101,
  AddressOutOfRange: 102,
  NoSubnet: 103,
  PoolNotFound: 104,
  InvalidIPFamily: 105,
  InvalidAnnotation: 106,
  InUse: 107,
  AlreadyExists: 108,
  Immutable: 109,
  AllocationMissing: 110,
  AllocationMismatch: 111,
} as const;

/**
 * The one place an engine error code becomes a CNI code. A `Record` over every `ErrorCode`, so a new
 * engine code does not type-check until it is mapped here. Malformed input and config → 7 (the spec's
 * "invalid network config"): over CNI, everything the engine validates came from the config or its args.
 */
export const ENGINE_TO_CNI_CODE: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.NoAvailableAddress]: CniOwnCode.NoAvailableAddress,
  [ErrorCode.AddressConflict]: CniOwnCode.AddressConflict,
  [ErrorCode.AddressOutOfRange]: CniOwnCode.AddressOutOfRange,
  [ErrorCode.NoSubnet]: CniOwnCode.NoSubnet,
  [ErrorCode.PoolNotFound]: CniOwnCode.PoolNotFound,
  [ErrorCode.InvalidIPFamily]: CniOwnCode.InvalidIPFamily,
  [ErrorCode.InvalidAnnotation]: CniOwnCode.InvalidAnnotation,
  [ErrorCode.InUse]: CniOwnCode.InUse,
  [ErrorCode.AlreadyExists]: CniOwnCode.AlreadyExists,
  [ErrorCode.Immutable]: CniOwnCode.Immutable,
  [ErrorCode.InvalidCIDR]: CniWellKnownCode.InvalidConfig,
  [ErrorCode.InvalidAddress]: CniWellKnownCode.InvalidConfig,
  [ErrorCode.InvalidRange]: CniWellKnownCode.InvalidConfig,
  [ErrorCode.InvalidMAC]: CniWellKnownCode.InvalidConfig,
  [ErrorCode.InvalidSubnet]: CniWellKnownCode.InvalidConfig,
  [ErrorCode.InvalidPool]: CniWellKnownCode.InvalidConfig,
  [ErrorCode.InvalidReservation]: CniWellKnownCode.InvalidConfig,
  [ErrorCode.InvalidInput]: CniWellKnownCode.InvalidConfig,
};

/**
 * An error the endpoint raises itself while reading the CNI call (env, stdin, version), already carrying
 * its CNI code. `msg` must name the variable or field at fault (spec, codes 2 and 4).
 */
export class CniError extends Error {
  readonly code: number;
  readonly details: string | undefined;
  constructor(code: number, msg: string, details?: string) {
    super(msg);
    this.name = 'CniError';
    this.code = code;
    this.details = details;
  }
}

/** A CNI error before the version is attached. */
export interface MappedCniError {
  code: number;
  msg: string;
  details?: string;
}

/** Which command failed: STATUS turns "unavailable" into 50 rather than 11. */
export interface MapErrorOptions {
  command: string;
}

/**
 * Maps anything thrown while serving a CNI call to a CNI error. The engine's message is passed through
 * unchanged as `msg` (users grep for it, e.g. Spiderpool's "all IP addresses used out").
 */
export function toCniError(err: unknown, options: MapErrorOptions): MappedCniError {
  if (err instanceof CniError) return withDetails(err.code, err.message, err.details);
  if (isIpamError(err)) {
    const details = [
      err.field && `field ${err.field}`,
      err.value !== undefined && `value ${JSON.stringify(err.value)}`,
      err.holder && `held by ${err.holder}`,
    ].filter((part): part is string => typeof part === 'string' && part !== '');
    const code =
      options.command === 'STATUS' ? CniWellKnownCode.PluginNotAvailable : ENGINE_TO_CNI_CODE[err.code];
    return withDetails(code, err.message, [`engine code ${err.code}`, ...details].join('; '));
  }
  const serviceCode = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (serviceCode === CNI_SERVICE_UNAVAILABLE || options.command === 'STATUS') {
    const code =
      options.command === 'STATUS' ? CniWellKnownCode.PluginNotAvailable : CniWellKnownCode.TryAgainLater;
    return withDetails(code, message, 'the ipkeeper daemon cannot serve this request now; retry later');
  }
  if (serviceCode === CNI_ALLOCATION_MISSING) return withDetails(CniOwnCode.AllocationMissing, message);
  if (serviceCode === CNI_ALLOCATION_MISMATCH) return withDetails(CniOwnCode.AllocationMismatch, message);
  return withDetails(CniWellKnownCode.Internal, `internal error: ${message}`);
}

function withDetails(code: number, msg: string, details?: string): MappedCniError {
  return details ? { code, msg, details } : { code, msg };
}
