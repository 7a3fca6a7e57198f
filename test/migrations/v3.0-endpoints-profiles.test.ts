/**
 * v3.0 steps 0070 (host endpoints), 0072 (profiles), 0074 (workload endpoints), 0080 (Calico IPAM)
 * and 0090 (runtime and other data). Expectations follow calico-data-model.md §4.1 (what the v3.0
 * Kubernetes datastore can hold), §4.2 (HostEndpoint, Profile, WorkloadEndpoint, IPAM), §4.3 (names)
 * and §6.2, and the steps' doc comments where they go beyond upstream (WEP namespace and orchestrator
 * labels, profiles without tags).
 */
import { createHash } from 'node:crypto';
import test from 'ava';
import { step as hostEndpoints } from '../../migrations/v3.0/0070-host-endpoints.js';
import { step as profiles } from '../../migrations/v3.0/0072-profiles.js';
import { step as workloadEndpoints } from '../../migrations/v3.0/0074-workload-endpoints.js';
import { step as ipam } from '../../migrations/v3.0/0080-calico-ipam.js';
import { step as other } from '../../migrations/v3.0/0090-runtime-and-other-data.js';
import { objectId, OUTPUT_FORMS } from '../../src/model/target.js';
import { ipamKeyOf, ipamValueOf } from '../../src/v3/ipam.js';
import { block, parseFlat, parseObjects, runStep, tpr } from '../_helpers/items.js';

const V3 = 'projectcalico.org/v3';

/** First 8 hex digits of SHA-1 of the original name (upstream convertName's suffix), computed here independently. */
const sha8 = (s: string): string => createHash('sha1').update(s, 'utf8').digest('hex').slice(0, 8);

// ---------------------------------------------------------------------------------------------
// 0070-host-endpoints

const hep = (host: string, endpoint: string, value: unknown) => parseFlat({ [`/calico/v1/host/${host}/endpoint/${endpoint}`]: JSON.stringify(value) });

test('0070-host-endpoints: calicoctl form: a host endpoint becomes HostEndpoint <node>.<endpoint> with expectedIPs IPv4 then IPv6, profiles and labels', (t) => {
  const out = runStep(hostEndpoints, hep('myhost', 'eth0', {
    name: 'eth0',
    expected_ipv6_addrs: ['fd00:1::321'],
    expected_ipv4_addrs: ['192.168.0.1', '192.168.0.2'],
    labels: { type: 'production' },
    profile_ids: ['profile1', 'k8s_ns.default'],
  }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [{
    apiVersion: V3,
    kind: 'HostEndpoint',
    metadata: { name: 'myhost.eth0', labels: { type: 'production' } },
    spec: { node: 'myhost', interfaceName: 'eth0', expectedIPs: ['192.168.0.1', '192.168.0.2', 'fd00:1::321'], profiles: ['profile1', 'kns.default'] },
  }]);
  // The host endpoint also makes its host a v3 Node (calico-upgrade lists nodes from host directories).
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.targets]), [['converted', ['HostEndpoint/myhost.eth0', 'Node/myhost']]]);
  t.deepEqual(out.renames, [{ kind: 'HostEndpoint', from: 'myhost/eth0', to: 'myhost.eth0', origin: '/calico/v1/host/myhost/endpoint/eth0' }]);
  t.deepEqual(out.issues, []);
});

test('0070-host-endpoints: calicoctl form: ports are carried with protocol names upper-cased, numbers kept, name-only and port-only entries as given', (t) => {
  const out = runStep(hostEndpoints, hep('my-node', 'my-hep', {
    name: 'eth3',
    ports: [
      { name: 'my-port', protocol: 'tcp', port: 5 },
      { name: 'dns', protocol: 'udp', port: 53 },
      { name: 'sctp-port', protocol: 'sctp', port: 9 },
      { name: 'by-number', protocol: 17, port: 10 },
      { name: 'name-only' },
      { port: 8080 },
    ],
  }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object.spec?.['ports']), [[
    { name: 'my-port', protocol: 'TCP', port: 5 },
    { name: 'dns', protocol: 'UDP', port: 53 },
    { name: 'sctp-port', protocol: 'SCTP', port: 9 },
    { name: 'by-number', protocol: 17, port: 10 },
    { name: 'name-only' },
    { port: 8080 },
  ]]);
  t.deepEqual(out.outcomes.map((o) => o.disposition), ['converted']);
  t.deepEqual(out.issues, []);
});

