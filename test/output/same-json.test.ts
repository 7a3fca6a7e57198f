/**
 * `sameJson` says what comparing the sorted JSON texts says, without making them: the plan's
 * "unchanged", the schema-default check and the cut-over's Node check all rest on it.
 */
import test from 'ava';
import { sameJson, sortKeys } from '../../src/output/order.js';

const byText = (a: unknown, b: unknown): boolean => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));

const cases: [string, unknown, unknown][] = [
  ['key order ignored', { a: 1, b: { c: [1, 2], d: 'x' } }, { b: { d: 'x', c: [1, 2] }, a: 1 }],
  ['array order kept', [1, 2], [2, 1]],
  ['an undefined property is absent', { a: 1, b: undefined }, { a: 1 }],
  ['an undefined property is absent, either side', { a: 1 }, { a: 1, b: undefined }],
  ['a function property is absent', { a: 1, f: () => 1 }, { a: 1 }],
  ['undefined in an array is null', [undefined, 1], [null, 1]],
  ['a hole in an array is null', [, 1], [null, 1]], // eslint-disable-line no-sparse-arrays
  ['non-finite numbers are null', { a: Number.NaN, b: Infinity }, { a: null, b: null }],
  ['-0 is 0', { a: -0 }, { a: 0 }],
  ['one key more', { a: 1 }, { a: 1, b: 2 }],
  ['a key less', { a: 1, b: 2 }, { a: 1 }],
  ['different keys, same count', { a: 1 }, { b: 1 }],
  ['null against an empty map', { a: null }, { a: {} }],
  ['an empty array against an empty map', [], {}],
  ['a map against an array with the same "keys"', { 0: 'x' }, ['x']],
  ['a number against its text', { a: 1 }, { a: '1' }],
  ['true against 1', true, 1],
  ['nested difference', { a: { b: { c: [1, { d: 2 }] } } }, { a: { b: { c: [1, { d: 3 }] } } }],
  ['nested equal', { spec: { ingress: [{ action: 'Allow', source: {} }] } }, { spec: { ingress: [{ source: {}, action: 'Allow' }] } }],
  ['strings', 'x', 'x'],
  ['null', null, null],
  ['undefined against null', undefined, null],
  ['a Date is compared as its text', { d: new Date(0) }, { d: new Date(0) }],
  ['a Date against a map', { d: new Date(0) }, { d: {} }],
  ['a map without a prototype', Object.assign(Object.create(null) as object, { a: 1 }), { a: 1 }],
];

for (const [name, a, b] of cases) {
  test(`sameJson: ${name}`, (t) => {
    t.is(sameJson(a, b), byText(a, b));
    t.is(sameJson(b, a), byText(b, a));
  });
}

test('sameJson: random JSON-like values agree with the texts, both ways', (t) => {
  let seed = 7;
  const rand = (n: number): number => {
    // xorshift32: a fixed sequence, so a failure is the same on every run.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const leaves = [0, 1, -0, 2.5, Number.NaN, '', 'a', '1', true, false, null, undefined];
  const value = (depth: number): unknown => {
    const r = rand(depth > 3 ? 2 : 5);
    if (r < 2) return leaves[rand(leaves.length)];
    if (r === 2) return Array.from({ length: rand(3) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = rand(4); i > 0; i--) o[['a', 'b', 'c', '0', '10'][rand(5)]!] = value(depth + 1);
    return o;
  };
  /** The same value with its maps' keys in another order (and sometimes one leaf changed). */
  const shuffled = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(shuffled);
    if (typeof v === 'object' && v !== null) {
      const keys = Object.keys(v).reverse();
      return Object.fromEntries(keys.map((k) => [k, shuffled((v as Record<string, unknown>)[k])]));
    }
    return rand(20) === 0 ? leaves[rand(leaves.length)] : v;
  };
  let equal = 0;
  for (let i = 0; i < 2000; i++) {
    const a = value(0);
    const b = rand(2) === 0 ? shuffled(a) : value(0);
    const expected = byText(a, b);
    if (expected) equal++;
    if (sameJson(a, b) !== expected || sameJson(b, a) !== expected) t.fail(`${JSON.stringify(a)} / ${JSON.stringify(b)}: the texts say ${expected}`);
  }
  t.true(equal > 200 && equal < 1800, `both answers are exercised (${equal} of 2000 equal)`);
});
