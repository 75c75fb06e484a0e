/** Shared setup of the kubectl suites: a memory service seeded with the default subnet of the seed pages. */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryResourceService } from '../support/memory-resource-service.js';

export const SEEDS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'seeds');
export const API_FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'api');
export const SEED_FILES = readdirSync(SEEDS_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

/**
 * The memory stand-in does no allocation, so the Subnet's status is seeded with the counters the
 * seed page shows (7 used, 65526 available): what is under test is the printing, not the counting.
 */
export function seededService(): MemoryResourceService {
  const svc = new MemoryResourceService();
  svc.seed('Subnet', {
    apiVersion: 'kubeovn.io/v1',
    kind: 'Subnet',
    metadata: { name: 'ovn-default' },
    spec: {
      cidrBlock: '10.16.0.0/16',
      default: true,
      excludeIps: ['10.16.0.1'],
      gateway: '10.16.0.1',
      gatewayType: 'distributed',
      natOutgoing: true,
      private: false,
      protocol: 'IPv4',
      provider: 'ovn',
      vpc: 'ovn-cluster',
    },
    status: {
      v4usingIPs: 7,
      v4availableIPs: 65526,
      v6usingIPs: 0,
      v6availableIPs: 0,
      u2oInterconnectionIP: '',
    },
  });
  return svc;
}

/** Lines without trailing blanks (kubectl pads the last column). */
export const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