test('0070-host-endpoints: calicoctl form: a field no Calico release defines is reported with its path and value, and the record is converted with loss', (t) => {
  const out = runStep(hostEndpoints, hep('myhost', 'eth0', { name: 'eth0', color: 'blue', ports: [{ name: 'p', protocol: 'tcp', port: 1, weight: 3 }] }), 'calicoctl');
  t.is(out.objects.length, 1);
  t.like(out.outcomes[0], {
    disposition: 'converted-with-loss',
    lost: [
      { path: 'color', value: 'blue', code: 'unknown-field' },
      { path: 'ports[0].weight', value: 3, code: 'unknown-field' },
    ],
  });
  t.deepEqual(out.issues.map((i) => [i.severity, i.code, i.message.split(':')[0]]), [
    ['warning', 'unknown-field', 'color = "blue"'],
    ['warning', 'unknown-field', 'ports[0].weight = 3'],
  ]);
});

test('0070-host-endpoints: calicoctl form: the name is convertName(<normalised node>.<endpoint id>) and profile references are renamed as profiles are (data model vectors)', (t) => {
  const out = runStep(hostEndpoints, hep('noD2{', 'H3P.N%2fme', { expected_ipv4_addrs: ['10.0.0.1'], profile_ids: ['pRo/le', 'k8s_ns.FlUx-.-CaPaCiToR$$'] }), 'calicoctl');
  const name = `nod2.h3p.n.me-${sha8('nod2.H3P.N/me')}`;
  t.is(name, 'nod2.h3p.n.me-7188e863');
  t.deepEqual(out.objects.map((o) => o.object), [{
    apiVersion: V3,
    kind: 'HostEndpoint',
    metadata: { name },
    spec: { node: 'nod2', expectedIPs: ['10.0.0.1'], profiles: [`pro.le-${sha8('pRo/le')}`, `kns.flux.capacitor-${sha8('kns.FlUx-.-CaPaCiToR$$')}`] },
  }]);
  t.deepEqual(out.renames, [{ kind: 'HostEndpoint', from: 'noD2{/H3P.N/me', to: name, origin: '/calico/v1/host/noD2{/endpoint/H3P.N%2fme' }]);
});

test('0070-host-endpoints: a value of the wrong shape is an error naming the key and field, whatever the form', (t) => {
  const parsed = hep('myhost', 'eth0', { name: 'eth0', labels: { n: 1 } });
  t.deepEqual(parsed.snapshot.items, []);
  t.like(parsed.failures[0], { origin: '/calico/v1/host/myhost/endpoint/eth0', disposition: 'error', code: 'invalid-value', message: 'host endpoint value field "labels" must map strings to strings, got {"n":1}' });
  const ports = hep('myhost', 'eth0', { name: 'eth0', ports: [{ name: 'p', protocol: 'tcp', port: 70000 }] });
  t.like(ports.failures[0], { code: 'invalid-value', message: 'host endpoint value ports[0].port 70000 is not a port number (0-65535)' });
});

test('0070-host-endpoints: crd form: host endpoints are skipped with a warning (no host endpoints in the v3.0 Kubernetes datastore)', (t) => {
  const out = runStep(hostEndpoints, hep('myhost', 'eth0', { name: 'eth0' }), 'crd');
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'unsupported-host-endpoint']]);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'unsupported-host-endpoint']]);
});

// ---------------------------------------------------------------------------------------------
// 0072-profiles

const profile = (name: string, parts: { tags?: unknown; labels?: unknown; rules?: unknown }) =>
  parseFlat(Object.fromEntries(Object.entries(parts).map(([part, value]) => [`/calico/v1/policy/profile/${name}/${part}`, JSON.stringify(value)])));

test("0072-profiles: calicoctl form: tags join the labels in labelsToApply with value \"\" and the rules are converted (data model §4.2 example)", (t) => {
  const out = runStep(profiles, profile('profile1', {
    tags: ['atag', 'btag'],
    labels: { profile: 'profile1' },
    rules: { inbound_rules: [{ action: 'allow', src_tag: 'profile1' }], outbound_rules: [{ action: 'allow' }] },
  }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [{
    apiVersion: V3,
    kind: 'Profile',
    metadata: { name: 'profile1' },
    spec: {
      labelsToApply: { profile: 'profile1', atag: '', btag: '' },
      ingress: [{ action: 'Allow', source: { selector: "profile1 == ''" }, destination: {} }],
      egress: [{ action: 'Allow', source: {}, destination: {} }],
    },
  }]);
  t.is(out.outcomes.length, 3);
  t.true(out.outcomes.every((o) => o.disposition === 'converted' && o.targets?.[0] === 'Profile/profile1'));
  t.deepEqual(out.issues, []);
  t.deepEqual(out.renames, []);
});

test('0072-profiles: calicoctl form: the profile name goes through convertProfileName (convertName with the SHA-1 suffix), and the rename is reported', (t) => {
  const out = runStep(profiles, profile('My_Profile', { tags: ['My_Profile'] }), 'calicoctl');
  const name = `my-profile-${sha8('My_Profile')}`;
  t.deepEqual(out.objects.map((o) => o.object), [{ apiVersion: V3, kind: 'Profile', metadata: { name }, spec: { labelsToApply: { My_Profile: '' } } }]);
  t.deepEqual(out.renames, [{ kind: 'Profile', from: 'My_Profile', to: name, origin: '/calico/v1/policy/profile/My_Profile/tags' }]);
});

test('0072-profiles: calicoctl form: selectors in profile rules are converted (calico/k8s_ns → projectcalico.org/namespace) with an info note', (t) => {
  const out = runStep(profiles, profile('web', { tags: [], rules: { inbound_rules: [{ src_selector: "calico/k8s_ns == 'prod'" }], outbound_rules: [] } }), 'calicoctl');
  t.deepEqual(out.objects[0]?.object.spec, { ingress: [{ action: 'Allow', source: { selector: "projectcalico.org/namespace == 'prod'" }, destination: {} }] });
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['info', 'selector-rewritten']]);
});

