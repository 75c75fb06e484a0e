/**
 * deploy/ on a real API server (DEP-2): the kube-apiserver 1.20 built from Debian's source
 * (scripts/k8s/build.sh) with RBAC, on Debian's etcd, driven by the real kubectl. Every object of
 * `kubectl apply -k deploy/` and of `kubectl apply -k deploy/etcd/` is accepted by a server-side dry run,
 * and once applied, the service account the DaemonSet runs as may do what Kubernetes mode does (SPEC §14)
 * — asked with SubjectAccessReviews, the API server's own authorizer — and nothing it has no reason to;
 * an installed deploy/ can be switched to deploy/etcd/.
 */
import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEPLOY_BASE_DIR, DEPLOY_DIR, DEPLOY_ETCD_DIR, renderDeploy } from '../support/deploy-manifests.js';
import { K8S_BIN, BUILD_COMMAND, startControlPlane, type ControlPlane } from '../support/k8s-cluster.js';
import { KUBECTL } from '../support/kubectl.js';

/** Only the API server and etcd are needed here (no node): skip naming what is missing. */
function skipReason(): string | undefined {
  for (const [path, fix] of [
    [K8S_BIN.apiserver, BUILD_COMMAND],
    ['/usr/bin/etcd', 'apt-get install etcd-server'],
    ['/usr/bin/openssl', 'apt-get install openssl'],
    [KUBECTL, 'install kubectl v1.32 or set KUBECTL'],
  ] as const) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      return `needs ${path} (${fix})`;
    }
  }
  return undefined;
}

const SA = { user: 'system:serviceaccount:ipkeeper:ipkeeper', namespace: 'ipkeeper' };

describe('DEP-2 deploy/ on a real kube-apiserver (1.20, RBAC)', { skip: skipReason() }, () => {
  let cp: ControlPlane;

  before(async () => {
    cp = await startControlPlane({ controllerManager: false, scheduler: false });
  });
  after(async () => {
    await cp?.stop();
  });

  for (const [dir, label] of [
    [DEPLOY_DIR, 'deploy/'],
    [DEPLOY_ETCD_DIR, 'deploy/etcd/'],
  ] as const)
    test(`DEP-2 kubectl apply --dry-run=server -k ${label} is accepted for every object, and creates nothing`, async () => {
      // A dry run of namespaced objects needs their namespace to exist: create it for real first.
      await cp.kubectlOk(['apply', '-f', join(DEPLOY_BASE_DIR, 'namespace.yaml')]);
      const out = await cp.kubectlOk(['apply', '--dry-run=server', '-k', dir, '-o', 'name']);
      const expected = (await renderDeploy(dir)).map((o) => {
        const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
        return `${o.kind.toLowerCase()}${group}/${o.metadata.name}`;
      });
      assert.deepEqual(out.trim().split('\n').sort(), expected.sort());
      const ds = await cp.kubectl(['-n', 'ipkeeper', 'get', 'daemonset', 'ipkeeperd']);
      assert.notEqual(ds.code, 0, 'a dry run stores nothing');
      assert.match(ds.stderr, /NotFound/);
    });

  /** Whether the API server's authorizer lets the DaemonSet's service account do this. */
  async function allowed(
    verb: string,
    group: string,
    resource: string,
    namespace?: string,
  ): Promise<boolean> {
    const review = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: SA.user,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${SA.namespace}`, 'system:authenticated'],
        resourceAttributes: { verb, group, resource, ...(namespace ? { namespace } : {}) },
      },
    };
    const out = await cp.kubectlOk(['create', '-o', 'json', '-f', '-'], JSON.stringify(review));
    return (JSON.parse(out) as { status: { allowed?: boolean } }).status.allowed === true;
  }

  test('DEP-2 K8S-1 K8S-4 K8S-6 applied, the service account may read and write what Kubernetes mode does, and no more', async () => {
    await cp.kubectlOk(['apply', '-k', DEPLOY_DIR]);
    const needed: [string, string, string, string?][] = [
      ...['get', 'list', 'watch', 'patch'].map((v): [string, string, string] => [v, '', 'pods']),
      ...['get', 'list', 'watch'].map((v): [string, string, string] => [v, '', 'namespaces']),
      ...['replicasets', 'deployments', 'statefulsets', 'daemonsets'].map((r): [string, string, string] => [
        'watch',
        'apps',
        r,
      ]),
      ['list', 'batch', 'jobs'],
      ['watch', 'batch', 'cronjobs'],
      ['watch', 'kubevirt.io', 'virtualmachines'],
      ['watch', 'kubevirt.io', 'virtualmachineinstances'],
      ['create', '', 'events', 'default'],
      ['patch', '', 'events', 'default'],
      ['create', 'events.k8s.io', 'events', 'default'],
      ...['get', 'create', 'update'].map((v): [string, string, string, string] => [
        v,
        'coordination.k8s.io',
        'leases',
        'ipkeeper',
      ]),
    ];
    for (const [verb, group, resource, ns] of needed)
      assert.ok(
        await allowed(verb, group, resource, ns),
        `may ${verb} ${resource}.${group}${ns ? ` in ${ns}` : ''}`,
      );
    const refused: [string, string, string, string?][] = [
      ['delete', '', 'pods', 'default'],
      ['get', '', 'secrets', 'default'],
      ['patch', 'apps', 'deployments', 'default'],
      ['update', 'coordination.k8s.io', 'leases', 'kube-system'],
      ['create', '', 'namespaces'],
    ];
    for (const [verb, group, resource, ns] of refused)
      assert.equal(await allowed(verb, group, resource, ns), false, `may not ${verb} ${resource}.${group}`);
  });

  test('DEP-2 an installed deploy/ switches to deploy/etcd/: the server accepts the etcd overlay over it', async () => {
    await cp.kubectlOk(['apply', '-k', DEPLOY_DIR]);
    const out = await cp.kubectlOk(['apply', '--dry-run=server', '-k', DEPLOY_ETCD_DIR, '-o', 'json']);
    const list = JSON.parse(out) as {
      items: { kind: string; spec?: { template: { spec: { containers: { args: string[] }[] } } } }[];
    };
    const ds = list.items.find((o) => o.kind === 'DaemonSet');
    assert.ok(ds?.spec?.template.spec.containers[0]?.args.includes('--store=etcd'), out);
  });
});
