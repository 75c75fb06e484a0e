/** Method dispatch for resource routes (405 for what a route does not allow). */
import { ApiError } from './errors.js';
import { handleGet, handleList } from './read-handlers.js';
import { handlePatch } from './patch-handler.js';
import { queryFlag, type ResourceRequest } from './request-context.js';
import type { Route } from './router.js';
import { handleWatch } from './watch-handler.js';
import { handleCreate, handleDelete, handleUpdate } from './write-handlers.js';

type Handler = (rr: ResourceRequest) => void | Promise<void>;
type ResourceRoute = Extract<Route, { type: 'collection' | 'item' | 'status' }>;

/** A 405 that lists what is allowed (also sent as the `Allow` header by the server). */
export class MethodNotAllowed extends ApiError {
  readonly allow: string[];
  constructor(allow: string[]) {
    super(
      'MethodNotAllowed',
      405,
      `the server does not allow this method on the requested resource; allowed: ${allow.join(', ')}`,
    );
    this.allow = allow;
  }
}

const isWatch = (rr: ResourceRequest): boolean => rr.watchPath || queryFlag(rr.query, 'watch');

function table(r: ResourceRoute): Record<string, Handler> {
  switch (r.type) {
    case 'collection':
      return r.watchPath
        ? { GET: handleWatch }
        : { GET: (rr) => (isWatch(rr) ? handleWatch(rr) : handleList(rr)), POST: handleCreate };
    case 'item':
      if (r.watchPath) return { GET: handleWatch };
      return {
        GET: (rr) => (isWatch(rr) ? handleWatch(rr) : handleGet(rr)),
        PUT: handleUpdate,
        PATCH: handlePatch,
        DELETE: handleDelete,
      };
    case 'status':
      return { GET: handleGet, PUT: handleUpdate, PATCH: handlePatch };
  }
}

/** Run the handler of `method` on a resource route. */
export async function dispatchResource(r: ResourceRoute, method: string, rr: ResourceRequest): Promise<void> {
  const handlers = table(r);
  const h = handlers[method === 'HEAD' ? 'GET' : method];
  if (!h) throw new MethodNotAllowed(Object.keys(handlers));
  await h(rr);
}
