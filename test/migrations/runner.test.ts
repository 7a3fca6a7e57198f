/** The step runner's checks: accounting, clashes, target validation, ordering, registry rules. */
import test from 'ava';
import { checkSteps, runSteps, type TargetDefinition } from '../../src/migrate/run.js';
import { OutputBuilder, register, type RegisteredStep } from '../../src/migrate/step.js';
import { V1_ITEM_TYPES } from '../../src/model/v1.js';
import { TARGETS } from '../../src/targets.js';
import { STEPS } from '../../migrations/index.js';
import { parseFlat } from '../_helpers/items.js';

const target: TargetDefinition = TARGETS['v2.5'];

function testStep(id: string, transform: RegisteredStep['run']): RegisteredStep {
  return { id, target: 'v2.5', summary: 'test step', handles: ['felix-global-config'], unreadValues: () => [], run: transform };
}

const snapshot = parseFlat({ '/calico/v1/config/A': '1', '/calico/v1/config/B': '2' }).snapshot;

test('runner: a record no step accounted for becomes an "unaccounted" error, never a silent drop', (t) => {
  const lazy = testStep('0001-lazy', (items) => {
    const out = new OutputBuilder();
    const first = items[0];
    if (first) out.skipped(first, 'test', 'only the first');
    return out.build();
  });
  const result = runSteps(snapshot, [lazy], target);
  t.deepEqual(result.outcomes.map((o) => [o.origin, o.disposition, o.code]), [
    ['/calico/v1/config/A', 'skipped', 'test'],
    ['/calico/v1/config/B', 'error', 'unaccounted'],
  ]);
});

test('runner: a step reporting a record twice, or one it was not given, is an internal error', (t) => {
  const twice = testStep('0001-twice', (items) => {
    const out = new OutputBuilder();
    for (const i of [...items, ...items]) out.skipped(i, 'x', 'x');
    return out.build();
  });
  t.throws(() => runSteps(snapshot, [twice], target), { message: /reported \/calico\/v1\/config\/A twice/ });

  // An outcome for a record that is nowhere, that a later step handles, or that an earlier step handled.
  const mixed = parseFlat({ '/calico/v1/config/A': '1', '/calico/bgp/v1/global/as_num': '64512' }).snapshot;
  const handling = (id: string, handles: RegisteredStep['handles'], extra: string) =>
    ({
      ...testStep(id, (items) => {
        const out = new OutputBuilder();
        for (const i of items) out.skipped(i, 'x', 'x');
        out.skipped({ ...items[0]!, origin: extra }, 'x', 'x');
        return out.build();
      }),
      handles,
    }) satisfies RegisteredStep;
  const noop = (id: string, handles: RegisteredStep['handles']): RegisteredStep => ({
    ...testStep(id, (items) => {
      const out = new OutputBuilder();
      for (const i of items) out.skipped(i, 'x', 'x');
      return out.build();
    }),
    handles,
  });
  const run = (steps: RegisteredStep[]) => () => runSteps(mixed, steps, target);
  t.throws(run([handling('0001-a', ['felix-global-config'], '/calico/v1/config/Nowhere'), noop('0002-b', ['bgp-global-config'])]), {
    message: 'step 0001-a reported an outcome for /calico/v1/config/Nowhere, which it was not given',
  });
  t.throws(run([handling('0001-a', ['felix-global-config'], '/calico/bgp/v1/global/as_num'), noop('0002-b', ['bgp-global-config'])]), {
    message: 'step 0001-a reported an outcome for /calico/bgp/v1/global/as_num, which it was not given',
  });
  t.throws(run([noop('0001-a', ['felix-global-config']), handling('0002-b', ['bgp-global-config'], '/calico/v1/config/A')]), {
    message: 'step 0002-b reported an outcome for /calico/v1/config/A, which it was not given',
  });
});

test('runner: two records converting to the same object are both errors and neither is written', (t) => {
  const clash = parseFlat({ '/calico/v1/config/LogSeverityScreen': 'info', '/calico/v1/config/logseverityscreen': 'debug' }).snapshot;
  const result = runSteps(clash, STEPS['v2.5'], target);
  t.deepEqual(result.objects, []);
  t.deepEqual(result.outcomes.map((o) => [o.disposition, o.code]), [['error', 'name-clash'], ['error', 'name-clash']]);
  t.regex(result.outcomes[0]?.message ?? '', /converts to GlobalFelixConfig\/logseverityscreen, as does \/calico\/v1\/config\/logseverityscreen/);
});

test('runner: an object the target rejects is not written, and its records become errors', (t) => {
  const bad = parseFlat({ '/calico/bgp/v1/host/Bad_Host/ip_addr_v4': '10.0.0.1', '/calico/bgp/v1/host/good/ip_addr_v4': '10.0.0.2' }).snapshot;
  const result = runSteps(bad, STEPS['v2.5'], target);
  t.deepEqual(result.objects.map((o) => o.metadata.name), ['good']);
  const err = result.outcomes.find((o) => o.origin.includes('Bad_Host'));
  t.like(err, { disposition: 'error', code: 'invalid-target' });
  t.regex(err?.message ?? '', /converted Node\/Bad_Host is not valid: metadata\.name "Bad_Host" is not a valid Kubernetes name/);
});

test('runner: objects come out in the target kind order, then by name', (t) => {
  const data = parseFlat({
    '/calico/bgp/v1/host/n/ip_addr_v4': '10.0.0.1',
    '/calico/v1/policy/tier/default/policy/b': '{"selector":""}',
    '/calico/v1/policy/tier/default/policy/a': '{"selector":""}',
    '/calico/v1/ipam/v4/pool/10.0.0.0-8': '{"cidr":"10.0.0.0/8"}',
    '/calico/v1/config/X': '1',
  }).snapshot;
  const result = runSteps(data, STEPS['v2.5'], target);
  t.deepEqual(result.objects.map((o) => `${o.kind}/${o.metadata.name}`), ['GlobalFelixConfig/x', 'IPPool/10-0-0-0-8', 'GlobalNetworkPolicy/a', 'GlobalNetworkPolicy/b', 'Node/n']);
});

test('registry: the shipped v2.5 steps pass the registry checks', (t) => {
  t.notThrows(() => checkSteps(STEPS['v2.5'], V1_ITEM_TYPES));
  t.true(STEPS['v2.5'].every((s) => s.target === 'v2.5'));
});

test('registry: out-of-order ids, a type handled twice, and an unhandled type are refused', (t) => {
  const [a, b] = STEPS['v2.5'];
  if (!a || !b) throw new Error('registry is empty');
  t.throws(() => checkSteps([b, a], V1_ITEM_TYPES), { message: /ids must be unique and ascending/ });
  const dup = register({ id: '9999-dup', target: 'v2.5', summary: 's', handles: ['ip-pool'], transform: () => new OutputBuilder().build() });
  t.throws(() => checkSteps([...STEPS['v2.5'], dup], V1_ITEM_TYPES), { message: /item type ip-pool is handled by both 0030-ip-pools and 9999-dup/ });
  t.throws(() => checkSteps(STEPS['v2.5'].slice(1), V1_ITEM_TYPES), { message: /no step handles item type\(s\) felix-global-config/ });
});
