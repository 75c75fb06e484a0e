/**
 * `limit` + `continue` for lists. The token records the name of the last item served and the
 * resourceVersion of the first page; the next page is "items after that name" of the current state.
 * Because items are sorted by name, an object that exists during the whole walk is listed exactly
 * once, whatever is created or deleted meanwhile; objects created behind the cursor are not seen
 * (a full snapshot would need MVCC in every store).
 */
import { ApiError } from './errors.js';
import type { KubeObject } from './resource-service.js';

interface Token {
  v: 1;
  /** Resource plural the token belongs to (a token of another resource is rejected). */
  r: string;
  /** resourceVersion of the first page, reported on every page. */
  rv: string;
  /** Last name served. */
  after: string;
}

export interface Page {
  items: KubeObject[];
  /** Token for the next page, or undefined on the last one. */
  continueToken: string | undefined;
  /** Items after this page (known because the store lists the whole current state). */
  remainingItemCount: number | undefined;
  resourceVersion: string;
}

export function encodeContinue(resource: string, rv: string, after: string): string {
  const token: Token = { v: 1, r: resource, rv, after };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeContinue(resource: string, text: string): Token {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Token>;
    if (t.v === 1 && t.r === resource && typeof t.rv === 'string' && typeof t.after === 'string')
      return t as Token;
  } catch {
    // fall through to the one error below
  }
  throw ApiError.badRequest(
    `continue key is not valid: "${text}" was not issued by this server for ${resource}; restart the list without it`,
  );
}

/** `limit` query parameter: absent or 0 → no paging; otherwise a positive integer. */
export function parseLimit(text: string | null): number {
  if (text === null || text === '') return 0;
  if (!/^\d+$/.test(text)) throw ApiError.badRequest(`limit must be a non-negative integer, got "${text}"`);
  return Number(text);
}

/**
 * One page of an already sorted list, for services that keep their items in a sorted array (the test
 * stand-in does). Binary search for the first name after `after`, then walk until `limit` matches.
 */
export function sliceSorted(
  items: readonly KubeObject[],
  options: { after?: string; limit?: number; filter?: (o: KubeObject) => boolean } = {},
): { items: KubeObject[]; more: boolean; remaining: number } {
  let lo = 0;
  let hi = items.length;
  if (options.after !== undefined) {
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((items[mid]!.metadata.name ?? '') <= options.after) lo = mid + 1;
      else hi = mid;
    }
  }
  const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
  const out: KubeObject[] = [];
  let i = lo;
  for (; i < items.length; i++) {
    const o = items[i]!;
    if (options.filter && !options.filter(o)) continue;
    if (out.length === limit) break;
    out.push(o);
  }
  // i is the index of the first matching item not returned, or the end.
  return { items: out, more: i < items.length, remaining: items.length - i };
}

/** The continue token and list metadata of a page the service returned. */
export function pageMeta(
  resource: string,
  page: { items: KubeObject[]; more?: boolean; remaining?: number },
  rv: string,
  exactRemaining: boolean,
): Omit<Page, 'items'> {
  const last = page.items[page.items.length - 1]?.metadata.name;
  const more = page.more === true && last !== undefined;
  return {
    continueToken: more ? encodeContinue(resource, rv, last) : undefined,
    remainingItemCount: more && exactRemaining ? page.remaining : undefined,
    resourceVersion: rv,
  };
}

/**
 * One page of `items` (already filtered and sorted by name). `snapshotRv` is the version of the
 * current list, used when this is the first page.
 */
export function paginate(
  resource: string,
  items: KubeObject[],
  snapshotRv: string,
  limit: number,
  continueText: string | null,
): Page {
  const token = continueText ? decodeContinue(resource, continueText) : undefined;
  const page = sliceSorted(items, { ...(token ? { after: token.after } : {}), limit });
  return { items: page.items, ...pageMeta(resource, page, token?.rv ?? snapshotRv, true) };
}
