/** Decoding request bodies into objects, field checks, and presenting stored objects. */
import YAML from 'yaml';
import { clone, ensureObj, goQuote, isObj, orderKeys, sortKeysDeep, strAt, type Obj } from './json.js';
import { groupVersion, META_ORDER, type ResourceDef } from './resources.js';
import { defaultCustomResource, pruneCustomResource, unknownBuiltinFields, validateSchema } from './schema.js';
import { badRequest, unsupportedMediaType, type FieldError } from './status.js';
import type { WriteOptions } from './validation.js';

/** Media types a POST or PUT body may use. */
export const BODY_TYPES = ['application/json', 'application/yaml'];

/** Parses a JSON (or YAML) request body into an object (400 / 415 otherwise). */
export function decodeBody(body: Buffer, contentType: string): Obj {
  const text = body.toString('utf8');
  let value: unknown;
  if (contentType === 'application/yaml') {
    try {
      value = YAML.parse(text);
    } catch (e) {
      throw badRequest(`error converting YAML to JSON: ${(e as Error).message}`);
    }
  } else if (contentType === '' || contentType === 'application/json' || contentType === '*/*') {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
    }
  } else throw unsupportedMediaType(BODY_TYPES);
  if (!isObj(value)) throw badRequest(`couldn't get version/kind; json parse error: json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
  return value;
}

/**
 * apiVersion/kind handling at decode time. Custom resources need `kind` (400) and a matching
 * apiVersion if one is given (400); built-ins default missing ones.
 */
export function checkTypeMeta(def: ResourceDef, obj: Obj, raw: string): void {
  const gv = groupVersion(def);
  const apiVersion = strAt(obj, 'apiVersion');
  const kind = strAt(obj, 'kind');
  if (def.origin !== 'builtin') {
    if (!kind) throw badRequest(`Object 'Kind' is missing in '${raw.trim()}'`);
    if (apiVersion && apiVersion !== gv) throw badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${gv})`);
    return;
  }
  if (apiVersion && apiVersion !== gv) throw badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${gv})`);
  if (kind && kind !== def.kind) throw badRequest(`the object provided is unrecognized (must be of type ${def.kind}): ${kind} in version "${def.version}"`);
  obj.apiVersion = gv;
  obj.kind = def.kind;
}

/** 422 causes for a custom resource's apiVersion/kind (the validator's `ValidateTypeMeta`). */
export function typeMetaErrors(def: ResourceDef, obj: Obj): FieldError[] {
  if (def.origin === 'builtin') return [];
  const errors: FieldError[] = [];
  const gv = groupVersion(def);
  const kind = strAt(obj, 'kind') ?? '';
  const apiVersion = strAt(obj, 'apiVersion') ?? '';
  if (kind !== def.kind) errors.push({ type: 'Invalid', field: 'kind', value: goQuote(kind), detail: `must be ${def.kind}` });
  if (apiVersion !== gv) errors.push({ type: 'Invalid', field: 'apiVersion', value: goQuote(apiVersion), detail: `must be ${gv}` });
  return errors;
}

/** Schema validation causes of a custom resource. */
export function schemaErrors(def: ResourceDef, obj: Obj): FieldError[] {
  if (def.origin !== 'crd' || !def.prune || !def.schema) return [];
  const errors: FieldError[] = [];
  validateSchema(obj, def.schema, '', errors);
  return errors;
}

/**
 * Drops unknown fields (pruning) and applies `fieldValidation`: Strict → 400, Warn → warnings
 * (returned), Ignore → silent.
 */
export function checkFields(def: ResourceDef, obj: Obj, opts: WriteOptions): string[] {
  let unknown: string[];
  if (def.origin === 'builtin') {
    unknown = unknownBuiltinFields(obj, def.topLevel);
    for (const path of unknown) dropPath(obj, path);
  } else {
    unknown = pruneCustomResource(obj, def.schema, def.prune);
    // Structural defaults (apiextensions v1 only: a CRD that prunes), after pruning, as the real server.
    if (def.origin === 'crd' && def.prune) defaultCustomResource(obj, def.schema);
  }
  if (unknown.length === 0 || opts.fieldValidation === 'Ignore') return [];
  const texts = unknown.map((p) => `unknown field ${JSON.stringify(p)}`);
  if (opts.fieldValidation === 'Strict') {
    throw badRequest(`${def.kind} in version ${JSON.stringify(def.version)} cannot be handled as a ${def.kind}: strict decoding error: ${texts.join(', ')}`);
  }
  return texts;
}

function dropPath(obj: Obj, path: string): void {
  const [head, tail] = path.split('.', 2);
  if (!head) return;
  if (tail === undefined) delete obj[head];
  else {
    const child = obj[head];
    if (isObj(child)) delete child[tail];
  }
}

/** A stored object as this endpoint answers it. */
export function present(def: ResourceDef, stored: Obj): Obj {
  let out = clone(stored);
  if (def.hooks.present) out = def.hooks.present(out);
  out.apiVersion = groupVersion(def);
  if (def.origin !== 'builtin') {
    if (!strAt(out, 'kind')) out.kind = def.kind;
    // The real server defaults on every read from storage too (objects stored before a default existed).
    if (def.origin === 'crd' && def.prune) defaultCustomResource(out, def.schema);
    return sortKeysDeep(out) as Obj;
  }
  out.kind = def.kind;
  const meta = ensureObj(out, 'metadata');
  out.metadata = orderKeys(meta, META_ORDER);
  return orderKeys(out, def.topOrder);
}

/** A list item: built-in items carry no kind/apiVersion. */
export function presentItem(def: ResourceDef, stored: Obj): Obj {
  const out = present(def, stored);
  if (def.origin === 'builtin') {
    delete out.kind;
    delete out.apiVersion;
  }
  return out;
}
