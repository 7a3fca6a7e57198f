/** DELETE of an item and of a collection, with DeleteOptions, preconditions, finalizers and dry run. */
import type { ApiRequest, ApiResponse, Core } from './core.js';
import { clone, ensureObj, isObj, nowSeconds, objAt, strAt, type Obj } from './json.js';
import { present, presentItem, } from './objects.js';
import { selectEntries } from './read.js';
import { groupVersion, storageKey, type ResourceDef } from './resources.js';
import { badRequest, conflict, deleteSuccess, notFound, preconditionText } from './status.js';
import { parseWriteOptions } from './validation.js';

interface DeleteOptions {
  dryRun: boolean;
  uid: string | undefined;
  resourceVersion: string | undefined;
}

function readDeleteOptions(req: ApiRequest): DeleteOptions {
  const text = req.body.toString('utf8').trim();
  let body: Obj = {};
  if (text) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
    }
    if (isObj(parsed)) body = parsed;
  }
  const bodyDryRun = Array.isArray(body.dryRun) ? body.dryRun.filter((v): v is string => typeof v === 'string') : [];
  const opts = parseWriteOptions(req.query, 'DeleteOptions', bodyDryRun);
  const pre = objAt(body, 'preconditions');
  return { dryRun: opts.dryRun, uid: strAt(pre, 'uid') ?? undefined, resourceVersion: strAt(pre, 'resourceVersion') ?? undefined };
}

function checkDeletePreconditions(def: ResourceDef, key: string, obj: Obj, opts: DeleteOptions): void {
  const meta = objAt(obj, 'metadata') ?? {};
  const name = strAt(meta, 'name') ?? '';
  const uid = strAt(meta, 'uid') ?? '';
  const rv = strAt(meta, 'resourceVersion') ?? '';
  const gr = { group: def.group, name: def.plural };
  if (opts.uid !== undefined && opts.uid !== uid) {
    throw conflict(gr, name, preconditionText(`/registry${key}`, `UID in precondition: ${opts.uid}, UID in object meta: ${uid}`));
  }
  if (opts.resourceVersion !== undefined && opts.resourceVersion !== rv) {
    throw conflict(gr, name, preconditionText(`/registry${key}`, `ResourceVersion in precondition: ${opts.resourceVersion}, ResourceVersion in object meta: ${rv}`));
  }
}

function hasFinalizers(obj: Obj): boolean {
  const list = objAt(obj, 'metadata')?.finalizers;
  return Array.isArray(list) && list.length > 0;
}

/** Deletes one stored object; returns the response body (a success Status or the pending object). */
function deleteOne(core: Core, def: ResourceDef, key: string, obj: Obj, dryRun: boolean): Obj {
  const gr = { group: def.group, name: def.plural };
  const name = strAt(objAt(obj, 'metadata'), 'name') ?? '';
  const uid = strAt(objAt(obj, 'metadata'), 'uid') ?? '';
  if (dryRun) {
    if (!hasFinalizers(obj)) return deleteSuccess(gr, name, uid);
    const pending = clone(obj);
    ensureObj(pending, 'metadata').deletionTimestamp ??= nowSeconds();
    return present(def, pending);
  }
  if (def.hooks.beginDelete) {
    const pending = def.hooks.beginDelete(clone(obj), core.hooks);
    if (pending) return present(def, pending);
  }
  if (hasFinalizers(obj)) {
    const meta = ensureObj(obj, 'metadata');
    if (meta.deletionTimestamp === undefined) {
      meta.deletionTimestamp = nowSeconds();
      meta.deletionGracePeriodSeconds = 0;
      return present(def, core.store.put(key, obj));
    }
    return present(def, obj);
  }
  core.store.delete(key);
  def.hooks.afterDelete?.(obj, core.hooks);
  return deleteSuccess(gr, name, uid);
}

/** DELETE of a named object. */
export function deleteObject(core: Core, req: ApiRequest, def: ResourceDef): ApiResponse {
  const opts = readDeleteOptions(req);
  const key = storageKey(def, req.info.namespace, req.info.name);
  const obj = core.store.get(key);
  if (!obj) throw notFound({ group: def.group, name: def.plural }, req.info.name);
  checkDeletePreconditions(def, key, obj, opts);
  return { status: 200, body: deleteOne(core, def, key, obj, opts.dryRun) };
}

/** DELETE of a collection: deletes the selected objects and answers the list of them. */
export function deleteCollection(core: Core, req: ApiRequest, def: ResourceDef): ApiResponse {
  const opts = readDeleteOptions(req);
  const entries = selectEntries(core, req, def);
  const items = entries.map((e) => {
    deleteOne(core, def, e.key, e.obj, opts.dryRun);
    return presentItem(def, e.obj);
  });
  const meta = { resourceVersion: String(core.store.rev) };
  const body = def.origin === 'builtin'
    ? { kind: def.listKind, apiVersion: groupVersion(def), metadata: meta, items }
    : { apiVersion: groupVersion(def), items, kind: def.listKind, metadata: { continue: '', ...meta } };
  return { status: 200, body };
}
