/**
 * src/v3/validate.ts: Calico v3 validation of converted objects (calico-data-model.md §6.1, §4.4).
 * One valid case (no problems) and one or more invalid cases (a problem naming the field) per rule.
 */
import test from 'ava';
import { cidrsOverlap, validateLabels, validateV3Object } from '../../src/v3/validate.js';
import type { TargetMetadata, TargetObject } from '../../src/model/target.js';
import { cidr } from '../_helpers/net.js';

// ---------------------------------------------------------------------------------------------
// Builders.

const V3 = 'projectcalico.org/v3';
const CRD = 'crd.projectcalico.org/v1';
type ApiVersion = typeof V3 | typeof CRD;
type Spec = Readonly<Record<string, unknown>>;
type Meta = Omit<TargetMetadata, 'name'>;

function obj(kind: string, name: string, spec: Spec, meta: Meta = {}, apiVersion: ApiVersion = V3): TargetObject {
  return { apiVersion, kind, metadata: { name, ...meta }, spec };
}

const GOOD_GNP: Spec = { selector: "role == 'db'", types: ['Ingress'], ingress: [{ action: 'Allow' }] };

/** A GlobalNetworkPolicy in the calicoctl form; spec fields override the valid baseline. */
const gnp = (spec: Spec = {}, name = 'allow-db'): TargetObject => obj('GlobalNetworkPolicy', name, { ...GOOD_GNP, ...spec });
/** A GlobalNetworkPolicy in the CRD form (the name carries the `default.` prefix as stored). */
const gnpCrd = (name: string, spec: Spec = {}): TargetObject => obj('GlobalNetworkPolicy', name, { ...GOOD_GNP, ...spec }, {}, CRD);
/** A GlobalNetworkPolicy holding one ingress rule. */
const withRule = (rule: Spec): TargetObject => gnp({ ingress: [rule] });
/** A Profile holding one egress rule (rules are validated on Profiles too). */
const profileWithRule = (rule: Spec): TargetObject => obj('Profile', 'kns.default', { egress: [rule] });
const pool = (spec: Spec): TargetObject => obj('IPPool', 'pool-1', spec);
const hep = (spec: Spec, name = 'node1-eth0'): TargetObject => obj('HostEndpoint', name, spec);
const node = (spec: Spec): TargetObject => obj('Node', 'node1.example.com', spec);
const felix = (spec: Spec): TargetObject => obj('FelixConfiguration', 'default', spec);
const labelled = (labels: Readonly<Record<string, string>>): TargetObject => obj('HostEndpoint', 'node1-eth0', { node: 'node1', interfaceName: 'eth0' }, { labels });

// ---------------------------------------------------------------------------------------------
// Macros.

/** The object is valid: no problems at all. */
const valid = test.macro({
  exec(t, o: TargetObject) {
    t.deepEqual(validateV3Object(o), []);
  },
  title: (provided) => `valid: ${provided ?? ''}`,
});

/** The object is invalid: for every pattern, some problem matches it. */
const invalid = test.macro({
  exec(t, o: TargetObject, ...patterns: RegExp[]) {
    const problems = validateV3Object(o);
    t.not(problems.length, 0, 'expected at least one problem');
    for (const p of patterns) t.true(problems.some((m) => p.test(m)), `a problem matching ${p}: ${JSON.stringify(problems)}`);
  },
  title: (provided) => `invalid: ${provided ?? ''}`,
});

/** cidrsOverlap(a, b), checked in both argument orders. */
const overlap = test.macro({
  exec(t, a: string, b: string, expected: boolean) {
    t.is(cidrsOverlap(cidr(a), cidr(b)), expected);
    t.is(cidrsOverlap(cidr(b), cidr(a)), expected, 'symmetric');
  },
  title: (provided, a: string, b: string, expected: boolean) => `${provided ?? 'cidrsOverlap'}: ${a} ${expected ? 'overlaps' : 'does not overlap'} ${b}`,
});

// ---------------------------------------------------------------------------------------------
// Names (§4.4).

test('HostEndpoint named as a DNS-1123 subdomain', valid, hep({ node: 'node1', interfaceName: 'eth0' }, 'node1.example.com-eth0'));
test('HostEndpoint name of 253 characters', valid, hep({ node: 'node1', interfaceName: 'eth0' }, 'a'.repeat(253)));
test('HostEndpoint name of 254 characters', invalid, hep({ node: 'node1', interfaceName: 'eth0' }, 'a'.repeat(254)), /metadata\.name/);
test('HostEndpoint name with uppercase', invalid, hep({ node: 'node1', interfaceName: 'eth0' }, 'Node1-eth0'), /metadata\.name/);
test('Profile name with an underscore', invalid, obj('Profile', 'k8s_ns.default', {}), /metadata\.name/);
test('Profile name ending with a dot', invalid, obj('Profile', 'kns.default.', {}), /metadata\.name/);
test('Profile name with dots', valid, obj('Profile', 'kns.default', {}));
test('IPPool name of 254 characters', invalid, obj('IPPool', 'p'.repeat(254), { cidr: '10.0.0.0/16' }), /metadata\.name/);

