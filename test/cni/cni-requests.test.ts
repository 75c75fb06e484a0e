// CNI-3: static requests and pool selection reach the service as explicit fields. Runs against the
// real service on the memory store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CniAddRequest } from '../../src/cni/cni-service.js';
import { call, cniEnv, memoryService, netconf } from '../support/cni-fixtures.js';

async function addRequest(conf: Record<string, unknown>, args?: string): Promise<CniAddRequest> {
  const service = await memoryService();
  const r = await call(service, cniEnv(args ? { CNI_ARGS: args } : {}), conf);
  const first = service.calls[0];
  assert.ok(first?.method === 'add', r.stdout);
  return first.req;
}

describe('CNI-3 static requests', () => {
  it('CNI-3 runtimeConfig.ips and runtimeConfig.mac, canonicalised', async () => {
    const req = await addRequest(
      netconf({ runtimeConfig: { ips: ['10.99.0.9/16', 'FD00::0009'], mac: 'C2:11:22:33:44:55' } }),
    );
    assert.deepEqual(req.requested, {
      ips: [
        { address: '10.99.0.9', family: 4, prefixLength: 16 },
        { address: 'fd00::9', family: 6 },
      ],
      ipsSource: 'runtimeConfig',
      mac: 'c2:11:22:33:44:55',
      macSource: 'runtimeConfig.mac',
    });
  });

  it('CNI-3 runtimeConfig.ips wins over args.cni.ips, which wins over CNI_ARGS IP', async () => {
    const both = await addRequest(
      netconf({ runtimeConfig: { ips: ['10.99.0.5'] }, args: { cni: { ips: ['10.99.0.6'] } } }),
    );
    assert.deepEqual(
      both.requested.ips.map((ip) => ip.address),
      ['10.99.0.5'],
    );
    const args = await addRequest(netconf({ args: { cni: { ips: ['10.99.0.6'] } } }), 'IP=10.99.0.7');
    assert.deepEqual([args.requested.ipsSource, args.requested.ips[0]?.address], ['args', '10.99.0.6']);
    const env = await addRequest(netconf(), 'IgnoreUnknown=1;IP=10.99.0.7,fd00::7;MAC=c2:00:00:00:00:07');
    assert.deepEqual(
      env.requested.ips.map((ip) => ip.address),
      ['10.99.0.7', 'fd00::7'],
    );
    assert.equal(env.requested.ipsSource, 'CNI_ARGS');
    assert.equal(env.requested.mac, 'c2:00:00:00:00:07');
  });

  it('CNI-3 CNI_ARGS IP= and MAC= are ignored when args.cni is present (CONVENTIONS)', async () => {
    const req = await addRequest(
      netconf({ args: { cni: { labels: [] } } }),
      'IP=10.99.0.7;MAC=c2:00:00:00:00:07',
    );
    assert.deepEqual(req.requested, { ips: [] });
  });

  it('CNI-3 the static address is what ADD returns', async () => {
    const r = await call(
      await memoryService(),
      cniEnv(),
      netconf({ runtimeConfig: { ips: ['10.99.3.4/16'] } }),
    );
    // No MAC (nothing in this chain applies one, STA-2), so no interfaces[] for ips[] to point into.
    assert.deepEqual(r.json.ips, [{ address: '10.99.3.4/16', gateway: '10.99.0.1' }]);
  });

  it('CNI-3 pod annotations are passed through unchanged', async () => {
    const annotations = {
      'ovn.kubernetes.io/ip_address': '10.99.0.8',
      'ovn.kubernetes.io/mac_address': '00:00:00:53:6B:B6',
      'ipam.spidernet.io/ippool': '{"ipv4":["pool-a"]}',
    };
    const req = await addRequest(
      netconf({ runtimeConfig: { 'io.kubernetes.cri.pod-annotations': annotations } }),
    );
    assert.deepEqual(req.annotations, annotations);
  });

  it('CNI-3 subnet and pools come from the ipam config', async () => {
    const req = await addRequest(
      netconf(
        {},
        {
          subnet: 'dual',
          ippool: 'pool-1',
          default_ipv4_ippool: ['v4a', 'v4b'],
          default_ipv6_ippool: 'v6a',
          log_level: 'debug',
        },
      ),
    );
    assert.deepEqual(req.ipam, {
      subnet: 'dual',
      ippools: ['pool-1'],
      defaultIpv4Pools: ['v4a', 'v4b'],
      defaultIpv6Pools: ['v6a'],
    });
    assert.equal(req.network, 'testnet');
    assert.equal(req.netns, '/run/netns/test');
  });
});
