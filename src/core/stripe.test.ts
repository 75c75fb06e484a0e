import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allocate } from './allocate.js';
import { type Engine } from './engine.js';
import { type Stripe } from './space.js';
import { addSubnet, newEngine, texts } from './harness.test.js';

function engineWith(cidr: string): Engine {
  const e = newEngine();
  addSubnet(e, { name: 's', cidrBlock: cidr });
  return e;
}

/** The last octet of each address `n` allocations give with `stripe`. */
function lastOctets(e: Engine, n: number, stripe: Stripe | undefined, tag = 'p'): number[] {
  return Array.from({ length: n }, (_, i) => {
    const lease = allocate(e, { key: `${tag}${i}`, subnet: 's', ...(stripe ? { stripe } : {}) }).lease;
    return Number(texts(lease)[0]!.split('.')[3]);
  });
}

describe('DUR-5 ENG-1 stripes: several daemons allocating from one space', () => {
  test('one daemon (count 1) allocates exactly lowest-first, as without a stripe', () => {
    assert.deepEqual(lastOctets(engineWith('10.0.0.0/24'), 5, { index: 0, count: 1 }), [2, 3, 4, 5, 6]);
  });

  test('two daemons take the lowest never-used addresses of their own blocks of 16: never the same one', () => {
    const a = lastOctets(engineWith('10.0.0.0/24'), 20, { index: 0, count: 2 }, 'a');
    const b = lastOctets(engineWith('10.0.0.0/24'), 20, { index: 1, count: 2 }, 'b');
    // Daemon 0: block 0 (2…15; .0 network, .1 gateway), then block 2 (32…); daemon 1: block 1 (16…31), block 3.
    assert.deepEqual(a, [...Array.from({ length: 14 }, (_, i) => i + 2), 32, 33, 34, 35, 36, 37]);
    assert.deepEqual(b, [...Array.from({ length: 16 }, (_, i) => i + 16), 48, 49, 50, 51]);
    assert.equal(new Set([...a, ...b]).size, 40);
  });

  test('with its own blocks used up, a daemon takes the lowest never-used address of any block', () => {
    const e = engineWith('10.0.0.0/27'); // blocks 0 (.2–.15) and 1 (.16–.30)
    const got = lastOctets(e, 16, { index: 1, count: 2 });
    assert.deepEqual(got, [...Array.from({ length: 15 }, (_, i) => i + 16), 2]);
  });

  test('released addresses: one of its own blocks among the oldest is preferred, else the oldest', () => {
    const e = engineWith('10.0.0.0/27');
    lastOctets(e, 29, undefined); // every usable address held: .2 … .30
    for (const i of [0, 1, 20, 21]) e.release(`p${i}`); // .2, .3 (block 0), .22, .23 (block 1), in that order
    const stripe = { index: 1, count: 2 };
    assert.deepEqual(texts(allocate(e, { key: 'q1', subnet: 's', stripe }).lease), ['10.0.0.22']);
    assert.deepEqual(texts(allocate(e, { key: 'q2', subnet: 's', stripe }).lease), ['10.0.0.23']);
    assert.deepEqual(texts(allocate(e, { key: 'q3', subnet: 's', stripe }).lease), ['10.0.0.2']);
  });
});
