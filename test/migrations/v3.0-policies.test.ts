/**
 * v3.0 step 0050 (policies → GlobalNetworkPolicy) and the rule and selector conversion of
 * migrations/v3.0/rules.ts. Expectations follow calico-data-model.md §4.1 (the `default.` storage
 * prefix), §4.2 GlobalNetworkPolicy, §4.3 (convertNameNoDots), §4.5 (rules), §4.6 (selectors),
 * §6.2 and the step's doc comments where they go beyond upstream (rule selectors converted, `||` for
 * negated tag merges, preDNAT Egress types dropped).
 */
import { createHash } from 'node:crypto';
import test from 'ava';
import { step as policies } from '../../migrations/v3.0/0050-policies.js';
import type { OutputForm } from '../../src/model/target.js';
import { parseFlat, parseObjects, runStep, tpr } from '../_helpers/items.js';

const CRD = 'crd.projectcalico.org/v1';
const V3 = 'projectcalico.org/v3';

/** First 8 hex digits of SHA-1 of the original name (upstream convertName's suffix), computed here independently. */
const sha8 = (s: string): string => createHash('sha1').update(s, 'utf8').digest('hex').slice(0, 8);

const policy = (name: string, value: unknown, tier = 'default') => parseFlat({ [`/calico/v1/policy/tier/${tier}/policy/${name}`]: JSON.stringify(value) });
const origin = (name: string, tier = 'default') => `/calico/v1/policy/tier/${tier}/policy/${name}`;
const run = (name: string, value: unknown, form: OutputForm = 'calicoctl') => runStep(policies, policy(name, value), form);
const spec = (out: ReturnType<typeof runStep>) => out.objects[0]?.object.spec;
/** A rule as the step writes it: source and destination always present, as in Go's output. */
const rule = (r: Record<string, unknown>) => ({ source: {}, destination: {}, ...r });

// ---------------------------------------------------------------------------------------------
// Objects, names and forms

const ALLOW_TCP_6379 = {
  order: 1234,
  selector: "role == 'database'",
  inbound_rules: [{ action: 'allow', protocol: 'tcp', src_selector: "role == 'frontend'", dst_ports: [6379] }],
  outbound_rules: [{ action: 'allow' }],
};
const ALLOW_TCP_6379_SPEC = {
  order: 1234,
  selector: "role == 'database'",
  types: ['Ingress', 'Egress'],
  ingress: [rule({ action: 'Allow', protocol: 'TCP', source: { selector: "role == 'frontend'" }, destination: { ports: [6379] } })],
  egress: [rule({ action: 'Allow' })],
};

test('0050-policies: crd form: a policy becomes GlobalNetworkPolicy default.<name> (crd.projectcalico.org/v1), and the stored name is reported as a rename', (t) => {
  const out = run('allow-tcp-6379', ALLOW_TCP_6379, 'crd');
  t.deepEqual(out.objects.map((o) => o.object), [{ apiVersion: CRD, kind: 'GlobalNetworkPolicy', metadata: { name: 'default.allow-tcp-6379' }, spec: ALLOW_TCP_6379_SPEC }]);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.targets]), [['converted', ['GlobalNetworkPolicy/default.allow-tcp-6379']]]);
  t.deepEqual(out.renames, [{ kind: 'GlobalNetworkPolicy', from: 'allow-tcp-6379', to: 'default.allow-tcp-6379', origin: origin('allow-tcp-6379') }]);
  t.deepEqual(out.issues, []);
});

test('0050-policies: calicoctl form: a policy becomes GlobalNetworkPolicy <name> (projectcalico.org/v3) without the default. prefix and without a rename', (t) => {
  const out = run('allow-tcp-6379', ALLOW_TCP_6379, 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [{ apiVersion: V3, kind: 'GlobalNetworkPolicy', metadata: { name: 'allow-tcp-6379' }, spec: ALLOW_TCP_6379_SPEC }]);
  t.deepEqual(out.renames, []);
});

