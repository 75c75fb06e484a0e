/** What every resource handler gets: the parsed request and the server's dependencies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.js';
import type { KindDefinition } from './kinds/types.js';
import type { Logger } from './logger.js';
import type { FieldValidation, ResourceService } from './resource-service.js';

export interface ResourceRequest {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  def: KindDefinition;
  /** Object name for item URLs. */
  name: string | undefined;
  /** `status` for the status subresource. */
  subresource: 'status' | undefined;
  /** The legacy `/watch/` path prefix was used. */
  watchPath: boolean;
  service: ResourceService;
  logger: Logger;
  bodyLimit: number;
  bookmarkIntervalMs: number;
  /** Called with an unsubscribe/close function for every open watch, so close() can end them. */
  trackWatch: (end: () => void) => () => void;
  /** Warnings to return in `Warning` headers. */
  warnings: string[];
}

/** `dryRun` query values: only `All` exists in Kubernetes. */
export function parseDryRun(values: string[]): boolean {
  for (const v of values) {
    if (v !== 'All')
      throw ApiError.badRequest(`invalid dryRun value "${v}": the only supported value is "All"`);
  }
  return values.length > 0;
}

/**
 * `fieldValidation`: Strict, Warn or Ignore. Default Strict — stricter than the Kubernetes API server
 * (Warn), because SEC-2 asks that unknown fields be refused; kubectl always sends the parameter.
 */
export function parseFieldValidation(text: string | null): FieldValidation {
  if (text === null || text === '') return 'Strict';
  if (text === 'Strict' || text === 'Warn' || text === 'Ignore') return text;
  throw ApiError.badRequest(`fieldValidation must be one of "Strict", "Warn" or "Ignore", got "${text}"`);
}

/** A boolean query parameter (`true`, `1` → true). */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === 'true' || v === '1';
}
