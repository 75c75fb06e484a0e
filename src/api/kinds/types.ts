import type { JsonValue, KindName, KubeObject } from '../resource-service.js';

/** The subset of an OpenAPI v3 (structural, Kubernetes-flavoured) schema this server uses. */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, Schema>;
  /** A map with values of this schema (labels, annotations). */
  additionalProperties?: Schema;
  items?: Schema;
  required?: string[];
  /** `null` is accepted (and means "unset"), e.g. `v6IpAddress:` in seed 02-static.yaml. */
  nullable?: boolean;
  enum?: JsonValue[];
  format?: string;
  default?: JsonValue;
  minimum?: number;
  maximum?: number;
  /** Any content is kept (used sparingly: managedFields, label selectors' nested parts). */
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

/** One printer column (`additionalPrinterColumns` of a CRD), NAME excluded. */
export interface PrinterColumn {
  /** Header as kubectl shows it, e.g. `V4USED`. */
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  description: string;
  /** 0 = default table; 1 = only with `-o wide`. */
  priority: 0 | 1;
  /** Where the cell comes from (`.spec.cidrBlock`, `['quoted/keys']` allowed); also shown by the CRD. */
  jsonPath: string;
}

/** Everything the server needs to know about one served kind. */
export interface KindDefinition {
  kind: KindName;
  group: string;
  version: string;
  /** Resource name in URLs: `ips`. */
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  /** OpenAPI schema of `.spec`. */
  spec: Schema;
  /** OpenAPI schema of `.status`, or undefined for kinds without a status subresource. */
  status: Schema | undefined;
  /** One-paragraph description shown by `kubectl explain <kind>`. */
  description: string;
  columns: PrinterColumn[];
  /** Extra field selectors besides `metadata.name`, mapped to a getter of the string value. */
  fieldSelectors: Record<string, (obj: KubeObject) => string | undefined>;
}

/** `group/version`, as in `apiVersion`. */
export function apiVersionOf(def: KindDefinition): string {
  return `${def.group}/${def.version}`;
}
