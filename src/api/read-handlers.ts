/** GET of one object and of lists (label/field selectors, paging, Table rendering). */
import { ApiError } from './errors.js';
import { apiVersionOf, subjectOf } from './kinds/index.js';
import { chooseRendering } from './negotiate.js';
import { decodeContinue, pageMeta, parseLimit } from './paging.js';
import type { ResourceRequest } from './request-context.js';
import type { KubeObject } from './resource-service.js';
import { sendObject } from './respond.js';
import { fieldMatcher, labelMatcher } from './selectors.js';
import { buildTable, parseIncludeObject } from './table.js';

/** Items sorted by name in code-unit order (the order continue tokens rely on). */
export function sortByName(items: KubeObject[]): KubeObject[] {
  return [...items].sort((a, b) => {
    const x = a.metadata.name ?? '';
    const y = b.metadata.name ?? '';
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** The current object or 404. */
export function getOr404(rr: ResourceRequest, name: string): KubeObject {
  const obj = rr.service.get(rr.def.kind, name);
  if (!obj) throw ApiError.notFound(subjectOf(rr.def, name));
  return obj;
}

export function handleGet(rr: ResourceRequest): void {
  const rendering = chooseRendering(rr.req.headers.accept, true);
  const obj = getOr404(rr, rr.name ?? '');
  if (rendering.as === 'table') {
    const table = buildTable(rr.def, [obj], {
      include: parseIncludeObject(rr.query.get('includeObject')),
      version: rendering.version,
      listMeta: { resourceVersion: obj.metadata.resourceVersion ?? '' },
    });
    sendObject(rr.res, 200, table, rendering);
    return;
  }
  sendObject(rr.res, 200, obj, rendering);
}

export function handleList(rr: ResourceRequest): void {
  const rendering = chooseRendering(rr.req.headers.accept, true);
  const byLabel = labelMatcher(rr.query.get('labelSelector') ?? '');
  const byField = fieldMatcher(rr.def, rr.query.get('fieldSelector') ?? '');
  const limit = parseLimit(rr.query.get('limit'));
  // resourceVersion / resourceVersionMatch: the current state is always "not older than" any version
  // a client has seen, so every accepted combination is answered from it.
  const selectors = Boolean(rr.query.get('labelSelector') || rr.query.get('fieldSelector'));
  const continueText = rr.query.get('continue');
  const token = continueText ? decodeContinue(rr.def.plural, continueText) : undefined;
  const result = rr.service.list(rr.def.kind, {
    ...(token ? { after: token.after } : {}),
    ...(limit > 0 ? { limit } : {}),
    ...(selectors ? { filter: (o: KubeObject) => byLabel(o) && byField(o) } : {}),
  });
  const page = {
    items: result.items,
    ...pageMeta(rr.def.plural, result, token?.rv ?? result.resourceVersion, !selectors),
  };
  const listMeta = {
    resourceVersion: page.resourceVersion,
    continue: page.continueToken,
    remainingItemCount: page.remainingItemCount,
  };
  if (rendering.as === 'table') {
    const table = buildTable(rr.def, page.items, {
      include: parseIncludeObject(rr.query.get('includeObject')),
      version: rendering.version,
      listMeta,
    });
    sendObject(rr.res, 200, table, rendering);
    return;
  }
  sendObject(
    rr.res,
    200,
    { apiVersion: apiVersionOf(rr.def), kind: `${rr.def.kind}List`, metadata: listMeta, items: page.items },
    rendering,
  );
}
