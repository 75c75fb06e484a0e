import { isDnsLabel, isDnsSubdomain } from '../core/names.js';
import { CniError } from './errors.js';
import { CniWellKnownCode } from './wire.js';

/** The `CNI_ARGS` keys ipkeeper reads; every other key is ignored (see {@link parseCniArgs}). */
export interface CniArgs {
  podNamespace?: string;
  /** `K8S_POD_NAME`, set only together with {@link podNamespace}: then it names a Kubernetes pod. */
  podName?: string;
  /**
   * `K8S_POD_NAME` without `K8S_POD_NAMESPACE`: no pod, but the runtime's own name for the container
   * (podman passes its container names there, `amazing_fermi`). Information only, never validated.
   */
  containerName?: string;
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
 *
 * `K8S_POD_NAME` obeys Kubernetes' pod-name rules only when `K8S_POD_NAMESPACE` comes with it (a pod of a
 * cluster, CNI-2). Alone it is whatever the runtime calls the container — podman passes names like
 * `amazing_fermi` — and refusing it would fail every such ADD and DEL; it becomes {@link
 * CniArgs.containerName}.
 */
export function parseCniArgs(raw: string | undefined): CniArgs {
  const out: CniArgs = { ips: [] };
  if (!raw) return out;
  let podName: string | undefined;
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
        podName = value; // judged below, once we know whether a namespace came with it
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
  if (podName === undefined) return out;
  if (out.podNamespace === undefined) {
    // Kept to an object name's length: it is recorded as an annotation, and a runtime may put anything there.
    out.containerName = podName.slice(0, MAX_CONTAINER_NAME);
    return out;
  }
  if (!isDnsSubdomain(podName))
    throw invalidName(
      'K8S_POD_NAME',
      podName,
      'a pod name: a lower-case DNS-1123 subdomain of at most 253 characters',
    );
  out.podName = podName;
  return out;
}

/** The longest container name recorded (an object name's limit). */
const MAX_CONTAINER_NAME = 253;

function invalidName(key: string, value: string, what: string): CniError {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return new CniError(
    CniWellKnownCode.InvalidEnvironment,
    `invalid CNI_ARGS: ${key}="${shown}" is not ${what}`,
  );
}
