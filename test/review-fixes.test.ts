/** Behaviours added after a code review, each pinned by the case that showed the problem. */
import test from 'ava';
import { convertDumps } from '../src/convert.js';
import { decodeDump } from '../src/input/dump.js';
import { convertNameNoDots, normalizeName } from '../src/names.js';
import { step as v3Bgp } from '../migrations/v3.0/0020-bgp-config.js';
import { step as v3Policies } from '../migrations/v3.0/0050-policies.js';
import { parseFlat, parseObjects, runStep, tpr } from './_helpers/items.js';

const convertFlat = (keys: Record<string, unknown>, to: 'v2.5' | 'v3.0', form: 'crd' | 'calicoctl' = 'crd') => convertDumps([decodeDump('t.json', JSON.stringify(keys))], to, form);

test('review: a namespace-profile tag becomes a namespace selector in both targets', (t) => {
  const keys = { '/calico/v1/policy/tier/default/policy/p': JSON.stringify({ order: 1, selector: 'all()', inbound_rules: [{ action: 'deny', src_tag: 'k8s_ns.prod' }, { action: 'allow' }] }) };
  const v25 = convertFlat(keys, 'v2.5').objects[0]?.spec?.['ingress'] as { source: unknown }[];
  t.deepEqual(v25[0]?.source, { selector: "calico/k8s_ns == 'prod'" });
  const v3 = convertFlat(keys, 'v3.0').objects[0]?.spec?.['ingress'] as { source: unknown }[];
  t.deepEqual(v3[0]?.source, { selector: "projectcalico.org/namespace == 'prod'" });
});

test('review: a tag applied by a user profile the CRD form drops is reported as matching nothing', (t) => {
  const out = runStep(v3Policies, parseFlat({
    '/calico/v1/policy/profile/web/tags': '["web"]',
    '/calico/v1/policy/tier/default/policy/p': JSON.stringify({ selector: 'all()', inbound_rules: [{ action: 'allow', src_tag: 'web' }] }),
  }), 'crd');
  t.like(out.issues.find((i) => i.code === 'tag-matches-nothing'), { severity: 'warning' });
  t.false(runStep(v3Policies, parseFlat({
    '/calico/v1/policy/profile/web/tags': '["web"]',
    '/calico/v1/policy/tier/default/policy/p': JSON.stringify({ selector: 'all()', inbound_rules: [{ action: 'allow', src_tag: 'web' }] }),
  }), 'calicoctl').issues.some((i) => i.code === 'tag-matches-nothing'), 'the calicoctl form keeps the profile, so the tag still matches');
});

test('review: renaming that flips two equal-order policies is a warning naming both orders', (t) => {
  const out = runStep(v3Policies, parseFlat({
    '/calico/v1/policy/tier/default/policy/B-allow-web': JSON.stringify({ selector: 'all()', inbound_rules: [{ action: 'allow', protocol: 'tcp', dst_ports: [5432] }] }),
    '/calico/v1/policy/tier/default/policy/a-deny-all': JSON.stringify({ selector: 'all()', inbound_rules: [{ action: 'deny' }] }),
  }), 'crd');
  const issue = out.issues.find((i) => i.code === 'policy-order-changed');
  t.regex(issue?.message ?? '', /applied in the name order B-allow-web, a-deny-all; after renaming they apply as a-deny-all, b-allow-web-[0-9a-f]{8}/);
});

test('review: two hosts whose names normalise alike set one BGPConfiguration field: both errors', (t) => {
  const out = runStep(v3Bgp, parseFlat({ '/calico/bgp/v1/host/Node1/loglevel': 'debug', '/calico/bgp/v1/host/node1/loglevel': 'none' }));
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['error', 'name-clash'], ['error', 'name-clash']]);
});

test('review: TPR instance kinds are matched case-insensitively; unknown Calico kinds are errors', (t) => {
  const ok = parseObjects(tpr('IPPool', '10-0-0-0-8', { value: '{"cidr":"10.0.0.0/8"}' }), tpr('GlobalBGPPeer', '10-0-0-1', { asNumber: 64512 }));
  t.deepEqual(ok.snapshot.items.map((i) => i.type), ['ip-pool', 'bgp-global-peer']);
  const bad = parseObjects(tpr('WidgetThing', 'x', {}));
  t.deepEqual(bad.failures.map((f) => f.code), ['unknown-calico-tpr-kind']);
});

test('review: items of a typed List from the raw API inherit kind and apiVersion', (t) => {
  const dump = decodeDump('nodes.json', JSON.stringify({ apiVersion: 'v1', kind: 'NodeList', items: [{ metadata: { name: 'n1', annotations: { 'projectcalico.org/IPv4Address': '10.0.0.1/24' } }, spec: { podCIDR: '10.244.0.0/24' } }] }));
  t.deepEqual(dump.failures, []);
  t.deepEqual(dump.records.map((r) => r.origin), ['Node/n1']);
});

test('review: names that are object-prototype keys are data like any other', (t) => {
  const r = convertFlat({ '/calico/bgp/v1/global/constructor': 'x', '/calico/v1/policy/profile/p/tags': '["constructor"]', '/calico/v1/policy/profile/p/labels': '{"a":"b"}' }, 'v3.0', 'calicoctl');
  t.is(r.report.summary.errors, 0, JSON.stringify(r.report.records));
  const profile = r.objects.find((o) => o.kind === 'Profile');
  t.deepEqual(profile?.spec?.['labelsToApply'], { a: 'b', constructor: '' });
  const bgp = r.objects.find((o) => o.kind === 'BGPConfiguration');
  t.deepEqual(bgp?.metadata.annotations, { 'config.projectcalico.org/constructor': 'x' });
});

test('review: İ lowercases to a plain i, as in Go', (t) => {
  t.is(normalizeName('İnternal'), 'internal');
  t.regex(convertNameNoDots('İnternal-Allow'), /^internal-allow-[0-9a-f]{8}$/);
});

test('review: Calico v3 keys in a v2.4 keyspace are one blocker, each key skipped', (t) => {
  const r = convertFlat({ '/calico/v1/config/LogSeverityScreen': 'info', '/calico/resources/v3/projectcalico.org/ippools/p': '{}' }, 'v2.5');
  t.deepEqual(r.report.issues.filter((i) => i.severity === 'error').map((i) => i.code), ['calico-v3-data-present']);
  t.like(r.report.records.find((x) => x.origin.startsWith('/calico/resources/')), { disposition: 'skipped', code: 'calico-v3-data' });
  t.true(r.blocked);
});
