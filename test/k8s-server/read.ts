/** GET of an item, lists with selectors and `limit`/`continue` paging, and watch streams. */
import type { ServerResponse } from 'node:http';
import type { ApiRequest, ApiResponse, Core } from './core.js';
import { clone, encodeGo, isObj, objAt, sortKeysDeep, strAt, type Obj } from './json.js';
import { present, presentItem } from './objects.js';
import { groupVersion, storageKey, storagePrefix, type ResourceDef } from './resources.js';
import { fieldSelectorMatches, parseFieldSelector, parseLabelSelector, type FieldSelector, type LabelSelector } from './selectors.js';
import { badRequest, expiredContinue, expiredResourceVersion, notFound } from './status.js';
import type { StoreEntry, StoreEvent } from './store.js';

/** GET of a named object. */
export function getObject(core: Core, req: ApiRequest, def: ResourceDef): ApiResponse {
  const obj = core.store.get(storageKey(def, req.info.namespace, req.info.name));
  if (!obj) throw notFound({ group: def.group, name: def.plural }, req.info.name);
  return { status: 200, body: present(def, obj) };
}

interface ContinueToken {
  rv: number;
  start: string;
}

/** Encodes a continue token like the real server: base64url of `{"v","rv","start"}`. */
export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString('base64url');
}

function invalidToken(detail: string): Error {
  return badRequest(`invalid continue token: continue key is not valid${detail}`);
}

