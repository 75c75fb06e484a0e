import { type Family } from './ip/address.js';
import { type Lease } from './lease.js';

/**
 * What an engine operation changed, in the terms the store commits (lesson 2: the engine proposes, the store
 * commits). The service turns effects into one atomic store write; when that write fails it hands the same
 * effects back to `Engine.revert`, which undoes them exactly.
 */
export type Effect =
  | {
      type: 'hold';
      space: string;
      family: Family;
      value: bigint;
      key: string;
      fromQuarantineSeq: number | undefined;
    }
  | { type: 'release'; space: string; family: Family; value: bigint; key: string; seq: number }
  /**
   * A quarantined address of a space too large to run out of never-used addresses left the quarantine and is
   * free again (see Space.release): bounded memory and store rows however many pods come and go.
   */
  | { type: 'retire'; space: string; family: Family; value: bigint; seq: number }
  | { type: 'holdMac'; mac: number; key: string }
  | { type: 'releaseMac'; mac: number; key: string };

/** The result of an allocation or release. */
export interface Outcome {
  /** The lease after the operation (undefined after a full release). */
  lease: Lease | undefined;
  /** The lease before it (undefined when the key held nothing), for revert and history. */
  before: Lease | undefined;
  /** Empty when nothing changed (ENG-4 idempotency, or releasing nothing). */
  effects: Effect[];
}