test('GlobalNetworkPolicy default.allow-dns in CRD form', valid, gnpCrd('default.allow-dns'));
test('GlobalNetworkPolicy allow-dns in calicoctl form', valid, gnp({}, 'allow-dns'));
test('GlobalNetworkPolicy Allow_DNS in calicoctl form', invalid, gnp({}, 'Allow_DNS'), /name "Allow_DNS"/);
test('GlobalNetworkPolicy default.Allow_DNS in CRD form', invalid, gnpCrd('default.Allow_DNS'), /name "Allow_DNS"/);
test('GlobalNetworkPolicy name with a dot (label, not subdomain)', invalid, gnp({}, 'allow.dns'), /name "allow\.dns"/);
test('GlobalNetworkPolicy default.allow.dns in CRD form', invalid, gnpCrd('default.allow.dns'), /name "allow\.dns"/);
test('GlobalNetworkPolicy default.<name> in calicoctl form (prefix belongs to the CRD form only)', invalid, gnp({}, 'default.allow-dns'), /name "default\.allow-dns"/);
test('GlobalNetworkPolicy name starting with a dash', invalid, gnp({}, '-allow'), /name "-allow"/);
test('GlobalNetworkPolicy label-shaped name of 64 characters (253 limit in v3.0)', valid, gnp({}, 'a'.repeat(64)));
test('GlobalNetworkPolicy name of 254 characters', invalid, gnp({}, 'a'.repeat(254)), /name/);
test(
  'GlobalNetworkPolicy CRD name of 258 characters (Kubernetes limits the stored name to 253)',
  invalid,
  gnpCrd(`default.${'a'.repeat(250)}`),
  /metadata\.name|name/,
);

// ---------------------------------------------------------------------------------------------
// Labels and annotations (§4.4, §6.1).

test('labels with qualified-name keys and valid values', valid, labelled({ app: 'web', 'projectcalico.org/namespace': 'default', 'k8s_ns.x': '', 'Tier_1.a-b': 'v.1_a-b', big: 'v'.repeat(63) }));
test('label key with several slashes', invalid, labelled({ 'a/b/c': 'x' }), /metadata\.labels key "a\/b\/c"/);
test('label key k8s_ns/label/name (v2.4 namespace label form)', invalid, labelled({ 'k8s_ns/label/name': 'x' }), /metadata\.labels key/);
test('label key with an uppercase prefix', invalid, labelled({ 'Example.com/app': 'x' }), /metadata\.labels key "Example\.com\/app"/);
test('label key starting with a dash', invalid, labelled({ '-app': 'x' }), /metadata\.labels key "-app"/);
test('label key name of 64 characters', invalid, labelled({ [`example.com/${'k'.repeat(64)}`]: 'x' }), /metadata\.labels key/);
test('label key with an empty name after the prefix', invalid, labelled({ 'example.com/': 'x' }), /metadata\.labels key/);
test('label value of 64 characters', invalid, labelled({ app: 'v'.repeat(64) }), /metadata\.labels value/);
test('label value starting with a dash', invalid, labelled({ app: '-web' }), /metadata\.labels value "-web"/);
test('label value with a space', invalid, labelled({ app: 'web server' }), /metadata\.labels value/);
test('label value with a slash', invalid, labelled({ app: 'a/b' }), /metadata\.labels value/);
test('Profile labelsToApply valid', valid, obj('Profile', 'kns.default', { labelsToApply: { 'pcns.name': 'default' } }));
test('Profile labelsToApply key with several slashes', invalid, obj('Profile', 'kns.default', { labelsToApply: { 'k8s_ns/label/name': 'default' } }), /spec\.labelsToApply key/);
test('Profile labelsToApply value of 64 characters', invalid, obj('Profile', 'kns.default', { labelsToApply: { app: 'x'.repeat(64) } }), /spec\.labelsToApply value/);
test('annotations with qualified-name keys', valid, obj('Profile', 'kns.default', {}, { annotations: { 'projectcalico.org/metadata': '{"x": "any value / is fine"}' } }));
test('annotation key with several slashes', invalid, obj('Profile', 'kns.default', {}, { annotations: { 'a/b/c': 'x' } }), /annotation key "a\/b\/c"/);
test('annotations over 256 KiB in total', invalid, obj('Profile', 'kns.default', {}, { annotations: { a: 'x'.repeat(256 * 1024) } }), /annotations total/);

