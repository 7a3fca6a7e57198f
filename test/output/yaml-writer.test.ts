/**
 * The direct YAML writer against the `yaml` library it stands in for: for every object of every
 * bundled scenario, and for awkward strings, numbers and keys at several depths and positions, its
 * text is byte for byte the library's (or it declines, and the library writes the document).
 */
import test from 'ava';
import YAML from 'yaml';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { convertDumps } from '../../src/convert.js';
import { decodeDump } from '../../src/input/dump.js';
import type { OutputForm, TargetVersion } from '../../src/model/target.js';
import { jsonPieces } from '../../src/output/json.js';
import { orderedKeys } from '../../src/output/order.js';
import { serialize } from '../../src/output/serialize.js';
import { toYaml, YAML_OPTIONS } from '../../src/output/yaml.js';
import { REPO_ROOT } from '../_helpers/cli.js';
import { SCENARIOS } from '../_helpers/scenarios.js';

/** The sorted copy the tool made before its own writers: entries sorted by code unit, rebuilt with fromEntries. */
function referenceSort(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(referenceSort);
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, referenceSort(v)]));
  }
  return value;
}
const library = (v: unknown): string => YAML.stringify(referenceSort(v), YAML_OPTIONS);
const nativeJson = (v: unknown): string => `${JSON.stringify(referenceSort(v), null, 2)}\n`;

const AWKWARD: readonly unknown[] = [
  '', ' ', 'a', 'y', 'Y', 'yes', 'No', 'ON', 'off', 'true', 'False', 'null', 'NULL', '~', 'Null', 'nil',
  '0', '007', '0x1F', '0b101', '1_000', '1:20', '1:20.5', '-1', '+1', '.5', '1.', '1e3', '1E-3', '.inf', '-.Inf', '.nan', 'NaN',
  '2017-09-14', '2017-09-14T10:21:37Z', '2017-9-1', '<<', '-', '?', '- a', '? a', ':', 'a:', 'a: b', 'a:b', 'a #b', 'a#b', '#a',
  'a ', ' a', '\ta', 'a\tb', 'multi\nline', 'trailing\n', '\n', 'it\'s', 'say "hi"', 'both \' "', '&anchor', '*alias', '!tag',
  '|', '>', '%x', '@x', '`x', '[a]', '{a}', 'a, b', 'a [b]', '---', '...', '--- a', 'é', 'naïve', '\u0001', '\u007f', '\u00a0',
  '\ud83d\ude00', '10.0.0.1', '10.0.0.0/8', '10.0.0', '1.2', '1.2.', '1..2', '1.2.3.4:', '1/2:', '1/2', '12/ 3', '2001:db8::/64', '2001:db8::1',
  '10.0.0.0-26', '9e3779b1', '1e5', '1E5', '12e34', '0x1f', '0xZZ', '0b1', '0b2', '0o7', '1b', '1x', '10abc', '1e', '1e5a', '0a', '1:2:3', '0/0', '1.2.3.4 #x', '1.2.3.4/32 a', '9973', '0000', '12345678901234567890', '1234567890123456789012345678901', '1.0e5', '1.2.3e4', 'x'.repeat(1100), 'has(calico/k8s_ns)', "!has(x) && a == 'b'", 'a == "b"', 'k8s_ns.default',
  '0f3a', '0e5a', '0E1', '0e5', '0B1', '0X1f', '0O7', '0o7', '0c0ffee', '0b102', '0b101', '0x', '0b', '0bz', '0xg', '0_1', '09', '0e', '00e5', '0a1b2c', '1'.repeat(64), '0'.repeat(40), '9'.repeat(100), '9'.repeat(101), '0f'.repeat(32),
  0, 1, -1, -0, 1.5, -2.25, 1e21, 1e-7, 2 ** 53, 2 ** 53 + 2, Number.MAX_VALUE, true, false, null,
];

const KEYS: readonly string[] = ['9973', '00', '12345678901234567890', 'a', 'y', 'n', 'yes', '1', '0', '10', '01', '4294967294', '4294967295', '-1', 'a b', 'x: y', '', ' ', 'é', 'a#b', 'a #b', 'ab:', 'k8s/label'];

function nestings(v: unknown): unknown[] {
  return [
    { k: v },
    { k: [v] },
    { k: [[v, v]] },
    { a: { b: { c: v } }, z: [{ x: v, y: [v] }] },
    { list: [{ spec: { rules: [{ values: [v], v }] } }] },
  ];
}

test('yaml writer: awkward scalars at every depth and position are written as the library writes them', (t) => {
  let handled = 0;
  for (const v of AWKWARD) {
    for (const doc of nestings(v)) {
      const mine = toYaml(doc);
      if (mine === undefined) continue;
      handled++;
      t.is(mine, library(doc), JSON.stringify(doc).slice(0, 200));
    }
  }
  // Only strings the library writes over several lines are left to it.
  const multiLine = AWKWARD.filter((v) => typeof v === 'string' && v.includes('\n')).length;
  t.is(handled, (AWKWARD.length - multiLine) * 5);
});

