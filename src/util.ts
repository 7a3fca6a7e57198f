/** Small pure helpers shared across stages. */

/** `T` with every property that may be undefined made optional instead (for exactOptionalPropertyTypes). */
export type Compacted<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** Drops properties whose value is undefined. */
export function compact<T extends object>(o: T): Compacted<T> {
  // A plain loop: this runs for every record of large keyspaces.
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as Compacted<T>;
}

/** Code-point string comparison, independent of locale. */
export function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
