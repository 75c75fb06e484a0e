/**
 * Start-up (DUR-1): the service is rebuilt from the store alone, and a stored object that no longer passes the
 * rules is served, reported, and never silently dropped.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { obj, openTestService, stateOf } from '../support/service.js';

describe('service start-up', () => {
  test('DUR-1 a reopened service serves the same objects, leases and counters', async () => {
    const store = new MemoryStore();
    const first = await openTestService({ store, subnets: { s: '10.60.0.0/24' } });
    await first.create('IP', obj('IP', 'a.default', { subnet: 's', podName: 'a', namespace: 'default' }), {
      dryRun: false,
    });
    const second = await openTestService({ store });
    const noVersions = (state: string): string => state.replace(/"resourceVersion":"\d+"/g, '');
    assert.equal(noVersions(stateOf(second)), noVersions(stateOf(first)));
    assert.deepEqual(second.loadProblems, []);
    // A served resourceVersion never goes backwards across a restart, though derived status is not stored.
    const versions = (s: typeof first): number[] =>
      (['Subnet', 'IP'] as const).flatMap((k) =>
        s.list(k).items.map((o) => Number(o.metadata.resourceVersion)),
      );
    const [before, after] = [versions(first), versions(second)];
    before.forEach((v, i) => assert.ok(after[i]! >= v, `${after[i]} >= ${v}`));
  });

  test('DUR-1 a stored object that fails the rules is served and reported with its reason; the rest works', async () => {
    const store = new MemoryStore();
    await openTestService({ store, subnets: { good: '10.61.0.0/24' } });
    // Written by an older version, before IPv6 text for IPv4 addresses was refused.
    const body = obj('Subnet', 'mapped', { cidrBlock: '::ffff:10.62.0.0/120' });
    const written = await store.commit([{ op: 'putObject', kind: 'Subnet', name: 'mapped', body }]);
    assert.ok(written.ok);
    const service = await openTestService({ store });
    assert.equal(service.loadProblems.length, 1);
    const [problem] = service.loadProblems;
    assert.deepEqual([problem?.kind, problem?.name], ['Subnet', 'mapped']);
    assert.match(problem?.reason ?? '', /::ffff:0:0\/96, the IPv4-mapped/);
    assert.equal(
      service.get('Subnet', 'mapped')?.spec?.['cidrBlock'],
      '::ffff:10.62.0.0/120',
      'served as stored',
    );
    assert.equal(service.engine.subnets.has('mapped'), false, 'not in effect');
    const ip = await service.create(
      'IP',
      obj('IP', 'b.default', { subnet: 'good', podName: 'b', namespace: 'default' }),
      { dryRun: false },
    );
    assert.equal(ip.spec?.['v4IpAddress'], '10.61.0.2', 'the rest of the store works');
    await service.delete('Subnet', 'mapped', { dryRun: false });
    assert.equal(service.get('Subnet', 'mapped'), undefined, 'it can be deleted through the API');
  });
});
