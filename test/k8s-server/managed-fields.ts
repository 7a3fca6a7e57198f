/**
 * `metadata.managedFields` and server-side apply ownership. Fields are tracked as paths of map
 * keys; lists are atomic (owned and replaced whole), a simplification of the real structured merge.
 */
import { clone, deepEqual, isObj, nowSeconds, type Obj } from './json.js';

/** A set of field paths, each the JSON text of its key list. */
export type FieldSet = Set<string>;

/** One manager's record. */
export interface ManagerEntry {
  manager: string;
  operation: 'Update' | 'Apply';
  apiVersion: string;
  time: string;
  fields: FieldSet;
  subresource?: string;
}

const STRIPPED = new Set(
  [['apiVersion'], ['kind'], ['metadata'], ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'generation', 'managedFields', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds'].map((k) => ['metadata', k])].map((p) => JSON.stringify(p)),
);

function startsWith(path: string[], prefix: string[]): boolean {
  return prefix.length <= path.length && prefix.every((k, i) => path[i] === k);
}

/** Every owned-able path of an object: map nodes (but not the root or `metadata`) and leaves. */
export function fieldSetOf(obj: unknown, ignore: string[][] = []): FieldSet {
  const out: FieldSet = new Set();
  const walk = (value: unknown, path: string[]): void => {
    if (!isObj(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const p = [...path, key];
      if (child === undefined || ignore.some((i) => startsWith(p, i))) continue;
      const text = JSON.stringify(p);
      if (!STRIPPED.has(text)) out.add(text);
      if (isObj(child)) walk(child, p);
    }
  };
  walk(obj, []);
  return out;
}

/** The value at a path, or undefined. */
export function valueAt(obj: unknown, path: string[]): unknown {
  let node = obj;
  for (const key of path) {
    if (!isObj(node)) return undefined;
    node = node[key];
  }
  return node;
}

function hasDescendant(set: FieldSet, path: string[]): boolean {
  for (const text of set) {
    const other = JSON.parse(text) as string[];
    if (other.length > path.length && startsWith(other, path)) return true;
  }
  return false;
}

/** Renders a set as `fieldsV1`: `f:<key>` per field, `".": {}` for a map that is itself owned. */
export function toFieldsV1(set: FieldSet): Obj {
  const root: Obj = {};
  const paths = [...set].map((t) => JSON.parse(t) as string[]).sort((a, b) => a.length - b.length);
  for (const path of paths) {
    let node = root;
    for (const key of path) {
      const k = `f:${key}`;
      const next = node[k];
      node = isObj(next) ? next : (node[k] = {}) as Obj;
    }
    if (hasDescendant(set, path)) node['.'] = {};
  }
  return sortFields(root);
}

function sortFields(node: Obj): Obj {
  const keys = Object.keys(node).sort((a, b) => (a === '.' ? -1 : b === '.' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const out: Obj = {};
  for (const k of keys) {
    const v = node[k];
    out[k] = isObj(v) ? sortFields(v) : v;
  }
  return out;
}

/** Parses `fieldsV1` back into a set (`k:`/`v:`/`i:` entries make their parent atomic). */
export function fromFieldsV1(value: unknown): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: Obj, path: string[]): void => {
    for (const [key, child] of Object.entries(node)) {
      if (key === '.') {
        if (path.length > 0) out.add(JSON.stringify(path));
      } else if (key.startsWith('f:') && isObj(child)) {
        const p = [...path, key.slice(2)];
        if (Object.keys(child).length === 0) out.add(JSON.stringify(p));
        else walk(child, p);
      } else if (path.length > 0) out.add(JSON.stringify(path));
    }
  };
  if (isObj(value)) walk(value, []);
  return out;
}

/** Reads an object's managedFields entries. */
export function readManagers(obj: Obj | undefined): ManagerEntry[] {
  const meta = obj?.metadata;
  const list = isObj(meta) ? meta.managedFields : undefined;
  if (!Array.isArray(list)) return [];
  return list.filter(isObj).map((e) => {
    const entry: ManagerEntry = {
      manager: typeof e.manager === 'string' ? e.manager : '',
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      time: typeof e.time === 'string' ? e.time : '',
      fields: fromFieldsV1(e.fieldsV1),
    };
    if (typeof e.subresource === 'string' && e.subresource) entry.subresource = e.subresource;
    return entry;
  });
}

function entryBody(e: ManagerEntry): Obj {
  const out: Obj = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, time: e.time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(e.fields) };
  if (e.subresource) out.subresource = e.subresource;
  return out;
}

/** Writes entries (empty ones dropped) in the real server's order: operation, time, manager. */
export function writeManagers(obj: Obj, entries: ManagerEntry[]): void {
  const meta = isObj(obj.metadata) ? obj.metadata : (obj.metadata = {}) as Obj;
  const kept = entries.filter((e) => e.fields.size > 0).sort(compareEntries);
  if (kept.length === 0) delete meta.managedFields;
  else meta.managedFields = kept.map(entryBody);
}

function compareEntries(p: ManagerEntry, q: ManagerEntry): number {
  const pairs: [string, string][] = [[p.operation, q.operation], [p.time, q.time], [p.manager, q.manager], [p.apiVersion, q.apiVersion], [p.subresource ?? '', q.subresource ?? '']];
  for (const [a, b] of pairs) if (a !== b) return a < b ? -1 : 1;
  return 0;
}

function identity(e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([e.manager, e.operation, e.operation === 'Apply' ? '' : e.apiVersion, e.subresource ?? '']);
}

/** Who is writing. */
export interface Writer {
  manager: string;
  apiVersion: string;
  subresource?: string;
  /** Paths excluded from ownership (e.g. `status` on the main endpoint of a status-subresource type). */
  ignore: string[][];
}

/** The entries an incoming body asks for: its own non-empty list, `[{}]` = reset, else the stored ones. */
export function baseManagers(incoming: Obj, stored: Obj | undefined): ManagerEntry[] {
  const meta = incoming.metadata;
  const list = isObj(meta) ? meta.managedFields : undefined;
  if (Array.isArray(list) && list.length > 0) {
    if (list.length === 1 && isObj(list[0]) && Object.keys(list[0]).length === 0) return [];
    return readManagers(incoming);
  }
  return readManagers(stored);
}

/** Records an Update-operation write: the writer takes the fields it changed; removed fields are forgotten. */
export function recordUpdate(oldObj: Obj | undefined, newObj: Obj, base: ManagerEntry[], writer: Writer): void {
  const newSet = fieldSetOf(newObj, writer.ignore);
  const oldSet = oldObj ? fieldSetOf(oldObj, writer.ignore) : new Set<string>();
  const changed = new Set([...newSet].filter((p) => !oldSet.has(p) || !deepEqual(valueAt(oldObj, JSON.parse(p) as string[]), valueAt(newObj, JSON.parse(p) as string[]))));
  const removed = new Set([...oldSet].filter((p) => !newSet.has(p)));
  const entries = base.map((e) => ({ ...e, fields: new Set([...e.fields].filter((p) => !removed.has(p) && !changed.has(p))) }));
  if (changed.size > 0) {
    const mine: ManagerEntry = { manager: writer.manager, operation: 'Update', apiVersion: writer.apiVersion, time: nowSeconds(), fields: changed };
    if (writer.subresource) mine.subresource = writer.subresource;
    const id = identity(mine);
    const existing = entries.find((e) => identity(e) === id);
    if (existing) {
      existing.fields = new Set([...existing.fields, ...changed]);
      existing.time = mine.time;
    } else entries.push(mine);
  }
  writeManagers(newObj, entries);
}

/** One apply conflict. */
export interface ApplyConflict {
  manager: ManagerEntry;
  path: string[];
}

/** The result of a server-side apply. */
export interface ApplyResult {
  obj: Obj;
  conflicts: ApplyConflict[];
}

/** Merges an applied configuration into the live object with ownership rules (conflicts unless `force`). */
export function serverSideApply(live: Obj | undefined, config: Obj, writer: Writer, force: boolean): ApplyResult {
  const applied = fieldSetOf(config, writer.ignore);
  const entries = readManagers(live);
  const myId = identity({ manager: writer.manager, operation: 'Apply', apiVersion: '', ...(writer.subresource ? { subresource: writer.subresource } : {}) });
  const previous = entries.find((e) => identity(e) === myId);
  const others = entries.filter((e) => identity(e) !== myId);
  const conflicts = findConflicts(live, config, applied, others);
  if (conflicts.length > 0 && !force) return { obj: live ?? config, conflicts };
  for (const c of conflicts) c.manager.fields.delete(JSON.stringify(c.path));
  const merged = applyMerge(live ?? {}, config);
  if (previous) removeDropped(merged, previous.fields, applied, others);
  const mine: ManagerEntry = { manager: writer.manager, operation: 'Apply', apiVersion: writer.apiVersion, time: nowSeconds(), fields: applied };
  if (writer.subresource) mine.subresource = writer.subresource;
  writeManagers(merged, [...others, mine]);
  return { obj: merged, conflicts: [] };
}

function findConflicts(live: Obj | undefined, config: Obj, applied: FieldSet, others: ManagerEntry[]): ApplyConflict[] {
  const out: ApplyConflict[] = [];
  if (!live) return out;
  for (const entry of others) {
    for (const text of entry.fields) {
      if (!applied.has(text)) continue;
      const path = JSON.parse(text) as string[];
      const want = valueAt(config, path);
      if (isObj(want)) continue;
      if (!deepEqual(valueAt(live, path), want)) out.push({ manager: entry, path });
    }
  }
  return out;
}

function applyMerge(live: Obj, config: Obj): Obj {
  const out = clone(live);
  for (const [key, value] of Object.entries(config)) {
    if (value === null) delete out[key];
    else if (isObj(value) && isObj(out[key])) out[key] = applyMerge(out[key] as Obj, value);
    else out[key] = clone(value);
  }
  return out;
}

function removeDropped(obj: Obj, previous: FieldSet, applied: FieldSet, others: ManagerEntry[]): void {
  const dropped = [...previous].filter((p) => !applied.has(p)).map((t) => JSON.parse(t) as string[]).sort((a, b) => b.length - a.length);
  for (const path of dropped) {
    const text = JSON.stringify(path);
    if (others.some((e) => e.fields.has(text) || hasDescendant(e.fields, path))) continue;
    const parent = valueAt(obj, path.slice(0, -1));
    const key = path[path.length - 1] ?? '';
    if (!isObj(parent)) continue;
    const value = parent[key];
    if (isObj(value) && Object.keys(value).length > 0) continue;
    delete parent[key];
  }
}

/** `.spec.natOutgoing`: the structured-merge path text of a field. */
export function pathText(path: string[]): string {
  return path.map((k) => `.${k}`).join('');
}

/** `"<manager>"`, with ` using <apiVersion>` for an Update manager (and the subresource when set). */
export function managerText(e: ManagerEntry): string {
  let text = JSON.stringify(e.manager);
  if (e.subresource) text += ` with subresource ${JSON.stringify(e.subresource)}`;
  return e.operation === 'Update' ? `${text} using ${e.apiVersion}` : text;
}

/** The 409 message and causes of apply conflicts, as the real server words them. */
export function conflictMessage(conflicts: ApplyConflict[]): { message: string; causes: { reason: string; message: string; field: string }[] } {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${managerText(c.manager)}`, field: pathText(c.path) }));
  const first = conflicts[0];
  if (conflicts.length === 1 && first) {
    return { message: `Apply failed with 1 conflict: conflict with ${managerText(first.manager)}: ${pathText(first.path)}`, causes };
  }
  const byManager = new Map<string, { entry: ManagerEntry; paths: string[] }>();
  for (const c of conflicts) {
    const key = identity(c.manager);
    const group = byManager.get(key) ?? { entry: c.manager, paths: [] };
    group.paths.push(pathText(c.path));
    byManager.set(key, group);
  }
  const lines: string[] = [];
  for (const key of [...byManager.keys()].sort()) {
    const group = byManager.get(key);
    if (!group) continue;
    lines.push(`conflicts with ${managerText(group.entry)}:`, ...group.paths.map((p) => `- ${p}`));
  }
  return { message: `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`, causes };
}
