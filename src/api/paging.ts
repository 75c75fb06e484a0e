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
  let rv = snapshotRv;
  let rest = items;
  if (continueText) {
    const token = decodeContinue(resource, continueText);
    rv = token.rv;
    rest = items.filter((o) => (o.metadata.name ?? '') > token.after);
  }
  if (limit <= 0 || rest.length <= limit) {
    return { items: rest, continueToken: undefined, remainingItemCount: undefined, resourceVersion: rv };
  }
  const pageItems = rest.slice(0, limit);
  const last = pageItems[pageItems.length - 1]?.metadata.name ?? '';
  return {
    items: pageItems,
    continueToken: encodeContinue(resource, rv, last),
    remainingItemCount: rest.length - limit,
    resourceVersion: rv,
  };
}
