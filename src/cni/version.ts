import { CniError } from './errors.js';
import type { CniCommand } from './env.js';
import { CniWellKnownCode, SUPPORTED_CNI_VERSIONS, type CniVersion } from './wire.js';

/** Result shape families: 0.3.x/0.4.0 carry `ips[].version`, 1.x does not. */
export function isLegacyResultVersion(version: CniVersion): boolean {
  return version.startsWith('0.');
}

/**
 * Checks the config's `cniVersion`: not a string or not `x.y.z` → 6 (cannot decode), well-formed but not
 * spoken → 1. Absent means the spec's oldest version 0.1.0, which we do not speak, so also 1.
 */
export function parseCniVersion(value: unknown): CniVersion {
  if (value !== undefined && typeof value !== 'string') {
    throw new CniError(CniWellKnownCode.DecodingFailure, 'cniVersion must be a string such as "1.0.0"');
  }
  const text = value ?? '';
  if (text !== '' && !/^\d+\.\d+\.\d+$/.test(text)) {
    throw new CniError(CniWellKnownCode.DecodingFailure, `cannot decode cniVersion ${JSON.stringify(text)}`);
  }
  if (!(SUPPORTED_CNI_VERSIONS as readonly string[]).includes(text)) {
    throw new CniError(
      CniWellKnownCode.IncompatibleVersion,
      'incompatible CNI versions',
      `config is ${JSON.stringify(text)}, plugin supports ${JSON.stringify(SUPPORTED_CNI_VERSIONS)}`,
    );
  }
  return text as CniVersion;
}

/** The first version that has each command; older configs get code 1, as the Go skel answers. */
const MINIMUM: Partial<Record<CniCommand, CniVersion>> = { CHECK: '0.4.0', GC: '1.1.0', STATUS: '1.1.0' };

/** Refuses a command the config's version does not have (CHECK before 0.4.0, GC/STATUS before 1.1.0). */
export function requireVersionFor(command: CniCommand, version: CniVersion): void {
  const minimum = MINIMUM[command];
  if (minimum && compareVersions(version, minimum) < 0) {
    throw new CniError(
      CniWellKnownCode.IncompatibleVersion,
      `config version ${version} does not allow ${command}`,
    );
  }
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
