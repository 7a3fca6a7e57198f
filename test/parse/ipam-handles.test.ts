/**
 * IPAM handle values: the form Calico writes is read without `JSON.parse`, and gives exactly what
 * the general path gives (the same blocks, the same value, the same errors). The block map is a
 * dictionary, so thousands of distinct block CIDRs do not leave object shapes that V8 can no longer
 * extend (checked in a child process that may ask V8 whether two objects share a shape).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { decodeDump } from '../../src/input/dump.js';
import { parseDumps } from '../../src/parse/index.js';

const KEY = '/calico/ipam/v2/handle/k8s-pod-network.abc';

function parseHandle(value: string) {
  const parsed = parseDumps([decodeDump('d.json', JSON.stringify({ [KEY]: value }))]);
  const item = parsed.snapshot.items[0];
  return {
    item: item && item.type === 'ipam-handle' ? { handle: item.handle, blocks: { ...item.blocks }, value: JSON.parse(JSON.stringify(item.value)) as unknown } : item,
    failures: parsed.failures.map((f) => [f.code, f.message]),
  };
}

/** The same value with a space after its first brace: valid JSON that only the general path reads. */
const spaced = (canonical: string): string => canonical.replace(/^\{/, '{ ');

test('IPAM handle: the written form and the general path give the same blocks and value', (t) => {
  for (const value of [
    '{"block":{"10.0.1.0/26":2}}',
    '{"block":{"10.0.1.0/26":3,"10.0.9.0/26":1}}',
    '{"block":{"fd00:1::/122":1,"10.0.0.0/26":0}}',
    '{"block":{}}',
    // A key given twice: the last count, in the first one's place (as JSON.parse keeps it).
    '{"block":{"10.0.1.0/26":1,"10.0.2.0/26":5,"10.0.1.0/26":4}}',
  ]) {
    const fast = parseHandle(value);
    const general = parseHandle(spaced(value));
    t.deepEqual(fast, general, value);
    t.deepEqual(fast.failures, [], value);
    t.deepEqual(Object.keys((fast.item as { blocks: object }).blocks), Object.keys(JSON.parse(value).block), `${value}: key order`);
  }
  t.deepEqual(parseHandle('{"block":{"10.0.1.0/26":2}}').item, { handle: 'k8s-pod-network.abc', blocks: { '10.0.1.0/26': 2 }, value: { block: { '10.0.1.0/26': 2 } } });
});

test('IPAM handle: a bad value is the same error on both paths, naming the block', (t) => {
  for (const [value, message] of [
    ['{"block":{"10.0.1.0/26":2,"nope":1}}', 'IPAM handle names block "nope", which is not a CIDR'],
    ['{"block":{"10.0.1.0/99":1}}', 'IPAM handle names block "10.0.1.0/99", which is not a CIDR'],
  ] as const) {
    const fast = parseHandle(value);
    t.deepEqual(fast.failures, [['invalid-value', message]], value);
    t.deepEqual(parseHandle(spaced(value)).failures, fast.failures, value);
  }
  // Forms the written-form reader leaves to JSON.parse: each is judged as before.
  t.deepEqual(parseHandle('{"block":{"10.0.1.0/26":-1}}').failures, [['invalid-value', 'IPAM handle count for block 10.0.1.0/26 is -1, not a count']]);
  t.deepEqual(parseHandle('{"block":{"10.0.1.0/26":1.5}}').failures, [['invalid-value', 'IPAM handle count for block 10.0.1.0/26 is 1.5, not a count']]);
  t.deepEqual(parseHandle('{"block":{"10.0.1.0/26":01}}').failures.map(([code]) => code), ['invalid-value']);
  t.deepEqual(parseHandle('{"block":[]}').failures, [['invalid-value', 'IPAM handle field "block" is not an object']]);
  t.deepEqual(parseHandle('{"block":{"10.0.1.0/26":1}').failures.map(([code]) => code), ['invalid-value']);
  // A count too long for the written-form reader is still read, by the general path.
  t.deepEqual(parseHandle('{"block":{"10.0.1.0/26":12345678901234567}}').failures, []);
});

test('IPAM handle: thousands of distinct blocks leave object shapes extensible (V8 shares one shape between like objects)', (t) => {
  const script = join(import.meta.dirname, '..', '_helpers', 'handle-shapes.ts');
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { items: 2500, failures: 0, shared: [true, true, true, true] });
});
