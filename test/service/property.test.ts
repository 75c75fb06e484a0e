/**
 * Property (fast-check, seeded and replayable): random sequences of API and CNI operations against the real
 * service on the memory store, restarts included. After every step, whatever it answered:
 * - no address and no MAC is shown by two IP objects, and every lease the engine holds is an IP object;
 * - every subnet's counters are what its IP objects show (SUB-7);
 * - a reservation goes only when it is deleted through the API (IPR-9): CNI DEL, GC, relabelling, a pod's
 *   ADD and a restart leave it, with its address.
 * A failure prints the seed and path; rerun with them to replay it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { CniAddRequest } from '../../src/cni/cni-service.js';
import { IpamError } from '../../src/core/index.js';
import { ServiceError } from '../../src/service/errors.js';
import { type IpamService } from '../../src/service/service.js';
import { type KubeObject } from '../../src/service/types.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { obj, openTestService } from '../support/service.js';

const SUBNETS = { s: '10.70.0.0/28', d: '10.71.0.0/28,fd71::/124' } as const;
type SubnetName = keyof typeof SUBNETS;
const NAMES = ['a', 'b', 'c'] as const;
const write = { dryRun: false };

type Op =
  | { op: 'reserve'; name: string; subnet: SubnetName; host?: number }
  | { op: 'delete'; name: string }
  | { op: 'hold'; name: string }
  | { op: 'unhold'; name: string }
  | { op: 'relabel'; name: string }
  | { op: 'add'; name: string; subnet: SubnetName; sandbox: number; host?: number }
  | { op: 'del'; name: string; sandbox: number }
  | { op: 'gc'; keep: string[] }
  | { op: 'reserveIp'; host: number }
  | { op: 'unreserveIp' }
  | { op: 'restart' };

const name = fc.constantFrom(...NAMES);
const subnet = fc.constantFrom<SubnetName>('s', 'd');
const host = fc.option(fc.integer({ min: 1, max: 15 }), { nil: undefined });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record(
    { op: fc.constant('reserve' as const), name, subnet, host },
    { requiredKeys: ['op', 'name', 'subnet'] },
  ),
  fc.record({ op: fc.constant('delete' as const), name }),
  fc.record({ op: fc.constant('hold' as const), name }),
  fc.record({ op: fc.constant('unhold' as const), name }),
  fc.record({ op: fc.constant('relabel' as const), name }),
  fc.record(
    { op: fc.constant('add' as const), name, subnet, sandbox: fc.integer({ min: 0, max: 1 }), host },
    { requiredKeys: ['op', 'name', 'subnet', 'sandbox'] },
  ),
  fc.record({ op: fc.constant('del' as const), name, sandbox: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ op: fc.constant('gc' as const), keep: fc.subarray([...NAMES]) }),
  fc.record({ op: fc.constant('reserveIp' as const), host: fc.integer({ min: 1, max: 15 }) }),
  fc.record({ op: fc.constant('unreserveIp' as const) }),
  fc.record({ op: fc.constant('restart' as const) }),
);

const v4 = (s: SubnetName, h: number): string => `${SUBNETS[s].split('.').slice(0, 3).join('.')}.${h}`;
const ipam = (s: SubnetName) => ({ subnet: s, ippools: [], defaultIpv4Pools: [], defaultIpv6Pools: [] });
const podReq = (o: { name: string; subnet: SubnetName; sandbox: number; host?: number }): CniAddRequest => ({
  network: 'net',
  attachment: { containerId: `c-${o.name}-${o.sandbox}`, ifName: 'eth0' },
  owner: { kind: 'pod', namespace: 'default', name: o.name },
  ipam: ipam(o.subnet),
  netns: '/x',
  // MACs allocated (the chained step applies them), so MAC uniqueness is part of the property.
  macApplication: 'chained',
  requested: { ips: o.host === undefined ? [] : [{ address: v4(o.subnet, o.host), family: 4 }] },
  annotations: {},
});

/** Runs one operation; refusals (engine and service errors) are answers, anything else fails the property. */
async function run(svc: IpamService, op: Op): Promise<void> {
  const ip = (n: string): KubeObject | undefined => svc.get('IP', `${n}.default`);
  const setFinalizers = async (o: KubeObject, finalizers: string[]): Promise<void> => {
    await svc.update('IP', { ...o, metadata: { ...o.metadata, finalizers } }, write);
  };
  try {
    switch (op.op) {
      case 'reserve': {
        const spec = { subnet: op.subnet, podName: op.name, namespace: 'default' };
        const fixed = op.host === undefined ? {} : { v4IpAddress: v4(op.subnet, op.host) };
        await svc.create('IP', obj('IP', `${op.name}.default`, { ...spec, ...fixed }), write);
        return;
      }
      case 'delete':
        await svc.delete('IP', `${op.name}.default`, write);
        return;
      case 'hold': {
        const o = ip(op.name);
        if (o) await setFinalizers(o, [...(o.metadata.finalizers ?? []), 'example.com/hold']);
        return;
      }
      case 'unhold': {
        const o = ip(op.name);
        if (o) await setFinalizers(o, []);
        return;
      }
      case 'relabel': {
        const o = ip(op.name);
        const labels = { ...(o?.metadata.labels ?? {}), 'ovn.kubernetes.io/ip_reserved': 'false' };
        if (o) await svc.update('IP', { ...o, metadata: { ...o.metadata, labels } }, write);
        return;
      }
      case 'add':
        await svc.cniService.add(podReq(op));
        return;
      case 'del': {
        const {
          ipam: _i,
          netns: _n,
          requested: _r,
          annotations: _a,
          ...req
        } = podReq({ ...op, subnet: 's' });
        await svc.cniService.del({ ...req, ipam: ipam('s') });
        return;
      }
      case 'gc':
        await svc.cniService.gc({
          network: 'net',
          validAttachments: op.keep.map((n) => ({ containerId: `c-${n}-0`, ifName: 'eth0' })),
        });
        return;
      case 'reserveIp':
        await svc.create(
          'SpiderReservedIP',
          obj('SpiderReservedIP', 'sr', { ips: [v4('s', op.host)] }),
          write,
        );
        return;
      case 'unreserveIp':
        await svc.delete('SpiderReservedIP', 'sr', write);
        return;
      case 'restart':
        return;
    }
  } catch (e) {
    if (e instanceof IpamError || e instanceof ServiceError) return;
    throw e;
  }
}

