/**
 * Structural-schema handling for custom resources: pruning of unknown fields (reported for the
 * `fieldValidation` modes) and the basic OpenAPI checks (type, required, enum).
 */
import { goQuote, isObj, type Obj } from './json.js';
import type { FieldError } from './status.js';

/** The ObjectMeta fields a custom resource's `metadata` keeps; others are pruned. */
export const OBJECT_META_FIELDS = [
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
];

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';

function joinPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * Prunes `value` in place against `schema`, pushing each dropped path (`spec.foo`, `spec.list[0].x`)
 * to `unknown`. A missing schema keeps everything.
 */
export function prune(value: unknown, schema: Obj | undefined, path: string, unknown: string[]): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    const items = isObj(schema.items) ? schema.items : undefined;
    value.forEach((item, i) => prune(item, items, `${path}[${i}]`, unknown));
    return;
  }
  if (!isObj(value)) return;
  const props = isObj(schema.properties) ? schema.properties : undefined;
  const additional = isObj(schema.additionalProperties) ? schema.additionalProperties : undefined;
  const preserve = schema[PRESERVE] === true || schema.additionalProperties === true;
  for (const key of Object.keys(value)) {
    const child = props?.[key];
    if (isObj(child)) prune(value[key], child, joinPath(path, key), unknown);
    else if (additional) prune(value[key], additional, joinPath(path, key), unknown);
    else if (!preserve) {
      unknown.push(joinPath(path, key));
      delete value[key];
    }
  }
}

/**
 * Prunes a whole custom resource: `apiVersion`, `kind` and `metadata` are always kept, `metadata` is
 * coerced. Returns unknown `metadata.*` paths first, then the pruned paths sorted (as the real server).
 */
export function pruneCustomResource(obj: Obj, schema: Obj | undefined, pruneBody: boolean): string[] {
  const metaUnknown: string[] = [];
  const meta = obj.metadata;
  if (isObj(meta)) {
    for (const key of Object.keys(meta)) {
      if (!OBJECT_META_FIELDS.includes(key)) {
        metaUnknown.push(`metadata.${key}`);
        delete meta[key];
      }
    }
  }
  if (!pruneBody || !schema) return metaUnknown;
  const unknown: string[] = [];
  const props = isObj(schema.properties) ? schema.properties : undefined;
  const preserve = schema[PRESERVE] === true;
  for (const key of Object.keys(obj)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    const child = props?.[key];
    if (isObj(child)) prune(obj[key], child, key, unknown);
    else if (!preserve) {
      unknown.push(key);
      delete obj[key];
    }
  }
  return [...metaUnknown, ...unknown.sort()];
}

/**
 * Fills in the schema's `default`s for absent properties, at every level, in place (structural
 * defaulting of apiextensions v1, which the real server applies on every write and on every read
 * from storage). Defaults are copied, and then defaulted themselves.
 */
export function applyDefaults(value: unknown, schema: Obj | undefined): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    const items = isObj(schema.items) ? schema.items : undefined;
    for (const item of value) applyDefaults(item, items);
    return;
  }
  if (!isObj(value)) return;
  const props = isObj(schema.properties) ? schema.properties : undefined;
  const additional = isObj(schema.additionalProperties) ? schema.additionalProperties : undefined;
  for (const [key, child] of Object.entries(value)) {
    const sub = props?.[key];
    if (isObj(sub)) applyDefaults(child, sub);
    else if (additional) applyDefaults(child, additional);
  }
  for (const [key, sub] of Object.entries(props ?? {})) {
    if (!isObj(sub) || sub.default === undefined || value[key] !== undefined) continue;
    value[key] = JSON.parse(JSON.stringify(sub.default)) as unknown;
    applyDefaults(value[key], sub);
  }
}

/** Defaults a whole custom resource (not `apiVersion`, `kind`, `metadata`). */
export function defaultCustomResource(obj: Obj, schema: Obj | undefined): void {
  if (!schema) return;
  const props = isObj(schema.properties) ? schema.properties : undefined;
  for (const [key, sub] of Object.entries(props ?? {})) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata' || !isObj(sub)) continue;
    if (obj[key] !== undefined) applyDefaults(obj[key], sub);
    else if (sub.default !== undefined) {
      obj[key] = JSON.parse(JSON.stringify(sub.default)) as unknown;
      applyDefaults(obj[key], sub);
    }
  }
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(want: string, value: unknown, schema: Obj): boolean {
  if (schema['x-kubernetes-int-or-string'] === true) return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
  const got = jsonType(value);
  if (want === 'number') return got === 'number' || got === 'integer';
  return want === got;
}

/** Validates `value` against `schema` (type, required, enum), pushing field errors. */
export function validateSchema(value: unknown, schema: Obj | undefined, path: string, errors: FieldError[]): void {
  if (!schema) return;
  if (value === null && schema.nullable === true) return;
  const want = typeof schema.type === 'string' ? schema.type : undefined;
  if (want && !typeMatches(want, value, schema)) {
    const got = jsonType(value);
    errors.push({ type: 'TypeInvalid', field: path, value: goQuote(got), detail: `${path} in body must be of type ${want}: ${goQuote(got)}` });
    return;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push({ type: 'NotSupported', field: path, value: typeof value === 'string' ? goQuote(value) : String(value), detail: `supported values: ${schema.enum.map((e) => (typeof e === 'string' ? goQuote(e) : String(e))).join(', ')}` });
  }
  if (Array.isArray(value)) {
    const items = isObj(schema.items) ? schema.items : undefined;
    value.forEach((item, i) => validateSchema(item, items, `${path}[${i}]`, errors));
    return;
  }
  if (!isObj(value)) return;
  validateObjectSchema(value, schema, path, errors);
}

function validateObjectSchema(value: Obj, schema: Obj, path: string, errors: FieldError[]): void {
  const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [];
  for (const key of required) if (!Object.hasOwn(value, key)) errors.push({ type: 'Required', field: joinPath(path, key) });
  const props = isObj(schema.properties) ? schema.properties : undefined;
  const additional = isObj(schema.additionalProperties) ? schema.additionalProperties : undefined;
  for (const [key, child] of Object.entries(value)) {
    if (path === '' && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
    const sub = props?.[key];
    if (isObj(sub)) validateSchema(child, sub, joinPath(path, key), errors);
    else if (additional) validateSchema(child, additional, joinPath(path, key), errors);
  }
}

/** The unknown top-level and `metadata.*` fields of a built-in object (deeper fields are not checked). */
export function unknownBuiltinFields(obj: Obj, topLevel: readonly string[]): string[] {
  const unknown = Object.keys(obj).filter((k) => !topLevel.includes(k));
  const meta = obj.metadata;
  if (isObj(meta)) for (const key of Object.keys(meta)) if (!OBJECT_META_FIELDS.includes(key)) unknown.push(`metadata.${key}`);
  return unknown;
}
