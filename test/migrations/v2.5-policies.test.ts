/** v2.5 step 0050: policies to GlobalNetworkPolicy in the v1 API shape, and what is skipped. */
import test from 'ava';
import { step as policies } from '../../migrations/v2.5/0050-policies.js';
import { parseFlat, parseObjects, runStep, tpr } from '../_helpers/items.js';

const policy = (name: string, value: unknown, tier = 'default') => parseFlat({ [`/calico/v1/policy/tier/${tier}/policy/${name}`]: JSON.stringify(value) });

test('0050: a backend policy becomes a GlobalNetworkPolicy with v1 API rules', (t) => {
  const out = runStep(policies, policy('allow-tcp-6379', {
    order: 1234,
    selector: "role == 'database'",
    inbound_rules: [{ action: 'allow', protocol: 'tcp', src_selector: "role == 'frontend'", dst_ports: [6379, '8000:8080'] }],
    outbound_rules: [{ action: 'next-tier' }, {}],
  }));
  t.deepEqual(out.objects[0]?.object, {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: 'allow-tcp-6379' },
    spec: {
      order: 1234,
      selector: "role == 'database'",
      ingress: [{ action: 'allow', protocol: 'tcp', source: { selector: "role == 'frontend'" }, destination: { ports: [6379, '8000:8080'] } }],
      egress: [
        { action: 'pass', source: {}, destination: {} },
        { action: 'allow', source: {}, destination: {} },
      ],
    },
  });
});

test('0050: negations, icmp, tags, untracked and preDNAT map to their v1 API fields', (t) => {
  const out = runStep(policies, policy('p', {
    selector: 'all()',
    untracked: true,
    inbound_rules: [{ action: 'deny', protocol: 'tcp', '!protocol': 'udp', icmp_type: 3, icmp_code: 4, '!icmp_type': 8, '!src_tag': 'bad', '!dst_ports': [25], src_net: '10.0.0.0/8', src_nets: ['10.1.0.0/16'] }],
  }));
  t.deepEqual(out.objects[0]?.object.spec, {
    selector: 'all()',
    doNotTrack: true,
    ingress: [{ action: 'deny', protocol: 'tcp', notProtocol: 'udp', icmp: { type: 3, code: 4 }, notICMP: { type: 8 }, source: { notTag: 'bad', nets: ['10.1.0.0/16', '10.0.0.0/8'] }, destination: { notPorts: [25] } }],
  });
});

test('0050: an unmasked source net is masked, with an info note', (t) => {
  const out = runStep(policies, policy('p', { selector: '', inbound_rules: [{ src_net: '192.168.0.129/25' }] }));
  t.deepEqual((out.objects[0]?.object.spec?.['ingress'] as unknown[])[0], { action: 'allow', source: { nets: ['192.168.0.128/25'] }, destination: {} });
  t.like(out.issues[0], { severity: 'info', code: 'net-masked' });
});

test('0050: a rule log_prefix is reported as not carried, with its path, and the policy is converted with loss', (t) => {
  const out = runStep(policies, policy('p', { selector: '', inbound_rules: [{ action: 'log', log_prefix: 'ssh-in' }] }));
  t.is(out.objects.length, 1);
  t.like(out.issues[0], { severity: 'warning', code: 'field-not-carried', message: 'inbound_rules[0].log_prefix = "ssh-in": v1 API (v2.5/v2.6) rules have no log prefix; Log rules still log, with Felix\'s default prefix' });
  t.like(out.outcomes[0], { disposition: 'converted-with-loss', lost: [{ path: 'inbound_rules[0].log_prefix', value: 'ssh-in' }] });
});

test('0050: a named port cannot be written in the v2.5/v2.6 rule shape: the policy is an error (dropping it would widen the rule)', (t) => {
  const out = runStep(policies, policy('p', { selector: '', inbound_rules: [{ action: 'allow', protocol: 'tcp', dst_ports: ['http'] }] }));
  t.is(out.objects.length, 0);
  t.like(out.outcomes[0], { disposition: 'error', code: 'invalid-rule', message: 'ingress[0] destination: named port(s) http: the v2.5/v2.6 policy API has no named ports (Calico v3.0 adds them), and dropping them would widen the rule' });
});

test('0050: ports without tcp or udp are an error naming the rule', (t) => {
  const out = runStep(policies, policy('p', { selector: '', inbound_rules: [{ dst_ports: [80] }] }));
  t.is(out.objects.length, 0);
  t.like(out.outcomes[0], { disposition: 'error', code: 'invalid-rule', message: 'ingress[0]: ports need protocol tcp or udp (got none)' });
});

