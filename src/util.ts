/** Small pure helpers shared across stages. */

/** `T` with every property that may be undefined made optional instead (for exactOptionalPropertyTypes). */
export type Compacted<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** `T` with its properties writable: an object built field by field before it is handed out as `T`. */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Drops properties whose value is undefined. Callers pass a fresh object literal, so one with
 * nothing to drop is returned as it is (this runs several times for every record of large keyspaces).
 */
export function compact<T extends object>(o: T): Compacted<T> {
  const src = o as Record<string, unknown>;
  let drop = false;
  for (const k in src) {
    if (src[k] === undefined) {
      drop = true;
      break;
    }
  }
  if (!drop) return o as Compacted<T>;
  const out: Record<string, unknown> = {};
  for (const k in src) {
    const v = src[k];
    if (v !== undefined) out[k] = v;
  }
  return out as Compacted<T>;
}

/**
 * `compute`, remembered by its argument: for pure work on values that recur across the records of a
 * large keyspace (names, label keys, selectors, key texts). At most `limit` answers are kept; past
 * that the memory starts again, so a keyspace of distinct values costs no more than computing each.
 */
export function remembered<K, V>(compute: (key: K) => V, limit = 100_000): Remembered<K, V> {
  // An answer of undefined is kept as NONE, so that every call is one lookup.
  const known = new Map<K, V | typeof NONE>();
  const keep = (key: K, answer: V): void => {
    if (known.size >= limit) known.clear();
    known.set(key, answer === undefined ? NONE : answer);
  };
  const lookup = (key: K): V => {
    const answer = known.get(key);
    if (answer !== undefined) return (answer === NONE ? undefined : answer) as V;
    const computed = compute(key);
    keep(key, computed);
    return computed;
  };
  return Object.assign(lookup, { know: keep });
}

/** A function remembered by {@link remembered}; `know` tells it an answer found another way (the same `compute` would give). */
export type Remembered<K, V> = ((key: K) => V) & { know(key: K, answer: V): void };

const NONE: unique symbol = Symbol('none');

/** Code-point string comparison, independent of locale. */
export function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Runs `fn` on every item, at most `limit` at a time, and returns the results in item order. Once
 * `stop()` is true no further item is started (its result stays undefined); calls already started
 * are always waited for, so nothing is left running behind the caller's back.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>, stop: () => boolean = () => false): Promise<(R | undefined)[]> {
  const results: (R | undefined)[] = new Array<R | undefined>(items.length).fill(undefined);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop()) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