/** [what, name as stored in the etcd key, the unescaped original, its convertNameNoDots stem] */
const nameCases: [string, string, string, string][] = [
  ['a name with upper case and _', 'My_Policy', 'My_Policy', 'my-policy'],
  ['a dotted name (GNP names are DNS-1123 labels)', 'rack1.host1', 'rack1.host1', 'rack1-host1'],
  ['an escaped name with /', 'team%2fweb', 'team/web', 'team-web'],
];
for (const [what, stored, original, stem] of nameCases) {
  test(`0050-policies: ${what} is converted with convertNameNoDots plus the SHA-1 suffix, in both forms`, (t) => {
    const expected = `${stem}-${sha8(original)}`;
    const value = { selector: 'all()', inbound_rules: [{}], outbound_rules: [{}] };
    const ctl = runStep(policies, policy(stored, value), 'calicoctl');
    const crd = runStep(policies, policy(stored, value), 'crd');
    t.is(ctl.objects[0]?.object.metadata.name, expected);
    t.is(crd.objects[0]?.object.metadata.name, `default.${expected}`);
    t.deepEqual(ctl.renames, [{ kind: 'GlobalNetworkPolicy', from: original, to: expected, origin: origin(stored) }]);
    t.deepEqual(crd.renames, [{ kind: 'GlobalNetworkPolicy', from: original, to: `default.${expected}`, origin: origin(stored) }]);
  });
}

test('0050-policies: the convertNameNoDots vectors of the data model hold (My_Policy, rack1.host1)', (t) => {
  const value = { selector: 'all()', inbound_rules: [{}], outbound_rules: [{}] };
  t.is(run('My_Policy', value).objects[0]?.object.metadata.name, 'my-policy-25c5e100');
  t.is(run('rack1.host1', value).objects[0]?.object.metadata.name, 'rack1-host1-f5deda87');
});

test('0050-policies: policy annotations are copied to the GlobalNetworkPolicy', (t) => {
  const out = run('p', { selector: 'all()', annotations: { owner: 'team-a' }, inbound_rules: [{}], outbound_rules: [{}] }, 'crd');
  t.deepEqual(out.objects[0]?.object.metadata, { name: 'default.p', annotations: { owner: 'team-a' } });
});

// ---------------------------------------------------------------------------------------------
// types, preDNAT, doNotTrack, applyOnForward

test('0050-policies: a policy without types gets [Ingress, Egress], with an info note naming the direction that has no rules', (t) => {
  const out = run('p', { selector: 'all()', inbound_rules: [{ action: 'deny' }] });
  t.deepEqual(spec(out), { selector: 'all()', types: ['Ingress', 'Egress'], ingress: [rule({ action: 'Deny' })] });
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['info', 'types-defaulted']]);
});

test('0050-policies: a preDNAT policy without types gets [Ingress], and applyOnForward is forced', (t) => {
  const out = run('p', { selector: 'all()', pre_dnat: true, inbound_rules: [{ action: 'allow' }] });
  t.deepEqual(spec(out), { selector: 'all()', types: ['Ingress'], preDNAT: true, applyOnForward: true, ingress: [rule({ action: 'Allow' })] });
  t.deepEqual(out.issues, []);
});

test('0050-policies: explicit v2.6 types are mapped to Ingress/Egress in their order', (t) => {
  const out = run('p', { selector: 'all()', types: ['egress', 'ingress'], outbound_rules: [{}] });
  t.deepEqual(spec(out), { selector: 'all()', types: ['Egress', 'Ingress'], egress: [rule({ action: 'Allow' })] });
  t.deepEqual(out.issues, [], 'no types-defaulted note when the types were explicit');
});

test('0050-policies: an explicit Egress type on a preDNAT policy is dropped with a warning (calico#1796)', (t) => {
  const out = run('p', { selector: 'all()', pre_dnat: true, types: ['ingress', 'egress'], inbound_rules: [{}] });
  t.deepEqual(spec(out), { selector: 'all()', types: ['Ingress'], preDNAT: true, applyOnForward: true, ingress: [rule({ action: 'Allow' })] });
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'field-not-carried']]);
  t.like(out.outcomes[0], { disposition: 'converted-with-loss', lost: [{ path: 'types[1]', value: 'egress', code: 'field-not-carried' }] });
});

test('0050-policies: an untracked (doNotTrack) policy forces applyOnForward', (t) => {
  const out = run('p', { selector: 'all()', untracked: true, apply_on_forward: false, inbound_rules: [{}], outbound_rules: [{}] });
  t.deepEqual(spec(out), { selector: 'all()', types: ['Ingress', 'Egress'], doNotTrack: true, applyOnForward: true, ingress: [rule({ action: 'Allow' })], egress: [rule({ action: 'Allow' })] });
});

