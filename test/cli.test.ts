/** The `convert` command as an operator uses it: exit codes, outputs, one-line errors. */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { REPO_ROOT, runCli } from './_helpers/cli.js';
import { TOOL_VERSION } from '../src/version.js';

const KDD = ['--from-file', 'fixtures/sources/kdd-typical/tprs.yaml', '--from-file', 'fixtures/sources/kdd-typical/systemnetworkpolicies.yaml', '--from-file', 'fixtures/sources/kdd-typical/nodes.yaml'];

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'calico-migrate-cli-'));
}

test('convert: a clean dataset exits 0 and prints a v1 List in apply order', async (t) => {
  const run = await runCli(['convert', ...KDD, '--to', 'v2.5']);
  t.is(run.code, 0, run.stderr);
  const list = YAML.parse(run.stdout) as { apiVersion: string; kind: string; items: { kind: string }[] };
  t.is(list.apiVersion, 'v1');
  t.is(list.kind, 'List');
  const kinds = list.items.map((i) => i.kind);
  const order = ['GlobalFelixConfig', 'GlobalBGPConfig', 'IPPool', 'BGPPeer', 'GlobalNetworkPolicy', 'Node'];
  t.deepEqual(kinds, [...kinds].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
  t.regex(run.stderr, /converted 14, skipped 8, errors 0/);
});

test('convert: error records exit 3 and everything else is still written', async (t) => {
  const run = await runCli(['convert', '--from-file', 'fixtures/sources/edge-cases/etcd-bad-values.json', '--to', 'v2.5']);
  t.is(run.code, 3);
  const list = YAML.parse(run.stdout) as { items: unknown[] };
  t.true(list.items.length > 0);
  t.regex(run.stderr, /^error {4}\/calico\/v1\/ipam\/v4\/pool\/10\.70\.0\.0-16: value cidr 10\.71\.0\.0\/16 does not match/m);
  t.regex(run.stderr, /Blocked:/);
});

test('convert: a blocker issue (Calico IPAM in use) exits 3 without any error record', async (t) => {
  const run = await runCli(['convert', '--from-file', 'fixtures/sources/etcd-typical/etcd-v2.json', '--to', 'v2.5']);
  t.is(run.code, 3);
  t.regex(run.stderr, /errors 0; \d+ warnings, 1 blockers/);
  t.regex(run.stderr, /blocker {2}Calico IPAM is in use: 3 blocks hold 9 allocated addresses in pool\(s\) 192\.168\.0\.0\/16/);
});

test('convert: -o json prints the same List as JSON', async (t) => {
  const json = await runCli(['convert', ...KDD, '--to', 'v2.5', '-o', 'json']);
  const yaml = await runCli(['convert', ...KDD, '--to', 'v2.5']);
  t.is(json.code, 0);
  t.deepEqual(JSON.parse(json.stdout), YAML.parse(yaml.stdout));
  t.true(json.stdout.endsWith('}\n'));
});

test('convert: --out-dir writes one file per object, numbered in apply order, and is safe to re-run', async (t) => {
  const dir = join(await tempDir(), 'out');
  const first = await runCli(['convert', ...KDD, '--to', 'v2.5', '--out-dir', dir]);
  t.is(first.code, 0, first.stderr);
  t.is(first.stdout, '', 'nothing goes to stdout with --out-dir');
  const files = (await readdir(dir)).filter((f) => !f.startsWith('.')).sort();
  t.is(files.length, 14);
  t.is(files[0], '001-globalfelixconfig-calicoversion.yaml');
  t.is(files[files.length - 1], '014-globalnetworkpolicy-restrict-redis.yaml');
  const obj = YAML.parse(await readFile(join(dir, files[0] ?? ''), 'utf8')) as { kind: string; metadata: { name: string } };
  t.is(obj.kind, 'GlobalFelixConfig');
  t.is(obj.metadata.name, 'calicoversion');
  const again = await runCli(['convert', ...KDD, '--to', 'v2.5', '--out-dir', dir]);
  t.is(again.code, 0);
  t.deepEqual((await readdir(dir)).filter((f) => !f.startsWith('.')).sort(), files);
});

test('convert: --out-dir refuses a directory holding files it did not write', async (t) => {
  const dir = await tempDir();
  await writeFile(join(dir, 'precious.txt'), 'keep me');
  const run = await runCli(['convert', ...KDD, '--to', 'v2.5', '--out-dir', dir]);
  t.is(run.code, 1);
  t.regex(run.stderr, /holds files this tool did not write \(precious\.txt\)/);
  t.is(await readFile(join(dir, 'precious.txt'), 'utf8'), 'keep me');
});

test('convert: --out-dir never deletes files that look like its own but are not listed in its manifest', async (t) => {
  const dir = await tempDir();
  await writeFile(join(dir, '001-namespace.yaml'), 'kind: Namespace\n');
  const run = await runCli(['convert', ...KDD, '--to', 'v2.5', '--out-dir', dir]);
  t.is(run.code, 1);
  t.regex(run.stderr, /holds files this tool did not write \(001-namespace\.yaml\)/);
  t.is(await readFile(join(dir, '001-namespace.yaml'), 'utf8'), 'kind: Namespace\n');
});

test('convert: --out-dir writes a manifest of its files, and a report inside the directory is refused', async (t) => {
  const dir = join(await tempDir(), 'out');
  const first = await runCli(['convert', ...KDD, '--to', 'v2.5', '--out-dir', dir]);
  t.is(first.code, 0, first.stderr);
  const manifest = (await readFile(join(dir, '.calico-migrate-files'), 'utf8')).trim().split('\n');
  t.deepEqual(manifest, (await readdir(dir)).filter((f) => !f.startsWith('.')).sort());
  const inside = await runCli(['convert', ...KDD, '--to', 'v2.5', '--out-dir', dir, '--report', join(dir, 'report.json')]);
  t.is(inside.code, 1);
  t.regex(inside.stderr, /--report .*report\.json is inside --out-dir/);
});

test('convert: --report writes the JSON report with the documented fields', async (t) => {
  const path = join(await tempDir(), 'nested', 'report.json');
  const run = await runCli(['convert', ...KDD, '--to', 'v2.5', '--report', path]);
  t.is(run.code, 0);
  const report = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  t.deepEqual(Object.keys(report).sort(), ['form', 'issues', 'records', 'renames', 'source', 'steps', 'summary', 'target', 'tool']);
  t.is(report['target'], 'v2.5');
  t.deepEqual(Object.keys(report['summary'] as object).sort(), ['blockers', 'converted', 'convertedWithLoss', 'errors', 'objects', 'records', 'skipped', 'warnings']);
});

const errorCases: [string, string, RegExp][] = [
  ['a file that does not exist', 'missing.json', /^calico-migrate: error: missing\.json: cannot read \(no such file\)\n$/],
  ['truncated JSON', 'truncated.json', /^calico-migrate: error: truncated\.json: not valid JSON \(.+\); expected an etcd v2 recursive GET response/],
  ['a YAML file that is not Kubernetes objects', 'notes.yaml', /^calico-migrate: error: notes\.yaml: unrecognised content/],
  ['a JSON object of unknown shape', 'shape.json', /^calico-migrate: error: shape\.json: unrecognised JSON object with keys hello, world/],
  ['an empty file', 'empty.json', /^calico-migrate: error: empty\.json: the file is empty/],
];

for (const [what, name, pattern] of errorCases) {
  test(`convert: ${what} is a one-line error naming the file, exit 1, no stack trace`, async (t) => {
    const dir = await tempDir();
    await writeFile(join(dir, 'truncated.json'), '{"action":"get","node":{"key":"/calico","dir":true,"nodes":[{"key":"/calico/v1');
    await writeFile(join(dir, 'notes.yaml'), '- shopping\n- list\n');
    await writeFile(join(dir, 'shape.json'), '{"hello": 1, "world": 2}');
    await writeFile(join(dir, 'empty.json'), '');
    const run = await runCli(['convert', '--from-file', name, '--to', 'v2.5'], dir);
    t.is(run.code, 1);
    t.is(run.stdout, '', 'nothing is written when an input cannot be read');
    t.regex(run.stderr, pattern);
    t.is(run.stderr.trim().split('\n').length, 1, run.stderr);
    t.notRegex(run.stderr, /\bat .+:\d+:\d+/);
  });
}

test('convert: usage errors exit 1 (missing --to, unknown --to, unknown format)', async (t) => {
  for (const args of [
    ['convert', ...KDD],
    ['convert', ...KDD, '--to', 'v9'],
    ['convert', ...KDD, '--to', 'v2.5', '-o', 'xml'],
    ['convert', '--to', 'v2.5'],
  ]) {
    const run = await runCli(args);
    t.is(run.code, 1, args.join(' '));
    t.regex(run.stderr, /error: /);
  }
});

test('convert: --input-format that contradicts the content is refused', async (t) => {
  const run = await runCli(['convert', '--from-file', 'fixtures/sources/etcd-typical/etcd-v2.json', '--input-format', 'etcd-v3', '--to', 'v2.5']);
  t.is(run.code, 1);
  t.regex(run.stderr, /--input-format etcd-v3 was given, but the content looks like etcd-v2/);
});

test('the calico-migrate executable runs as npx would run it', async (t) => {
  const exec = promisify(execFile);
  const { stdout, stderr } = await exec(join(REPO_ROOT, 'bin/calico-migrate.js'), ['convert', ...KDD, '--to', 'v2.5', '-o', 'json'], { cwd: REPO_ROOT });
  const list = JSON.parse(stdout) as { items: unknown[] };
  t.is(list.items.length, 14);
  t.regex(stderr, /converted 14/);
  const failed = await exec(join(REPO_ROOT, 'bin/calico-migrate.js'), ['convert', '--from-file', 'fixtures/sources/edge-cases/etcd-bad-values.json', '--to', 'v2.5']).then(
    () => undefined,
    (e: { code?: number }) => e.code,
  );
  t.is(failed, 3);
});

test('--version prints the version in package.json (the one the tool writes into plans and annotations), exit 0', async (t) => {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const run = await runCli(['--version']);
  t.is(run.code, 0, run.stderr);
  t.is(run.stdout, `${pkg.version}\n`);
  t.is(TOOL_VERSION, pkg.version);
});

test('the executable runs the compiled CLI (dist/, built by npm run build), with no TypeScript loader', async (t) => {
  const exec = promisify(execFile);
  const bin = await readFile(join(REPO_ROOT, 'bin/calico-migrate.js'), 'utf8');
  t.false(/tsx/.test(bin.replace(/^\/\/.*$/gm, '')), 'the launcher registers no loader');
  t.regex(bin, /import\('\.\.\/dist\/src\/cli\/main\.js'\)/);
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const { stdout } = await exec(process.execPath, [join(REPO_ROOT, 'bin/calico-migrate.js'), '--version'], { cwd: REPO_ROOT, env: { PATH: process.env['PATH'] ?? '' } });
  t.is(stdout, `${pkg.version}\n`);
  const { stdout: list } = await exec(process.execPath, ['--input-type=module', '-e', "const m = await import('./dist/src/index.js'); console.log(typeof m.convertDumps)"], { cwd: REPO_ROOT });
  t.is(list.trim(), 'function', 'the library entry point is compiled too');
});
