/** URL → route. Pure: no I/O, so every path shape is easy to test. */
import { kindByResource } from './kinds/index.js';
import type { KindDefinition } from './kinds/types.js';

export type Route =
  | { type: 'probe'; name: 'healthz' | 'readyz' | 'livez' }
  | { type: 'version' }
  | { type: 'core-api' }
  | { type: 'api-groups' }
  | { type: 'api-group'; group: string }
  | { type: 'api-resources'; group: string; version: string }
  | { type: 'openapi-v2' }
  | { type: 'openapi-v3-index' }
  | { type: 'openapi-v3'; group: string; version: string }
  | { type: 'collection'; def: KindDefinition; watchPath: boolean }
  | { type: 'item'; def: KindDefinition; name: string; watchPath: boolean }
  | { type: 'status'; def: KindDefinition; name: string }
  | { type: 'not-found'; why: string };

const notFound = (why = 'the server could not find the requested resource'): Route => ({
  type: 'not-found',
  why,
});

function resourceRoute(group: string, version: string, rest: string[]): Route {
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  if (rest[0] === 'namespaces')
    return notFound(
      `the server could not find the requested resource: every ${group} kind here is cluster-scoped; drop the namespace from the URL`,
    );
  const [plural, name, sub, ...extra] = rest;
  if (plural === undefined) return notFound();
  const def = kindByResource(group, version, plural);
  if (!def)
    return notFound(
      `the server could not find the requested resource: no resource "${plural}" in ${group}/${version}`,
    );
  if (name === undefined || name === '') return { type: 'collection', def, watchPath };
  if (sub === undefined) return { type: 'item', def, name, watchPath };
  if (sub === 'status' && extra.length === 0 && !watchPath && def.status)
    return { type: 'status', def, name };
  return notFound(
    `the server could not find the requested resource: ${def.plural} has no subresource "${sub}"`,
  );
}

/** Route a request path (without query). */
export function route(pathname: string): Route {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const [head, ...rest] = parts;
  switch (head) {
    case 'healthz':
    case 'readyz':
    case 'livez':
      return rest.length === 0 ? { type: 'probe', name: head } : notFound();
    case 'version':
      return rest.length === 0 ? { type: 'version' } : notFound();
    case 'api':
      return rest.length === 0
        ? { type: 'core-api' }
        : notFound('the server could not find the requested resource: the core API group is not served here');
    case 'openapi':
      if (rest.length === 1 && rest[0] === 'v2') return { type: 'openapi-v2' };
      if (rest.length === 1 && rest[0] === 'v3') return { type: 'openapi-v3-index' };
      if (rest.length === 4 && rest[0] === 'v3' && rest[1] === 'apis')
        return { type: 'openapi-v3', group: rest[2] ?? '', version: rest[3] ?? '' };
      return notFound();
    case 'apis': {
      const [group, version, ...more] = rest;
      if (group === undefined) return { type: 'api-groups' };
      if (version === undefined) return { type: 'api-group', group };
      if (more.length === 0) return { type: 'api-resources', group, version };
      return resourceRoute(group, version, more);
    }
    default:
      return notFound();
  }
}