test('0072-profiles: calicoctl form: a tag equal to a label key makes every key of the profile an error tag-label-clash', (t) => {
  const out = runStep(profiles, profile('web', { tags: ['role'], labels: { role: 'frontend' }, rules: { inbound_rules: [], outbound_rules: [] } }), 'calicoctl');
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.origin, o.disposition, o.code]), [
    ['/calico/v1/policy/profile/web/tags', 'error', 'tag-label-clash'],
    ['/calico/v1/policy/profile/web/labels', 'error', 'tag-label-clash'],
    ['/calico/v1/policy/profile/web/rules', 'error', 'tag-label-clash'],
  ]);
});

test('0072-profiles: calicoctl form: a profile without a tags key is converted, with an info note', (t) => {
  const out = runStep(profiles, profile('composite', { labels: { a: 'b' }, rules: { inbound_rules: [{ action: 'deny' }] } }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [{ apiVersion: V3, kind: 'Profile', metadata: { name: 'composite' }, spec: { labelsToApply: { a: 'b' }, ingress: [{ action: 'Deny', source: {}, destination: {} }] } }]);
  t.deepEqual(out.outcomes.map((o) => o.disposition), ['converted', 'converted']);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['info', 'profile-without-tags']]);
});

test('0072-profiles: calicoctl form: a profile rule that cannot be converted makes every key of the profile an error', (t) => {
  const out = runStep(profiles, profile('web', { tags: ['web'], rules: { inbound_rules: [{ src_selector: 'has(' }] } }), 'calicoctl');
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['error', 'conversion-error'], ['error', 'conversion-error']]);
});

test('0072-profiles: crd form: k8s_ns.* and openstack-sg-* profiles are skipped as derived, without an issue', (t) => {
  const out = runStep(profiles, parseFlat({
    '/calico/v1/policy/profile/k8s_ns.default/tags': '["k8s_ns.default"]',
    '/calico/v1/policy/profile/k8s_ns.default/rules': '{"inbound_rules":[{"action":"allow"}],"outbound_rules":[{"action":"allow"}]}',
    '/calico/v1/policy/profile/openstack-sg-1234/tags': '[]',
  }), 'crd');
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'derived-profile'], ['skipped', 'derived-profile'], ['skipped', 'derived-profile']]);
  t.deepEqual(out.issues, []);
});

test('0072-profiles: calicoctl form: a namespace profile is carried as kns.<ns> in the controller\'s shape, owned by kube-controllers; OpenStack ones are skipped', (t) => {
  const out = runStep(profiles, parseFlat({
    '/calico/v1/policy/profile/k8s_ns.default/tags': '["k8s_ns.default"]',
    '/calico/v1/policy/profile/k8s_ns.default/labels': '{"k8s_ns/label/name":"default"}',
    '/calico/v1/policy/profile/k8s_ns.default/rules': '{"inbound_rules":[{"action":"allow"}],"outbound_rules":[{"action":"allow"}]}',
    '/calico/v1/policy/profile/openstack-sg-1234/tags': '[]',
  }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [{
    apiVersion: V3,
    kind: 'Profile',
    metadata: { name: 'kns.default', annotations: { 'calico-migrate.projectcalico.org/owner': 'kube-controllers' } },
    spec: { ingress: [{ action: 'Allow', source: {}, destination: {} }], egress: [{ action: 'Allow', source: {}, destination: {} }], labelsToApply: { 'pcns.name': 'default', 'k8s_ns.default': '' } },
  }]);
  t.deepEqual(out.outcomes.map((o) => [o.origin, o.disposition, o.code]), [
    ['/calico/v1/policy/profile/k8s_ns.default/tags', 'converted', undefined],
    ['/calico/v1/policy/profile/k8s_ns.default/labels', 'converted', undefined],
    ['/calico/v1/policy/profile/k8s_ns.default/rules', 'converted', undefined],
    ['/calico/v1/policy/profile/openstack-sg-1234/tags', 'skipped', 'derived-profile'],
  ]);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['info', 'namespace-profile-carried']]);
});

