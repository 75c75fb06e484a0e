/**
 * Watch: a chunked stream of newline-delimited `{"type","object"}` JSON events.
 * - No `resourceVersion` (or "0"): synthetic ADDED events for the current state, then changes.
 * - A `resourceVersion`: changes after it; one the service no longer remembers → an ERROR event with a
 *   410 Expired Status (as the API server does), after which clients re-list.
 * - Selectors apply to events; an object that stops matching is reported as DELETED.
 * - `allowWatchBookmarks`: periodic BOOKMARK events; `sendInitialEvents=true` ends the initial
 *   events with a bookmark annotated `k8s.io/initial-events-end`.
 * - Table rendering (`kubectl get -w`): each event's object is a one-row Table.
 */
import { apiVersionOf } from './kinds/index.js';
import { chooseRendering } from './negotiate.js';
import { sortByName } from './read-handlers.js';
import { queryFlag, type ResourceRequest } from './request-context.js';
import type { KubeObject, WatchEvent, WatchEventType } from './resource-service.js';
import { toJson } from './json.js';
import { fieldMatcher, labelMatcher } from './selectors.js';
import { statusOf, toApiError } from './status.js';
import { buildTable, parseIncludeObject } from './table.js';

function parseTimeout(text: string | null): number | undefined {
  if (text === null || text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export function handleWatch(rr: ResourceRequest): void {
  const rendering = chooseRendering(rr.req.headers.accept, true);
  const byLabel = labelMatcher(rr.query.get('labelSelector') ?? '');
  const byField = fieldMatcher(rr.def, rr.query.get('fieldSelector') ?? '');
  // The legacy `/watch/<plural>/<name>` path means a field selector on the name.
  const matches = (o: KubeObject): boolean =>
    byLabel(o) && byField(o) && (rr.name === undefined || o.metadata.name === rr.name);
  const bookmarks = queryFlag(rr.query, 'allowWatchBookmarks');
  const sendInitial = rr.query.get('sendInitialEvents');
  const requestedRv = rr.query.get('resourceVersion') ?? '';
  const include = parseIncludeObject(rr.query.get('includeObject'));
  const res = rr.res;

  let lastRv = '';
  const visible = new Set<string>();
  let headersSent = false;
  const sendHeaders = (): void => {
    if (headersSent) return;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache',
      'Transfer-Encoding': 'chunked',
    });
    headersSent = true;
  };
  const write = (type: WatchEventType | 'ERROR', object: unknown): void => {
    sendHeaders();
    res.write(`${toJson({ type, object })}\n`);
  };
  const emit = (type: WatchEventType, obj: KubeObject): void => {
    lastRv = obj.metadata.resourceVersion ?? lastRv;
    const object =
      rendering.as === 'table' && type !== 'BOOKMARK'
        ? buildTable(rr.def, [obj], { include, version: rendering.version })
        : obj;
    write(type, object);
  };
  const bookmark = (initialEnd: boolean): void => {
    const metadata: KubeObject['metadata'] = { resourceVersion: lastRv };
    if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    write('BOOKMARK', { apiVersion: apiVersionOf(rr.def), kind: rr.def.kind, metadata });
  };

  const startFromNow = requestedRv === '' || requestedRv === '0' || sendInitial === 'true';
  const onEvent = (e: WatchEvent): void => {
    const name = e.object.metadata.name ?? '';
    if (e.type === 'BOOKMARK') {
      lastRv = e.object.metadata.resourceVersion ?? lastRv;
      if (bookmarks) bookmark(false);
      return;
    }
    const now = matches(e.object);
    if (e.type === 'DELETED') {
      if (visible.delete(name) || now) emit('DELETED', e.object);
      return;
    }
    if (now) {
      // From "now" we know what the client has seen; from an old version we pass the type through.
      emit(startFromNow ? (visible.has(name) ? 'MODIFIED' : 'ADDED') : e.type, e.object);
      visible.add(name);
    } else if (visible.delete(name)) {
      emit('DELETED', e.object);
    }
  };

  const snapshot = rr.service.list(rr.def.kind);
  lastRv = snapshot.resourceVersion;
  const current = sortByName(snapshot.items).filter(matches);
  if (startFromNow) for (const o of current) visible.add(o.metadata.name ?? '');

  let unsubscribe: () => void;
  try {
    unsubscribe = rr.service.watch(
      rr.def.kind,
      startFromNow ? snapshot.resourceVersion : requestedRv,
      onEvent,
    );
  } catch (err) {
    const e = toApiError(err);
    if (e.code === 410) {
      write('ERROR', statusOf(e));
      res.end();
      return;
    }
    throw err;
  }
  if (startFromNow && sendInitial !== 'false') {
    for (const o of current) emit('ADDED', o);
    lastRv = snapshot.resourceVersion;
    if (sendInitial === 'true' && bookmarks) bookmark(true);
  }
  if (!headersSent) {
    sendHeaders();
    res.flushHeaders();
  }

  let ended = false;
  const timers: NodeJS.Timeout[] = [];
  const end = (): void => {
    if (ended) return;
    ended = true;
    unsubscribe();
    timers.forEach(clearTimeout);
    untrack();
    if (!res.writableEnded) res.end();
  };
  const untrack = rr.trackWatch(end);
  const timeout = parseTimeout(rr.query.get('timeoutSeconds'));
  if (timeout !== undefined) timers.push(setTimeout(end, timeout * 1000));
  if (bookmarks) {
    const tick = (): void => {
      if (ended) return;
      bookmark(false);
      timers.push(setTimeout(tick, rr.bookmarkIntervalMs));
    };
    timers.push(setTimeout(tick, rr.bookmarkIntervalMs));
  }
  res.on('close', end);
  rr.req.on('close', end);
}
