import {
  ErrorCode,
  IpamError,
  type SkipAddress,
  type Stripe,
  parseAddress,
  parseMac,
} from '../core/index.js';
import { type StoreOp } from '../store/store.js';
import { ServiceError } from './errors.js';

/**
 * The store refused a proposal as "taken": another owner — with several daemons, usually another daemon's
 * allocation committed a moment earlier — holds the address or MAC. An AddressConflict (what a caller that
 * does not retry reports), carrying what was taken so the proposal loop can pass over it.
 */
export class TakenError extends IpamError {
  constructor(
    readonly taken: { space: string; address: string } | { mac: string },
    holder: string | undefined,
  ) {
    const what = 'mac' in taken ? `MAC ${taken.mac}` : taken.address;
    super(
      ErrorCode.AddressConflict,
      `${what} is already held by ${holder ?? 'another owner'} (the store refused it)`,
      {
        holder,
      },
    );
  }
}

/** The TakenError for the operation a store refused. */
export function takenError(op: StoreOp | undefined, holder: string | undefined): IpamError {
  if (op?.op === 'claimAddress') return new TakenError({ space: op.space, address: op.address }, holder);
  if (op?.op === 'putLease' && op.mac) return new TakenError({ mac: op.mac }, holder);
  return new IpamError(
    ErrorCode.AddressConflict,
    `already held by ${holder ?? 'another owner'} (the store refused it)`,
    {
      holder,
    },
  );
}

/**
 * What a proposal must pass over — the addresses and MACs the store said were taken, with their holders —
 * and where this daemon prefers to allocate among several (spread into the engine's request).
 */
export interface Avoid {
  skip: SkipAddress[];
  skipMacs: { mac: number; holder?: string | undefined }[];
  stripe?: Stripe | undefined;
}

/** Counters of the propose → commit loop, for /metrics. */
export interface ProposalCounters {
  /** Proposals the store refused as taken and that were proposed again. */
  retries: number;
  /** Requests answered "try again" because the retry bound was reached while addresses remained. */
  exhausted: number;
}

/** The propose → commit loop's counters and, with several daemons, this daemon's share and catch-up. */
export interface Proposals {
  counters: ProposalCounters;
  stripe?: (() => Stripe | undefined) | undefined;
  /** Waits until this daemon has applied what the store had committed (several daemons). */
  settle?: (() => Promise<void>) | undefined;
}

/** Proposals of one request before it is answered "try again later". */
export const MAX_PROPOSALS = 16;
/** Takes in a row after which the next proposal first waits for this daemon to catch up. */
const SETTLE_EVERY = 3;

/**
 * Propose, then commit (DUR-5): runs `attempt` with what to avoid; when the store answers that a proposed
 * address or MAC is taken, the engine change has already been reverted, and the request is proposed again
 * passing over it (the next candidate; a static address fails naming the holder instead, in the engine). After
 * every few takes in a row the next proposal first waits until this daemon has caught up with the store, so
 * its engine knows what the others hold. The pool running out meanwhile is the engine's NoAvailableAddress;
 * the bound reached while addresses remain is ServiceError Unavailable (CNI 11, HTTP 503), counted. With
 * `retryConflicts`, a compare-and-swap conflict (the object changed on, or was just created by, another daemon)
 * is also caught up with and tried again; otherwise it is the caller's answer (HTTP 409).
 */
export async function proposeUntilCommitted<T>(
  attempt: (avoid: Avoid) => Promise<T>,
  proposals: Proposals,
  options: { retryConflicts?: boolean } = {},
): Promise<T> {
  const counters = proposals.counters;
  const stripe = proposals.stripe?.();
  const avoid: Avoid = { skip: [], skipMacs: [], ...(stripe ? { stripe } : {}) };
  for (let n = 1; ; n++) {
    try {
      return await attempt(avoid);
    } catch (e) {
      const conflict =
        options.retryConflicts === true &&
        proposals.settle !== undefined &&
        e instanceof ServiceError &&
        (e.code === 'Conflict' || e.code === 'AlreadyExists');
      if (!(e instanceof TakenError) && !conflict) throw e;
      if (n >= MAX_PROPOSALS) {
        counters.exhausted++;
        throw new ServiceError(
          'Unavailable',
          `${n} proposals in a row were taken by other daemons or changed under this one (last: ${(e as Error).message}); try again`,
          { cause: e },
        );
      }
      counters.retries++;
      if (e instanceof TakenError) {
        if ('mac' in e.taken) avoid.skipMacs.push({ mac: parseMac(e.taken.mac), holder: e.holder });
        else avoid.skip.push({ ...parseAddress(e.taken.address), holder: e.holder });
      }
      if (conflict || n % SETTLE_EVERY === 0) await proposals.settle?.();
    }
  }
}
