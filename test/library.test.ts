/** The library entry point composes the stages as the CLI does. */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { convertDumps, decodeDump, serialize, toList } from '../src/index.js';
import { REPO_ROOT, runCli } from './_helpers/cli.js';

test('library: decodeDump + convertDumps + serialize give the CLI output', async (t) => {
  const file = 'fixtures/sources/etcd-typical/etcd-v2.json';
  const dump = decodeDump(file, await readFile(join(REPO_ROOT, file), 'utf8'));
  const { objects, report, blocked } = convertDumps([dump], 'v3.0', 'calicoctl');
  t.true(blocked);
  t.is(report.summary.records, 80);
  const cli = await runCli(['convert', '--from-file', file, '--to', 'v3.0', '--form', 'calicoctl']);
  t.is(serialize(toList(objects), 'yaml'), cli.stdout);
});
