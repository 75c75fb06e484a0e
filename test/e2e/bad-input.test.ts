/**
 * SEC-2 and SEC-1 against a real daemon: hostile or broken input through kubectl and raw HTTPS (the daemon's CA
 * and token) gets a clear error with the documented HTTP status (docs/api.md), names the field, changes no state
 * and never takes the daemon down.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { E2E, collectionPath, make, seedPath, tempDir, removeDir, type HttpReply } from './e2e-support.js';
import { kubectlSkipReason } from '../support/kubectl.js';

/** The `metav1.Status` of a reply, with its causes' fields. */
function status(r: HttpReply): { code: number; reason: string; message: string; fields: string[] } {
  assert.ok(r.json, `a JSON Status body, got: ${r.text.slice(0, 200)}`);
  assert.equal(r.json['kind'], 'Status');
  const details = (r.json['details'] ?? {}) as { causes?: { field: string }[] };
  return {
    code: r.json['code'] as number,
    reason: r.json['reason'] as string,
    message: r.json['message'] as string,
    fields: (details.causes ?? []).map((c) => c.field),
  };
}

describe(
  'SEC-2 bad input changes nothing and never crashes the daemon',
  { skip: kubectlSkipReason() },
  () => {
    let e: E2E;
    let baseline: string;
    const SUBNETS = collectionPath('subnets');
    const IPS = collectionPath('ips');

    before(async () => {
      e = await E2E.start();
      // Some state worth protecting: a reservation, a subnet with a pool, a Spider pool and reservation.
      await e.ok(['apply', '-f', seedPath('01-dynamic.yaml')]);
      await e.apply(
        make.subnet('guarded', { cidrBlock: '10.130.0.0/24' }),
        make.spiderPool('guarded-sp', { subnet: '10.131.0.0/24', ips: ['10.131.0.10-10.131.0.20'] }),
        make.spiderReserved('guarded-sr', { ips: ['10.131.0.30'] }),
      );
      await e.apply(make.ippool('guarded-pool', { subnet: 'guarded', ips: ['10.130.0.10..10.130.0.19'] }));
      baseline = await e.snapshot();
    });
    after(() => e.close());

    /** The daemon is the same process, alive and ready, and the state is the baseline. */
    async function unharmed(pid: number): Promise<void> {
      assert.equal(e.daemon.pid, pid);
      assert.doesNotThrow(() => process.kill(pid, 0), 'the daemon process is alive');
      const ready = await e.http('GET', '/readyz', { token: null });
      assert.equal(ready.status, 200);
      assert.equal(ready.text.trim(), 'ok');
      assert.equal(await e.snapshot(), baseline, 'no state change');
    }

    test('SEC-2 malformed JSON and YAML bodies → 400 BadRequest saying what is wrong', async () => {
      const pid = e.daemon.pid;
      const cases: { body: string; type: string }[] = [
        { body: '{"apiVersion":"kubeovn.io/v1","kind":"Subnet",', type: 'application/json' },
        { body: '{"apiVersion": kubeovn.io/v1}', type: 'application/json' },
        {
          body: 'apiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: x\nspec: [',
          type: 'application/yaml',
        },
        { body: 'a: 1\na: 2\n', type: 'application/yaml' },
        { body: '', type: 'application/json' },
        { body: '[]', type: 'application/json' },
        { body: '"a string"', type: 'application/json' },
        { body: 'null', type: 'application/json' },
      ];
      for (const c of cases) {
        const r = await e.http('POST', SUBNETS, { body: c.body, contentType: c.type });
        const s = status(r);
        assert.equal(r.status, 400, `${JSON.stringify(c.body)} → ${r.status} ${s.message}`);
        assert.equal(s.reason, 'BadRequest');
        assert.ok(s.message.length > 10);
      }
      // kubectl refuses broken YAML itself; nothing reaches the store either way.
      await e.fails(
        ['apply', '-f', '-'],
        'apiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata:\n  name: [broken\n',
      );
      await unharmed(pid);
    });

    test('SEC-2 hostile bodies: a YAML alias bomb and deep nesting → 400, not 500', async () => {
      const pid = e.daemon.pid;
      const lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]'];
      for (let i = 1; i < 12; i++)
        lines.push(
          `a${i}: &a${i} [${Array(9)
            .fill(`*a${i - 1}`)
            .join(',')}]`,
        );
      lines.push(
        'apiVersion: kubeovn.io/v1',
        'kind: Subnet',
        'metadata: {name: bomb}',
        'spec: {cidrBlock: 10.132.0.0/24, excludeIps: *a11}',
      );
      const bomb = await e.http('POST', SUBNETS, { body: lines.join('\n'), contentType: 'application/yaml' });
      assert.equal(bomb.status, 400, bomb.text);
      assert.equal(status(bomb).reason, 'BadRequest');

      const deep = '['.repeat(400_000) + ']'.repeat(400_000);
      for (const type of ['application/json', 'application/yaml']) {
        const r = await e.http('POST', SUBNETS, { body: deep, contentType: type });
        assert.equal(r.status, 400, `${type}: ${r.text.slice(0, 200)}`);
      }
      await unharmed(pid);
    });

    test('SEC-2 a body over the limit → 413 RequestEntityTooLarge', async () => {
      const pid = e.daemon.pid;
      const big = JSON.stringify(
        make.subnet('big', { cidrBlock: '10.133.0.0/24', excludeIps: Array(400_000).fill('10.133.0.5') }),
      );
      assert.ok(big.length > 4 * 1024 * 1024);
      const r = await e.http('POST', SUBNETS, { body: big });
      assert.equal(r.status, 413);
      assert.equal(status(r).reason, 'RequestEntityTooLarge');
      await unharmed(pid);
    });

    test('SEC-2 wrong types → 422 Invalid naming the field (kubectl and HTTPS)', async () => {
      const pid = e.daemon.pid;
      const wrong: [Record<string, unknown>, string][] = [
        [{ cidrBlock: 42 }, 'spec.cidrBlock'],
        [{ cidrBlock: '10.134.0.0/24', excludeIps: '10.134.0.5' }, 'spec.excludeIps'],
        [{ cidrBlock: '10.134.0.0/24', excludeIps: [5] }, 'spec.excludeIps[0]'],
        [{ cidrBlock: '10.134.0.0/24', default: 'yes' }, 'spec.default'],
      ];
      for (const [spec, field] of wrong) {
        const r = await e.http('POST', SUBNETS, { body: JSON.stringify(make.subnet('typed', spec)) });
        const s = status(r);
        assert.equal(r.status, 422, `${JSON.stringify(spec)}: ${s.message}`);
        assert.equal(s.reason, 'Invalid');
        assert.ok(s.fields.includes(field), `${field} in ${JSON.stringify(s.fields)}: ${s.message}`);
      }
      const ipWrong = await e.http('POST', IPS, {
        body: JSON.stringify(
          make.reservation('typed', 'default', 'ovn-default', { v4IpAddress: ['10.16.0.9'] }),
        ),
      });
      assert.equal(ipWrong.status, 422);
      assert.ok(status(ipWrong).fields.includes('spec.v4IpAddress'));
      const err = await e.fails(
        ['apply', '-f', '-'],
        JSON.stringify(make.subnet('typed', { cidrBlock: 42 })),
      );
      assert.match(err, /spec\.cidrBlock/);
      await unharmed(pid);
    });

    test('SEC-2 invalid labels, annotation keys and finalizers → 422 naming metadata.*', async () => {
      const pid = e.daemon.pid;
      const cases: [Record<string, unknown>, string][] = [
        [{ labels: { 'bad key!': 'x' } }, 'metadata.labels'],
        [{ labels: { app: 'no spaces allowed' } }, 'metadata.labels'],
        [{ annotations: { '-leading.dash/x': 'v' } }, 'metadata.annotations'],
        [{ finalizers: ['not a finalizer!'] }, 'metadata.finalizers[0]'],
      ];
      for (const [meta, field] of cases) {
        const subnet = make.subnet('meta-bad', { cidrBlock: '10.135.0.0/24' }) as unknown as {
          metadata: Record<string, unknown>;
        };
        subnet.metadata = { ...subnet.metadata, ...meta };
        const r = await e.http('POST', SUBNETS, { body: JSON.stringify(subnet) });
        const st = status(r);
        assert.equal(r.status, 422, `${JSON.stringify(meta)}: ${st.message}`);
        assert.ok(st.fields.includes(field), `${field} in ${JSON.stringify(st.fields)}`);
      }
      await unharmed(pid);
    });

    test('SEC-2 unknown fields → 400 strict decoding error naming each field', async () => {
      const pid = e.daemon.pid;
      const body = { ...make.subnet('unknown', { cidrBlock: '10.135.0.0/24', cidrBlok: 'typo' }), extra: 1 };
      const r = await e.http('POST', `${SUBNETS}?fieldValidation=Strict`, { body: JSON.stringify(body) });
      const s = status(r);
      assert.equal(r.status, 400);
      assert.match(s.message, /unknown field "spec\.cidrBlok"/);
      assert.match(s.message, /unknown field "extra"/);
      // Strict is the default without the parameter too.
      assert.equal((await e.http('POST', SUBNETS, { body: JSON.stringify(body) })).status, 400);
      const err = await e.fails(
        ['apply', '-f', '-'],
        JSON.stringify(make.reservation('unk', 'default', 'ovn-default', { nodeNmae: 'x' })),
      );
      assert.match(err, /unknown field "spec\.nodeNmae"/);
      await unharmed(pid);
    });

    test('SEC-2 SUB-3 absurd CIDRs → 422 naming spec.cidrBlock', async () => {
      const pid = e.daemon.pid;
      for (const cidr of [
        '10.0.0.0/99',
        '999.1.1.1/8',
        '::/0',
        '0.0.0.0/0',
        '10.136.0.0',
        'fd00::/-1',
        '10.136.0.0/24,10.137.0.0/24',
        '',
      ]) {
        const r = await e.http('POST', SUBNETS, {
          body: JSON.stringify(make.subnet('absurd', { cidrBlock: cidr })),
        });
        const s = status(r);
        assert.equal(r.status, 422, `${cidr}: ${r.status} ${s.message}`);
        assert.ok(s.fields.includes('spec.cidrBlock'), `${cidr}: ${JSON.stringify(s.fields)} ${s.message}`);
      }
      for (const ips of [['10.131.0.1/99'], ['10.131.0.300'], ['::-::']]) {
        const r = await e.http('POST', collectionPath('spiderippools'), {
          body: JSON.stringify(make.spiderPool('absurd', { subnet: '10.131.0.0/24', ips })),
        });
        assert.equal(r.status, 422, `${JSON.stringify(ips)}: ${r.text}`);
      }
      await unharmed(pid);
    });

    test('SEC-2 IPR-6 immutable-field edits → 422 naming the field, by PUT, merge and JSON patch', async () => {
      const pid = e.daemon.pid;
      const name = 'vm-dynamic-01.default';
      const current = (await e.http('GET', `${IPS}/${name}`)).json as { spec: Record<string, unknown> };
      const put = await e.http('PUT', `${IPS}/${name}`, {
        body: JSON.stringify({ ...current, spec: { ...current.spec, v4IpAddress: '10.16.0.200' } }),
      });
      assert.equal(put.status, 422);
      assert.deepEqual(status(put).fields, ['spec.v4IpAddress']);
      const merge = await e.http('PATCH', `${IPS}/${name}`, {
        body: JSON.stringify({ spec: { macAddress: '02:00:00:00:00:01' } }),
        contentType: 'application/merge-patch+json',
      });
      assert.equal(merge.status, 422);
      assert.deepEqual(status(merge).fields, ['spec.macAddress']);
      const json = await e.http('PATCH', `${IPS}/${name}`, {
        body: JSON.stringify([{ op: 'replace', path: '/spec/subnet', value: 'guarded' }]),
        contentType: 'application/json-patch+json',
      });
      assert.equal(json.status, 422);
      assert.deepEqual(status(json).fields, ['spec.subnet']);
      // A broken JSON patch and a strategic merge patch are refused too.
      const badPatch = await e.http('PATCH', `${IPS}/${name}`, {
        body: '[{"op":"explode"}]',
        contentType: 'application/json-patch+json',
      });
      assert.ok(badPatch.status >= 400 && badPatch.status < 500, badPatch.text);
      const smp = await e.http('PATCH', `${IPS}/${name}`, {
        body: '{}',
        contentType: 'application/strategic-merge-patch+json',
      });
      assert.equal(smp.status, 415);
      const sub = await e.fails([
        'patch',
        'subnet',
        'ovn-default',
        '--type',
        'merge',
        '-p',
        '{"spec":{"gateway":"10.16.0.254"}}',
      ]);
      assert.match(sub, /in use/);
      await unharmed(pid);
    });

    test('SEC-2 mismatched kind, apiVersion or name; unknown paths and methods', async () => {
      const pid = e.daemon.pid;
      const wrongKind = await e.http('POST', SUBNETS, {
        body: JSON.stringify(make.ippool('k', { subnet: 'guarded', ips: ['10.130.0.50'] })),
      });
      assert.equal(wrongKind.status, 400);
      const wrongName = await e.http('PUT', `${SUBNETS}/guarded`, {
        body: JSON.stringify(make.subnet('other', { cidrBlock: '10.130.0.0/24' })),
      });
      assert.equal(wrongName.status, 400);
      const badName = await e.http('POST', SUBNETS, {
        body: JSON.stringify(make.subnet('Not_A_Name', { cidrBlock: '10.138.0.0/24' })),
      });
      assert.equal(badName.status, 422);
      assert.deepEqual(status(badName).fields, ['metadata.name']);
      assert.equal((await e.http('GET', '/apis/kubeovn.io/v1/nothings')).status, 404);
      assert.equal((await e.http('DELETE', SUBNETS)).status, 405);
      assert.equal((await e.http('POST', SUBNETS, { body: '{}', contentType: 'text/plain' })).status, 415);
      await unharmed(pid);
    });

    test('SEC-1 the API needs the bearer token; a wrong token is 401 too; health needs none', async () => {
      const pid = e.daemon.pid;
      const none = await e.http('GET', IPS, { token: null });
      assert.equal(none.status, 401);
      assert.equal(status(none).reason, 'Unauthorized');
      assert.equal((await e.http('GET', IPS, { token: 'x'.repeat(64) })).status, 401);
      assert.equal(
        (
          await e.http('POST', SUBNETS, {
            token: null,
            body: JSON.stringify(make.subnet('anon', { cidrBlock: '10.139.0.0/24' })),
          })
        ).status,
        401,
      );
      assert.equal((await e.http('GET', IPS)).status, 200);
      assert.equal((await e.http('GET', '/healthz', { token: null })).status, 200);
      await unharmed(pid);
    });

    test('SEC-1 kubeconfig and token are 0600; the CNI socket is 0600 in a 0700 directory it creates', async () => {
      const mode = (p: string): number => statSync(p).mode & 0o777;
      assert.equal(mode(join(e.dataDir, 'kubeconfig')), 0o600);
      assert.equal(mode(join(e.dataDir, 'token')), 0o600);
      assert.equal(mode(e.daemon.socket), 0o600);
      const dir = tempDir('ipkeeper-sec1-');
      const sockDir = join(dir, 'run', 'ipkeeper');
      const other = await E2E.start({
        dataDir: join(dir, 'data'),
        args: ['--socket', join(sockDir, 'cni.sock')],
      });
      try {
        assert.equal(other.daemon.socket, join(sockDir, 'cni.sock'));
        assert.equal(mode(sockDir), 0o700);
        assert.equal(mode(join(dir, 'run')), 0o700);
        assert.ok(statSync(other.daemon.socket).isSocket());
        assert.equal(mode(other.daemon.socket), 0o600);
        assert.equal(mode(join(dir, 'data')), 0o700);
        assert.equal(mode(join(dir, 'data', 'kubeconfig')), 0o600);
        assert.equal(mode(join(dir, 'data', 'token')), 0o600);
      } finally {
        await other.close();
        removeDir(dir);
      }
    });
  },
);