test('validateLabels: valid map adds nothing', (t) => {
  const problems: string[] = [];
  validateLabels({ app: 'web', 'example.com/tier': '' }, 'spec.labels', problems);
  t.deepEqual(problems, []);
});

test('validateLabels: undefined adds nothing', (t) => {
  const problems: string[] = [];
  validateLabels(undefined, 'spec.labels', problems);
  t.deepEqual(problems, []);
});

test('validateLabels: not a map', (t) => {
  const problems: string[] = [];
  validateLabels(['a'], 'spec.labels', problems);
  t.is(problems.length, 1);
  t.regex(problems[0] ?? '', /spec\.labels must be a map/);
});

test('validateLabels: bad key and bad value are both reported, under the given field', (t) => {
  const problems: string[] = [];
  validateLabels({ 'a/b/c': 'ok', ok: 'v'.repeat(64), n: 5 }, 'spec.labels', problems);
  t.true(problems.some((p) => /^spec\.labels key "a\/b\/c"/.test(p)), JSON.stringify(problems));
  t.true(problems.some((p) => /^spec\.labels value "v{64}"/.test(p)), JSON.stringify(problems));
  t.true(problems.some((p) => /^spec\.labels value 5 of "n"/.test(p)), JSON.stringify(problems));
});

// ---------------------------------------------------------------------------------------------
// Selectors (§6.1, parsed by src/selector.ts).

test('spec.selector with &&, has() and in', valid, gnp({ selector: "role == 'db' && has(tier) && env in {'prod', 'stage'}" }));
test('spec.selector all()', valid, gnp({ selector: 'all()' }));
test('spec.selector empty', valid, gnp({ selector: '' }));
test('spec.selector with an unterminated string', invalid, gnp({ selector: "role == 'db" }), /spec\.selector .*not a valid selector/);
test('spec.selector with a single =', invalid, gnp({ selector: 'role = db' }), /spec\.selector .*not a valid selector/);
test('spec.selector with an unquoted value', invalid, gnp({ selector: 'role == db' }), /spec\.selector .*not a valid selector/);
test('spec.selector ending with ||', invalid, gnp({ selector: "role == 'db' ||" }), /spec\.selector .*not a valid selector/);
test('spec.selector not a string', invalid, gnp({ selector: 42 }), /spec\.selector must be a string/);

for (const side of ['source', 'destination'] as const) {
  for (const key of ['selector', 'notSelector'] as const) {
    const field = new RegExp(`spec\\.ingress\\[0\\]\\.${side}\\.${key} .*not a valid selector`);
    test(`rule ${side}.${key} valid`, valid, withRule({ action: 'Allow', [side]: { [key]: "calico/k8s_ns == 'default' || !has(a)" } }));
    test(`rule ${side}.${key} unterminated string`, invalid, withRule({ action: 'Allow', [side]: { [key]: "app == 'web" } }), field);
    test(`rule ${side}.${key} dangling &&`, invalid, withRule({ action: 'Allow', [side]: { [key]: "app == 'web' &&" } }), field);
  }
}
test('Profile rule destination.selector invalid', invalid, profileWithRule({ action: 'Allow', destination: { selector: 'app ==' } }), /spec\.egress\[0\]\.destination\.selector/);

// ---------------------------------------------------------------------------------------------
// Rule nets and ipVersion (§6.1).

