/**
 * Shared helpers for the engine's tests (this file registers no tests of its own; it is named *.test.ts so
 * it stays out of the build and out of the engine's dependency rule).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Address, type Family, familyMax, formatValue, parseAddress } from './ip/address.js';
import { Engine, type EngineSnapshot } from './engine.js';
import { type ErrorCode, IpamError } from './errors.js';
import { type Outcome } from './effects.js';
import { type Lease } from './lease.js';
import { formatMac } from './mac.js';
import { mulberry32 } from './random.js';
import { type SubnetInput, buildSubnet } from './model/subnet.js';
import { type IPPoolInput, buildIPPool } from './model/ippool.js';
import { type SpiderPoolInput, buildSpiderPool } from './model/spider-pool.js';
import { type ReservationInput, buildReservation } from './model/reservation.js';

export const SEED = 42;

/**
 * Any address value of `family` that ipkeeper manages: IPv6 values below 2^48 (which hold the IPv4-mapped
 * and IPv4-compatible blocks, refused everywhere) are moved above it, keeping fast-check's bias to edges.
 */
export function managedValue(family: Family): fc.Arbitrary<bigint> {
  const any = fc.bigInt({ min: 0n, max: familyMax(family) });
  return family === 4 ? any : any.map((v) => (v < 1n << 48n ? v + (1n << 48n) : v));
}

export function newEngine(seed = SEED): Engine {
  return new Engine({ random: mulberry32(seed) });
}

export function ip(text: string): Address {
  return parseAddress(text);
}

export function addSubnet(engine: Engine, input: SubnetInput): void {
  engine.putSubnet(buildSubnet(input));
}

export function addIPPool(engine: Engine, input: IPPoolInput): void {
  const subnet = engine.subnets.get(input.subnet);
  assert.ok(subnet, `test setup: subnet ${input.subnet} exists`);
  engine.putIPPool(buildIPPool(input, subnet));
}

export function addSpiderPool(engine: Engine, input: SpiderPoolInput): void {
  engine.putSpiderPool(buildSpiderPool(input));
}

export function addReservation(engine: Engine, input: ReservationInput): void {
  engine.putReservation(buildReservation(input));
}

/** The addresses of a lease as text, v4 first. */
export function texts(lease: Lease | undefined): string[] {
  return (lease?.addresses ?? []).map((a) => formatValue(a.family, a.value));
}

/** The single address of one family of a lease, as text. */
export function textOf(lease: Lease | undefined, family: Family): string | undefined {
  const a = lease?.addresses.find((x) => x.family === family);
  return a && formatValue(a.family, a.value);
}

export function macOf(lease: Lease | undefined): string | undefined {
  return lease?.mac === undefined ? undefined : formatMac(lease.mac);
}

export interface Expected {
  code: ErrorCode;
  field?: string;
  holder?: string;
  /** Only where the SPEC fixes text. */
  includes?: string;
}

/** Asserts that `fn` throws an IpamError with this code (and field/holder/text where given). */
export function throwsIpam(fn: () => unknown, expected: Expected): IpamError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(
    caught instanceof IpamError,
    `expected IpamError ${expected.code}, got ${caught === undefined ? 'no error' : String(caught)}`,
  );
  assert.equal(caught.code, expected.code, caught.message);
  if ('field' in expected) assert.equal(caught.field, expected.field, caught.message);
  if ('holder' in expected) assert.equal(caught.holder, expected.holder, caught.message);
  if (expected.includes !== undefined)
    assert.ok(
      caught.message.includes(expected.includes),
      `"${caught.message}" should contain "${expected.includes}"`,
    );
  return caught;
}

/** A snapshot as comparable plain data (RangeSets and bigints rendered as text). */
export function plain(snapshot: EngineSnapshot): unknown {
  return JSON.parse(
    JSON.stringify(snapshot, (_k, v: unknown) =>
      typeof v === 'bigint'
        ? `${v}n`
        : v && typeof v === 'object' && 'toStrings' in v
          ? String(v)
          : v instanceof Map
            ? [...v.entries()]
            : v,
    ),
  );
}

/** Save and load through plain JSON-like records (what a store would persist). */
export function reload(engine: Engine, seed = SEED): Engine {
  return Engine.load(engine.snapshot(), { random: mulberry32(seed) });
}

export function assertNoEffects(outcome: Outcome): void {
  assert.deepEqual(outcome.effects, []);
}
