/** Create (POST), update (PUT) and patch (PATCH) of stored objects, including `/status`. */
import { randomUUID } from 'node:crypto';
import YAML from 'yaml';
import type { ApiRequest, ApiResponse, Core } from './core.js';
import { clone, deepEqual, ensureObj, isObj, nowSeconds, objAt, strAt, type Obj } from './json.js';
import { baseManagers, conflictMessage, recordUpdate, serverSideApply, type Writer } from './managed-fields.js';
import { checkFields, checkTypeMeta, decodeBody, present, schemaErrors, typeMetaErrors } from './objects.js';
import { applyJsonPatch, mergePatch, parseJsonPatch, PatchApplyError, PatchDecodeError, strategicMergePatch } from './patch.js';
import { APPLY_PATCH, JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, groupVersion, storageKey, type ResourceDef } from './resources.js';
import {
  alreadyExists, applyConflict, badRequest, conflict, forbidden, genericInvalid, invalid, methodNotAllowed, notFound, preconditionText,
  unknownError, unsupportedMediaType, type FieldError,
} from './status.js';
import { managerName, parseWriteOptions, validateMetaName, type WriteOptions } from './validation.js';

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function gr(def: ResourceDef): { group: string; name: string } {
  return { group: def.group, name: def.plural };
}

function gk(def: ResourceDef): { group: string; name: string } {
  return { group: def.group, name: def.kind };
}

function metaOf(obj: Obj): Obj {
  return ensureObj(obj, 'metadata');
}

function writerFor(req: ApiRequest, def: ResourceDef, opts: WriteOptions, subresource: string): Writer {
  const ignore = def.subresources.includes('status') && subresource !== 'status' ? [['status']] : [];
  const writer: Writer = { manager: managerName(opts.fieldManager, req.userAgent), apiVersion: groupVersion(def), ignore };
  if (subresource) writer.subresource = subresource;
  return writer;
}

function throwIfInvalid(def: ResourceDef, name: string, errors: FieldError[]): void {
  if (errors.length > 0) throw invalid(gk(def), name, errors);
}

function validate(core: Core, def: ResourceDef, obj: Obj, old: Obj | undefined): FieldError[] {
  const meta = metaOf(obj);
  const errors = [...typeMetaErrors(def, obj)];
  if (!old) errors.push(...validateMetaName(strAt(meta, 'name') ?? '', strAt(meta, 'generateName') ?? '', def.nameRule));
  errors.push(...schemaErrors(def, obj));
  errors.push(...(def.hooks.validate?.(obj, old, core.hooks) ?? []));
  return errors;
}

function generateName(core: Core, def: ResourceDef, namespace: string, prefix: string): string {
  for (let attempt = 0; attempt < 8; attempt += 1) {
    let suffix = '';
    for (let i = 0; i < 5; i += 1) suffix += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)] ?? 'x';
    const name = `${prefix.slice(0, 58)}${suffix}`;
    if (!core.store.get(storageKey(def, namespace, name))) return name;
  }
  return `${prefix.slice(0, 58)}zzzzz`;
}

/** Namespace lifecycle admission: the namespace must exist and not be terminating. */
function admitNamespace(core: Core, def: ResourceDef, namespace: string, name: string): void {
  if (!def.namespaced) return;
  const ns = core.store.get(`/core/namespaces/${namespace}`);
  if (!ns) throw notFound({ group: '', name: 'namespaces' }, namespace);
  if (objAt(ns, 'metadata')?.deletionTimestamp !== undefined) {
    throw forbidden(gr(def), name, `unable to create new content in namespace ${namespace} because it is being terminated`);
  }
}

/** Sets the namespace from the URL (400 on a mismatch) or clears it for cluster-scoped resources. */
function placeNamespace(def: ResourceDef, obj: Obj, namespace: string, onCreate: boolean): void {
  const meta = metaOf(obj);
  if (!def.namespaced) {
    delete meta.namespace;
    return;
  }
  const given = strAt(meta, 'namespace');
  if (given && given !== namespace) {
    throw badRequest(onCreate ? 'the namespace of the provided object does not match the namespace sent on the request' : `the namespace of the object (${given}) does not match the namespace on the URL (${namespace})`);
  }
  meta.namespace = namespace;
}

