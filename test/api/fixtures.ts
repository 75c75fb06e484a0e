/** Shared setup of the kubectl suites: the real service on the memory store, with the default subnet. */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type IpamService } from '../../src/service/service.js';
import { openTestService, type TestServiceOptions } from '../support/service.js';

export const SEEDS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'seeds');
export const API_FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'api');
export const SEED_FILES = readdirSync(SEEDS_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

/**
 * The service a fresh daemon has: `ovn-default` (10.16.0.0/16, the seed pages' default subnet) and nothing
 * else. Counters, generations and resourceVersions are the product's own.
 */
export function seededService(options: TestServiceOptions = {}): Promise<IpamService> {
  return openTestService(options);
}

/** Lines without trailing blanks (kubectl pads the last column). */
export const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