test('0072-profiles: crd form: a user profile is skipped, every key of it, with one warning per profile', (t) => {
  const out = runStep(profiles, parseFlat({
    '/calico/v1/policy/profile/web/tags': '["web"]',
    '/calico/v1/policy/profile/web/labels': '{"a":"b"}',
    '/calico/v1/policy/profile/web/rules': '{"inbound_rules":[{"action":"allow"}],"outbound_rules":[]}',
    '/calico/v1/policy/profile/db/tags': '["db"]',
  }), 'crd');
  t.deepEqual(out.objects, []);
  t.is(out.outcomes.length, 4);
  t.true(out.outcomes.every((o) => o.disposition === 'skipped' && o.code === 'unsupported-profile'));
  t.deepEqual(out.issues.map((i) => [i.severity, i.code, i.origin]), [
    ['warning', 'unsupported-profile', '/calico/v1/policy/profile/web/tags'],
    ['warning', 'unsupported-profile', '/calico/v1/policy/profile/db/tags'],
  ]);
});

// ---------------------------------------------------------------------------------------------
// 0074-workload-endpoints

const wepKey = (host: string, orchestrator: string, workload: string, endpoint: string) => `/calico/v1/host/${host}/workload/${orchestrator}/${workload}/endpoint/${endpoint}`;
const wep = (host: string, orchestrator: string, workload: string, endpoint: string, value: Record<string, unknown> = {}) =>
  parseFlat({ [wepKey(host, orchestrator, workload, endpoint)]: JSON.stringify({ state: 'active', name: 'cali1', mac: null, profile_ids: [], ipv4_nets: [], ipv6_nets: [], ...value }) });
const wepMeta = (name: string, namespace: string, orchestrator: string, extra: Record<string, string> = {}) => ({
  name,
  namespace,
  labels: { ...extra, 'projectcalico.org/namespace': namespace, 'projectcalico.org/orchestrator': orchestrator },
});

test('0074-workload-endpoints: calicoctl form: a k8s endpoint becomes a namespaced WorkloadEndpoint named <node>-k8s-<pod>-<endpoint> with dashes doubled', (t) => {
  const out = runStep(workloadEndpoints, wep('rack1-host1', 'k8s', 'default.frontend-5gs43', 'eth0', {
    name: 'cali0ef24ba1234',
    active_instance_id: '3d4f5e6a7b8c',
    mac: 'ee:ee:ee:ee:ee:ee',
    profile_ids: ['k8s_ns.default'],
    ipv4_nets: ['192.168.12.5/32'],
    ipv4_nat: [{ int_ip: '192.168.12.5', ext_ip: '172.16.0.9' }],
    labels: { app: 'frontend', 'calico/k8s_ns': 'default' },
    ipv4_gateway: '192.168.12.1',
  }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [{
    apiVersion: V3,
    kind: 'WorkloadEndpoint',
    metadata: wepMeta('rack1--host1-k8s-frontend--5gs43-eth0', 'default', 'k8s', { app: 'frontend' }),
    spec: {
      orchestrator: 'k8s',
      node: 'rack1-host1',
      containerID: '3d4f5e6a7b8c',
      pod: 'frontend-5gs43',
      endpoint: 'eth0',
      ipNetworks: ['192.168.12.5/32'],
      ipNATs: [{ internalIP: '192.168.12.5', externalIP: '172.16.0.9' }],
      ipv4Gateway: '192.168.12.1',
      profiles: ['kns.default'],
      interfaceName: 'cali0ef24ba1234',
      mac: 'ee:ee:ee:ee:ee:ee',
    },
  }]);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.targets]), [['converted', ['WorkloadEndpoint/default/rack1--host1-k8s-frontend--5gs43-eth0', 'Node/rack1-host1']]]);
  t.deepEqual(out.renames, [{
    kind: 'WorkloadEndpoint',
    from: 'rack1-host1/k8s/default.frontend-5gs43/eth0',
    to: 'default/rack1--host1-k8s-frontend--5gs43-eth0',
    origin: wepKey('rack1-host1', 'k8s', 'default.frontend-5gs43', 'eth0'),
  }]);
  t.deepEqual(out.issues, []);
});