/** Decodes a continue token (400 with the real texts when malformed). */
export function decodeContinue(text: string): ContinueToken {
  const bad = /[^A-Za-z0-9_-]/.exec(text);
  if (bad) throw invalidToken(`: illegal base64 data at input byte ${bad.index}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch (e) {
    throw invalidToken(`: ${(e as Error).message}`);
  }
  if (!isObj(parsed)) throw invalidToken(': json: cannot unmarshal into Go value of type storage.continueToken');
  if (parsed.v !== 'meta.k8s.io/v1') throw invalidToken(`: server does not recognize this encoded version ${JSON.stringify(String(parsed.v ?? ''))}`);
  const rv = typeof parsed.rv === 'number' ? parsed.rv : 0;
  if (rv === 0) throw invalidToken(': incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  const start = typeof parsed.start === 'string' ? parsed.start : '';
  if (start === '') throw invalidToken(': encoded start key empty (version meta.k8s.io/v1)');
  return { rv, start };
}

function labelsOf(obj: Obj): Record<string, string> {
  const labels = objAt(objAt(obj, 'metadata'), 'labels') ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}

function fieldValue(obj: Obj, field: string): string {
  let node: unknown = obj;
  for (const part of field.split('.')) node = isObj(node) ? node[part] : undefined;
  if (node === undefined || node === null) return field === 'spec.unschedulable' ? 'false' : '';
  return typeof node === 'string' ? node : JSON.stringify(node);
}

interface Selectors {
  labels: LabelSelector;
  fields: FieldSelector;
}

function selectorsOf(req: ApiRequest, def: ResourceDef): Selectors {
  return { labels: parseLabelSelector(req.query.get('labelSelector')), fields: parseFieldSelector(req.query.get('fieldSelector'), def.fieldSelectors) };
}

function selected(entry: StoreEntry, s: Selectors): boolean {
  return s.labels.matches(labelsOf(entry.obj)) && fieldSelectorMatches(s.fields, (f) => fieldValue(entry.obj, f));
}

/** The revision a list reads at, and where it starts. */
function listPosition(core: Core, req: ApiRequest): { rev: number; start: string } {
  const cont = req.query.get('continue') ?? '';
  const rvParam = req.query.get('resourceVersion') ?? '';
  if (cont) {
    if (rvParam !== '' && rvParam !== '0') throw badRequest('specifying resource version is not allowed when using continue');
    const token = decodeContinue(cont);
    if (token.rv === -1) return { rev: core.store.rev, start: token.start };
    if (token.rv < core.store.compactedRev) throw expiredContinue(encodeContinue({ rv: -1, start: token.start }));
    return { rev: token.rv, start: token.start };
  }
  const asked = Number(rvParam);
  if (rvParam !== '' && rvParam !== '0' && Number.isInteger(asked) && asked > 0) {
    if (asked < core.store.compactedRev) throw expiredResourceVersion();
    return { rev: Math.min(asked, core.store.rev), start: '' };
  }
  return { rev: core.store.rev, start: '' };
}

/** The entries a list or delete-collection request selects (no paging). */
export function selectEntries(core: Core, req: ApiRequest, def: ResourceDef): StoreEntry[] {
  const s = selectorsOf(req, def);
  return core.store.list(storagePrefix(def, req.info.namespace)).filter((e) => selected(e, s));
}

/** The index of the first entry whose key is at or after `key` (entries sorted by key). */
function firstAtOrAfter(entries: readonly StoreEntry[], key: string): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A list, paged with `limit`/`continue` over a consistent snapshot. */
export function listObjects(core: Core, req: ApiRequest, def: ResourceDef): ApiResponse {
  const s = selectorsOf(req, def);
  const { rev, start } = listPosition(core, req);
  const prefix = storagePrefix(def, req.info.namespace);
  // Only the page is copied out of the store, and only the keys from the page's start on are
  // looked at: every page of a long list would otherwise copy, or filter, all of it.
  const entries = core.store.listShared(prefix, rev);
  const unfiltered = s.labels.empty && s.fields.empty;
  const asked = Number(req.query.get('limit') ?? '0');
  const limit = Number.isInteger(asked) && asked > 0 ? asked : Infinity;
  const from = firstAtOrAfter(entries, `${prefix}${start}`);
  const page: StoreEntry[] = [];
  let more = false;
  for (let i = from; i < entries.length; i++) {
    const e = entries[i]!;
    if (!unfiltered && !selected(e, s)) continue;
    if (page.length === limit) {
      more = true;
      break;
    }
    page.push(e);
  }
  const last = page[page.length - 1];
  const meta: Obj = { resourceVersion: String(rev) };
  if (more && last) {
    meta.continue = encodeContinue({ rv: rev, start: `${last.key.slice(prefix.length)}\u0000` });
    if (unfiltered) meta.remainingItemCount = entries.length - from - page.length;
  } else if (def.origin !== 'builtin') meta.continue = '';
  const items = page.map((e) => presentItem(def, clone(e.obj)));
  if (def.origin !== 'builtin') {
    // A custom resource list is unstructured: its metadata keys come out sorted too.
    return { status: 200, body: { apiVersion: groupVersion(def), items, kind: def.listKind, metadata: sortKeysDeep(meta) } };
  }
  return { status: 200, body: { kind: def.listKind, apiVersion: groupVersion(def), metadata: meta, items } };
}

/** A watch: newline-delimited events from `resourceVersion` on, until the timeout or the server stops. */
export function watchObjects(core: Core, req: ApiRequest, def: ResourceDef, res: ServerResponse, onClose: (stop: () => void) => void): void {
  const s = selectorsOf(req, def);
  const prefix = storagePrefix(def, req.info.namespace);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  const send = (type: string, obj: Obj): void => {
    res.write(encodeGo({ type, object: present(def, obj) }));
  };
  const rvParam = Number(req.query.get('resourceVersion') ?? '0');
  if (!Number.isInteger(rvParam) || rvParam <= 0) {
    for (const e of core.store.list(prefix).filter((x) => selected(x, s))) send('ADDED', e.obj);
  } else {
    for (const e of core.store.eventsSince(rvParam)) if (e.key.startsWith(prefix) && selected(e, s)) send(e.type, e.obj);
  }
  const unsubscribe = core.store.subscribe((e: StoreEvent) => {
    if (e.key.startsWith(prefix) && selected(e, s)) send(e.type, e.obj);
  });
  const timeout = Number(req.query.get('timeoutSeconds') ?? '1800');
  const timer = setTimeout(() => stop(), (Number.isFinite(timeout) && timeout > 0 ? timeout : 1800) * 1000);
  const stop = (): void => {
    clearTimeout(timer);
    unsubscribe();
    if (!res.writableEnded) res.end();
  };
  res.on('close', stop);
  onClose(stop);
}

/** `metadata.name` of an object. */
export function nameOf(obj: Obj): string {
  return strAt(objAt(obj, 'metadata'), 'name') ?? '';
}