test('rule nets and notNets as CIDRs', valid, withRule({ action: 'Allow', source: { nets: ['10.0.0.0/8', '192.168.1.0/24'] }, destination: { notNets: ['10.1.0.0/16'] } }));
test('rule IPv6 nets with ipVersion 6', valid, withRule({ action: 'Allow', ipVersion: 6, source: { nets: ['fd00::/64'] }, destination: { nets: ['2001:db8::/32'] } }));
test('rule IPv4 nets with ipVersion 4', valid, withRule({ action: 'Allow', ipVersion: 4, source: { notNets: ['10.0.0.0/8'] } }));
test('rule source.nets not a CIDR', invalid, withRule({ action: 'Allow', source: { nets: ['not-a-cidr'] } }), /spec\.ingress\[0\]\.source\.nets "not-a-cidr" is not a CIDR/);
test('rule destination.notNets with a prefix too long', invalid, withRule({ action: 'Allow', destination: { notNets: ['10.0.0.0/33'] } }), /spec\.ingress\[0\]\.destination\.notNets/);
test('rule ipVersion 4 with IPv6 nets', invalid, withRule({ action: 'Allow', ipVersion: 4, source: { nets: ['fd00::/64'] } }), /source nets do not match ipVersion 4/);
test('rule ipVersion 6 with IPv4 notNets', invalid, withRule({ action: 'Allow', ipVersion: 6, destination: { notNets: ['10.0.0.0/8'] } }), /destination nets do not match ipVersion 6/);
test('rule ipVersion 5', invalid, withRule({ action: 'Allow', ipVersion: 5 }), /ipVersion must be 4 or 6/);
test('rule mixing IPv4 source and IPv6 destination', invalid, withRule({ action: 'Allow', source: { nets: ['10.0.0.0/8'] }, destination: { nets: ['fd00::/64'] } }), /mixes IPv4 and IPv6/);
test('rule mixing IPv4 and IPv6 within source', invalid, withRule({ action: 'Allow', source: { nets: ['10.0.0.0/8'], notNets: ['fd00::/64'] } }), /mixes IPv4 and IPv6/);

// ---------------------------------------------------------------------------------------------
// Ports (§6.1).

test('destination ports with TCP', valid, withRule({ action: 'Allow', protocol: 'TCP', destination: { ports: [80, 443, '8000:8080'] } }));
test('source ports with UDP', valid, withRule({ action: 'Allow', protocol: 'UDP', source: { ports: [53] } }));
test('notPorts with protocol 6', valid, withRule({ action: 'Allow', protocol: 6, destination: { notPorts: [22] } }));
test('ports with protocol 17', valid, withRule({ action: 'Allow', protocol: 17, destination: { ports: ['1:65535'] } }));
test('port range with min equal to max', valid, withRule({ action: 'Allow', protocol: 'TCP', destination: { ports: ['80:80'] } }));
test('named port with TCP (v3 has named ports)', valid, withRule({ action: 'Allow', protocol: 'TCP', destination: { ports: ['http'] } }));
test('destination ports without protocol', invalid, withRule({ action: 'Allow', destination: { ports: [80] } }), /ports must set protocol to TCP or UDP/);
test('source ports without protocol', invalid, withRule({ action: 'Allow', source: { ports: [80] } }), /spec\.ingress\[0\].*ports must set protocol to TCP or UDP/);
test('notPorts without protocol', invalid, withRule({ action: 'Allow', destination: { notPorts: [80] } }), /ports must set protocol to TCP or UDP/);
test('ports with ICMP', invalid, withRule({ action: 'Allow', protocol: 'ICMP', destination: { ports: [80] } }), /ports must set protocol to TCP or UDP/);
test('ports with SCTP (v3.0 allows TCP or UDP only)', invalid, withRule({ action: 'Allow', protocol: 'SCTP', destination: { ports: [80] } }), /ports must set protocol to TCP or UDP/);
test('ports with protocol 1', invalid, withRule({ action: 'Allow', protocol: 1, destination: { ports: [80] } }), /ports must set protocol to TCP or UDP/);
test('ports with notProtocol TCP only', invalid, withRule({ action: 'Allow', notProtocol: 'TCP', destination: { ports: [80] } }), /ports must set protocol to TCP or UDP/);
test('port range with min greater than max', invalid, withRule({ action: 'Allow', protocol: 'TCP', destination: { ports: ['90:80'] } }), /destination\.ports entry "90:80"/);
test('port 65536', invalid, withRule({ action: 'Allow', protocol: 'TCP', destination: { ports: [65536] } }), /destination\.ports entry 65536/);
test('port range ending at 65536', invalid, withRule({ action: 'Allow', protocol: 'TCP', source: { ports: ['80:65536'] } }), /source\.ports entry "80:65536"/);
test('negative port', invalid, withRule({ action: 'Allow', protocol: 'UDP', source: { notPorts: [-1] } }), /source\.notPorts entry -1/);
test('bad notPorts range next to valid ports', invalid, withRule({ action: 'Allow', protocol: 'TCP', destination: { ports: [80], notPorts: ['90:80'] } }), /destination\.notPorts entry "90:80"/);

// ---------------------------------------------------------------------------------------------
// Protocol (§6.1: case-sensitive names or 1-255).