/** The three invariants; `reservations` maps each live reservation to the address it was given. */
function check(svc: IpamService, reservations: Map<string, string>, step: string): void {
  const ips = svc.list('IP').items;
  const shown = new Map<string, string>();
  for (const o of ips) {
    for (const f of ['v4IpAddress', 'v6IpAddress', 'macAddress']) {
      const v = o.spec?.[f];
      if (typeof v !== 'string' || v === '') continue;
      const other = shown.get(v);
      assert.equal(other, undefined, `${step}: ${v} shown by ${other} and ${o.metadata.name}`);
      shown.set(v, o.metadata.name!);
    }
  }
  assert.deepEqual(
    [...svc.engine.leases.keys()].sort(),
    ips.map((o) => o.metadata.name).sort(),
    `${step}: every lease is an IP object and every IP object a lease`,
  );
  for (const s of Object.keys(SUBNETS)) {
    const status = svc.get('Subnet', s)?.status ?? {};
    for (const fam of ['v4', 'v6'] as const) {
      const count = ips.filter((o) => o.spec?.['subnet'] === s && o.spec?.[`${fam}IpAddress`]).length;
      assert.equal(status[`${fam}usingIPs`], count, `${step}: ${fam}usingIPs of ${s}`);
    }
  }
  for (const [n, address] of reservations) {
    const o = svc.get('IP', n);
    assert.ok(o, `${step}: reservation ${n} is gone but was never deleted`);
    assert.equal(o.spec?.['v4IpAddress'], address, `${step}: reservation ${n} keeps its address`);
    assert.equal(
      o.metadata.labels?.['ovn.kubernetes.io/ip_reserved'],
      'true',
      `${step}: ${n} is a reservation`,
    );
  }
}

describe('service property: random API and CNI sequences keep the invariants', () => {
  test('ENG-4 ENG-6 SUB-7 IPR-9 IPR-10 GC-2 GC-4 DUR-1 no address shown twice, counters exact, reservations kept', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const store = new MemoryStore();
        const options = { store, defaultSubnet: null, subnets: { ...SUBNETS } } as const;
        let svc = await openTestService(options);
        const reservations = new Map<string, string>();
        for (const [i, op] of ops.entries()) {
          const step = `step ${i} ${JSON.stringify(op)}`;
          if (op.op === 'restart') svc = await openTestService({ store, defaultSubnet: null, seed: i });
          const existed = op.op === 'reserve' && svc.get('IP', `${op.name}.default`) !== undefined;
          await run(svc, op);
          const key = 'name' in op ? `${op.name}.default` : '';
          const now = svc.get('IP', key);
          if (op.op === 'reserve' && !existed && now)
            reservations.set(key, String(now.spec?.['v4IpAddress']));
          // Only deleting it through the API may take a reservation away (at once, or with its last finalizer).
          if ((op.op === 'delete' || op.op === 'unhold') && !now) reservations.delete(key);
          check(svc, reservations, step);
        }
      }),
      { seed: 20261201, numRuns: 150 },
    );
  });
});