test('0050-policies: an explicit applyOnForward is copied', (t) => {
  const out = run('p', { selector: 'all()', apply_on_forward: true, inbound_rules: [{}], outbound_rules: [{}] });
  t.is(spec(out)?.['applyOnForward'], true);
});

test('0050-policies: a preDNAT policy with egress rules is a conversion error', (t) => {
  const out = run('p', { selector: 'all()', pre_dnat: true, inbound_rules: [{}], outbound_rules: [{}] });
  t.deepEqual(out.objects, []);
  t.like(out.outcomes[0], { disposition: 'error', code: 'conversion-error', message: 'a preDNAT policy may not have egress rules' });
});

test('0050-policies: a policy both preDNAT and untracked is a conversion error', (t) => {
  const out = run('p', { selector: 'all()', pre_dnat: true, untracked: true, inbound_rules: [{}] });
  t.deepEqual(out.objects, []);
  t.like(out.outcomes[0], { disposition: 'error', code: 'conversion-error', message: 'preDNAT and doNotTrack cannot both be set' });
});

// ---------------------------------------------------------------------------------------------
// Selectors

test('0050-policies: calico/k8s_ns is renamed projectcalico.org/namespace in the policy and rule selectors, not inside quoted values, with an info note', (t) => {
  const out = run('p', {
    order: 10,
    selector: "calico/k8s_ns == 'prod' && note == 'calico/k8s_ns'",
    inbound_rules: [{ src_selector: 'has(calico/k8s_ns)', '!dst_selector': "calico/k8s_ns in {'kube-system'}" }],
    outbound_rules: [{ dst_selector: "calico/k8s_ns != \"calico/k8s_ns\"" }],
  });
  t.deepEqual(spec(out), {
    order: 10,
    selector: "projectcalico.org/namespace == 'prod' && note == 'calico/k8s_ns'",
    types: ['Ingress', 'Egress'],
    ingress: [rule({ action: 'Allow', source: { selector: 'has(projectcalico.org/namespace)' }, destination: { notSelector: "projectcalico.org/namespace in {'kube-system'}" } })],
    egress: [rule({ action: 'Allow', destination: { selector: 'projectcalico.org/namespace != "calico/k8s_ns"' } })],
  });
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['info', 'selector-rewritten']]);
});

test('0050-policies: a selector used again (in another policy, or in a rule) is converted the same each time, with notes naming each place', (t) => {
  const shared = "calico/k8s_ns == 'prod'";
  const bad = "role == 'x' &&";
  const out = runStep(policies, parseFlat({
    [origin('a')]: JSON.stringify({ selector: shared, inbound_rules: [{ src_selector: shared }] }),
    [origin('b')]: JSON.stringify({ selector: shared, outbound_rules: [{ dst_selector: bad }] }),
    [origin('c')]: JSON.stringify({ selector: bad }),
    [origin('d')]: JSON.stringify({ selector: shared }),
  }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => [o.object.metadata.name, o.object.spec?.['selector']]), [['a', "projectcalico.org/namespace == 'prod'"], ['d', "projectcalico.org/namespace == 'prod'"]]);
  t.deepEqual(out.objects[0]?.object.spec?.['ingress'], [rule({ action: 'Allow', source: { selector: "projectcalico.org/namespace == 'prod'" } })]);
  t.deepEqual(out.issues.filter((i) => i.code === 'selector-rewritten').map((i) => [i.origin, i.message]), [
    [origin('a'), 'v1 namespace label keys renamed to their v3 keys: ingress[0] source selector: calico/k8s_ns → projectcalico.org/namespace; selector: calico/k8s_ns → projectcalico.org/namespace'],
    [origin('d'), 'v1 namespace label keys renamed to their v3 keys: selector: calico/k8s_ns → projectcalico.org/namespace'],
  ]);
  t.deepEqual(out.outcomes.filter((o) => o.disposition === 'error').map((o) => [o.origin, o.message?.replace(/ does not parse .*$/, ' does not parse')]), [
    [origin('b'), `egress[0] destination selector: selector ${JSON.stringify(bad)} does not parse`],
    [origin('c'), `selector: selector ${JSON.stringify(bad)} does not parse`],
  ]);
});