for (const protocol of ['TCP', 'UDP', 'ICMP', 'ICMPv6', 'SCTP', 'UDPLite', 1, 132, 255]) {
  test(`protocol ${JSON.stringify(protocol)}`, valid, withRule({ action: 'Allow', protocol }));
}
test('notProtocol UDP', valid, withRule({ action: 'Allow', notProtocol: 'UDP' }));
for (const protocol of ['tcp', 'Tcp', 'udp', 'icmpv6', 'udplite', 'GRE', 0, 256, 6.5, '6']) {
  test(`protocol ${JSON.stringify(protocol)}`, invalid, withRule({ action: 'Allow', protocol }), /spec\.ingress\[0\]\.protocol/);
}
test('notProtocol "tcp" lowercase', invalid, withRule({ action: 'Allow', notProtocol: 'tcp' }), /spec\.ingress\[0\]\.notProtocol/);
test('protocol "tcp" lowercase in a Profile rule', invalid, profileWithRule({ action: 'Allow', protocol: 'tcp' }), /spec\.egress\[0\]\.protocol "tcp"/);

// ---------------------------------------------------------------------------------------------
// ICMP (§6.1).

test('icmp type and code', valid, withRule({ action: 'Allow', protocol: 'ICMP', icmp: { type: 8, code: 0 } }));
test('icmp type only', valid, withRule({ action: 'Allow', protocol: 'ICMP', icmp: { type: 0 } }));
test('icmp type 254, code 255', valid, withRule({ action: 'Allow', protocol: 'ICMPv6', icmp: { type: 254, code: 255 } }));
test('notICMP type', valid, withRule({ action: 'Allow', protocol: 'ICMP', notICMP: { type: 3 } }));
test('icmp type 255', invalid, withRule({ action: 'Allow', protocol: 'ICMP', icmp: { type: 255 } }), /spec\.ingress\[0\]\.icmp\.type/);
test('icmp type -1', invalid, withRule({ action: 'Allow', protocol: 'ICMP', icmp: { type: -1 } }), /spec\.ingress\[0\]\.icmp\.type/);
test('icmp code 256', invalid, withRule({ action: 'Allow', protocol: 'ICMP', icmp: { type: 3, code: 256 } }), /spec\.ingress\[0\]\.icmp\.code/);
test('icmp code without type', invalid, withRule({ action: 'Allow', protocol: 'ICMP', icmp: { code: 0 } }), /spec\.ingress\[0\]\.icmp\.code needs .*icmp\.type/);
test('notICMP type 255', invalid, withRule({ action: 'Allow', protocol: 'ICMP', notICMP: { type: 255 } }), /spec\.ingress\[0\]\.notICMP\.type/);
test('notICMP code without type', invalid, withRule({ action: 'Allow', protocol: 'ICMP', notICMP: { code: 1 } }), /spec\.ingress\[0\]\.notICMP\.code needs/);

// ---------------------------------------------------------------------------------------------
// Actions (§6.1).

for (const action of ['Allow', 'Deny', 'Log', 'Pass']) test(`action ${action}`, valid, withRule({ action }));
for (const action of ['allow', 'deny', 'next-tier', '', 'Drop']) {
  test(`action ${JSON.stringify(action)}`, invalid, withRule({ action }), /spec\.ingress\[0\]\.action/);
}
test('action missing', invalid, withRule({}), /spec\.ingress\[0\]\.action/);
test('action "pass" in a Profile egress rule', invalid, profileWithRule({ action: 'pass' }), /spec\.egress\[0\]\.action "pass"/);
test('second egress rule is named by its index', invalid, gnp({ types: ['Ingress', 'Egress'], egress: [{ action: 'Allow' }, { action: 'deny' }] }), /spec\.egress\[1\]\.action/);

// ---------------------------------------------------------------------------------------------
// GlobalNetworkPolicy constraints (§6.1).

test('GNP with Ingress and Egress types and rules', valid, gnp({ types: ['Ingress', 'Egress'], egress: [{ action: 'Allow' }] }));
test('GNP preDNAT with applyOnForward, ingress only', valid, gnp({ preDNAT: true, applyOnForward: true, types: ['Ingress'] }));
test('GNP doNotTrack with applyOnForward, both directions', valid, gnp({ doNotTrack: true, applyOnForward: true, types: ['Ingress', 'Egress'], egress: [{ action: 'Allow' }] }));
test('GNP applyOnForward alone', valid, gnp({ applyOnForward: true }));
test('GNP preDNAT and doNotTrack both true', invalid, gnp({ preDNAT: true, doNotTrack: true, applyOnForward: true }), /preDNAT and doNotTrack/);
test('GNP preDNAT with egress rules', invalid, gnp({ preDNAT: true, applyOnForward: true, egress: [{ action: 'Allow' }] }), /preDNAT.*egress/);
test('GNP preDNAT with type Egress', invalid, gnp({ preDNAT: true, applyOnForward: true, types: ['Ingress', 'Egress'] }), /preDNAT.*Egress/);
test('GNP preDNAT without applyOnForward', invalid, gnp({ preDNAT: true }), /applyOnForward/);
test('GNP doNotTrack with applyOnForward false', invalid, gnp({ doNotTrack: true, applyOnForward: false }), /applyOnForward/);
test('GNP duplicate types', invalid, gnp({ types: ['Ingress', 'Ingress'] }), /spec\.types has duplicates/);
test('GNP lowercase type', invalid, gnp({ types: ['ingress'] }), /spec\.types/);
test('GNP CRD form with a bad selector', invalid, gnpCrd('default.allow-dns', { selector: 'role ==' }), /spec\.selector/);

