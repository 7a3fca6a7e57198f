/**
 * Values no step of the target reads (`Step.unreadValues`) are checked while parsing and then not
 * kept: a malformed one is still an error, its record keeps its names, a read of it is an internal
 * error, and every conversion of every bundled scenario is the same as with every value kept.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STEPS } from '../../migrations/index.js';
import { convertDumps } from '../../src/convert.js';
import { CalicoMigrateError } from '../../src/errors.js';
import { decodeDump } from '../../src/input/dump.js';
import { runSteps } from '../../src/migrate/run.js';
import { FORMS_OF, TARGET_VERSIONS } from '../../src/model/target.js';
import { parseDumps } from '../../src/parse/index.js';
import { buildReport } from '../../src/report/build.js';
import { TARGETS } from '../../src/targets.js';
import { REPO_ROOT } from '../_helpers/cli.js';
import { SCENARIOS } from '../_helpers/scenarios.js';

const WEP = '/calico/v1/host/node-1/workload/k8s/ns-a.pod-1/endpoint/eth0';
const BAD_WEP = '/calico/v1/host/node-1/workload/k8s/ns-a.pod-2/endpoint/eth0';
const HANDLE = '/calico/ipam/v2/handle/k8s-pod-network.abc';
const BLOCK = '/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-26';
const POLICY = '/calico/v1/policy/tier/default/policy/p';

const dump = decodeDump('d.json', JSON.stringify({
  [WEP]: JSON.stringify({ state: 'active', name: 'cali1', profile_ids: ['k8s_ns.ns-a'], ipv4_nets: ['10.0.1.1/32'], labels: { app: 'a' } }),
  [BAD_WEP]: JSON.stringify({ name: 7 }),
  [HANDLE]: '{"block":{"10.0.1.0/26":1}}',
  [BLOCK]: JSON.stringify({ cidr: '10.0.1.0/26', affinity: 'host:node-1', allocations: [0, null], unallocated: [1], attributes: [{ handle_id: 'k8s-pod-network.abc', secondary: null }] }),
  [POLICY]: JSON.stringify({ selector: 'all()', inbound_rules: [{ action: 'allow' }] }),
}));

test('unread values: the records keep their names and what the parser worked out; a read of the value is an internal error', (t) => {
  const parsed = parseDumps([dump], { unreadValues: new Set(['workload-endpoint', 'ipam-handle', 'ipam-block']) });
  const byOrigin = new Map(parsed.snapshot.items.map((i) => [i.origin, i]));
  const wep = byOrigin.get(WEP);
  if (wep?.type !== 'workload-endpoint') return t.fail('the endpoint was not parsed');
  t.deepEqual([wep.host, wep.orchestrator, wep.workload, wep.endpoint], ['node-1', 'k8s', 'ns-a.pod-1', 'eth0']);
  const read = t.throws(() => wep.value.labels, { instanceOf: CalicoMigrateError });
  t.is(read?.code, 'E_INTERNAL');
  t.regex(read?.message ?? '', /the value of a workload-endpoint record was read \(labels\)/);
  const block = byOrigin.get(BLOCK);
  if (block?.type !== 'ipam-block') return t.fail('the block was not parsed');
  t.deepEqual([block.allocated, block.affinityHost], [1, 'node-1']);
  t.throws(() => block.block.allocations, { instanceOf: CalicoMigrateError, message: /ipam-block/ });
  const handle = byOrigin.get(HANDLE);
  if (handle?.type !== 'ipam-handle') return t.fail('the handle was not parsed');
  t.is(handle.handle, 'k8s-pod-network.abc');
  t.throws(() => handle.blocks['10.0.1.0/26'], { instanceOf: CalicoMigrateError, message: /ipam-handle/ });
  const policy = byOrigin.get(POLICY);
  t.is(policy?.type === 'policy' ? policy.spec.selector : undefined, 'all()', 'other values are kept');
});

test('unread values: a malformed value is still an error record, with the same message', (t) => {
  const kept = parseDumps([dump]);
  const left = parseDumps([dump], { unreadValues: new Set(['workload-endpoint']) });
  t.deepEqual(left.failures, kept.failures);
  t.like(left.failures.find((f) => f.origin === BAD_WEP), { disposition: 'error', code: 'invalid-value' });
  t.is(left.snapshot.items.length, kept.snapshot.items.length);
});

test('unread values: each step declares only item types it handles', (t) => {
  for (const version of TARGET_VERSIONS) {
    for (const step of STEPS[version]) {
      for (const form of FORMS_OF[version]) {
        for (const type of step.unreadValues(form)) t.true(step.handles.includes(type), `${step.id} (${form}) declares ${type}, which it does not handle`);
      }
    }
  }
});

for (const scenario of SCENARIOS) {
  test(`unread values: ${scenario.name} converts the same, for every target and form, as with every value kept`, async (t) => {
    const dumps = await Promise.all(scenario.files.map(async (f) => decodeDump(f, await readFile(join(REPO_ROOT, f), 'utf8'))));
    let compared = 0;
    for (const to of TARGET_VERSIONS) {
      for (const form of FORMS_OF[to]) {
        const lean = convertDumps(dumps, to, form);
        const parsed = parseDumps(dumps);
        const migrated = runSteps(parsed.snapshot, STEPS[to], TARGETS[to], form);
        const report = buildReport(dumps, parsed, migrated, { version: to, form }, migrated.objects.length);
        t.deepEqual(lean.objects, migrated.objects, `${to} ${form}: objects`);
        t.deepEqual(lean.report, report, `${to} ${form}: report`);
        compared++;
      }
    }
    t.is(compared, 3);
  });
}
