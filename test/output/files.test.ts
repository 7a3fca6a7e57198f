/** writeFileAtomic with text in pieces: every piece in order (one write in flight while the next is made), or no file at all. */
import test from 'ava';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CalicoMigrateError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/output/files.js';

async function inDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-files-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('writeFileAtomic: pieces of text and bytes land in order, multi-byte characters whole, with the mode asked for', async (t) => {
  const dir = await inDir(t);
  const path = join(dir, 'r.json');
  const pieces: (string | Uint8Array)[] = [];
  for (let i = 0; i < 2000; i++) pieces.push(i % 3 === 0 ? Buffer.from(`[${i}:bytes é]`) : `[${i}:text ✓ ${'x'.repeat(i % 97)}]`);
  await writeFileAtomic(path, pieces, 0o600);
  const expected = pieces.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8'))).join('');
  t.is(await readFile(path, 'utf8'), expected);
  t.is((await stat(path)).mode & 0o777, 0o600);
  t.deepEqual(await readdir(dir), ['r.json'], 'no temporary file is left');
});

test('writeFileAtomic: text gathered past a MiB between bytes (several large writes) lands whole and in order', async (t) => {
  const dir = await inDir(t);
  const path = join(dir, 'big.json');
  const pieces: (string | Uint8Array)[] = [];
  // 64 KiB texts with characters of one to four bytes, a byte piece now and then.
  for (let i = 0; i < 80; i++) pieces.push(i % 25 === 24 ? Buffer.from(`<bytes ${i} ✓>`) : `${i}:${'aé✓😀'.repeat(16_384)}`);
  await writeFileAtomic(path, pieces);
  const expected = pieces.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8'))).join('');
  t.true(expected.length > 3 * 2 ** 20);
  t.is(await readFile(path, 'utf8'), expected);
});

test('writeFileAtomic: pieces that fail part way leave the old file as it was and no temporary file', async (t) => {
  const dir = await inDir(t);
  const path = join(dir, 'r.json');
  await writeFile(path, 'old');
  function* failing(): Generator<string> {
    for (let i = 0; i < 100; i++) yield `piece ${i} `.repeat(1000);
    throw new Error('the report could not be made');
  }
  const e = await t.throwsAsync(writeFileAtomic(path, failing()), { instanceOf: CalicoMigrateError });
  t.is(e?.code, 'E_OUTPUT_WRITE');
  t.regex(e?.message ?? '', /r\.json: cannot write \(the report could not be made\)/);
  t.is(await readFile(path, 'utf8'), 'old');
  t.deepEqual(await readdir(dir), ['r.json']);
});

test('writeFileAtomic: a write that fails is reported with the path, and nothing is left behind', async (t) => {
  const dir = await inDir(t);
  // A directory where the file's directory should be: opening the temporary file fails.
  await writeFile(join(dir, 'blocker'), '');
  const path = join(dir, 'blocker', 'r.json');
  const e = await t.throwsAsync(writeFileAtomic(path, ['a', 'b']), { instanceOf: CalicoMigrateError });
  t.regex(e?.message ?? '', /blocker\/r\.json: cannot write/);
  t.deepEqual(await readdir(dir), ['blocker']);
});
