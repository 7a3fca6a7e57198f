/**
 * The accounting invariant on every fixture: records read = records accounted, each exactly once.
 * "Read" is counted here independently of the tool, straight from the dump files.
 */
import test from 'ava';
import { parseIpamStored } from '../src/v3/ipam.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import type { Report } from '../src/model/report.js';
import { REPO_ROOT, runCli } from './_helpers/cli.js';
import { SCENARIOS, fromFileArgs } from './_helpers/scenarios.js';
import { convertedItems } from './_helpers/items.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function etcdV2Leaves(node: unknown): number {
  if (!isObj(node)) return 0;
  if (node['dir'] === true) return (Array.isArray(node['nodes']) ? node['nodes'] : []).reduce((n: number, c: unknown) => n + etcdV2Leaves(c), 0);
  return 1;
}

function kubernetesRecords(doc: unknown): number {
  if (!isObj(doc)) return 0;
  if (Array.isArray(doc['items'])) return doc['items'].reduce((n: number, i: unknown) => n + kubernetesRecords(i), 0);
  if (doc['kind'] === 'Node' && doc['apiVersion'] === 'v1') {
    const meta = isObj(doc['metadata']) ? doc['metadata'] : {};
    const annotations = isObj(meta['annotations']) ? Object.keys(meta['annotations']) : [];
    const calico = annotations.filter((k) => /^([a-z0-9.-]+\.)?projectcalico\.org\//.test(k)).length;
    const spec = isObj(doc['spec']) ? doc['spec'] : {};
    return calico + (spec['podCIDR'] !== undefined ? 1 : 0);
  }
  return 1; // every other object (including ones without a name) is one record
}

/** Counts the records in a dump file without using any project code. */
async function countRecords(file: string): Promise<number> {
  const text = await readFile(join(REPO_ROOT, file), 'utf8');
  if (file.endsWith('.json')) {
    const doc: unknown = JSON.parse(text);
    if (!isObj(doc)) throw new Error(`${file}: not an object`);
    if (isObj(doc['node'])) return etcdV2Leaves(doc['node']);
    if (Array.isArray(doc['kvs'])) return doc['kvs'].length;
    if (typeof doc['kind'] === 'string') return kubernetesRecords(doc);
    return Object.keys(doc).length;
  }
  return YAML.parseAllDocuments(text).reduce((n, d) => n + kubernetesRecords(d.toJS()), 0);
}

const EXTRA_FILES = ['fixtures/sources/etcd-typical/etcd-v3.json'];

const TARGETS: readonly (readonly string[])[] = [['--to', 'v2.5'], ['--to', 'v3.0', '--form', 'crd'], ['--to', 'v3.0', '--form', 'calicoctl']];

for (const files of [...SCENARIOS.map((s) => s.files), ...EXTRA_FILES.map((f) => [f])]) for (const target of TARGETS) {
  test(`accounting: every record of ${files.join(' + ')} is accounted exactly once (${target.join(' ')})`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-acct-'));
    const reportPath = join(dir, 'report.json');
    const run = await runCli(['convert', ...fromFileArgs(files), ...target, '--report', reportPath]);
    t.not(run.code, 1, run.stderr);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;

    let read = 0;
    for (const f of files) read += await countRecords(f);
    t.is(report.records.length, read, 'records accounted must equal records read');
    t.is(report.summary.records, read);
    t.is(report.summary.converted + report.summary.convertedWithLoss + report.summary.skipped + report.summary.errors, read);
    t.is(report.source.files.reduce((n, f) => n + f.records, 0), read);

    const keys = report.records.map((r) => `${r.file}\u0000${r.origin}`);
    t.is(new Set(keys).size, keys.length, 'no record may appear twice');
    for (const r of report.records) {
      if (r.disposition === 'converted' || r.disposition === 'converted-with-loss') t.true((r.targets?.length ?? 0) > 0, `${r.origin} is converted but names no target`);
      else t.truthy(r.code && r.message, `${r.origin} is ${r.disposition} without a code and message`);
      t.not(r.code, 'unaccounted', `${r.origin} was not accounted by any step`);
    }

    // Every written object is fed by at least one converted record, and every target exists.
    const patchPath = join(dir, 'node-patches.sh');
    // The calicoctl form's Calico IPAM keys are written apart (calicoctl cannot create them).
    const ipamPath = join(dir, 'ipam.jsonl');
    const ipamArgs = target.includes('calicoctl') ? ['--ipam-out', ipamPath] : [];
    const items = convertedItems<{ kind: string; metadata: { name: string; namespace?: string } }>((await runCli(['convert', ...fromFileArgs(files), ...target, '-o', 'json', '--node-patches', patchPath, ...ipamArgs])).stdout);
    for (const line of ipamArgs.length > 0 ? (await readFile(ipamPath, 'utf8')).split('\n').filter((l) => l !== '') : []) {
      const kv = JSON.parse(line) as { key: string; value: string };
      const o = parseIpamStored(kv.key, kv.value);
      t.truthy(o, `${kv.key} is an IPAM key`);
      if (o) items.push(o);
    }
    const written = new Set(items.map((o) => (o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`)));
    // Node annotation patches are written as `kubectl patch node '<name>' …` commands, not List items.
    const script = await readFile(patchPath, 'utf8').catch(() => '');
    for (const m of script.matchAll(/^kubectl patch node '([^']+)'/gm)) written.add(`Node/${m[1] ?? ''}`);
    // Objects no converted record names are there because of an issue that names them (a host directory's Node).
    const fed = new Set([...report.records.flatMap((r) => r.targets ?? []), ...report.issues.flatMap((i) => i.targets ?? [])]);
    t.deepEqual([...written].sort(), [...fed].sort());
  });
}
