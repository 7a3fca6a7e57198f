/** The same data in every dump format converts to the same List, byte for byte. */
import test from 'ava';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT, runCli } from './_helpers/cli.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function flatten(node: unknown, out: Record<string, string>): Record<string, string> {
  if (!isObj(node)) return out;
  if (node['dir'] === true) for (const c of Array.isArray(node['nodes']) ? node['nodes'] : []) flatten(c, out);
  else out[String(node['key'])] = String(node['value']);
  return out;
}

async function convert(files: readonly string[], cwd = REPO_ROOT): Promise<{ code: number; stdout: string }> {
  return runCli(['convert', ...files.flatMap((f) => ['--from-file', f]), '--to', 'v2.5'], cwd);
}

test('formats: etcd v2, etcd v3 and flat dumps of the same keyspace give identical output', async (t) => {
  const v2 = await convert(['fixtures/sources/etcd-typical/etcd-v2.json']);
  const v3 = await convert(['fixtures/sources/etcd-typical/etcd-v3.json']);
  t.is(v3.code, v2.code);
  t.is(v3.stdout, v2.stdout);

  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-formats-'));
  const tree = JSON.parse(await readFile(join(REPO_ROOT, 'fixtures/sources/etcd-typical/etcd-v2.json'), 'utf8')) as Json;
  const flat = flatten(tree['node'], {});
  await writeFile(join(dir, 'flat.json'), JSON.stringify(flat));
  const fromFlat = await convert([join(dir, 'flat.json')]);
  t.is(fromFlat.stdout, v2.stdout);
  t.true(Object.keys(flat).length > 50, 'the fixture is a real keyspace');
});

test('formats: Kubernetes Lists as YAML, as JSON, or as separate documents give identical output', async (t) => {
  const names = ['tprs', 'systemnetworkpolicies', 'nodes'];
  const yamlFiles = names.map((n) => `fixtures/sources/kdd-typical/${n}.yaml`);
  const fromYaml = await convert(yamlFiles);

  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-formats-'));
  const docs: unknown[] = [];
  for (const [i, f] of yamlFiles.entries()) {
    const doc: unknown = YAML.parse(await readFile(join(REPO_ROOT, f), 'utf8'));
    await writeFile(join(dir, `${names[i]}.json`), JSON.stringify(doc));
    if (isObj(doc) && Array.isArray(doc['items'])) docs.push(...doc['items']);
  }
  const fromJson = await convert(names.map((n) => join(dir, `${n}.json`)));
  t.is(fromJson.stdout, fromYaml.stdout);

  // One multi-document YAML file holding every object on its own.
  await writeFile(join(dir, 'all.yaml'), docs.map((d) => YAML.stringify(d)).join('---\n'));
  const fromDocs = await convert([join(dir, 'all.yaml')]);
  t.is(fromDocs.stdout, fromYaml.stdout);
  t.is(fromDocs.code, 0);
});

test('formats: a record present in two files is an error on the second copy, never counted twice', async (t) => {
  const run = await runCli(['convert', '--from-file', 'fixtures/sources/etcd-typical/etcd-v2.json', '--from-file', 'fixtures/sources/etcd-typical/etcd-v3.json', '--to', 'v2.5', '-o', 'json']);
  t.is(run.code, 3);
  const single = await convert(['fixtures/sources/etcd-typical/etcd-v2.json']);
  t.deepEqual(JSON.parse(run.stdout), YAML.parse(single.stdout), 'the first copy is converted as usual');
  t.regex(run.stderr, /error {4}\/calico\/bgp\/v1\/global\/as_num: the same record was already read from fixtures\/sources\/etcd-typical\/etcd-v2\.json/);
});