// ---------------------------------------------------------------------------------------------
// HostEndpoint (§6.1).

test('HostEndpoint with node and interfaceName', valid, hep({ node: 'node1', interfaceName: 'eth0' }));
test('HostEndpoint with node and expectedIPs only', valid, hep({ node: 'node1', expectedIPs: ['10.0.0.1', 'fd00::1'] }));
test('HostEndpoint interfaceName with a dot (allowed in v3)', valid, hep({ node: 'node1', interfaceName: 'eth0.100' }));
test('HostEndpoint interfaceName of 15 characters', valid, hep({ node: 'node1', interfaceName: 'br-ext_1.234567' }));
test('HostEndpoint without node', invalid, hep({ interfaceName: 'eth0' }), /spec\.node/);
test('HostEndpoint with an empty node', invalid, hep({ node: '', interfaceName: 'eth0' }), /spec\.node/);
test('HostEndpoint without interfaceName or expectedIPs', invalid, hep({ node: 'node1' }), /interfaceName or expectedIPs/);
test('HostEndpoint with empty expectedIPs and no interfaceName', invalid, hep({ node: 'node1', expectedIPs: [] }), /interfaceName or expectedIPs/);
test('HostEndpoint interfaceName of 16 characters', invalid, hep({ node: 'node1', interfaceName: 'a'.repeat(16) }), /spec\.interfaceName/);
test('HostEndpoint interfaceName with a colon', invalid, hep({ node: 'node1', interfaceName: 'eth0:1' }), /spec\.interfaceName "eth0:1"/);
test('HostEndpoint interfaceName with a space', invalid, hep({ node: 'node1', interfaceName: 'eth 0' }), /spec\.interfaceName/);
test('HostEndpoint interfaceName empty', invalid, hep({ node: 'node1', interfaceName: '' }), /spec\.interfaceName/);
test('HostEndpoint expectedIPs entry not an IP', invalid, hep({ node: 'node1', expectedIPs: ['10.0.0.1', 'bogus'] }), /spec\.expectedIPs\[1\]/);

// ---------------------------------------------------------------------------------------------
// Node (§6.1).

test('Node without bgp', valid, node({}));
test('Node bgp with ipv4Address', valid, node({ bgp: { ipv4Address: '10.0.0.1/24', asNumber: 64512 } }));
test('Node bgp with ipv6Address only', valid, node({ bgp: { ipv6Address: 'fd00::1/64' } }));
test('Node bgp with ipv4IPIPTunnelAddr only', valid, node({ bgp: { ipv4IPIPTunnelAddr: '192.168.0.1' } }));
test('Node bgp empty', invalid, node({ bgp: {} }), /spec\.bgp needs ipv4Address, ipv6Address or ipv4IPIPTunnelAddr/);
test('Node bgp with only asNumber', invalid, node({ bgp: { asNumber: 64512 } }), /spec\.bgp needs/);
test('Node bgp ipv4Address that is IPv6', invalid, node({ bgp: { ipv4Address: 'fd00::1/64' } }), /spec\.bgp\.ipv4Address/);

// ---------------------------------------------------------------------------------------------
// FelixConfiguration enums (§6.1).

