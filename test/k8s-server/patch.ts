/** Patch algorithms: RFC 6902 JSON patch, RFC 7386 merge patch, and strategic merge patch (map semantics). */
import { clone, deepEqual, isObj, type Obj } from './json.js';

/** Thrown when a JSON patch operation cannot be applied (the server answers a generic 422). */
export class PatchApplyError extends Error {}

/** Thrown when a patch document is malformed (the server answers 400). */
export class PatchDecodeError extends Error {}

/** RFC 7386: objects merge recursively, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/**
 * Strategic merge patch, map semantics only: like a merge patch, with `$patch: delete|replace`
 * honoured on maps and other `$` directives (e.g. `$setElementOrder/...`, `$retainKeys`) dropped.
 * Lists are replaced whole (real servers merge some lists by their patch keys).
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  const base: Obj = directive === 'replace' || !isObj(target) ? {} : clone(target);
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete base[key];
      continue;
    }
    const merged = strategicMergePatch(base[key], value);
    if (merged === undefined) delete base[key];
    else base[key] = merged;
  }
  return base;
}

type Op = { op: string; path: string; value?: unknown; from?: string };

/** Parses and validates a JSON patch document. */
export function parseJsonPatch(doc: unknown): Op[] {
  if (!Array.isArray(doc)) throw new PatchDecodeError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  if (doc.length > 10_000) throw new PatchDecodeError(`The allowed maximum operations in a JSON patch is 10000, got ${doc.length}`);
  return doc.map((raw) => {
    if (!isObj(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw new PatchDecodeError('invalid JSON patch operation');
    const op: Op = { op: raw.op, path: raw.path };
    if (Object.hasOwn(raw, 'value')) op.value = raw.value;
    if (typeof raw.from === 'string') op.from = raw.from;
    return op;
  });
}

/** Applies RFC 6902 operations to a copy of `doc`. */
export function applyJsonPatch(doc: unknown, ops: Op[]): unknown {
  let current = clone(doc);
  for (const op of ops) current = applyOp(current, op);
  return current;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchApplyError(`invalid path ${path}`);
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function applyOp(doc: unknown, op: Op): unknown {
  switch (op.op) {
    case 'add':
      return setAt(doc, pointer(op.path), clone(op.value), 'add');
    case 'replace':
      getAt(doc, pointer(op.path));
      return setAt(doc, pointer(op.path), clone(op.value), 'replace');
    case 'remove':
      return removeAt(doc, pointer(op.path));
    case 'test':
      if (!deepEqual(getAt(doc, pointer(op.path)), op.value)) throw new PatchApplyError('testing value failed');
      return doc;
    case 'copy':
      return setAt(doc, pointer(op.path), clone(getAt(doc, pointer(op.from ?? ''))), 'add');
    case 'move': {
      const value = getAt(doc, pointer(op.from ?? ''));
      return setAt(removeAt(doc, pointer(op.from ?? '')), pointer(op.path), value, 'add');
    }
    default:
      throw new PatchDecodeError(`Unexpected kind: ${op.op}`);
  }
}

function getAt(doc: unknown, tokens: string[]): unknown {
  let node = doc;
  for (const token of tokens) {
    if (Array.isArray(node)) {
      const i = Number(token);
      if (!/^\d+$/.test(token) || i >= node.length) throw new PatchApplyError(`index ${token} out of range`);
      node = node[i];
    } else if (isObj(node) && Object.hasOwn(node, token)) node = node[token];
    else throw new PatchApplyError(`missing value at ${token}`);
  }
  return node;
}

function setAt(doc: unknown, tokens: string[], value: unknown, mode: 'add' | 'replace'): unknown {
  if (tokens.length === 0) return value;
  const parent = getAt(doc, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1] ?? '';
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new PatchApplyError(`index ${last} out of range`);
    if (mode === 'add') parent.splice(i, 0, value);
    else parent[i] = value;
  } else if (isObj(parent)) parent[last] = value;
  else throw new PatchApplyError(`cannot set ${last} on a scalar`);
  return doc;
}

function removeAt(doc: unknown, tokens: string[]): unknown {
  if (tokens.length === 0) throw new PatchApplyError('cannot remove the root');
  const parent = getAt(doc, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1] ?? '';
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!/^\d+$/.test(last) || i >= parent.length) throw new PatchApplyError(`index ${last} out of range`);
    parent.splice(i, 1);
  } else if (isObj(parent) && Object.hasOwn(parent, last)) delete parent[last];
  else throw new PatchApplyError(`missing value at ${last}`);
  return doc;
}
