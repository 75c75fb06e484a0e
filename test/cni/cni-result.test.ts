// CNI-4: result shape — ip/prefix, gateway, default route unless disabled, MAC where allocated, DNS.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CniAllocation } from '../../src/cni/cni-service.js';
import { parseIpamConfig } from '../../src/cni/ipam-config.js';
import { formatAddResult } from '../../src/cni/result.js';
import { call, cniEnv, macOf, memoryService, netconf } from '../support/cni-fixtures.js';

const dual: CniAllocation = {
  ips: [
    { family: 4, address: '10.88.0.2', prefixLength: 24, gateway: '10.88.0.1' },
    { family: 6, address: 'fd88::2', prefixLength: 64, gateway: 'fd88::1' },
  ],
  routes: [],
};

describe('CNI-4 result', () => {
  it('CNI-4 dual stack: both addresses with prefix and gateway, a default route per family', () => {
    const result = formatAddResult(dual, {
      version: '1.1.0',
      ifName: 'eth0',
      ipam: parseIpamConfig({ type: 'ipkeeper' }),
    });
    assert.deepEqual(result, {
      cniVersion: '1.1.0',
      ips: [
        { address: '10.88.0.2/24', gateway: '10.88.0.1' },
        { address: 'fd88::2/64', gateway: 'fd88::1' },
      ],
      routes: [
        { dst: '0.0.0.0/0', gw: '10.88.0.1' },
        { dst: '::/0', gw: 'fd88::1' },
      ],
    });
  });

  it('CNI-4 default_route: false leaves only configured routes', () => {
    const ipam = parseIpamConfig({
      type: 'ipkeeper',
      default_route: false,
      routes: [{ dst: '192.168.0.0/16', gw: '10.88.0.254' }],
    });
    const result = formatAddResult(dual, { version: '1.0.0', ifName: 'eth0', ipam });
    assert.deepEqual(result.routes, [{ dst: '192.168.0.0/16', gw: '10.88.0.254' }]);
  });

  it('CNI-4 a configured default route replaces the generated one; service routes come first', () => {
    const ipam = parseIpamConfig({ type: 'ipkeeper', routes: [{ dst: '0.0.0.0/0', gw: '10.88.0.254' }] });
    const allocation: CniAllocation = { ...dual, routes: [{ dst: '172.16.0.0/12' }] };
    const result = formatAddResult(allocation, { version: '1.0.0', ifName: 'eth0', ipam });
    assert.deepEqual(result.routes, [
      { dst: '172.16.0.0/12' },
      { dst: '0.0.0.0/0', gw: '10.88.0.254' },
      { dst: '::/0', gw: 'fd88::1' },
    ]);
  });

  it('CNI-4 the MAC is reported as interfaces[0] with ips[].interface = 0', () => {
    const result = formatAddResult(
      { ...dual, mac: 'c2:11:22:33:44:55' },
      { version: '0.4.0', ifName: 'net1', ipam: parseIpamConfig({ type: 'ipkeeper' }) },
    );
    assert.deepEqual(result.interfaces, [{ name: 'net1', mac: 'c2:11:22:33:44:55' }]);
    assert.deepEqual(result.ips[0], {
      version: '4',
      address: '10.88.0.2/24',
      gateway: '10.88.0.1',
      interface: 0,
    });
  });

  it('CNI-4 DNS from the network config wins over the service', () => {
    const ipam = parseIpamConfig({ type: 'ipkeeper' });
    const fromService = formatAddResult(
      { ...dual, dns: { nameservers: ['10.0.0.10'] } },
      { version: '1.0.0', ifName: 'eth0', ipam },
    );
    assert.deepEqual(fromService.dns, { nameservers: ['10.0.0.10'] });
    const fromConfig = formatAddResult(
      { ...dual, dns: { nameservers: ['10.0.0.10'] } },
      { version: '1.0.0', ifName: 'eth0', ipam, dns: { nameservers: ['1.1.1.1'], search: ['svc'] } },
    );
    assert.deepEqual(fromConfig.dns, { nameservers: ['1.1.1.1'], search: ['svc'] });
  });

  it('CNI-4 end to end: dual-stack subnet, config DNS', async () => {
    const r = await call(
      await memoryService(),
      cniEnv(),
      netconf(
        { cniVersion: '0.3.1', dns: { nameservers: ['10.96.0.10'], domain: 'cluster.local' } },
        { subnet: 'dual', mac: 'chained' },
      ),
    );
    assert.deepEqual(r.json, {
      cniVersion: '0.3.1',
      interfaces: [{ name: 'eth0', mac: macOf(r) }],
      ips: [
        { version: '4', address: '10.88.0.2/24', gateway: '10.88.0.1', interface: 0 },
        { version: '6', address: 'fd88::2/64', gateway: 'fd88::1', interface: 0 },
      ],
      routes: [
        { dst: '0.0.0.0/0', gw: '10.88.0.1' },
        { dst: '::/0', gw: 'fd88::1' },
      ],
      dns: { nameservers: ['10.96.0.10'], domain: 'cluster.local' },
    });
  });
});
