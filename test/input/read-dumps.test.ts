/**
 * A large dump file is hashed on another thread while it is parsed: the hash is still the SHA-256
 * of the text as UTF-8 (what a small file, a live read and a plan pin), whatever the bytes hold.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDumps } from '../../src/cli/io.js';
import { decodeDump } from '../../src/input/dump.js';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** A flat dump of about `mib` MiB whose last value is `last` (raw bytes). */
function flatDump(mib: number, last: Buffer): Buffer {
  const value = JSON.stringify(JSON.stringify({ metadata: { note: 'x'.repeat(900) } }));
  const n = Math.ceil((mib << 20) / 1000);
  const lines = Array.from({ length: n }, (_, i) => `"/calico/v1/config/Key${i}":${value}`);
  return Buffer.concat([Buffer.from(`{${lines.join(',')},"/calico/v1/config/Last":"`), last, Buffer.from('"}')]);
}

test('a dump past 8 MiB: the hash made on another thread is the text\'s, and the records are those of the small path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-read-'));
  try {
    const cases: [string, Buffer][] = [
      ['ascii', Buffer.from('plain')],
      ['multi-byte characters', Buffer.from('é漢字😀', 'utf8')],
      ['a U+FFFD the file holds itself', Buffer.from('\ufffd', 'utf8')],
      ['bytes that are not UTF-8', Buffer.from([0xff, 0xc3, 0x41])],
    ];
    for (const [name, last] of cases) {
      const bytes = flatDump(9, last);
      const path = join(dir, `${name.replace(/\W+/g, '-')}.json`);
      await writeFile(path, bytes);
      const [dump] = await readDumps([path], dir);
      const text = bytes.toString('utf8');
      t.true(text.length >= 8 << 20, name);
      t.is(dump?.sha256, sha(Buffer.from(text, 'utf8')), `${name}: the text's hash`);
      if (name === 'bytes that are not UTF-8') t.not(dump?.sha256, sha(bytes), 'not the bytes\' hash');
      const small = decodeDump(path, text);
      t.is(dump?.records.length, small.records.length, name);
      t.deepEqual(dump?.records.at(-1), small.records.at(-1), name);
      t.is(dump?.format, 'etcd-flat');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a large file that is not valid JSON is an error naming it, as a small one is', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-read-'));
  try {
    const path = join(dir, 'broken.json');
    await writeFile(path, Buffer.concat([flatDump(9, Buffer.from('x')).subarray(0, 9 << 20), Buffer.from('oops')]));
    await t.throwsAsync(readDumps([path], dir), { message: /broken\.json: not valid JSON/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