test(
  'Felix enums',
  valid,
  felix({ logSeverityScreen: 'Info', logSeverityFile: 'Debug', logSeveritySys: 'Fatal', defaultEndpointToHostAction: 'Return', iptablesFilterAllowAction: 'Accept', iptablesMangleAllowAction: 'Return' }),
);
for (const level of ['Debug', 'Info', 'Warning', 'Error', 'Fatal']) test(`Felix logSeverityScreen ${level}`, valid, felix({ logSeverityScreen: level }));
for (const action of ['Drop', 'Accept', 'Return']) test(`Felix defaultEndpointToHostAction ${action}`, valid, felix({ defaultEndpointToHostAction: action }));
test('Felix logSeverityScreen info', invalid, felix({ logSeverityScreen: 'info' }), /spec\.logSeverityScreen/);
test('Felix logSeverityFile Critical', invalid, felix({ logSeverityFile: 'Critical' }), /spec\.logSeverityFile/);
test('Felix logSeveritySys Warn', invalid, felix({ logSeveritySys: 'Warn' }), /spec\.logSeveritySys/);
test('Felix defaultEndpointToHostAction DROP', invalid, felix({ defaultEndpointToHostAction: 'DROP' }), /spec\.defaultEndpointToHostAction/);
test('Felix defaultEndpointToHostAction Reject', invalid, felix({ defaultEndpointToHostAction: 'Reject' }), /spec\.defaultEndpointToHostAction/);
test('Felix iptablesFilterAllowAction Drop', invalid, felix({ iptablesFilterAllowAction: 'Drop' }), /spec\.iptablesFilterAllowAction/);
test('Felix iptablesMangleAllowAction accept', invalid, felix({ iptablesMangleAllowAction: 'accept' }), /spec\.iptablesMangleAllowAction/);

// ---------------------------------------------------------------------------------------------
// IPPool (§6.1).

test('IPPool /16 with ipipMode Always', valid, pool({ cidr: '10.0.0.0/16', ipipMode: 'Always', natOutgoing: true }));
test('IPPool /26 enabled', valid, pool({ cidr: '192.168.0.0/26' }));
test('IPPool /27 disabled', valid, pool({ cidr: '10.0.0.0/27', disabled: true }));
test('IPPool IPv4 CrossSubnet', valid, pool({ cidr: '172.16.0.0/12', ipipMode: 'CrossSubnet' }));
test('IPPool IPv6 /64 Never', valid, pool({ cidr: 'fd00::/64', ipipMode: 'Never' }));
test('IPPool IPv6 /122 enabled', valid, pool({ cidr: 'fd00::/122', ipipMode: 'Never' }));
test('IPPool IPv6 /123 disabled', valid, pool({ cidr: 'fd00::/123', ipipMode: 'Never', disabled: true }));
test('IPPool IPv6 cidr in a non-canonical but masked form', valid, pool({ cidr: 'FD00:0:0::/64', ipipMode: 'Never' }));
test('IPPool /27 enabled', invalid, pool({ cidr: '10.0.0.0/27' }), /at least \/26/);
test('IPPool /27 with disabled false', invalid, pool({ cidr: '10.0.0.0/27', disabled: false }), /at least \/26/);
test('IPPool IPv6 /123 enabled', invalid, pool({ cidr: 'fd00::/123', ipipMode: 'Never' }), /at least \/122/);
test('IPPool not strictly masked', invalid, pool({ cidr: '10.0.0.1/16' }), /spec\.cidr 10\.0\.0\.1\/16 must be a network address/);
test('IPPool IPv6 not strictly masked', invalid, pool({ cidr: 'fd00::1/64', ipipMode: 'Never' }), /spec\.cidr fd00::1\/64 must be a network address/);
test('IPPool cidr not a CIDR', invalid, pool({ cidr: '10.0.0.0' }), /spec\.cidr "10\.0\.0\.0" is not a CIDR/);
test('IPPool cidr missing', invalid, pool({}), /spec\.cidr/);
test('IPPool 169.254.0.0/16', invalid, pool({ cidr: '169.254.0.0/16' }), /spec\.cidr 169\.254\.0\.0\/16 overlaps the link-local range/);
test('IPPool inside 169.254.0.0/16', invalid, pool({ cidr: '169.254.10.0/24' }), /link-local/);
test('IPPool containing 169.254.0.0/16', invalid, pool({ cidr: '169.0.0.0/8' }), /link-local/);
test('IPPool fe80::/64', invalid, pool({ cidr: 'fe80::/64', ipipMode: 'Never' }), /link-local/);
test('IPPool IPv6 with ipipMode Always', invalid, pool({ cidr: 'fd00::/64', ipipMode: 'Always' }), /spec\.ipipMode must be Never on an IPv6 pool/);
test('IPPool IPv6 with ipipMode CrossSubnet', invalid, pool({ cidr: 'fd00::/64', ipipMode: 'CrossSubnet' }), /spec\.ipipMode must be Never/);
test('IPPool ipipMode lowercase', invalid, pool({ cidr: '10.0.0.0/16', ipipMode: 'always' }), /spec\.ipipMode "always"/);
test('IPPool with the v1 field ipip', invalid, pool({ cidr: '10.0.0.0/16', ipip: { enabled: true, mode: 'always' } }), /ipip/);
test('IPPool with the v1 field nat-outgoing', invalid, pool({ cidr: '10.0.0.0/16', 'nat-outgoing': true }), /nat-outgoing/);

