/**
 * The HTTP client works the body out while it arrives: its text, its bytes and their SHA-256.
 * Valid UTF-8 split anywhere between chunks gives the same text and the text's own hash; a body
 * with bytes that are not UTF-8 is marked, so that its readers hash and write the text instead.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpGet } from '../../src/datastore/http.js';
import { decodeDump } from '../../src/input/dump.js';

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

test('a valid UTF-8 body split inside its characters: the text, the bytes and the hash of the text', async (t) => {
  const text = JSON.stringify({ action: 'get', node: { key: '/calico', dir: true, nodes: [{ key: '/calico/v1/config/Note', value: 'é漢字😀 '.repeat(200) }] } });
  const body = Buffer.from(text, 'utf8');
  for (const size of [1, 2, 3, 7, 1000]) {
    const { url, server } = await serve(body, size);
    try {
      const answer = await httpGet(url);
      t.is(answer.body, text);
      t.true(answer.validUtf8);
      t.deepEqual(Buffer.concat(answer.raw), body);
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
