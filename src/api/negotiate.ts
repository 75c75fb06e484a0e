/**
 * Content negotiation: what the client accepts (plain JSON, a meta.k8s.io Table, YAML, aggregated
 * discovery at `/api` and `/apis`) and what it sent.
 */
import { ApiError } from './errors.js';

export type Rendering = { as: 'json' } | { as: 'yaml' } | { as: 'table'; version: 'v1' | 'v1beta1' };

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(header: string | undefined): MediaRange[] {
  if (!header || header.trim() === '') return [{ type: '*/*', params: {} }];
  return header.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
    }
    return { type: type.toLowerCase(), params };
  });
}

const isJsonish = (t: string): boolean => t === 'application/json' || t === 'application/*' || t === '*/*';

/**
 * Pick the response rendering for a resource request. `tableAllowed` is false for requests that
 * cannot be tables (Status bodies, discovery). Throws 406 when nothing acceptable is offered.
 */
export function chooseRendering(accept: string | undefined, tableAllowed: boolean): Rendering {
  for (const m of parseAccept(accept)) {
    if (m.params['as'] === 'Table' && m.params['g'] === 'meta.k8s.io') {
      if (tableAllowed && (m.params['v'] === 'v1' || m.params['v'] === 'v1beta1') && isJsonish(m.type)) {
        return { as: 'table', version: m.params['v'] };
      }
      continue;
    }
    if (m.params['as']) continue; // another server-side conversion we do not offer (e.g. aggregated discovery)
    if (isJsonish(m.type)) return { as: 'json' };
    if (m.type === 'application/yaml') return { as: 'yaml' };
  }
  throw new ApiError(
    'NotAcceptable',
    406,
    `only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io (got "${accept ?? ''}")`,
  );
}

/**
 * Whether a discovery request (`/api`, `/apis`) takes aggregated discovery (`apidiscovery.k8s.io`, one
 * document with every group's resources, what kubectl 1.32 asks for first), and in which version; undefined
 * when the client prefers the plain documents.
 */
export function aggregatedDiscovery(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const m of parseAccept(accept)) {
    if (m.params['as'] === 'APIGroupDiscoveryList' && m.params['g'] === 'apidiscovery.k8s.io') {
      const v = m.params['v'];
      if ((v === 'v2' || v === 'v2beta1') && isJsonish(m.type)) return v;
      continue;
    }
    if (m.params['as']) continue;
    if (isJsonish(m.type) || m.type === 'application/yaml') return undefined;
  }
  return undefined;
}

/** Body content types this server parses, by the media type of `Content-Type`. */
export type BodyType =
  'json' | 'yaml' | 'merge-patch' | 'json-patch' | 'strategic-merge-patch' | 'apply-patch';

const BODY_TYPES: Record<string, BodyType> = {
  'application/json': 'json',
  'application/yaml': 'yaml',
  'application/merge-patch+json': 'merge-patch',
  'application/json-patch+json': 'json-patch',
  'application/strategic-merge-patch+json': 'strategic-merge-patch',
  'application/apply-patch+yaml': 'apply-patch',
};

/** The body type of a request, or undefined when it is not one we know. */
export function bodyTypeOf(contentType: string | undefined): BodyType | undefined {
  const media = (contentType ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
  return BODY_TYPES[media === '' ? 'application/json' : media];
}

/** 415 naming what would be accepted. */
export function unsupportedMediaType(got: string | undefined, accepted: string[]): ApiError {
  return new ApiError(
    'UnsupportedMediaType',
    415,
    `the body of the request was in an unknown format "${got ?? ''}" - accepted media types include: ${accepted.join(', ')}`,
  );
}
