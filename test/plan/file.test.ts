/**
 * The plan file: its text is the sorted, indented JSON of the plan (written from the sorted copy
 * the hash was taken of), the plan in memory keeps its objects' own key order (an etcd value is
 * written in it), and a plan file read back hashes the same and writes the same text again.
 */
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/output/files.js';
import { serialize } from '../../src/output/serialize.js';
import { makePlan, planText, readPlanFile } from '../../src/plan/file.js';
import type { PlanEntry } from '../../src/plan/types.js';

/** An IPAM block as Calico writes it: Go field order, not sorted. */
const block = { cidr: '10.0.0.0/26', affinity: 'host:n1', strictAffinity: false, allocations: [0, null], unallocated: [1], attributes: [{ handle_id: 'h', secondary: null }] };

const entries: PlanEntry[] = [
  { key: 'IPAMBlock/10.0.0.0-26', kind: 'IPAMBlock', name: '10.0.0.0-26', action: 'create', desired: { apiVersion: 'ipam', kind: 'IPAMBlock', metadata: { name: '10.0.0.0-26' }, spec: block }, resourceVersion: '', owned: false, origins: ['/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-26'] },
  {
    owned: true,
    key: 'GlobalNetworkPolicy/p',
    name: 'p',
    kind: 'GlobalNetworkPolicy',
    action: 'update',
    // Index-like keys go first, by number; an absent field is not written.
    desired: { kind: 'GlobalNetworkPolicy', apiVersion: 'projectcalico.org/v3', metadata: { name: 'p', labels: { b: '1', '10': '2', '2': '3', a: '4' } }, spec: { order: 1, selector: 'all()', types: undefined } },
    resourceVersion: '7',
    origins: ['/calico/v1/policy/tier/default/policy/p'],
  },
];

const plan = () => makePlan({ tool: { name: 'calico-migrate', version: 't' }, target: 'v3.0', form: 'crd', steps: ['0010-x'], source: { type: 'files', files: [], records: { b: '1', a: '2' } }, cluster: { server: 'http://etcd', gitVersion: 'etcd v3', id: '1' }, entries, findings: [] });

test('plan file: the text is the sorted JSON of the plan, and the plan keeps its objects as given', (t) => {
  const p = plan();
  t.is(planText(p), serialize(p, 'json'));
  t.is(planText(p), `${JSON.stringify(JSON.parse(serialize(p, 'json')), null, 2)}\n`);
  t.deepEqual(Object.keys(p.entries[0]!.desired['spec'] as object), ['cidr', 'affinity', 'strictAffinity', 'allocations', 'unallocated', 'attributes'], 'the value is written in the order given');
  t.is(p.entries[1], entries[1], 'the entries are the ones given');
  const text = planText(p);
  t.regex(text, /"labels": \{\n +"2": "3",\n +"10": "2",\n +"a": "4",\n +"b": "1"\n/, 'index-like keys first, by number');
  t.false(text.includes('"types"'));
  const compact = planText(p, true);
  t.is(compact, `${JSON.stringify(JSON.parse(text))}\n`, 'compact: the same JSON, in the same order, without the indentation');
  t.true(text.indexOf('"hash"') > text.indexOf('"form"') && text.indexOf('"hash"') < text.indexOf('"planVersion"'), 'the hash in key order');
});

test('plan file: read back, the hash still matches and the text is the same', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-plan-file-'));
  try {
    const p = plan();
    const path = join(dir, 'plan.json');
    await writeFileAtomic(path, planText(p), 0o600);
    const back = await readPlanFile(path);
    t.is(back.hash, p.hash);
    t.is(planText(back), await readFile(path, 'utf8'), 'a plan read back (no sorted copy) writes the same text');
    t.is(planText(back, true), planText(p, true));
    const again = plan();
    t.is(again.hash, p.hash, 'the same content hashes the same');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
