/** Key order of the tool's output: the order every serialised map is written in. */

const INDEX_KEY = /^(?:0|[1-9][0-9]{0,9})$/;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** The keys of a map in the order `sortKeys` leaves them (an object's own order for such keys): index-like keys first by number, then by code unit. */
export function orderedKeys(obj: Record<string, unknown>): string[] {
  // Object.keys gives the own enumerable keys (what for-in with hasOwn gives), index-like ones
  // first by number; most maps the tool writes are built in the written order already.
  let keys = Object.keys(obj);
  let indexLike = false;
  let absent = false;
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (obj[k] === undefined) absent = true;
    if (!indexLike && isDigit(k.charCodeAt(0)) && INDEX_KEY.test(k) && Number(k) < 4294967295) indexLike = true;
    if (sorted && i > 0 && !(keys[i - 1]! < k)) sorted = false;
  }
  if (absent) keys = keys.filter((k) => obj[k] !== undefined);
  if (sorted) return keys;
  if (keys.length <= 16) {
    // Maps are small and often nearly in order: an insertion sort, with no comparator calls.
    for (let i = 1; i < keys.length; i++) {
      const k = keys[i]!;
      let j = i - 1;
      while (j >= 0 && keys[j]! > k) {
        keys[j + 1] = keys[j]!;
        j--;
      }
      keys[j + 1] = k;
    }
  } else {
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  if (!indexLike) return keys;
  const isIndex = (k: string): boolean => INDEX_KEY.test(k) && Number(k) < 4294967295;
  const indexes = keys.filter(isIndex).sort((a, b) => Number(a) - Number(b));
  return [...indexes, ...keys.filter((k) => !isIndex(k))];
}

/** Deep copy with object keys in `orderedKeys` order and undefined properties dropped (arrays keep their order). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of orderedKeys(obj)) out[k] = sortKeys(obj[k]);
    return out;
  }
  return value;
}

/** A value as JSON sees it: a non-finite number is null; a function or symbol is nothing. */
function asJson(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  return typeof v === 'function' || typeof v === 'symbol' ? undefined : v;
}

const isPlain = (v: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null || proto === Array.prototype) && (v as { toJSON?: unknown }).toJSON === undefined;
};

/**
 * `JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b))`, compared in place: no sorted copies
 * and no text. Key order is ignored, a property holding nothing is absent, and a hole in an array
 * is null, as in the text. Anything but plain data is compared as text.
 */
export function sameJson(x: unknown, y: unknown): boolean {
  const a = asJson(x);
  const b = asJson(y);
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (!isPlain(a) || !isPlain(b)) return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(asJson(a[i]) ?? null, asJson(b[i]) ?? null)) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let present = 0;
  for (const k in ra) {
    if (!Object.hasOwn(ra, k)) continue;
    const v = asJson(ra[k]);
    if (v === undefined) continue;
    present++;
    if (!Object.hasOwn(rb, k) || !sameJson(v, rb[k])) return false;
  }
  for (const k in rb) if (Object.hasOwn(rb, k) && asJson(rb[k]) !== undefined) present--;
  return present === 0;
}
