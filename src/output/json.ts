/**
 * Sorted, indented JSON written in pieces: exactly `JSON.stringify(sortKeys(value), null, 2)`, but
 * the outer levels (a report's records, a List's items) are walked here and each element is sorted
 * and stringified on its own, so no sorted copy of the whole value is ever held, and a file gets
 * the text a piece at a time.
 */
import { orderedKeys, sortKeys } from './order.js';
import { inPieces } from './pieces.js';

/** Levels walked here before elements are stringified whole (an array longer than a run is walked however deep it lies). */
const WALKED_DEPTH = 2;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

/** Key orders by the object's own key list: records of one shape are sorted once, not once each. */
const orders = new Map<string, readonly string[]>();

function keyOrder(obj: Record<string, unknown>): readonly string[] {
  const own = Object.keys(obj);
  const shape = own.join('\u0000');
  let order = orders.get(shape);
  if (!order) {
    // The order does not depend on the values: keys with nothing to write are skipped when written.
    order = orderedKeys(Object.fromEntries(own.map((k) => [k, true])));
    if (orders.size > 10_000) orders.clear();
    orders.set(shape, order);
  }
  return order;
}

/** Not written in an object, `null` in an array (as JSON.stringify does). */
const absent = (v: unknown): boolean => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/**
 * The text `JSON.stringify(sortKeys(v), null, 2)` gives, re-indented by `indent`, written directly:
 * no sorted copy, no second pass. Anything but JSON-shaped plain data takes the copy and the
 * native writer, so the text stays the same whatever it is given.
 */
function whole(v: unknown, indent: string): string {
  if (canonical(v, 0)) {
    // Already in the written order: the native writer gives the same text, several times faster.
    const text = JSON.stringify(v, null, 2);
    return indent === '' || !text.includes('\n') ? text : text.replace(/\n/g, `\n${indent}`);
  }
  const direct = written(v, indent);
  if (direct !== undefined) return direct;
  const text = JSON.stringify(sortKeys(v), null, 2) ?? 'null';
  return indent === '' || !text.includes('\n') ? text : text.replace(/\n/g, `\n${indent}`);
}

/** Nesting past which `canonical` gives up (the other writers take over: no deep recursion here). */
const CANONICAL_DEPTH = 32;

/**
 * JSON data whose every map already has its keys in the written order: ascending by code unit,
 * none index-like (those go first, by number), none absent, plain objects and arrays only. For
 * such a value `JSON.stringify(v, null, 2)` is the text `sortKeys` would give.
 */
function canonical(v: unknown, depth: number): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v);
    case 'object':
      break;
    default:
      return false;
  }
  if (depth > CANONICAL_DEPTH) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!canonical(v[i], depth + 1)) return false;
    return true;
  }
  if (!isPlainObject(v) || (v as { toJSON?: unknown }).toJSON !== undefined) return false;
  let previous: string | undefined;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) return false;
    const first = k.charCodeAt(0);
    if ((first >= 48 && first <= 57) || (previous !== undefined && !(previous < k))) return false;
    if (!canonical(v[k], depth + 1)) return false;
    previous = k;
  }
  return true;
}

function written(v: unknown, indent: string): string | undefined {
  if (v === null || typeof v !== 'object') return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? JSON.stringify(v) : undefined;
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      const item = v[i] as unknown;
      const text = absent(item) ? 'null' : written(item, inner);
      if (text === undefined) return undefined;
      out += `${i === 0 ? '' : ','}\n${inner}${text}`;
    }
    return `${out}\n${indent}]`;
  }
  if (!isPlainObject(v) || (v as { toJSON?: unknown }).toJSON !== undefined) return undefined;
  let out = '';
  for (const k of keyOrder(v)) {
    const value = v[k];
    if (absent(value)) continue;
    const text = written(value, inner);
    if (text === undefined) return undefined;
    out += `${out === '' ? '{' : ','}\n${inner}${JSON.stringify(k)}: ${text}`;
  }
  return out === '' ? '{}' : `${out}\n${indent}}`;
}

/** Elements written by one native call: enough to spread its cost, few enough to keep the text small. */
const RUN = 512;

/**
 * The text of canonical array elements at `inner`, joined as `walk` joins them (`,`, a newline
 * and `inner`), from one `JSON.stringify`: the run is nested in arrays until the native writer
 * indents its elements by `inner`, and the brackets of the nesting are cut off again.
 */
function nativeRun(run: readonly unknown[], inner: string): string {
  const levels = inner.length / 2;
  let wrapped: unknown = run;
  for (let l = 1; l < levels; l++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, 2);
  let head = 0;
  for (let l = 1; l <= levels; l++) head += 2 + 2 * l; // `[`, a newline and the next level's indent
  let tail = 0;
  for (let l = 0; l < levels; l++) tail += 2 + 2 * l; // a newline, the level's indent and `]`
  return text.slice(head, text.length - tail);
}

function* walk(v: unknown, indent: string, depth: number): Generator<string> {
  // A long array deeper down (a plan's entries in `plan -o json`) is walked too: written whole, it
  // would be one string of tens of MB, and then another with its lines indented.
  const deep = depth >= WALKED_DEPTH && !(Array.isArray(v) && v.length > RUN);
  if (deep || !(Array.isArray(v) || isPlainObject(v)) || (v as { toJSON?: unknown }).toJSON !== undefined) {
    yield whole(v, indent);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return yield '[]';
    yield '[';
    for (let i = 0; i < v.length; ) {
      yield `${i === 0 ? '' : ','}\n${inner}`;
      // A run of elements already in the written order goes through the native writer in one call.
      let end = i;
      while (end < v.length && end - i < RUN && canonical(v[end], 0)) end++;
      if (end > i) {
        yield nativeRun(v.slice(i, end), inner);
        i = end;
        continue;
      }
      const item = v[i];
      if (absent(item)) yield 'null';
      else yield* walk(item, inner, depth + 1);
      i++;
    }
    return yield `\n${indent}]`;
  }
  const keys = keyOrder(v).filter((k) => !absent(v[k]));
  if (keys.length === 0) return yield '{}';
  yield '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    yield `${i === 0 ? '' : ','}\n${inner}${JSON.stringify(k)}: `;
    yield* walk(v[k], inner, depth + 1);
  }
  yield `\n${indent}}`;
}

/** The text of `JSON.stringify(sortKeys(value), null, 2)` and a newline, in pieces of about 64 KiB. */
export function* jsonPieces(value: unknown): Generator<string> {
  yield* inPieces(withNewline(walk(value, '', 0)));
}

function* withNewline(texts: Iterable<string>): Generator<string> {
  yield* texts;
  yield '\n';
}