test('0074-workload-endpoints: calicoctl form: a k8s workload id is split into namespace and pod at the first dot', (t) => {
  const out = runStep(workloadEndpoints, wep('node-1', 'k8s', 'prod.web.v2-abc', 'eth0'), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [{
    apiVersion: V3,
    kind: 'WorkloadEndpoint',
    metadata: wepMeta('node--1-k8s-web.v2--abc-eth0', 'prod', 'k8s'),
    spec: { orchestrator: 'k8s', node: 'node-1', pod: 'web.v2-abc', endpoint: 'eth0', interfaceName: 'cali1' },
  }]);
});

test('0074-workload-endpoints: calicoctl form: a calico/k8s_ns label is renamed projectcalico.org/namespace, and projectcalico.org/orchestrator is added', (t) => {
  const out = runStep(workloadEndpoints, wep('node-1', 'k8s', 'prod.web', 'eth0', { labels: { 'calico/k8s_ns': 'prod', app: 'web' } }), 'calicoctl');
  t.deepEqual(out.objects[0]?.object.metadata.labels, { app: 'web', 'projectcalico.org/namespace': 'prod', 'projectcalico.org/orchestrator': 'k8s' });
});

test('0074-workload-endpoints: calicoctl form: a k8s workload id without a dot is an error malformed-workload-id', (t) => {
  const out = runStep(workloadEndpoints, wep('node-1', 'k8s', 'frontend', 'eth0'), 'calicoctl');
  t.deepEqual(out.objects, []);
  t.like(out.outcomes[0], { disposition: 'error', code: 'malformed-workload-id' });
});

test("0074-workload-endpoints: calicoctl form: a pod name beginning with '-' cannot make a WorkloadEndpoint name: error", (t) => {
  const out = runStep(workloadEndpoints, wep('node-1', 'k8s', 'default.-web', 'eth0'), 'calicoctl');
  t.deepEqual(out.objects, []);
  t.like(out.outcomes[0], { disposition: 'error', code: 'conversion-error', message: "workload endpoint: pod \"-web\" must not begin or end with '-'" });
});

test('0074-workload-endpoints: calicoctl form: a cni endpoint takes the workload id as containerID, in namespace default', (t) => {
  const out = runStep(workloadEndpoints, wep('node-1', 'cni', '5a4b3c2d1e', 'eth0', { ipv4_nets: ['10.0.0.5/32'], ipv6_nets: ['fd00::5/128'], ipv6_gateway: 'fd00::1' }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [{
    apiVersion: V3,
    kind: 'WorkloadEndpoint',
    metadata: wepMeta('node--1-cni-5a4b3c2d1e-eth0', 'default', 'cni'),
    spec: { orchestrator: 'cni', node: 'node-1', containerID: '5a4b3c2d1e', endpoint: 'eth0', ipNetworks: ['10.0.0.5/32', 'fd00::5/128'], ipv6Gateway: 'fd00::1', interfaceName: 'cali1' },
  }]);
});

test("0074-workload-endpoints: calicoctl form: a libnetwork endpoint has workload 'libnetwork' and is named <node>-libnetwork-libnetwork-<endpoint>", (t) => {
  const out = runStep(workloadEndpoints, wep('node-1', 'libnetwork', 'libnetwork', '9f8e7d6c'), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [{
    apiVersion: V3,
    kind: 'WorkloadEndpoint',
    metadata: wepMeta('node--1-libnetwork-libnetwork-9f8e7d6c', 'default', 'libnetwork'),
    spec: { orchestrator: 'libnetwork', workload: 'libnetwork', node: 'node-1', endpoint: '9f8e7d6c', interfaceName: 'cali1' },
  }]);
});

test('0074-workload-endpoints: calicoctl form: other orchestrators take workload = convertName(workload id); the endpoint id goes through convertName too', (t) => {
  const out = runStep(workloadEndpoints, wep('node-1', 'mesos', 'My_App', 'ETH0'), 'calicoctl');
  const workload = `my-app-${sha8('My_App')}`;
  const endpoint = `eth0-${sha8('ETH0')}`;
  t.deepEqual(out.objects.map((o) => o.object), [{
    apiVersion: V3,
    kind: 'WorkloadEndpoint',
    metadata: wepMeta(`node--1-mesos-${workload.replace(/-/g, '--')}-${endpoint.replace(/-/g, '--')}`, 'default', 'mesos'),
    spec: { orchestrator: 'mesos', workload, node: 'node-1', endpoint, interfaceName: 'cali1' },
  }]);
});

test('0074-workload-endpoints: calicoctl form: ports are carried (protocols re-cased), and state "active" is implied by v3', (t) => {
  const out = runStep(workloadEndpoints, wep('node-1', 'k8s', 'prod.web', 'eth0', { ports: [{ name: 'http', protocol: 'TCP', port: 80 }, { name: 'metrics', protocol: 'tcp', port: 9090 }] }), 'calicoctl');
  t.deepEqual(out.objects[0]?.object.spec?.['ports'], [{ name: 'http', protocol: 'TCP', port: 80 }, { name: 'metrics', protocol: 'TCP', port: 9090 }]);
  t.deepEqual(out.outcomes.map((o) => o.disposition), ['converted']);
});

test('0074-workload-endpoints: calicoctl form: a state other than active is reported as not carried (v3 endpoints have no state)', (t) => {
  const out = runStep(workloadEndpoints, wep('node-1', 'k8s', 'prod.web', 'eth0', { state: 'inactive' }), 'calicoctl');
  t.is(out.objects.length, 1);
  t.like(out.outcomes[0], { disposition: 'converted-with-loss', lost: [{ path: 'state', value: 'inactive', code: 'field-not-carried' }] });
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'field-not-carried']]);
});

