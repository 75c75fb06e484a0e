import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, IpamError } from './errors.js';
import { parseMac } from './mac.js';
import { decideMac, macToAllocate, type MacRequest } from './mac-policy.js';

const annotated: MacRequest = {
  mac: parseMac('00:00:00:53:6B:B6'),
  source: 'annotation ovn.kubernetes.io/mac_address',
};

describe('STA-2 the MAC decision: the chain declaration × a requested MAC', () => {
  test('STA-2 chained, nothing asked → the subnet decides (random where it hands out MACs)', () => {
    assert.deepEqual(decideMac('chained', undefined), { kind: 'subnet' });
    assert.equal(macToAllocate('chained', undefined), undefined);
  });

  test('STA-2 chained, a MAC asked → exactly that MAC', () => {
    assert.deepEqual(decideMac('chained', annotated), { kind: 'static', mac: annotated.mac });
    assert.equal(macToAllocate('chained', annotated), parseMac('00:00:00:53:6b:b6'));
  });

  test('STA-2 none, nothing asked → no MAC recorded', () => {
    assert.deepEqual(decideMac('none', undefined), { kind: 'none' });
    assert.equal(macToAllocate('none', undefined), null);
  });

  test('STA-2 none, a MAC the runtime asked for (runtimeConfig.mac, CNI_ARGS MAC: the main plugin sets it) → that MAC', () => {
    const runtime: MacRequest = {
      mac: annotated.mac,
      source: 'runtimeConfig.mac',
      appliedByMainPlugin: true,
    };
    assert.deepEqual(decideMac('none', runtime), { kind: 'static', mac: annotated.mac });
    assert.deepEqual(decideMac('chained', runtime), { kind: 'static', mac: annotated.mac });
    assert.equal(macToAllocate('none', runtime), annotated.mac);
  });

  test('STA-2 none, a MAC asked → refused, naming the source and how to enable MACs', () => {
    assert.deepEqual(decideMac('none', annotated), { kind: 'refuse', request: annotated });
    assert.throws(
      () => macToAllocate('none', annotated),
      (err: unknown) => {
        assert.ok(err instanceof IpamError);
        assert.equal(err.code, ErrorCode.InvalidInput);
        assert.equal(err.field, 'annotation ovn.kubernetes.io/mac_address');
        assert.equal(err.value, '00:00:00:53:6b:b6');
        assert.match(
          err.message,
          /^annotation ovn\.kubernetes\.io\/mac_address asks for MAC 00:00:00:53:6b:b6/,
        );
        assert.match(err.message, /add \{"type": "ipkeeper"\} after the main plugin/);
        assert.match(err.message, /"mac": "chained"/);
        return true;
      },
    );
  });
});
