import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type CollectInput, type HeldFacts, type PodFacts, collectVerdict, podFinished } from './release.js';

const NOW = 1_000_000;
const GRACE = 60_000;

describe('GC-1 is this pod finished', () => {
  const cases: [string, PodFacts, boolean][] = [
    ['running', { uid: 'u', phase: 'Running' }, false],
    ['pending', { uid: 'u', phase: 'Pending' }, false],
    ['succeeded, restartPolicy Never', { uid: 'u', phase: 'Succeeded', restartPolicy: 'Never' }, true],
    [
      'succeeded, restartPolicy OnFailure',
      { uid: 'u', phase: 'Succeeded', restartPolicy: 'OnFailure' },
      true,
    ],
    [
      'succeeded, restartPolicy Always (it restarts)',
      { uid: 'u', phase: 'Succeeded', restartPolicy: 'Always' },
      false,
    ],
    ['succeeded, no restartPolicy (Always)', { uid: 'u', phase: 'Succeeded' }, false],
    ['failed, restartPolicy Never', { uid: 'u', phase: 'Failed', restartPolicy: 'Never' }, true],
    [
      'failed, restartPolicy OnFailure (it restarts)',
      { uid: 'u', phase: 'Failed', restartPolicy: 'OnFailure' },
      false,
    ],
    [
      'evicted, whatever the policy',
      { uid: 'u', phase: 'Failed', reason: 'Evicted', restartPolicy: 'Always' },
      true,
    ],
    ['terminating before its deadline', { uid: 'u', phase: 'Running', deletionTimestampMs: NOW + 1 }, false],
    ['terminating past its deadline', { uid: 'u', phase: 'Running', deletionTimestampMs: NOW }, true],
  ];
  for (const [name, pod, finished] of cases) {
    test(`GC-1 ${name} → ${finished ? 'finished' : 'not finished'}`, () => {
      assert.equal(podFinished(pod, NOW).finished, finished);
    });
  }
  test('GC-1 a terminating pod is looked at again when its grace period ends', () => {
    assert.equal(podFinished({ uid: 'u', deletionTimestampMs: NOW + 30_000 }, NOW).recheckAtMs, NOW + 30_000);
  });
});

const POD: HeldFacts = { reserved: false, podType: '', namespace: 'default', podUid: 'u1' };
const verdict = (over: Partial<CollectInput>) =>
  collectVerdict({ held: POD, sighting: { kind: 'absent' }, nowMs: NOW, graceMs: GRACE, ...over });

describe('GC-1 GC-3 may this allocation be collected', () => {
  test('IPR-9 a reservation is never collected, whatever happened to its pod', () => {
    for (const sighting of [
      { kind: 'absent' } as const,
      { kind: 'deleted', uid: 'u1' } as const,
      { kind: 'present', pod: { uid: 'u1', phase: 'Succeeded', restartPolicy: 'Never' } } as const,
    ]) {
      const v = verdict({ held: { ...POD, reserved: true }, sighting, orphanSinceMs: NOW - 10 * GRACE });
      assert.equal(v.action, 'keep', sighting.kind);
    }
  });

  test('GC-3 StatefulSet and VM allocations are left to their owners’ rules', () => {
    for (const podType of ['StatefulSet', 'VirtualMachine'])
      assert.equal(verdict({ held: { ...POD, podType }, orphanSinceMs: 0 }).action, 'keep');
  });

  test('GC-4 a bare container attachment is not a pod: left to CNI GC', () => {
    assert.equal(verdict({ held: { ...POD, namespace: '' }, orphanSinceMs: 0 }).action, 'keep');
  });

  test('GC-1 the pod deleted (watch event for its UID) → released at once, guarded by that UID', () => {
    assert.deepEqual(verdict({ sighting: { kind: 'deleted', uid: 'u1' } }), {
      action: 'release',
      reason: 'the pod was deleted',
      uid: 'u1',
    });
  });

  test('GC-1 a deletion event of an older same-name pod does not release the new pod’s allocation at once', () => {
    assert.equal(verdict({ sighting: { kind: 'deleted', uid: 'u0' } }).action, 'wait');
  });

  test('GC-1 the same pod finished → released; running or terminating → kept', () => {
    const finished = verdict({
      sighting: { kind: 'present', pod: { uid: 'u1', phase: 'Failed', restartPolicy: 'Never' } },
    });
    assert.deepEqual([finished.action, finished.action === 'release' && finished.uid], ['release', 'u1']);
    const running = verdict({
      sighting: { kind: 'present', pod: { uid: 'u1', phase: 'Running' } },
      orphanSinceMs: 0,
    });
    assert.equal(running.action, 'keep', 'a pod seen alive clears an orphan mark');
    const terminating = verdict({
      sighting: { kind: 'present', pod: { uid: 'u1', phase: 'Running', deletionTimestampMs: NOW + 5 } },
    });
    assert.deepEqual(terminating, { action: 'keep', reason: 'the pod is terminating', recheckAtMs: NOW + 5 });
  });

  test('GC-3 a pod gone from the cache: released only when seen orphaned twice, a grace period apart', () => {
    const first = verdict({});
    assert.deepEqual(first, {
      action: 'wait',
      reason: 'the pod is gone',
      orphanSinceMs: NOW,
      recheckAtMs: NOW + GRACE,
    });
    const early = verdict({ orphanSinceMs: NOW - GRACE + 1 });
    assert.deepEqual([early.action, early.action === 'wait' && early.recheckAtMs], ['wait', NOW + 1]);
    const late = verdict({ orphanSinceMs: NOW - GRACE });
    assert.deepEqual(late, {
      action: 'release',
      reason: 'the pod is gone, seen orphaned for the whole grace period',
      uid: 'u1',
    });
  });

  test('GC-1 GC-3 a different pod of the same name: the old allocation is orphaned (grace), never released at once', () => {
    const v = verdict({ sighting: { kind: 'present', pod: { uid: 'u2', phase: 'Running' } } });
    assert.equal(v.action, 'wait');
    const later = verdict({
      sighting: { kind: 'present', pod: { uid: 'u2', phase: 'Running' } },
      orphanSinceMs: 0,
    });
    assert.deepEqual([later.action, later.action === 'release' && later.uid], ['release', 'u1']);
  });

  test('GC-1 an allocation with no recorded UID belongs to whichever pod has the name', () => {
    const v = verdict({
      held: { ...POD, podUid: undefined },
      sighting: { kind: 'present', pod: { uid: 'u9' } },
      orphanSinceMs: 0,
    });
    assert.equal(v.action, 'keep');
  });
});