test('0074-workload-endpoints: calicoctl form: other orchestrators keep active_instance_id as containerID; a CNI one that differs from the workload id is reported', (t) => {
  const lib = runStep(workloadEndpoints, wep('node-1', 'libnetwork', 'libnetwork', 'ep1', { active_instance_id: 'c0ffee' }), 'calicoctl');
  t.is(lib.objects[0]?.object.spec?.['containerID'], 'c0ffee');
  t.deepEqual(lib.outcomes.map((o) => o.disposition), ['converted']);
  const cni = runStep(workloadEndpoints, wep('node-1', 'cni', '5a4b3c', 'eth0', { active_instance_id: 'other' }), 'calicoctl');
  t.is(cni.objects[0]?.object.spec?.['containerID'], '5a4b3c');
  t.like(cni.outcomes[0], { disposition: 'converted-with-loss', lost: [{ path: 'active_instance_id', value: 'other' }] });
});

for (const form of OUTPUT_FORMS) {
  test(`0074-workload-endpoints: ${form} form: OpenStack endpoints are skipped as derived (networking-calico recreates them)`, (t) => {
    const out = runStep(workloadEndpoints, wep('node-1', 'openstack', 'vm-1', 'tap1234'), form);
    t.deepEqual(out.objects, []);
    t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'derived-workload-endpoint']]);
    t.deepEqual(out.issues, []);
  });
}

test('0074-workload-endpoints: crd form: k8s endpoints are skipped as derived from Pods; other orchestrators with a warning', (t) => {
  const out = runStep(workloadEndpoints, parseFlat({
    [wepKey('node-1', 'k8s', 'default.web-1', 'eth0')]: '{"state":"active","name":"cali1","mac":null,"profile_ids":[],"ipv4_nets":[],"ipv6_nets":[]}',
    [wepKey('node-1', 'libnetwork', 'libnetwork', 'abc')]: '{"state":"active","name":"cali2","mac":null,"profile_ids":[],"ipv4_nets":[],"ipv6_nets":[]}',
  }), 'crd');
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'derived-workload-endpoint'], ['skipped', 'unsupported-workload-endpoint']]);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code, i.origin]), [['warning', 'unsupported-workload-endpoint', wepKey('node-1', 'libnetwork', 'libnetwork', 'abc')]]);
});

// ---------------------------------------------------------------------------------------------
// 0080-calico-ipam

{
  const form = 'crd';
  test(`0080-calico-ipam: ${form} form: every IPAM record is skipped, and allocated blocks are one blocker naming blocks, nodes and pools`, (t) => {
    const out = runStep(ipam, parseFlat({
      '/calico/v1/ipam/v4/pool/10.0.0.0-16': '{"cidr":"10.0.0.0/16"}',
      ...block('10.0.1.0/26', 'node-1', [0, 0, null]),
      ...block('10.0.2.0/26', 'node-2', [null, null]),
      '/calico/ipam/v2/handle/k8s-pod-network.abc': '{"block":{"10.0.1.0/26":2}}',
      '/calico/ipam/v2/host/node-1/ipv4/block/10.0.1.0-26': '{}',
      '/calico/ipam/v2/config': '{"strict_affinity":false,"auto_allocate_blocks":true}',
    }), form);
    t.deepEqual(out.objects, []);
    t.is(out.outcomes.length, 5, 'the pool is not an IPAM record');
    t.true(out.outcomes.every((o) => o.disposition === 'skipped' && o.code === 'calico-ipam'));
    t.deepEqual(out.issues.map((i) => [i.severity, i.code, i.message]), [
      ['error', 'calico-ipam-in-use', 'Calico IPAM is in use: 1 block holds 2 allocated addresses in pool(s) 10.0.0.0/16 (10.0.1.0/26 on node-1: 2)'],
    ]);
  });

  test(`0080-calico-ipam: ${form} form: blocks without allocations are only a warning`, (t) => {
    const out = runStep(ipam, parseFlat(block('10.0.2.0/26', 'node-2', [null])), form);
    t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'calico-ipam']]);
    t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'calico-ipam-unused']]);
  });
}