test('yaml writer: keys of every kind, in sortKeys order, are written as the library writes them', (t) => {
  const doc: Record<string, unknown> = {};
  for (const [i, k] of KEYS.entries()) doc[k] = i % 2 === 0 ? { [k]: [k] } : k;
  doc['u'] = undefined;
  const mine = toYaml(doc);
  t.truthy(mine);
  t.is(mine, library(doc));
  t.deepEqual(orderedKeys(doc), Object.keys(referenceSort(doc) as object));
  t.is(serialize(doc, 'json'), nativeJson(doc));
});

test('yaml writer: empty collections, nested sequences and maps in sequences', (t) => {
  const doc = { a: {}, b: [], c: [{ x: 1, y: [1, [2, 3]] }, [4, []], [{}], [[[]]], { z: {} }], d: null, e: { f: { g: [{ h: [] }] } } };
  t.is(toYaml(doc), library(doc));
});

test('json writer: pieces join to JSON.stringify of the sorted copy, at every depth and for awkward values', (t) => {
  const docs: unknown[] = [
    {}, [], 'top', 1, null, [undefined, () => 1, 'x'], { u: undefined, f: () => 1, d: new Date(0), n: { m: [{ a: 'multi\nline', '1': 2, b: [] }] } },
    { records: Array.from({ length: 5000 }, (_, i) => ({ z: i, a: `r${i}`, nested: { y: [i, { x: 'q"\\' }] } })), empty: [], o: {} },
    ...AWKWARD.flatMap(nestings),
    // Long runs already in the written order, at the top and nested, broken now and then by one that is not.
    Array.from({ length: 1200 }, (_, i) => ({ a: i, b: [`x${i}`, { c: null }], d: {} })),
    { records: Array.from({ length: 1500 }, (_, i) => (i % 700 === 0 ? { b: i, a: 'unsorted' } : { a: i, b: [`x\n${i}`], c: { d: null } })) },
    { a: { b: [[1, 2], [{ c: 3 }], []] } },
    // Long arrays deeper down (walked in runs too): canonical, not, absent elements, arrays in arrays.
    { result: 'x', plan: { entries: Array.from({ length: 1300 }, (_, i) => ({ action: 'create', desired: { spec: { order: i } }, key: `K/${i}` })), hash: 'h' } },
    { a: { b: { c: Array.from({ length: 600 }, (_, i) => (i % 97 === 0 ? { z: 1, a: i } : [i, undefined, { q: 'x"\n' }])) } } },
    [[Array.from({ length: 700 }, (_, i) => (i % 3 === 0 ? undefined : i % 5 === 0 ? () => i : i))]],
    { x: [[Array.from({ length: 513 }, (_, i) => ({ b: i, a: [] }))], []] },
    // Records already in the written order (the native path) beside near misses that are not.
    {
      records: [
        { a: 1, b: { c: 'x\ny', d: [1.5, -0, null, true, ''] }, e: [] },
        { a: [NaN, Infinity], b: 1 },
        { '1': 'index', a: 2 },
        { '1a': 'digit first', a: 2 },
        { a: 1, b: undefined, c: 3 },
        { b: 1, a: 2 },
        { a: { c: 1, b: 2 } },
        Object.assign(Object.create({ inherited: 1 }) as object, { a: 1 }),
        { a: { toJSON: () => 'x' } },
        { a: [undefined, () => 1] },
      ],
    },
  ];
  for (const doc of docs) t.is([...jsonPieces(doc)].join(''), nativeJson(doc), JSON.stringify(doc)?.slice(0, 100));
  // Large values come in many pieces.
  t.true([...jsonPieces(docs[7])].length > 4);
});

test('yaml writer: declines what it does not write, and serialize still gives the library text', (t) => {
  for (const doc of [{ k: 'multi\nline' }, { k: [undefined] }, { k: new Date(0) }, {}, [1], 'top', { ['x'.repeat(1100)]: 1 }]) {
    t.is(toYaml(doc), undefined);
    if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) t.is(serialize(doc, 'yaml'), library(doc));
  }
});

const TARGETS: readonly [TargetVersion, OutputForm][] = [['v2.5', 'crd'], ['v3.0', 'crd'], ['v3.0', 'calicoctl']];

test('yaml writer: every object of every bundled scenario, and their Lists and reports, as the library writes them', async (t) => {
  let objects = 0;
  for (const scenario of SCENARIOS) {
    const dumps = await Promise.all(scenario.files.map(async (f) => decodeDump(f, await readFile(join(REPO_ROOT, f), 'utf8'))));
    for (const [to, form] of TARGETS) {
      const result = convertDumps(dumps, to, form);
      for (const o of result.objects) {
        objects++;
        t.is(serialize(o, 'yaml'), library(o), `${scenario.name} ${to} ${form} ${o.kind}/${o.metadata.name}`);
      }
      const list = { apiVersion: 'v1', kind: 'List', items: result.objects };
      t.is(serialize(list, 'yaml'), library(list));
      t.is(serialize(list, 'json'), nativeJson(list));
      t.is(serialize(result.report, 'yaml'), library(result.report));
      t.is(serialize(result.report, 'json'), nativeJson(result.report));
    }
  }
  t.true(objects > 100);
});