// ---------------------------------------------------------------------------------------------
// BGPPeer.

test('BGPPeer with peerIP and asNumber', valid, obj('BGPPeer', '10-0-0-2', { peerIP: '10.0.0.2', asNumber: 64512 }));
test('BGPPeer without asNumber', invalid, obj('BGPPeer', '10-0-0-2', { peerIP: '10.0.0.2' }), /spec\.asNumber/);
test('BGPPeer peerIP not an IP', invalid, obj('BGPPeer', 'peer', { peerIP: '10.0.0', asNumber: 64512 }), /spec\.peerIP/);

// ---------------------------------------------------------------------------------------------
// cidrsOverlap truth table.

test(overlap, '10.0.0.0/8', '10.1.0.0/16', true);
test(overlap, '10.0.0.0/16', '10.0.0.0/16', true);
test(overlap, '10.0.0.0/16', '10.1.0.0/16', false);
test(overlap, '192.168.0.0/24', '192.168.1.0/24', false);
test(overlap, '192.168.0.0/23', '192.168.1.0/24', true);
test(overlap, '0.0.0.0/0', '203.0.113.7/32', true);
test(overlap, '169.254.0.0/16', '169.254.1.5/32', true);
test(overlap, '169.254.0.0/16', '169.255.0.0/16', false);
test('cidrsOverlap, unmasked input', overlap, '10.0.0.5/8', '10.200.0.0/16', true);
test(overlap, '10.0.0.0/8', 'fd00::/8', false);
test(overlap, '0.0.0.0/0', '::/0', false);
test(overlap, 'fe80::/10', 'fe80::1/128', true);
test(overlap, 'fe80::/10', 'febf:ffff::/32', true);
test(overlap, 'fe80::/10', 'fec0::/10', false);
test(overlap, 'fd00::/64', 'fd00:0:0:1::/64', false);

// ---------------------------------------------------------------------------------------------
// Endpoint ports (v3.0 validator: Kubernetes port name, protocol TCP or UDP, port 1-65535).

const hepPorts = (ports: unknown[]): TargetObject => hep({ node: 'node1', interfaceName: 'eth3', ports });
const wepPorts = (ports: unknown[]): TargetObject => obj('WorkloadEndpoint', 'node1-k8s-web-eth0', { node: 'node1', orchestrator: 'k8s', pod: 'web', endpoint: 'eth0', ports }, { namespace: 'default' });

test('HostEndpoint ports TCP and UDP with names', valid, hepPorts([{ name: 'my-port', protocol: 'TCP', port: 5 }, { name: 'dns', protocol: 'UDP', port: 53 }]));
test('WorkloadEndpoint port with a name', valid, wepPorts([{ name: 'http', protocol: 'TCP', port: 80 }]));
test('HostEndpoint port name with an underscore', invalid, hepPorts([{ name: 'my_port', protocol: 'TCP', port: 5 }]), /spec\.ports\[0\]\.name "my_port" must be a Kubernetes port name/);
test('HostEndpoint port name of 16 characters', invalid, hepPorts([{ name: 'a'.repeat(16), protocol: 'TCP', port: 5 }]), /spec\.ports\[0\]\.name/);
test('HostEndpoint port without a name (port-only entry)', invalid, hepPorts([{ protocol: 'TCP', port: 8080 }]), /spec\.ports\[0\]\.name undefined/);
test('HostEndpoint port without a number (name-only entry)', invalid, hepPorts([{ name: 'only-name' }]), /spec\.ports\[0\]\.port undefined must be a port number 1-65535/, /spec\.ports\[0\]\.protocol undefined must be TCP or UDP/);
test('HostEndpoint port with protocol SCTP (not in v3.0)', invalid, hepPorts([{ name: 'sctp-port', protocol: 'SCTP', port: 9 }]), /protocol "SCTP" must be TCP or UDP/);
test('WorkloadEndpoint port with a numeric protocol', invalid, wepPorts([{ name: 'num', protocol: 6, port: 80 }]), /protocol 6 must be TCP or UDP/);
test('WorkloadEndpoint port 0', invalid, wepPorts([{ name: 'zero', protocol: 'TCP', port: 0 }]), /port 0 must be a port number 1-65535/);