test('0050: an escaped or invalid policy name is unescaped, normalised with a hash, and reported as a rename', (t) => {
  const out = runStep(policies, policy('team%2fweb', { selector: '' }));
  t.is(out.objects[0]?.object.metadata.name, 'team.web-a344989a');
  t.is(out.renames[0]?.from, 'team/web');
  t.like(out.issues[0], { severity: 'warning', code: 'policy-renamed' });
});

test('0050: a policy in a non-default tier is skipped as a blocker', (t) => {
  const out = runStep(policies, policy('quarantine', { selector: '' }, 'security'));
  t.is(out.objects.length, 0);
  t.like(out.outcomes[0], { disposition: 'skipped', code: 'non-default-tier' });
  t.like(out.issues[0], { severity: 'error', code: 'non-default-tier' });
});

test("0050: the old policy controller's tier and no-match policy are skipped with warnings", (t) => {
  const out = runStep(policies, parseFlat({
    '/calico/v1/policy/tier/k8s-network-policy/policy/default.web': '{"selector":""}',
    '/calico/v1/policy/tier/default/policy/k8s-policy-no-match': '{"order":2000,"selector":"has(calico/k8s_ns)"}',
  }));
  t.deepEqual(out.outcomes.map((o) => o.code), ['legacy-policy-controller-tier', 'legacy-no-match-policy']);
  t.deepEqual(out.issues.map((i) => i.severity), ['warning', 'warning']);
});

test('0050: NetworkPolicy-derived policies are skipped: knp.default.*, and kube-policy-controller <ns>.<np> at order 1000', (t) => {
  const out = runStep(policies, parseFlat({
    '/calico/v1/policy/tier/default/policy/knp.default.web.allow': '{"selector":""}',
    '/calico/v1/policy/tier/default/policy/prod.allow-web': JSON.stringify({ order: 1000, selector: "calico/k8s_ns == 'prod' && app == 'web'", outbound_rules: [{ action: 'allow' }] }),
    '/calico/v1/policy/tier/default/policy/prod.other': JSON.stringify({ order: 10, selector: "calico/k8s_ns == 'prod'" }),
    '/calico/v1/policy/tier/default/policy/prod.deny-out': JSON.stringify({ order: 1000, selector: "calico/k8s_ns == 'prod'", outbound_rules: [{ action: 'deny', dst_net: '0.0.0.0/0' }] }),
  }));
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'derived-network-policy'], ['skipped', 'derived-network-policy'], ['converted', undefined], ['converted', undefined]]);
  t.deepEqual(out.objects.map((o) => o.object.metadata.name), ['prod.other', 'prod.deny-out'], 'dotted names without the exact generated shape are user policies');
  t.like(out.issues.find((i) => i.origin?.endsWith('prod.allow-web')), { severity: 'warning', code: 'derived-network-policy' });
});

test('0050: tier metadata is skipped', (t) => {
  const out = runStep(policies, parseFlat({ '/calico/v1/policy/tier/default/metadata': '{"order":1000}' }));
  t.like(out.outcomes[0], { disposition: 'skipped', code: 'tier-metadata' });
});

test('0050: a SystemNetworkPolicy is migrated (the official job dropped it) and says so', (t) => {
  const out = runStep(policies, parseObjects(tpr('SystemNetworkPolicy', 'allow-dns', {
    order: 100,
    selector: 'all()',
    egress: [{ action: 'allow', protocol: 'udp', destination: { ports: [53] }, source: { net: '10.0.0.0/8', nets: ['10.0.0.0/8'] } }],
  }, 'alpha.projectcalico.org/v1')));
  t.deepEqual(out.objects[0]?.object, {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: 'allow-dns' },
    spec: { order: 100, selector: 'all()', egress: [{ action: 'allow', protocol: 'udp', source: { nets: ['10.0.0.0/8'] }, destination: { ports: [53] } }] },
  });
  t.like(out.issues[0], { severity: 'info', code: 'system-network-policy-migrated' });
});

test('0050: apply_on_forward (v1 model of the v3 libraries only) is reported as not carried when true', (t) => {
  const on = runStep(policies, policy('p', { selector: '', apply_on_forward: true }));
  t.like(on.outcomes[0], { disposition: 'converted-with-loss', lost: [{ path: 'apply_on_forward', value: true, code: 'field-not-carried' }] });
  const off = runStep(policies, policy('p', { selector: '', apply_on_forward: false }));
  t.like(off.outcomes[0], { disposition: 'converted' });
});
