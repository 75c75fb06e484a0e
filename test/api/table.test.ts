// API-table: every cell is its printer column's jsonPath read from the object.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsonPathSteps, valueAt } from '../../src/api/kinds/schema-helpers.js';
import { ALL_KINDS } from '../../src/api/kinds/index.js';
import { buildTable } from '../../src/api/table.js';
import type { KubeObject } from '../../src/api/resource-service.js';

describe('API-table cells from column paths', () => {
  test('API-table jsonPath steps: members and quoted keys; anything else is refused', () => {
    assert.deepEqual(jsonPathSteps('.spec.cidrBlock'), ['spec', 'cidrBlock']);
    assert.deepEqual(jsonPathSteps(".spec.podAffinity.matchLabels['ipam.spidernet.io/app-namespace']"), [
      'spec',
      'podAffinity',
      'matchLabels',
      'ipam.spidernet.io/app-namespace',
    ]);
    assert.throws(() => jsonPathSteps('.spec.ips[0]'), /unsupported printer column path/);
    for (const def of ALL_KINDS)
      for (const c of def.columns) assert.doesNotThrow(() => jsonPathSteps(c.jsonPath));
  });

  test('API-table a SpiderIPPool row: nested label, missing fields null, lists as JSON text', () => {
    const def = ALL_KINDS.find((k) => k.kind === 'SpiderIPPool')!;
    const pool = {
      apiVersion: 'spiderpool.spidernet.io/v2beta1',
      kind: 'SpiderIPPool',
      metadata: { name: 'p' },
      spec: {
        ipVersion: 4,
        subnet: '10.6.0.0/16',
        podAffinity: { matchLabels: { 'ipam.spidernet.io/app-namespace': 'team-a' } },
      },
      status: { allocatedIPCount: 2, totalIPCount: 10 },
    } as unknown as KubeObject;
    const table = buildTable(def, [pool], { include: 'None', version: 'v1' }) as {
      rows: { cells: unknown[] }[];
    };
    assert.deepEqual(table.rows[0]!.cells, ['p', 4, '10.6.0.0/16', 2, 10, null, null, null, null, 'team-a']);
    assert.equal(valueAt(pool, ['spec', 'ipVersion', 'deeper']), undefined);
  });
});
