import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Closing, allocate } from './allocate.js';
import { ErrorCode } from './errors.js';
import { addIPPool, addSpiderPool, addSubnet, ip, newEngine, texts, throwsIpam } from './harness.test.js';

/** Subnets and pools being deleted (a deletionTimestamp, kept by a finalizer) give no new addresses. */
const closing = (c: Partial<Record<keyof Closing, string[]>>): Closing => ({
  subnets: new Set(c.subnets ?? []),
  ippools: new Set(c.ippools ?? []),
  spiderPools: new Set(c.spiderPools ?? []),
});

describe('SUB-9 IPR-9 a subnet or pool being deleted gives no new addresses, and keeps what it holds', () => {
  test('a closing subnet: a dynamic request fails NoAvailableAddress, a static one NoSubnet, nothing held', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/29' });
    const gone = closing({ subnets: ['s'] });
    throwsIpam(() => allocate(engine, { key: 'a', subnet: 's', closing: gone }), {
      code: ErrorCode.NoAvailableAddress,
      includes: 'subnet s is being deleted',
    });
    throwsIpam(
      () => allocate(engine, { key: 'b', subnet: 's', addresses: [ip('10.0.0.3')], closing: gone }),
      {
        code: ErrorCode.NoSubnet,
        includes: 'subnet s is being deleted',
      },
    );
    assert.equal(engine.leases.size, 0);
  });

  test('ENG-4 what a key already holds in a closing subnet is answered again, unchanged', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/29' });
    const held = texts(allocate(engine, { key: 'a', subnet: 's' }).lease);
    const again = allocate(engine, { key: 'a', subnet: 's', closing: closing({ subnets: ['s'] }) });
    assert.deepEqual(texts(again.lease), held);
    assert.deepEqual(again.effects, []);
  });

  test('a closing IPPool, or a pool of a closing subnet, gives nothing; the subnet itself still does', () => {
    const engine = newEngine();
    addSubnet(engine, { name: 's', cidrBlock: '10.0.0.0/28' });
    addIPPool(engine, { name: 'p', subnet: 's', ips: ['10.0.0.7..10.0.0.8'] });
    throwsIpam(() => allocate(engine, { key: 'a', ippool: 'p', closing: closing({ ippools: ['p'] }) }), {
      code: ErrorCode.NoAvailableAddress,
      includes: 'IPPool p is being deleted',
    });
    throwsIpam(() => allocate(engine, { key: 'a', ippool: 'p', closing: closing({ subnets: ['s'] }) }), {
      code: ErrorCode.NoAvailableAddress,
    });
    const fromSubnet = allocate(engine, { key: 'a', subnet: 's', closing: closing({ ippools: ['p'] }) });
    assert.equal(fromSubnet.lease!.addresses.length, 1);
  });

  test('SPP-6 closing SpiderIPPools are passed over like disabled ones: the next pool in the list is used', () => {
    const engine = newEngine();
    addSpiderPool(engine, { name: 'one', subnet: '172.18.0.0/24', ips: ['172.18.0.10-172.18.0.12'] });
    addSpiderPool(engine, { name: 'two', subnet: '172.19.0.0/24', ips: ['172.19.0.10-172.19.0.12'] });
    const req = { spiderPools: { ipv4: ['one', 'two'], ipv6: [] } };
    const got = allocate(engine, { key: 'a', ...req, closing: closing({ spiderPools: ['one'] }) });
    assert.deepEqual(texts(got.lease), ['172.19.0.10']);
    throwsIpam(
      () => allocate(engine, { key: 'b', ...req, closing: closing({ spiderPools: ['one', 'two'] }) }),
      {
        code: ErrorCode.NoAvailableAddress,
        includes: 'is being deleted',
      },
    );
  });
});