const HANDLE = 'k8s-pod-network.abc';

test('0080-calico-ipam: calicoctl form: blocks, handles and affinities are copied under their v3 keys, host names normalised as the Nodes are', (t) => {
  const parsed = parseFlat({
    '/calico/v1/ipam/v4/pool/10.0.0.0-16': '{"cidr":"10.0.0.0/16"}',
    ...block('10.0.1.0/26', 'Node_1.example', [0, 0, null], [HANDLE]),
    [`/calico/ipam/v2/handle/${HANDLE}`]: '{"block":{"10.0.1.0/26":2}}',
    '/calico/ipam/v2/host/Node_1.example/ipv4/block/10.0.1.0-26': '',
    '/calico/ipam/v2/config': '{"strict_affinity":false,"auto_allocate_blocks":true}',
  });
  const out = runStep(ipam, parsed, 'calicoctl');
  t.deepEqual(out.objects.map((o) => [objectId(o.object), ipamKeyOf(o.object), ipamValueOf(o.object)]), [
    ['IPAMBlock/10.0.1.0-26', '/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-26', JSON.stringify({ cidr: '10.0.1.0/26', affinity: 'host:node-1.example', strictAffinity: false, allocations: [0, 0, null], unallocated: [], attributes: [{ handle_id: HANDLE, secondary: null }] })],
    [`IPAMHandle/${HANDLE}`, `/calico/ipam/v2/handle/${HANDLE}`, '{"block":{"10.0.1.0/26":2}}'],
    ['BlockAffinity/node-1.example/10.0.1.0-26', '/calico/ipam/v2/host/node-1.example/ipv4/block/10.0.1.0-26', '{"state":"confirmed"}'],
  ]);
  t.deepEqual(out.outcomes.map((o) => [o.origin, o.disposition, o.code]), [
    ['/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-26', 'converted', undefined],
    [`/calico/ipam/v2/handle/${HANDLE}`, 'converted', undefined],
    ['/calico/ipam/v2/host/Node_1.example/ipv4/block/10.0.1.0-26', 'converted', undefined],
    ['/calico/ipam/v2/config', 'skipped', 'ipam-config-not-copied'],
  ]);
  t.deepEqual(out.issues, [], 'consistent data with default IPAM configuration raises nothing');
});

test('0080-calico-ipam: calicoctl form: the legacy hostAffinity becomes affinity, and IPv6 blocks go under ipv6', (t) => {
  const cidr = 'fd00:1::/122';
  const out = runStep(ipam, parseFlat({
    '/calico/v1/ipam/v6/pool/fd00:1::-64': '{"cidr":"fd00:1::/64"}',
    '/calico/ipam/v2/assignment/ipv6/block/fd00:1::-122': JSON.stringify({ cidr, hostAffinity: 'host-a', strictAffinity: false, allocations: [null], unallocated: [0], attributes: [] }),
  }), 'calicoctl');
  const o = out.objects[0]?.object;
  t.truthy(o);
  if (!o) return;
  t.is(ipamKeyOf(o), '/calico/ipam/v2/assignment/ipv6/block/fd00:1::-122');
  t.deepEqual(JSON.parse(ipamValueOf(o)), { cidr, affinity: 'host:host-a', strictAffinity: false, allocations: [null], unallocated: [0], attributes: [] });
});

