/**
 * JSON helpers shared by the Kubernetes API test server: Go-compatible encoding, narrowing from
 * `unknown`, deep copies and comparisons, and key ordering.
 */

/** A JSON object as the server handles it. Values are narrowed from `unknown` where read. */
export type Obj = Record<string, unknown>;

/** True for a plain (non-array, non-null) object. */
export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `key` when it is an object, else undefined. */
export function objAt(parent: Obj | undefined, key: string): Obj | undefined {
  const value = parent?.[key];
  return isObj(value) ? value : undefined;
}

/** The value at `key` when it is a string, else undefined. */
export function strAt(parent: Obj | undefined, key: string): string | undefined {
  const value = parent?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** The object at `key`, created (and stored) when absent or not an object. */
export function ensureObj(parent: Obj, key: string): Obj {
  const value = parent[key];
  if (isObj(value)) return value;
  const created: Obj = {};
  parent[key] = created;
  return created;
}

/** A deep copy of a JSON value. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Deep equality of JSON values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** A copy with every object's keys sorted, as Go's encoder writes maps (custom resources). */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeysDeep(value[key]);
  return out;
}

/** A copy of `value` with the listed keys first, in that order, then the rest as they were. */
export function orderKeys(value: Obj, order: readonly string[]): Obj {
  const out: Obj = {};
  for (const key of order) if (Object.hasOwn(value, key) && value[key] !== undefined) out[key] = value[key];
  for (const key of Object.keys(value)) if (!Object.hasOwn(out, key) && value[key] !== undefined) out[key] = value[key];
  return out;
}

/**
 * Encodes like Go's `json.Encoder`: compact, a trailing newline, and `<`, `>`, `&`, U+2028 and
 * U+2029 escaped. Those characters only occur inside JSON strings, so a textual replace is safe.
 */
export function encodeGo(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return `${text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** Go's `%q` for a string (close enough for printable text: JSON string syntax). */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}

/** RFC 3339 UTC with second precision, as `metav1.Time` marshals. */
export function nowSeconds(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