test('0050-policies: v2.4 namespace label keys k8s_ns/label/<k> become pcns.<k>', (t) => {
  const out = run('p', { selector: "k8s_ns/label/team == 'a'", inbound_rules: [{ src_selector: 'has(k8s_ns/label/env)' }], outbound_rules: [{}] });
  t.is(spec(out)?.['selector'], "pcns.team == 'a'");
  t.deepEqual(spec(out)?.['ingress'], [rule({ action: 'Allow', source: { selector: 'has(pcns.env)' } })]);
});

test('0050-policies: an invalid rule selector is a conversion error naming the rule', (t) => {
  const out = run('p', { selector: 'all()', inbound_rules: [{ src_selector: "role == 'x' &&" }] });
  t.deepEqual(out.objects, []);
  t.like(out.outcomes[0], { disposition: 'error', code: 'conversion-error' });
  t.regex(out.outcomes[0]?.message ?? '', /^ingress\[0\] source selector: selector "role == 'x' &&" does not parse/);
});

test('0050-policies: an invalid policy selector is a conversion error', (t) => {
  const out = run('p', { selector: 'role = "x"', inbound_rules: [{}] });
  t.deepEqual(out.objects, []);
  t.like(out.outcomes[0], { disposition: 'error', code: 'conversion-error' });
  t.regex(out.outcomes[0]?.message ?? '', /^selector: selector "role = \\"x\\"" does not parse/);
});

// ---------------------------------------------------------------------------------------------
// Rules (rules.ts)

test("0050-policies: a tag is merged into the selector as (<sel>) && <tag> == '', or <tag> == '' alone; unmasked source nets are masked (data model §4.5 example)", (t) => {
  const out = run('p', {
    selector: 'all()',
    inbound_rules: [
      { action: 'allow', protocol: 'tcp', src_tag: 'web', src_selector: "role == 'x'", src_net: '192.168.0.129/25', dst_ports: [80] },
      { action: 'allow', dst_tag: 'db' },
    ],
    outbound_rules: [{}],
  });
  t.deepEqual(spec(out)?.['ingress'], [
    rule({ action: 'Allow', protocol: 'TCP', source: { nets: ['192.168.0.128/25'], selector: "(role == 'x') && web == ''" }, destination: { ports: [80] } }),
    rule({ action: 'Allow', destination: { selector: "db == ''" } }),
  ]);
});

test('0050-policies: an unmasked net is masked with an info note naming it', (t) => {
  const out = run('p', { selector: 'all()', inbound_rules: [{ src_net: '192.168.0.129/25' }], outbound_rules: [{ '!dst_nets': ['10.1.2.3/16', 'fd00::1/64'] }] });
  t.deepEqual(spec(out)?.['ingress'], [rule({ action: 'Allow', source: { nets: ['192.168.0.128/25'] } })]);
  t.deepEqual(spec(out)?.['egress'], [rule({ action: 'Allow', destination: { notNets: ['10.1.0.0/16', 'fd00::/64'] } })]);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['info', 'net-masked']]);
  t.is(out.issues[0]?.message, 'CIDRs with host bits set were masked (same match): ingress[0] source nets: 192.168.0.129/25 → 192.168.0.128/25; egress[0] destination notNets: 10.1.2.3/16 → 10.1.0.0/16; egress[0] destination notNets: fd00::1/64 → fd00::/64');
});

test("0050-policies: src_nets come before src_net, and both land in nets", (t) => {
  const out = run('p', { selector: 'all()', inbound_rules: [{ src_net: '10.0.0.0/8', src_nets: ['172.16.0.0/12', '192.168.0.0/16'] }], outbound_rules: [{}] });
  t.deepEqual(spec(out)?.['ingress'], [rule({ action: 'Allow', source: { nets: ['172.16.0.0/12', '192.168.0.0/16', '10.0.0.0/8'] } })]);
});

test("0050-policies: a negated tag and a negated selector are merged with || (keeping Felix 2.x's meaning), with an info note", (t) => {
  const out = run('p', { selector: 'all()', inbound_rules: [{ '!src_tag': 'bad', '!src_selector': "role == 'x'", '!dst_tag': 'other' }], outbound_rules: [{}] });
  t.deepEqual(spec(out)?.['ingress'], [rule({ action: 'Allow', source: { notSelector: "(role == 'x') || bad == ''" }, destination: { notSelector: "other == ''" } })]);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['info', 'negated-tag-merge']]);
});

