import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allocate } from './allocate.js';
import { type Engine } from './engine.js';
import { ErrorCode } from './errors.js';
import { type Outcome } from './effects.js';
import { formatValue } from './ip/address.js';
import { type LeaseRecord } from './lease.js';
import { formatMac, parseMac } from './mac.js';
import { type ReplicatedState, applyReplicated } from './replicate.js';
import { addSubnet, ip, newEngine, texts, throwsIpam } from './harness.test.js';

/** What another daemon's store rows say after `outcome`, in the shape the service hands applyReplicated. */
function replicated(from: Engine, outcome: Outcome): ReplicatedState {
  const key = (outcome.lease ?? outcome.before)!.key;
  const lease = from.getLease(key);
  const rec: LeaseRecord | undefined = lease && {
    key,
    subnet: lease.subnet,
    addresses: lease.addresses.map((a) => ({
      space: a.space,
      address: formatValue(a.family, a.value),
      pool: a.pool,
    })),
    ...(lease.mac !== undefined ? { mac: formatMac(lease.mac) } : {}),
  };
  const quarantine: { space: string; address: string; seq: number | undefined }[] = [];
  for (const e of outcome.effects) {
    if (e.type === 'release')
      quarantine.push({ space: e.space, address: formatValue(e.family, e.value), seq: e.seq });
    if (e.type === 'hold' && e.fromQuarantineSeq !== undefined)
      quarantine.push({ space: e.space, address: formatValue(e.family, e.value), seq: undefined });
    if (e.type === 'retire')
      quarantine.push({ space: e.space, address: formatValue(e.family, e.value), seq: undefined });
  }
  return { leases: new Map([[key, rec]]), quarantine };
}

function twoDaemons(cidr = '10.0.0.0/29'): [Engine, Engine] {
  const a = newEngine(1);
  const b = newEngine(2);
  for (const e of [a, b]) addSubnet(e, { name: 's', cidrBlock: cidr });
  return [a, b];
}

describe('DUR-5 applying another daemon’s commits to the engine', () => {
  test('allocations and releases replicated in order leave both engines with the same state', () => {
    const [a, b] = twoDaemons();
    const steps: [Engine, Engine, () => Outcome][] = [
      [a, b, () => allocate(a, { key: 'p1', subnet: 's' })],
      [b, a, () => allocate(b, { key: 'p2', subnet: 's', skip: [ip('10.0.0.2')] })],
      [a, b, () => a.release('p1')],
      [b, a, () => allocate(b, { key: 'p3', subnet: 's' })],
      [a, b, () => a.release('p3')],
    ];
    for (const [from, to, step] of steps) applyReplicated(to, replicated(from, step()));
    assert.deepEqual(b.snapshot().leases, a.snapshot().leases);
    assert.deepEqual(b.snapshot().quarantine, a.snapshot().quarantine);
    // Both now hand out the same next address: the lowest never used (ENG-1), not one the other holds.
    assert.deepEqual(
      texts(allocate(a, { key: 'x', subnet: 's' }).lease),
      texts(allocate(b, { key: 'x', subnet: 's' }).lease),
    );
  });

  test('a remote release moves the release counter past it: the quarantine keeps one order (ENG-1)', () => {
    const [a, b] = twoDaemons('10.0.0.0/30'); // two usable addresses: .1 is the gateway, so .2 only
    applyReplicated(b, replicated(a, allocate(a, { key: 'p1', subnet: 's' })));
    applyReplicated(b, replicated(a, a.release('p1')));
    assert.ok(b.seq >= a.seq, `b's counter ${b.seq} caught up with a's ${a.seq}`);
    assert.deepEqual(texts(allocate(b, { key: 'p2', subnet: 's' }).lease), ['10.0.0.2']);
  });

  test('a MAC moving between leases in one revision stays held; a removed lease frees it', () => {
    const [a, b] = twoDaemons();
    const mac = parseMac('02:00:00:00:00:aa');
    applyReplicated(b, replicated(a, allocate(a, { key: 'p1', subnet: 's', mac })));
    assert.equal(b.macs.has(mac), true);
    throwsIpam(() => allocate(b, { key: 'p9', subnet: 's', mac }), {
      code: ErrorCode.AddressConflict,
      holder: 'p1',
    });
    const gone = a.release('p1');
    applyReplicated(b, replicated(a, gone));
    assert.equal(b.macs.has(mac), false);
    assert.equal(b.getLease('p1'), undefined);
  });
});

describe('DUR-5 skip: addresses the store said another daemon took', () => {
  test('a dynamic pick passes over them; with none left the answer is NoAvailableAddress', () => {
    const [a] = twoDaemons('10.0.0.0/29'); // .2 … .6 usable
    const taken = ['10.0.0.2', '10.0.0.3'].map((t) => ({ ...ip(t), holder: 'other' }));
    assert.deepEqual(texts(allocate(a, { key: 'p', subnet: 's', skip: taken }).lease), ['10.0.0.4']);
    const all = ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'].map(ip);
    throwsIpam(() => allocate(a, { key: 'q', subnet: 's', skip: all }), {
      code: ErrorCode.NoAvailableAddress,
    });
  });

  test('a static request for a skipped address fails naming the holder the store gave', () => {
    const [a] = twoDaemons();
    const e = throwsIpam(
      () =>
        allocate(a, {
          key: 'p',
          subnet: 's',
          addresses: [ip('10.0.0.3')],
          skip: [{ ...ip('10.0.0.3'), holder: 'pod-x.ns' }],
        }),
      { code: ErrorCode.AddressConflict, holder: 'pod-x.ns' },
    );
    assert.match(e.message, /pod-x\.ns/);
    assert.equal(a.getLease('p'), undefined, 'nothing held after the refusal');
  });

  test('STA-6 an ip_pool entry holding a skipped address counts as held: the next entry is taken', () => {
    const [a] = twoDaemons();
    const entries = [{ v4: ip('10.0.0.3') }, { v4: ip('10.0.0.4') }];
    const got = allocate(a, { key: 'p', subnet: 's', entries, skip: [{ ...ip('10.0.0.3'), holder: 'x' }] });
    assert.deepEqual(texts(got.lease), ['10.0.0.4']);
  });

  test('a static MAC the store said is taken fails naming its holder; a random one is drawn again', () => {
    const [a] = twoDaemons();
    const mac = parseMac('02:00:00:00:00:bb');
    throwsIpam(() => allocate(a, { key: 'p', subnet: 's', mac, skipMacs: [{ mac, holder: 'q.ns' }] }), {
      code: ErrorCode.AddressConflict,
      holder: 'q.ns',
    });
    const first = allocate(newEngineWithSubnet(), { key: 'p', subnet: 's' }).lease!.mac!;
    const again = allocate(newEngineWithSubnet(), { key: 'p', subnet: 's', skipMacs: [{ mac: first }] })
      .lease!.mac!;
    assert.notEqual(again, first);
  });
});

function newEngineWithSubnet(): Engine {
  const e = newEngine(7);
  addSubnet(e, { name: 's', cidrBlock: '10.0.0.0/29' });
  return e;
}