/** Decodes a POST/PUT body through typemeta checks, version conversion and field validation. */
function readObject(req: ApiRequest, def: ResourceDef, opts: WriteOptions): { obj: Obj; warnings: string[] } {
  const raw = req.body.toString('utf8');
  let obj = decodeBody(req.body, req.contentType);
  checkTypeMeta(def, obj, raw);
  if (def.hooks.decode) obj = def.hooks.decode(obj);
  const warnings = checkFields(def, obj, opts);
  return { obj, warnings };
}

/** POST to a collection. */
export function createObject(core: Core, req: ApiRequest, def: ResourceDef): ApiResponse {
  const opts = parseWriteOptions(req.query, 'CreateOptions');
  if (def.terminating) throw methodNotAllowed(gr(def), 'create not allowed while custom resource definition is terminating');
  const { obj, warnings } = readObject(req, def, opts);
  placeNamespace(def, obj, req.info.namespace, true);
  return insert(core, req, def, obj, opts, warnings, undefined);
}

/** The shared create path (POST, create-on-PUT, apply that creates). */
function insert(core: Core, req: ApiRequest, def: ResourceDef, obj: Obj, opts: WriteOptions, warnings: string[], applyWriter: Writer | undefined): ApiResponse {
  const meta = metaOf(obj);
  for (const key of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink', 'generation']) delete meta[key];
  const rvSet = typeof meta.resourceVersion === 'string' ? meta.resourceVersion !== '' && meta.resourceVersion !== '0' : meta.resourceVersion !== undefined;
  delete meta.resourceVersion;
  const namespace = def.namespaced ? (strAt(meta, 'namespace') ?? '') : '';
  if (!strAt(meta, 'name') && strAt(meta, 'generateName')) meta.name = generateName(core, def, namespace, strAt(meta, 'generateName') ?? '');
  if (def.statusOnCreate === 'drop') delete obj.status;
  def.hooks.prepareCreate?.(obj, core.hooks);
  const name = strAt(meta, 'name') ?? '';
  throwIfInvalid(def, name, validate(core, def, obj, undefined));
  admitNamespace(core, def, namespace, name);
  const key = storageKey(def, namespace, name);
  if (core.store.get(key)) throw alreadyExists(gr(def), name);
  if (rvSet && !opts.dryRun) throw unknownError('resourceVersion should not be set on objects to be created');
  meta.uid = randomUUID();
  meta.creationTimestamp = nowSeconds();
  if (def.generation !== 'none') meta.generation = 1;
  if (!applyWriter) recordUpdate(undefined, obj, baseManagers(obj, undefined), writerFor(req, def, opts, ''));
  if (opts.dryRun) return { status: 201, body: present(def, obj), warnings };
  const stored = core.store.put(key, obj);
  def.hooks.afterWrite?.(stored, undefined, core.hooks);
  return { status: 201, body: present(def, stored), warnings };
}

/** PUT to an item (or its `/status`). */
export function updateObject(core: Core, req: ApiRequest, def: ResourceDef): ApiResponse {
  const opts = parseWriteOptions(req.query, 'UpdateOptions');
  const { obj, warnings } = readObject(req, def, opts);
  const { name, namespace, subresource } = req.info;
  const bodyName = strAt(metaOf(obj), 'name') ?? '';
  if (bodyName !== name) throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
  placeNamespace(def, obj, namespace, false);
  const key = storageKey(def, namespace, name);
  const existing = core.store.get(key);
  if (!existing) {
    if (def.createOnUpdate && !subresource) return insert(core, req, def, obj, opts, warnings, undefined);
    throw notFound(gr(def), name);
  }
  return commitUpdate(core, req, def, existing, obj, opts, { warnings, requireRv: true, managed: 'record' });
}

interface CommitOptions {
  warnings: string[];
  requireRv: boolean;
  managed: 'record' | 'done';
}

function checkPreconditions(def: ResourceDef, key: string, existing: Obj, next: Obj, requireRv: boolean): void {
  const meta = metaOf(next);
  const name = strAt(metaOf(existing), 'name') ?? '';
  const rv = strAt(meta, 'resourceVersion') ?? '';
  if (!rv) {
    if (requireRv && !def.unconditionalUpdate) {
      throw invalid({ group: def.group, name: def.plural }, name, [{ type: 'Invalid', field: 'metadata.resourceVersion', value: '0x0', detail: 'must be specified for an update' }]);
    }
  } else if (rv !== strAt(metaOf(existing), 'resourceVersion')) throw conflict(gr(def), name);
  const uid = strAt(meta, 'uid');
  const storedUid = strAt(metaOf(existing), 'uid') ?? '';
  if (uid && uid !== storedUid) throw conflict(gr(def), name, preconditionText(`/registry${key}`, `UID in precondition: ${uid}, UID in object meta: ${storedUid}`));
}

function carrySystemFields(def: ResourceDef, existing: Obj, next: Obj, subresource: string): void {
  const meta = metaOf(next);
  const old = metaOf(existing);
  for (const key of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation']) {
    if (old[key] === undefined) delete meta[key];
    else meta[key] = old[key];
  }
  delete meta.selfLink;
  meta.resourceVersion = old.resourceVersion;
  if (def.subresources.includes('status') && subresource !== 'status') {
    if (existing.status === undefined) delete next.status;
    else next.status = clone(existing.status);
  }
}

function bumpGeneration(def: ResourceDef, existing: Obj, next: Obj): void {
  if (def.generation === 'none') return;
  const strip = (o: Obj): Obj => {
    const copy = clone(o);
    delete copy.metadata;
    if (def.subresources.includes('status')) delete copy.status;
    return copy;
  };
  const changed = def.generation === 'spec' ? !deepEqual(existing.spec, next.spec) : !deepEqual(strip(existing), strip(next));
  const current = typeof metaOf(existing).generation === 'number' ? (metaOf(existing).generation as number) : 1;
  metaOf(next).generation = changed ? current + 1 : current;
}

function withoutManagedTimes(obj: Obj): Obj {
  const copy = clone(obj);
  const list = objAt(copy, 'metadata')?.managedFields;
  if (Array.isArray(list)) for (const e of list) if (isObj(e)) delete e.time;
  return copy;
}

/** Preconditions, server-owned fields, validation, no-op detection and the write itself. */
function commitUpdate(core: Core, req: ApiRequest, def: ResourceDef, existing: Obj, nextIn: Obj, opts: WriteOptions, c: CommitOptions): ApiResponse {
  const { namespace, name, subresource } = req.info;
  const key = storageKey(def, namespace, name);
  checkPreconditions(def, key, existing, nextIn, c.requireRv);
  const next = subresource === 'status' ? { ...clone(existing), status: nextIn.status } : nextIn;
  if (subresource === 'status' && next.status === undefined) delete next.status;
  carrySystemFields(def, existing, next, subresource);
  throwIfInvalid(def, name, validate(core, def, next, existing));
  bumpGeneration(def, existing, next);
  if (c.managed === 'record') recordUpdate(existing, next, baseManagers(next, existing), writerFor(req, def, opts, subresource));
  if (deepEqual(withoutManagedTimes(existing), withoutManagedTimes(next))) return { status: 200, body: present(def, existing), warnings: c.warnings };
  if (opts.dryRun) return { status: 200, body: present(def, next), warnings: c.warnings };
  const finalizers = metaOf(next).finalizers;
  if (metaOf(existing).deletionTimestamp !== undefined && (!Array.isArray(finalizers) || finalizers.length === 0)) {
    core.store.delete(key);
    def.hooks.afterDelete?.(next, core.hooks);
    return { status: 200, body: present(def, next), warnings: c.warnings };
  }
  const stored = core.store.put(key, next);
  def.hooks.afterWrite?.(stored, existing, core.hooks);
  return { status: 200, body: present(def, stored), warnings: c.warnings };
}

function parsePatchBody(req: ApiRequest, isApply: boolean): unknown {
  const text = req.body.toString('utf8');
  try {
    return isApply ? YAML.parse(text) : JSON.parse(text);
  } catch (e) {
    throw badRequest(isApply ? `error decoding YAML: ${(e as Error).message}` : `error decoding patch: ${(e as Error).message}`);
  }
}

/** PATCH of an item (or its `/status`) with any supported patch type. */
export function patchObject(core: Core, req: ApiRequest, def: ResourceDef): ApiResponse {
  const type = req.contentType;
  const accepted = def.patchTypes;
  if (!accepted.includes(type)) throw unsupportedMediaType(accepted);
  const isApply = type === APPLY_PATCH;
  const opts = parseWriteOptions(req.query, 'PatchOptions', [], isApply);
  const { namespace, name } = req.info;
  const existing = core.store.get(storageKey(def, namespace, name));
  const patch = parsePatchBody(req, isApply);
  if (isApply) return applyObject(core, req, def, existing, patch, opts);
  if (!existing) throw notFound(gr(def), name);
  const base = def.hooks.present ? def.hooks.present(clone(existing)) : clone(existing);
  const result = runPatch(type, base, patch);
  if (!isObj(result)) throw badRequest('the patched object is not a JSON object');
  const patched = def.hooks.decode ? def.hooks.decode(result) : result;
  const warnings = checkFields(def, patched, opts);
  if (!strAt(metaOf(patched), 'resourceVersion')) metaOf(patched).resourceVersion = strAt(metaOf(existing), 'resourceVersion');
  placeNamespace(def, patched, namespace, false);
  return commitUpdate(core, req, def, existing, patched, opts, { warnings, requireRv: false, managed: 'record' });
}

function runPatch(type: string, base: Obj, patch: unknown): unknown {
  try {
    if (type === JSON_PATCH) return applyJsonPatch(base, parseJsonPatch(patch));
    if (type === MERGE_PATCH) {
      if (!isObj(patch)) throw badRequest('error decoding patch: json: cannot unmarshal into Go value of type map[string]interface {}');
      return mergePatch(base, patch);
    }
    if (type === STRATEGIC_PATCH) {
      if (!isObj(patch)) throw badRequest('error decoding patch: json: cannot unmarshal into Go value of type map[string]interface {}');
      return strategicMergePatch(base, patch);
    }
  } catch (e) {
    if (e instanceof PatchApplyError) throw genericInvalid();
    if (e instanceof PatchDecodeError) throw badRequest(`error decoding patch: ${e.message}`);
    throw e;
  }
  throw unsupportedMediaType([JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH]);
}

/** Server-side apply: creates (201) or merges with field ownership (409 on conflicts unless force). */
function applyObject(core: Core, req: ApiRequest, def: ResourceDef, existing: Obj | undefined, patch: unknown, opts: WriteOptions): ApiResponse {
  const { namespace, name, subresource } = req.info;
  if (!isObj(patch)) throw badRequest('error decoding YAML: the applied configuration is not an object');
  const raw = req.body.toString('utf8');
  let config: Obj = patch;
  checkTypeMeta(def, config, raw);
  if (def.hooks.decode) config = def.hooks.decode(config);
  const warnings = checkFields(def, config, opts);
  const configName = strAt(metaOf(config), 'name') ?? '';
  if (configName !== name) throw badRequest(`the name of the object (${configName}) does not match the name on the URL (${name})`);
  placeNamespace(def, config, namespace, !existing);
  if (!existing && def.terminating) throw methodNotAllowed(gr(def), 'create not allowed while custom resource definition is terminating');
  if (!existing && subresource) throw notFound(gr(def), name);
  const writer = writerFor(req, def, opts, subresource);
  const live = existing ? clone(existing) : undefined;
  const rv = strAt(metaOf(config), 'resourceVersion');
  if (live && rv) metaOf(live).resourceVersion = strAt(metaOf(existing ?? {}), 'resourceVersion');
  const result = serverSideApply(live, config, writer, opts.force === true);
  if (result.conflicts.length > 0) {
    const { message, causes } = conflictMessage(result.conflicts);
    throw applyConflict(message, causes);
  }
  if (!existing) return insert(core, req, def, result.obj, opts, warnings, writer);
  if (rv) metaOf(result.obj).resourceVersion = rv;
  else metaOf(result.obj).resourceVersion = strAt(metaOf(existing), 'resourceVersion');
  return commitUpdate(core, req, def, existing, result.obj, opts, { warnings, requireRv: false, managed: 'done' });
}
