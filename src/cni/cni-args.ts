import { isDnsLabel, isDnsSubdomain } from '../core/names.js';
import { CniError } from './errors.js';
import { CniWellKnownCode } from './wire.js';

/** The `CNI_ARGS` keys ipkeeper reads; every other key is ignored (see {@link parseCniArgs}). */
export interface CniArgs {
  podNamespace?: string;
  podName?: string;
  podUid?: string;
  /** `IP=` (host-local/static convention, CRI-O): one address or a comma-separated list. */
  ips: string[];
  /** `MAC=` (CRI-O). */
  mac?: string;
}

/**
 * Parses `CNI_ARGS` (`K1=V1;K2=V2`). Unknown keys are ignored whether or not `IgnoreUnknown=1` is set:
 * runtimes add keys of their own (K8S_POD_INFRA_CONTAINER_ID, tracing), and refusing them would fail pods
 * for nothing. A segment without `=` is malformed input and fails with code 4, naming the variable.
 */
export function parseCniArgs(raw: string | undefined): CniArgs {
  const out: CniArgs = { ips: [] };
  if (!raw) return out;
  for (const pair of raw.split(';')) {
    if (pair === '') continue; // a trailing ';' is common and harmless
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new CniError(CniWellKnownCode.InvalidEnvironment, `invalid CNI_ARGS: "${pair}" is not KEY=VALUE`);
    }
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (value === '') continue;
    switch (key) {
      case 'K8S_POD_NAMESPACE':
        if (!isDnsLabel(value))
          throw invalidName(
            key,
            value,
            'a namespace name: a lower-case DNS-1123 label of at most 63 characters',
          );
        out.podNamespace = value;
        break;
      case 'K8S_POD_NAME':
        if (!isDnsSubdomain(value))
          throw invalidName(
            key,
            value,
            'a pod name: a lower-case DNS-1123 subdomain of at most 253 characters',
          );
        out.podName = value;
        break;
      case 'K8S_POD_UID':
        out.podUid = value;
        break;
      case 'IP':
        out.ips = value.split(',').filter((ip) => ip !== '');
        break;
      case 'MAC':
        out.mac = value;
        break;
      default:
        break;
    }
  }
  return out;
}

function invalidName(key: string, value: string, what: string): CniError {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return new CniError(
    CniWellKnownCode.InvalidEnvironment,
    `invalid CNI_ARGS: ${key}="${shown}" is not ${what}`,
  );
}
