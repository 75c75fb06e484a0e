/** Spiderpool `SpiderReservedIP` (`spiderreservedips.spiderpool.spidernet.io`, cluster-scoped, no status). */
import { at, int, obj, selectorValue, strList } from './schema-helpers.js';
import type { KindDefinition } from './types.js';

export const spiderReservedIPKind: KindDefinition = {
  kind: 'SpiderReservedIP',
  group: 'spiderpool.spidernet.io',
  version: 'v2beta1',
  plural: 'spiderreservedips',
  singular: 'spiderreservedip',
  shortNames: ['sr'],
  categories: ['spiderpool', 'ipkeeper'],
  description:
    'SpiderReservedIP reserves addresses cluster-wide: no Subnet or pool hands them out while it exists.',
  spec: obj('The reserved addresses.', {
    ipVersion: int('4 or 6. Derived from the first entry of ips; immutable.', { enum: [4, 6] }),
    ips: strList('Reserved addresses: "ip" or "start-end" (start <= end). Stored merged and sorted.'),
  }),
  status: undefined,
  columns: [
    { name: 'VERSION', type: 'string', priority: 0, jsonPath: '.spec.ipVersion', description: 'IP version.' },
  ],
  fieldSelectors: { 'spec.ipVersion': (o) => selectorValue(at(o, 'spec', 'ipVersion')) },
};
