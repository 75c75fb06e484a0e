/**
 * Label and field selectors of list and watch requests, with Kubernetes' grammar:
 * labels: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k>1`, `k<1`, comma = AND;
 * fields: `path=v`, `path==v`, `path!=v`, comma = AND, only on the fields a kind declares.
 */
import { ApiError } from './errors.js';
import type { KindDefinition } from './kinds/types.js';
import type { KubeObject } from './resource-service.js';

export type LabelRequirement =
  | { key: string; op: 'exists' | '!exists' }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'gt' | 'lt'; value: number };

/** A predicate on an object. */
export type Matcher = (obj: KubeObject) => boolean;

const bad = (selector: string, why: string): ApiError =>
  ApiError.badRequest(`unable to parse requirement: invalid label selector "${selector}": ${why}`);

/** Split on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim());
}

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(selector: string, key: string): string {
  if (!KEY.test(key)) throw bad(selector, `key "${key}" is not a valid label key`);
  return key;
}
function checkValue(selector: string, value: string): string {
  if (!VALUE.test(value) || value.length > 63)
    throw bad(selector, `value "${value}" is not a valid label value`);
  return value;
}

/** Parse a label selector; an empty string selects everything. Throws 400 BadRequest. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === '') return [];
  return splitTopLevel(selector).map((part): LabelRequirement => {
    if (part === '') throw bad(selector, 'empty requirement');
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (set) {
      const values = (set[3] ?? '').split(',').map((v) => checkValue(selector, v.trim()));
      return { key: checkKey(selector, set[1] ?? ''), op: set[2] === 'in' ? 'in' : 'notin', values };
    }
    const cmp = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(part);
    if (cmp) {
      const key = checkKey(selector, cmp[1] ?? '');
      const value = (cmp[3] ?? '').trim();
      if (cmp[2] === '>' || cmp[2] === '<') {
        if (!/^-?\d+$/.test(value))
          throw bad(selector, `for 'gt', 'lt' operators, exactly one integer value is required`);
        return { key, op: cmp[2] === '>' ? 'gt' : 'lt', value: Number(value) };
      }
      return { key, op: cmp[2] === '!=' ? 'notin' : 'in', values: [checkValue(selector, value)] };
    }
    if (part.startsWith('!')) return { key: checkKey(selector, part.slice(1).trim()), op: '!exists' };
    return { key: checkKey(selector, part), op: 'exists' };
  });
}

function matchesRequirement(labels: Record<string, string>, r: LabelRequirement): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case 'in':
      return has && r.values.includes(v ?? '');
    case 'notin':
      return !has || !r.values.includes(v ?? '');
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(v ?? '')) return false;
      return r.op === 'gt' ? Number(v) > r.value : Number(v) < r.value;
    }
  }
}

/** A matcher for a label selector string. */
export function labelMatcher(selector: string): Matcher {
  const reqs = parseLabelSelector(selector);
  return (obj) => reqs.every((r) => matchesRequirement(obj.metadata.labels ?? {}, r));
}

/** A matcher for a field selector string on `def` (`metadata.name` plus the kind's declared fields). */
export function fieldMatcher(def: KindDefinition, selector: string): Matcher {
  if (selector.trim() === '') return () => true;
  const getters: Record<string, (o: KubeObject) => string | undefined> = {
    'metadata.name': (o) => o.metadata.name,
    ...def.fieldSelectors,
  };
  const tests = splitTopLevel(selector).map((part) => {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m)
      throw ApiError.badRequest(
        `invalid field selector "${selector}": "${part}" is not of the form field=value or field!=value`,
      );
    const field = m[1] ?? '';
    const getter = getters[field];
    if (!getter) {
      const known = Object.keys(getters)
        .map((k) => `"${k}"`)
        .join(', ');
      throw ApiError.badRequest(
        `field label not supported: "${field}" is not a known field selector of ${def.plural}; use one of ${known}`,
      );
    }
    const want = m[3] ?? '';
    const negate = m[2] === '!=';
    return (o: KubeObject) => ((getter(o) ?? '') === want) !== negate;
  });
  return (o) => tests.every((t) => t(o));
}