test('0050-policies: actions are re-cased (allow, deny, log, empty → Allow, Deny, Log, Allow) and next-tier becomes Pass', (t) => {
  const out = run('p', { selector: 'all()', inbound_rules: [{ action: 'allow' }, { action: 'deny' }, { action: 'log' }, { action: '' }, { action: 'next-tier' }], outbound_rules: [{ action: 'pass' }] });
  t.deepEqual(spec(out)?.['ingress'], ['Allow', 'Deny', 'Log', 'Allow', 'Pass'].map((action) => rule({ action })));
  t.deepEqual(spec(out)?.['egress'], [rule({ action: 'Pass' })]);
});

test('0050-policies: protocol names are re-cased (tcp→TCP, udp→UDP, icmp→ICMP, icmpv6→ICMPv6, sctp→SCTP, udplite→UDPLite) and numbers kept', (t) => {
  const out = run('p', {
    selector: 'all()',
    inbound_rules: [
      { protocol: 'tcp' }, { protocol: 'udp' }, { protocol: 'icmp' }, { protocol: 'icmpv6' }, { protocol: 'sctp' }, { protocol: 'udplite' },
      { protocol: 132 }, { protocol: '17' }, { protocol: 'TCP', '!protocol': 'udp' },
    ],
    outbound_rules: [{}],
  });
  t.deepEqual(spec(out)?.['ingress'], [
    rule({ action: 'Allow', protocol: 'TCP' }),
    rule({ action: 'Allow', protocol: 'UDP' }),
    rule({ action: 'Allow', protocol: 'ICMP' }),
    rule({ action: 'Allow', protocol: 'ICMPv6' }),
    rule({ action: 'Allow', protocol: 'SCTP' }),
    rule({ action: 'Allow', protocol: 'UDPLite' }),
    rule({ action: 'Allow', protocol: 132 }),
    rule({ action: 'Allow', protocol: 17 }),
    rule({ action: 'Allow', protocol: 'TCP', notProtocol: 'UDP' }),
  ]);
});

test('0050-policies: icmp_type/icmp_code become icmp {type, code} and the negated ones notICMP; ip_version becomes ipVersion', (t) => {
  const out = run('p', { selector: 'all()', inbound_rules: [{ ip_version: 4, protocol: 'icmp', icmp_type: 3, icmp_code: 4, '!icmp_type': 8 }, { ip_version: 6, protocol: 'icmpv6', icmp_type: 128 }], outbound_rules: [{}] });
  t.deepEqual(spec(out)?.['ingress'], [
    rule({ action: 'Allow', ipVersion: 4, protocol: 'ICMP', icmp: { type: 3, code: 4 }, notICMP: { type: 8 } }),
    rule({ action: 'Allow', ipVersion: 6, protocol: 'ICMPv6', icmp: { type: 128 } }),
  ]);
});

test('0050-policies: ports and port ranges are copied, negated ones to notPorts', (t) => {
  const out = run('p', { selector: 'all()', inbound_rules: [{ protocol: 'tcp', src_ports: ['1024:65535'], dst_ports: [80, 443], '!dst_ports': ['8000:8080'] }], outbound_rules: [{}] });
  t.deepEqual(spec(out)?.['ingress'], [rule({ action: 'Allow', protocol: 'TCP', source: { ports: ['1024:65535'] }, destination: { ports: [80, 443], notPorts: ['8000:8080'] } })]);
});

test('0050-policies: a rule log_prefix is dropped with a warning naming its path, and the policy is converted with loss', (t) => {
  const out = run('p', { selector: 'all()', inbound_rules: [{ action: 'log', log_prefix: 'ssh-in' }], outbound_rules: [{}] });
  t.deepEqual(spec(out)?.['ingress'], [rule({ action: 'Log' })]);
  t.like(out.outcomes[0], { disposition: 'converted-with-loss', lost: [{ path: 'inbound_rules[0].log_prefix', value: 'ssh-in', code: 'field-not-carried' }] });
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'field-not-carried']]);
});

