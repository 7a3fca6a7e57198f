/**
 * The HTTP client works the body out while it arrives: its text and the SHA-256 of its bytes.
 * Valid UTF-8 split anywhere between chunks gives the same text and the text's own hash; a body
 * with bytes that are not UTF-8 is marked, so that its readers hash the text instead. `export` of
 * etcd v2 takes the body to a file as it arrives, counting its keys and checking it is whole
 * however the pieces cut it.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdV2Scan, exportEtcdV2 } from '../../src/datastore/etcd-v2.js';
import { httpGet } from '../../src/datastore/http.js';
import { CalicoMigrateError } from '../../src/errors.js';
import { decodeDump } from '../../src/input/dump.js';
import { atomicFileWriter } from '../../src/output/files.js';

/** Serves `body` in chunks of `size` bytes, each flushed on its own. */
async function serve(body: Buffer, size: number): Promise<{ url: string; server: Server }> {
  const server = createServer(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    for (let i = 0; i < body.length; i += size) {
      res.write(body.subarray(i, i + size));
      await new Promise((r) => setImmediate(r));
    }
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

test('a valid UTF-8 body split inside its characters: the text and the hash of the text', async (t) => {
  const text = JSON.stringify({ action: 'get', node: { key: '/calico', dir: true, nodes: [{ key: '/calico/v1/config/Note', value: 'é漢字😀 '.repeat(200) }] } });
  const body = Buffer.from(text, 'utf8');
  for (const size of [1, 2, 3, 7, 1000]) {
    const { url, server } = await serve(body, size);
    try {
      const answer = await httpGet(url);
      t.is(answer.body, text);
      t.true(answer.validUtf8);
      t.is(answer.sha256, sha(text));
      t.is(decodeDump('live', answer.body, 'etcd-v2', answer.sha256).sha256, decodeDump('file', text, 'etcd-v2').sha256);
    } finally {
      server.close();
    }
  }
});

test('a body with bytes that are not UTF-8 is marked: its text holds U+FFFD and its hash is not the text hash', async (t) => {
  const body = Buffer.concat([Buffer.from('{"action":"get","node":{"key":"/calico","dir":true,"nodes":[{"key":"/calico/v1/config/X","value":"a'), Buffer.from([0xff, 0xc3]), Buffer.from('"}]}}')]);
  const { url, server } = await serve(body, 5);
  try {
    const answer = await httpGet(url);
    t.false(answer.validUtf8);
    t.is(answer.body, body.toString('utf8'));
    t.not(answer.sha256, sha(answer.body));
  } finally {
    server.close();
  }
});

/** An etcd v2 answer for /calico with `n` keys whose values hold what could fool a byte search. */
function etcdAnswer(n: number): Buffer {
  const nodes = Array.from({ length: n }, (_, i) => ({ key: `/calico/v1/policy/tier/default/policy/p${i}`, value: JSON.stringify({ note: '"value": {"value":"x"} value":', i }), modifiedIndex: i + 4, createdIndex: i + 4 }));
  const dirs = { key: '/calico/v1/host', dir: true, nodes: [{ key: '/calico/v1/host/h', dir: true, modifiedIndex: 2, createdIndex: 2 }], modifiedIndex: 2, createdIndex: 2 };
  return Buffer.from(`${JSON.stringify({ action: 'get', node: { key: '/calico', dir: true, nodes: [dirs, ...nodes, { key: '/calico/v1/Ready', value: '', modifiedIndex: 3, createdIndex: 3 }], modifiedIndex: 1, createdIndex: 1 } })}\n`);
}

test('the etcd v2 scan counts the keys (leaf nodes) as decoding does, however the pieces cut the answer', (t) => {
  const body = etcdAnswer(50);
  const leaves = decodeDump('x', body.toString('utf8'), 'etcd-v2').records.length;
  t.is(leaves, 51);
  for (const size of [1, 2, 3, 6, 7, 8, 9, 1000, body.length]) {
    const scan = new EtcdV2Scan();
    for (let i = 0; i < body.length; i += size) scan.add(body.subarray(i, i + size));
    t.is(scan.keys, leaves, `pieces of ${size}`);
    t.is(scan.bytes, body.length);
    t.is(scan.problem(), undefined);
  }
  const cut = new EtcdV2Scan();
  cut.add(body.subarray(0, body.length - 10));
  t.regex(cut.problem() ?? '', /does not end as a whole etcd v2 answer does/);
  const other = new EtcdV2Scan();
  other.add(Buffer.from('{"action":"get","node":{"key":"/other","dir":true}}'));
  t.regex(other.problem() ?? '', /does not begin as an etcd v2 answer for \/calico does/);
});

test('export of etcd v2: the answer goes to the file byte for byte as it arrives, keys counted; a cut answer leaves no file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-v2-export-'));
  const body = etcdAnswer(2000);
  const { url, server } = await serve(body, 4096);
  try {
    const path = join(dir, 'sub', 'dump.json');
    const file = atomicFileWriter(path, 0o600);
    const done = await exportEtcdV2({ datastoreType: 'etcdv2', etcdEndpoints: [url] }, file);
    file.commit();
    t.deepEqual(await readFile(path), body);
    t.is((await stat(path)).mode & 0o777, 0o600);
    t.is(done.keys, 2001);
    t.is(done.bytes, body.length);
    t.is(done.fingerprint['source'], 'etcdv2');
  } finally {
    server.close();
  }
  const short = await serve(body.subarray(0, body.length - 100), 4096);
  try {
    const path = join(dir, 'cut.json');
    const file = atomicFileWriter(path, 0o600);
    const err = await t.throwsAsync(exportEtcdV2({ datastoreType: 'etcdv2', etcdEndpoints: [short.url] }, file), { instanceOf: CalicoMigrateError });
    t.regex(err?.message ?? '', /not a whole etcd v2 answer: it does not end as a whole etcd v2 answer does/);
    file.abort();
    t.false((await readdir(dir)).includes('cut.json'));
    t.deepEqual((await readdir(dir)).filter((f) => f.includes('.tmp-')), [], 'no temporary file left');
  } finally {
    short.server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a file written from pieces: restart empties it, commit puts it in place over what was there, abort leaves nothing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-writer-'));
  try {
    const path = join(dir, 'f');
    await writeFile(path, 'old');
    const w = atomicFileWriter(path);
    w.write(Buffer.from('from the first endpoint'));
    w.write(Buffer.alloc(2 << 20, 0x61));
    w.restart();
    const pieces = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024 + i, 0x30 + (i % 10)));
    for (const p of pieces) w.write(p);
    t.is(await readFile(path, 'utf8'), 'old', 'nothing replaces the file before commit');
    w.commit();
    t.deepEqual(await readFile(path), Buffer.concat(pieces));
    const gone = atomicFileWriter(join(dir, 'g'));
    gone.write(Buffer.from('x'.repeat(3 << 20)));
    gone.abort();
    t.deepEqual((await readdir(dir)).sort(), ['f']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
