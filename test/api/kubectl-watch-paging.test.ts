/** The real kubectl 1.32: `get -w` (Table watch events), `-o json` watch, and `--chunk-size` paging. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApiHarness, type ApiHarness } from '../support/api-harness.js';
import { startKubectl, kubectlSkipReason } from '../support/kubectl.js';
import type { IpamService } from '../../src/service/service.js';
import { lines, seededService } from './fixtures.js';

const ipManifest = (n: string): string => `apiVersion: kubeovn.io/v1
kind: IP
metadata:
  name: ${n}.default
spec:
  subnet: ovn-default
  podName: ${n}
  namespace: default
`;

describe('kubectl watch and paging', { skip: kubectlSkipReason() }, () => {
  let h: ApiHarness;
  let svc: IpamService;
  before(async () => {
    // A short watch memory, so a version from the start is too old to resume from (410).
    svc = await seededService({ watchHistory: 4 });
    h = await startApiHarness(svc, { bookmarkIntervalMs: 200 });
    for (const n of ['p1', 'p2', 'p3', 'p4', 'p5']) {
      const r = await h.kubectl(['create', '-f', '-'], ipManifest(n));
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => h.close());

  test('API-watch: kubectl get ip -w prints the list, then a row per event', async () => {
    const w = startKubectl(['get', 'ip', '-w'], { kubeconfig: h.kubeconfig });
    try {
      await w.waitFor('p5.default');
      const created = await h.kubectl(['create', '-f', '-'], ipManifest('late'));
      assert.equal(created.code, 0, created.stderr);
      await w.waitFor('late.default');
      await h.kubectl(['label', 'ip', 'p1.default', 'x=y']);
      await w.waitFor(/p1\.default[\s\S]*p1\.default/);
    } finally {
      await w.stop();
    }
    const out = lines(w.output());
    assert.match(out[0] ?? '', /^NAME\s+V4IP\s+V6IP\s+MAC\s+NODE\s+SUBNET$/);
    assert.equal(out.filter((l) => l.startsWith('NAME')).length, 1, 'one header');
    assert.ok(out.some((l) => l.startsWith('late.default')));
  });

  test('API-watch: kubectl get -w -o json streams the changed object', async () => {
    const w = startKubectl(['get', 'ip', 'p2.default', '-w', '-o', 'json', '--output-watch-events'], {
      kubeconfig: h.kubeconfig,
    });
    try {
      await w.waitFor('"ADDED"');
      await h.kubectl(['annotate', 'ip', 'p2.default', 'seen=yes']);
      await w.waitFor('"MODIFIED"');
    } finally {
      await w.stop();
    }
    assert.match(w.output(), /"seen":\s*"yes"/);
  });

  test('API-paging: kubectl get ips --chunk-size=2 lists every object once, over several requests', async () => {
    const r = await h.kubectl(['get', 'ips', '--chunk-size=2', '-o', 'name', '-v=6']);
    assert.equal(r.code, 0, r.stderr);
    const names = lines(r.stdout);
    assert.deepEqual(names, [...new Set(names)]);
    assert.equal(names.length, svc.list('IP').items.length);
    assert.ok((r.stderr.match(/continue=/g) ?? []).length >= 2, 'kubectl followed continue tokens');
  });

  test('API-watch: raw watch honours resourceVersion, bookmarks and timeoutSeconds', async () => {
    const rv = svc.list('IP').resourceVersion;
    await h.kubectl(['annotate', 'ip', 'p3.default', 'after=rv']);
    const res = await h.request(
      `/apis/kubeovn.io/v1/ips?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=1`,
    );
    assert.equal(res.status, 200);
    const events = lines(res.text).map(
      (l) => JSON.parse(l) as { type: string; object: { metadata: { name?: string } } },
    );
    assert.equal(events[0]?.type, 'MODIFIED');
    assert.equal(events[0]?.object.metadata.name, 'p3.default');
    assert.ok(events.some((e) => e.type === 'BOOKMARK'));
    const expired = await h.request('/apis/kubeovn.io/v1/ips?watch=true&resourceVersion=1');
    assert.equal(expired.status, 200);
    const first = JSON.parse(lines(expired.text)[0] ?? '{}') as {
      type: string;
      object: { code: number; reason: string };
    };
    assert.equal(first.type, 'ERROR');
    assert.equal(first.object.code, 410);
  });
});