test('0050-policies: named ports in rules are carried to v3', (t) => {
  const out = run('p', { selector: 'all()', inbound_rules: [{ action: 'allow', protocol: 'tcp', dst_ports: ['http', 8080, '9000:9100'] }], outbound_rules: [{}] });
  t.deepEqual(spec(out)?.['ingress'], [rule({ action: 'Allow', protocol: 'TCP', destination: { ports: ['http', 8080, '9000:9100'] } })]);
  t.deepEqual(out.outcomes.map((o) => o.disposition), ['converted']);
});

// ---------------------------------------------------------------------------------------------
// Skipped policies

test('0050-policies: knp.default.* policies are skipped as derived from NetworkPolicy', (t) => {
  const out = run('knp.default.web.allow', { selector: 'all()' });
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'derived-network-policy']]);
  t.deepEqual(out.issues, []);
});

test("0050-policies: kube-policy-controller policies <ns>.<np> at order 1000 whose selector starts calico/k8s_ns == '<ns>' are skipped as derived", (t) => {
  const out = runStep(policies, parseFlat({
    [origin('prod.allow-web')]: JSON.stringify({ order: 1000, selector: "calico/k8s_ns == 'prod' && app == 'web'", outbound_rules: [{ action: 'allow' }] }),
    [origin('prod.other-order')]: JSON.stringify({ order: 10, selector: "calico/k8s_ns == 'prod'", inbound_rules: [{}], outbound_rules: [{}] }),
    [origin('prod.other-ns')]: JSON.stringify({ order: 1000, selector: "calico/k8s_ns == 'dev'", inbound_rules: [{}], outbound_rules: [{}] }),
  }), 'calicoctl');
  t.deepEqual(out.outcomes.map((o) => [o.origin, o.disposition, o.code]), [
    [origin('prod.allow-web'), 'skipped', 'derived-network-policy'],
    [origin('prod.other-order'), 'converted', undefined],
    [origin('prod.other-ns'), 'converted', undefined],
  ]);
});

test('0050-policies: the legacy k8s-policy-no-match policy is skipped with a warning', (t) => {
  const out = run('k8s-policy-no-match', { order: 2000, selector: 'has(calico/k8s_ns)' });
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'legacy-no-match-policy']]);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'legacy-no-match-policy']]);
});

test('0050-policies: a policy in a tier other than default is skipped with severity error (a blocker)', (t) => {
  const out = runStep(policies, policy('quarantine', { selector: 'all()' }, 'security'), 'crd');
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'non-default-tier']]);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['error', 'non-default-tier']]);
});

test("0050-policies: a policy of the old policy controller's tier k8s-network-policy is skipped with a warning", (t) => {
  const out = runStep(policies, policy('default.web', { selector: 'all()' }, 'k8s-network-policy'), 'crd');
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'legacy-policy-controller-tier']]);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'legacy-policy-controller-tier']]);
});

test('0050-policies: tier metadata is skipped without an issue', (t) => {
  const out = runStep(policies, parseFlat({ '/calico/v1/policy/tier/default/metadata': '{"order":1000}' }), 'crd');
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'tier-metadata']]);
  t.deepEqual(out.issues, []);
});

// ---------------------------------------------------------------------------------------------
// SystemNetworkPolicy (KDD)

test('0050-policies: a SystemNetworkPolicy becomes GlobalNetworkPolicy default.<name> (crd form), with an info note', (t) => {
  const out = runStep(policies, parseObjects(tpr('SystemNetworkPolicy', 'allow-dns', {
    order: 100,
    selector: 'all()',
    egress: [{ action: 'allow', protocol: 'udp', destination: { ports: [53] }, source: { net: '10.0.0.0/8' } }],
  }, 'alpha.projectcalico.org/v1')), 'crd');
  t.deepEqual(out.objects.map((o) => o.object), [{
    apiVersion: CRD,
    kind: 'GlobalNetworkPolicy',
    metadata: { name: 'default.allow-dns' },
    spec: { order: 100, selector: 'all()', types: ['Ingress', 'Egress'], egress: [rule({ action: 'Allow', protocol: 'UDP', source: { nets: ['10.0.0.0/8'] }, destination: { ports: [53] } })] },
  }]);
  t.like(out.outcomes[0], { disposition: 'converted', targets: ['GlobalNetworkPolicy/default.allow-dns'] });
  t.like(out.issues.find((i) => i.code === 'system-network-policy-migrated'), { severity: 'info', origin: 'SystemNetworkPolicy/kube-system/allow-dns' });
});