test('0080-calico-ipam: calicoctl form: inconsistencies are warnings naming the block, handle or node, and everything is still copied', (t) => {
  const out = runStep(ipam, parseFlat({
    '/calico/v1/ipam/v4/pool/10.0.0.0-16': '{"cidr":"10.0.0.0/16"}',
    // An allocation whose handle is gone, in a block outside every pool.
    ...block('172.16.0.0/26', 'node-1', [0, null], ['k8s-pod-network.gone']),
    ...block('10.0.1.0/26', 'node-2', [0, 0], [HANDLE]),
    // Counts 3 where the block holds 2, and names a block that does not exist.
    [`/calico/ipam/v2/handle/${HANDLE}`]: '{"block":{"10.0.1.0/26":3,"10.0.9.0/26":1}}',
    // An affinity to a node its block is not affine to.
    '/calico/ipam/v2/host/node-3/ipv4/block/10.0.1.0-26': '{}',
    '/calico/ipam/v2/config': '{"strict_affinity":true,"auto_allocate_blocks":true}',
  }), 'calicoctl');
  t.is(out.objects.length, 4);
  t.deepEqual(out.outcomes.map((o) => o.disposition), ['converted', 'converted', 'converted', 'converted', 'skipped']);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code, i.origin]), [
    ['warning', 'ipam-handle-missing', '/calico/ipam/v2/assignment/ipv4/block/172.16.0.0-26'],
    ['warning', 'ipam-block-outside-pools', '/calico/ipam/v2/assignment/ipv4/block/172.16.0.0-26'],
    ['warning', 'ipam-handle-count', `/calico/ipam/v2/handle/${HANDLE}`],
    ['warning', 'ipam-handle-dangling', `/calico/ipam/v2/handle/${HANDLE}`],
    ['warning', 'ipam-affinity-mismatch', '/calico/ipam/v2/host/node-3/ipv4/block/10.0.1.0-26'],
    ['warning', 'ipam-config-not-copied', '/calico/ipam/v2/config'],
  ]);
  t.regex(out.issues[0]?.message ?? '', /handle\(s\) k8s-pod-network\.gone, which do not exist/);
  t.regex(out.issues[2]?.message ?? '', /counts 3 address\(es\) in block 10\.0\.1\.0\/26, which holds 2 for it/);
  t.regex(out.issues[4]?.message ?? '', /the block is affine to node-2/);
});

test('0080-calico-ipam: an allocation pointing past the block attributes is an error naming the key', (t) => {
  const parsed = parseFlat({ '/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-26': JSON.stringify({ cidr: '10.0.1.0/26', affinity: 'host:n', allocations: [3], unallocated: [], attributes: [] }) });
  t.deepEqual(parsed.failures.map((f) => [f.origin, f.message]), [['/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-26', 'IPAM block allocation 0 is 3, not null or the index of one of its 0 attribute(s)']]);
});

// ---------------------------------------------------------------------------------------------
// 0090-runtime-and-other-data

test('0090-runtime-and-other-data: etcd status, Ready flag, route reflector, custom filter, OpenStack runtime and unknown keys are skipped with reasons', (t) => {
  const out = runStep(other, parseFlat({
    '/calico/felix/v1/host/a/status': '{}',
    '/calico/v1/Ready': 'true',
    '/calico/bgp/v1/rr_v4/10.0.0.5': '{}',
    '/calico/bgp/v1/global/custom_filters/v4/f': 'if net ~ 10.0.0.0/8 then reject;',
    '/calico/openstack/v1/neutron_election': 'x',
    '/somewhere/else': 'x',
  }));
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [
    ['skipped', 'status-report'],
    ['skipped', 'ready-flag'],
    ['skipped', 'route-reflector-config'],
    ['skipped', 'custom-bgp-filter'],
    ['skipped', 'openstack-runtime'],
    ['skipped', 'unknown-key'],
  ]);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'route-reflector-config'], ['warning', 'custom-bgp-filter'], ['warning', 'unknown-key']]);
  t.regex(out.outcomes[1]?.message ?? '', /Calico v3\.0 does not read it/);
});

test('0090-runtime-and-other-data: a Ready flag set to false is skipped with a warning (an upgrade may be in progress)', (t) => {
  const out = runStep(other, parseFlat({ '/calico/v1/Ready': 'false' }));
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'ready-flag']]);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'ready-flag']]);
});

test('0090-runtime-and-other-data: TPR definitions, unrelated objects, objects already in CRD form and TPRs outside kube-system are skipped with reasons', (t) => {
  const out = runStep(other, parseObjects(
    { apiVersion: 'extensions/v1beta1', kind: 'ThirdPartyResource', metadata: { name: 'ip-pool.projectcalico.org' } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' } },
    tpr('IPPool', '10-0-0-0-8', { cidr: '10.0.0.0/8' }, 'crd.projectcalico.org/v1'),
    { apiVersion: 'projectcalico.org/v1', kind: 'IpPool', metadata: { name: '10-1-0-0-16', namespace: 'default' }, spec: { value: '{"cidr":"10.1.0.0/16"}' } },
  ));
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [
    ['skipped', 'tpr-definition'],
    ['skipped', 'unrelated-object'],
    ['skipped', 'already-target-form'],
    ['skipped', 'tpr-outside-kube-system'],
  ]);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['info', 'tpr-definition'], ['warning', 'already-target-form'], ['warning', 'tpr-outside-kube-system']]);
});
