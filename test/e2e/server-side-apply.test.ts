/**
 * Server-side apply (`kubectl apply --server-side`, as Flux and Argo CD's server-side mode use it) through
 * the real kubectl against a real daemon: create, re-apply, fields a manager drops are removed, another
 * manager's fields stay, the seed manifests apply unchanged, and bad applies change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { E2E, make, seedPath } from './e2e-support.js';
import { kubectlSkipReason } from '../support/kubectl.js';

type Managed = { manager: string; operation: string; fieldsV1: Record<string, unknown> }[];

describe('server-side apply through kubectl', { skip: kubectlSkipReason() }, () => {
  let e: E2E;
  before(async () => {
    e = await E2E.start();
  });
  after(() => e.close());

  const ssa = (obj: object, ...extra: string[]): Promise<string> =>
    e.ok(['apply', '--server-side', ...extra, '-f', '-'], JSON.stringify(obj));
  const managed = async (kind: string, name: string): Promise<Managed> =>
    (
      JSON.parse(await e.ok(['get', kind, name, '-o', 'json', '--show-managed-fields'])) as {
        metadata: { managedFields: Managed };
      }
    ).metadata.managedFields;

  test('API-apply create, re-apply, and a field the manager drops is removed; status counters still derived', async () => {
    const first = make.subnet('ssa1', {
      cidrBlock: '10.131.0.0/24',
      excludeIps: ['10.131.0.2..10.131.0.9'],
      private: true,
    });
    assert.match(await ssa(first), /subnet\.kubeovn\.io\/ssa1 serverside-applied/);
    const created = await e.must('subnet', 'ssa1');
    assert.equal(created.spec['gateway'], '10.131.0.1', 'defaults filled as on create');
    assert.equal(created.spec['private'], true);
    assert.deepEqual(created.spec['excludeIps'], ['10.131.0.1..10.131.0.9'], 'merged with the gateway');
    assert.equal(created.status?.['v4availableIPs'], 245);
    const entry = (await managed('subnet', 'ssa1')).find((m) => m.manager === 'kubectl');
    assert.equal(entry?.operation, 'Apply');
    assert.deepEqual(Object.keys(entry!.fieldsV1['f:spec'] as object).sort(), [
      'f:cidrBlock',
      'f:excludeIps',
      'f:private',
    ]);

    // Again, unchanged: nothing moves (same generation).
    await ssa(first);
    assert.equal((await e.must('subnet', 'ssa1')).metadata['generation'], created.metadata['generation']);

    // Drop `private` and the exclude range: both go; the gateway the server defaulted stays.
    await ssa(make.subnet('ssa1', { cidrBlock: '10.131.0.0/24' }));
    const after = await e.must('subnet', 'ssa1');
    assert.equal(after.spec['private'], false, 'back to the default');
    assert.equal(after.spec['gateway'], '10.131.0.1');
    assert.equal(after.status?.['v4availableIPs'], 253);
  });

  test('API-apply another manager: its fields stay when kubectl drops its own; client-side labels kept', async () => {
    await ssa({ ...make.subnet('ssa2', { cidrBlock: '10.132.0.0/24' }), metadata: { name: 'ssa2' } });
    await ssa(
      {
        ...make.subnet('ssa2', { cidrBlock: '10.132.0.0/24' }),
        metadata: { name: 'ssa2', labels: { team: 'a' } },
      },
      '--field-manager',
      'flux',
    );
    await e.ok(['label', 'subnet', 'ssa2', 'tier=edge']);
    await ssa(make.subnet('ssa2', { cidrBlock: '10.132.0.0/24' }));
    const s = await e.must('subnet', 'ssa2');
    assert.deepEqual(s.metadata['labels'], { team: 'a', tier: 'edge' });
    const managers = (await managed('subnet', 'ssa2')).map((m) => `${m.manager}/${m.operation}`).sort();
    assert.deepEqual(managers, ['flux/Apply', 'kubectl/Apply']);
    // flux drops its label: it goes.
    await ssa(make.subnet('ssa2', { cidrBlock: '10.132.0.0/24' }), '--field-manager', 'flux');
    assert.deepEqual((await e.must('subnet', 'ssa2')).metadata['labels'], { tier: 'edge' });
  });

  test('API-apply the seed manifests apply unchanged with --server-side; a reservation gets its address', async () => {
    const out = await e.ok(['apply', '--server-side', '-f', seedPath('02-static.yaml')]);
    assert.match(out, /serverside-applied/);
    const ip = await e.must('ip', 'pod-static-01.default');
    assert.equal(ip.spec['v4IpAddress'], '10.16.0.3');
    assert.equal(ip.metadata['labels']?.['ovn.kubernetes.io/ip_reserved' as never], 'true');
  });

  test('API-apply bad input: a refused apply changes nothing; --dry-run=server stores nothing', async () => {
    await ssa(make.subnet('ssa3', { cidrBlock: '10.133.0.0/24' }));
    const before = await e.snapshot();
    const err = await e.fails(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify(make.subnet('ssa3', { cidrBlock: '10.134.0.0/24' })),
    );
    assert.match(err, /spec\.cidrBlock/);
    const bad = await e.fails(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify(make.subnet('ssa4', { cidrBlock: '10.135.0.0/24', gateway: '10.9.9.9' })),
    );
    assert.match(bad, /spec\.gateway/);
    await ssa(make.subnet('ssa5', { cidrBlock: '10.136.0.0/24' }), '--dry-run=server');
    assert.equal(await e.get('subnet', 'ssa5'), undefined);
    assert.equal(await e.snapshot(), before, 'nothing changed');
  });
});
