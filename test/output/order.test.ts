/** orderedKeys: the key order of every map the tool writes, against a reference built from its definition. */
import test from 'ava';
import { seededRandom } from '../_helpers/random.js';
import { orderedKeys } from '../../src/output/order.js';

/** Own enumerable keys with a value; array indexes (below 2^32 - 1, no leading zero) first by number, then by code unit. */
function reference(obj: Record<string, unknown>): string[] {
  const isIndex = (k: string): boolean => /^(?:0|[1-9][0-9]*)$/.test(k) && Number(k) < 4294967295;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
  const byUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...keys.filter(isIndex).sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !isIndex(k)).sort(byUnit)];
}

test('orderedKeys: 20,000 generated maps (index-like keys, absent values, any insertion order, sorted and not)', (t) => {
  const pool = ['0', '1', '2', '10', '01', '4294967294', '4294967295', '-1', '1.5', 'a', 'b', 'B', 'ab', 'é', '', 'spec', 'metadata', 'apiVersion', 'kind', 'z9', '9z'];
  const next = seededRandom(0x0bde5);
  const mismatches: string[] = [];
  let alreadySorted = 0;
  for (let i = 0; i < 20_000; i++) {
    const obj: Record<string, unknown> = {};
    // Some maps are built in the written order (the common case the function takes a short way for).
    const keys = Array.from({ length: Math.floor(next() * (i % 3 === 0 ? 24 : 8)) }, () => pool[Math.floor(next() * pool.length)]!);
    if (i % 2 === 0) keys.sort();
    for (const k of keys) obj[k] = next() < 0.1 ? undefined : k;
    const expected = reference(obj);
    if (JSON.stringify(expected) === JSON.stringify(Object.keys(obj))) alreadySorted++;
    const actual = orderedKeys(obj);
    if (JSON.stringify(actual) !== JSON.stringify(expected)) mismatches.push(JSON.stringify(Object.keys(obj)));
  }
  t.deepEqual(mismatches.slice(0, 5), []);
  t.true(alreadySorted > 1_000 && alreadySorted < 19_000, `${alreadySorted} maps were in order already`);
});

test('orderedKeys: inherited and non-enumerable keys are not written', (t) => {
  const obj = Object.create({ inherited: 1 }) as Record<string, unknown>;
  Object.defineProperty(obj, 'hidden', { value: 1, enumerable: false });
  obj['b'] = 1;
  obj['a'] = 1;
  t.deepEqual(orderedKeys(obj), ['a', 'b']);
});
