/** Key order of the tool's output: the order every serialised map is written in. */

const INDEX_KEY = /^(?:0|[1-9][0-9]{0,9})$/;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** The keys of a map in the order `sortKeys` leaves them (an object's own order for such keys): index-like keys first by number, then by code unit. */
export function orderedKeys(obj: Record<string, unknown>): string[] {
  const keys: string[] = [];
  let indexLike = false;
  for (const k in obj) {
    if (!Object.hasOwn(obj, k) || obj[k] === undefined) continue;
    keys.push(k);
    if (!indexLike && isDigit(k.charCodeAt(0)) && INDEX_KEY.test(k) && Number(k) < 4294967295) indexLike = true;
  }
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
