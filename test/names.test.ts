/**
 * src/names.ts: name encodings across Calico versions, v3 name conversion, Kubernetes validation.
 * Vectors are the upstream ones quoted in /work/shared/calico-data-model.md §2.3, §3.3, §4.3, §4.4.
 */
import test from 'ava';
import { cidr, ip } from './_helpers/net.js';
import {
  cidrToName,
  convertName,
  convertNameNoDots,
  ipToNameV24,
  ipToNameV25,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  nameToCidr,
  nameToIp,
  normalizeName,
  shortHash,
  unescapeName,
} from '../src/names.js';
import { formatCidr, formatIp } from '../src/net.js';


/** A string → string function checked against one input/output pair. */
const maps = test.macro({
  exec(t, fn: (s: string) => string, _fnName: string, input: string, expected: string) {
    t.is(fn(input), expected);
  },
  title: (_provided, _fn: (s: string) => string, fnName: string, input: string, expected: string) =>
    `${fnName}(${JSON.stringify(input)}) → ${JSON.stringify(expected)}`,
});

// ---------------------------------------------------------------------------------------------
// normalizeName (upstream vectors, names_test.go)

test(maps, normalizeName, 'normalizeName', 'abc/def', 'abc.def');
test(maps, normalizeName, 'normalizeName', 'abc$!$def', 'abc-def');
test(maps, normalizeName, 'normalizeName', 'abc.-.def', 'abc.def');
test(maps, normalizeName, 'normalizeName', 'abc---def', 'abc---def');
test(maps, normalizeName, 'normalizeName', '$ABC/DeF-123.-456!', 'abc.def-123.456');
// Further cases implied by the algorithm.
test(maps, normalizeName, 'normalizeName', 'Node1', 'node1');
test(maps, normalizeName, 'normalizeName', 'noD2{', 'nod2');
test(maps, normalizeName, 'normalizeName', 'already.valid-name', 'already.valid-name');

// ---------------------------------------------------------------------------------------------
// convertNameNoDots (policies; upstream policy_test.go vectors plus the doc's reimplementation)

test(maps, convertNameNoDots, 'convertNameNoDots', 'nameyMcPolicyName', 'nameymcpolicyname-32df456f');
test(maps, convertNameNoDots, 'convertNameNoDots', 'MaKe.-.MaKe', 'make-make-1b6971c8');
test(maps, convertNameNoDots, 'convertNameNoDots', 'RAWR', 'rawr-03d81e1d');
test(maps, convertNameNoDots, 'convertNameNoDots', 'My_Policy', 'my-policy-25c5e100');
test(maps, convertNameNoDots, 'convertNameNoDots', 'default.frontend', 'default-frontend-9b723216');
test(maps, convertNameNoDots, 'convertNameNoDots', 'rack1.host1', 'rack1-host1-f5deda87');
test(maps, convertNameNoDots, 'convertNameNoDots', 'allow-dns', 'allow-dns');
test(maps, convertNameNoDots, 'convertNameNoDots', 'p1', 'p1');

// ---------------------------------------------------------------------------------------------
// convertName (profiles, host endpoints; upstream profile_test.go / hostendpoint_test.go)

test(maps, convertName, 'convertName', 'kns.FlUx-.-CaPaCiToR$$', 'kns.flux.capacitor-a9ad9f16');
test(maps, convertName, 'convertName', 'nod2.H3P.N/me', 'nod2.h3p.n.me-7188e863');
test(maps, convertName, 'convertName', 'pRo/le', 'pro.le-b1554692');
test(maps, convertName, 'convertName', 'kns.default', 'kns.default');
test(maps, convertName, 'convertName', 'eth0', 'eth0');
test(maps, convertName, 'convertName', 'k8s-pod-network', 'k8s-pod-network');

test('convertName and convertNameNoDots never hash a name they leave unchanged', (t) => {
  for (const name of ['a', 'abc---def', 'node-1', 'x9']) {
    t.is(convertName(name), name);
    t.is(convertNameNoDots(name), name);
  }
  // A dotted name is unchanged by convertName but changed (and so hashed) by convertNameNoDots.
  t.is(convertName('a.b'), 'a.b');
  t.is(convertNameNoDots('a.b'), `a-b-${shortHash('a.b')}`);
});

test('shortHash is the first 8 hex digits of SHA-1 over UTF-8', (t) => {
  t.is(shortHash('RAWR'), '03d81e1d');
  t.is(shortHash(''), 'da39a3ee'); // SHA-1 of the empty string is da39a3ee5e6b4b0d...
  t.is(shortHash('é'), shortHash('\u00e9'));
  t.not(shortHash('é'), shortHash('e\u0301'), 'no Unicode normalisation before hashing');
  t.regex(shortHash('anything'), /^[0-9a-f]{8}$/);
});

// ---------------------------------------------------------------------------------------------
// IP names: v2.4 (compressed) and v2.5+ (expanded)

const ipName = test.macro({
  exec(t, version: 'V24' | 'V25', address: string, expected: string) {
    const fn = version === 'V24' ? ipToNameV24 : ipToNameV25;
    t.is(fn(ip(address)), expected);
    const back = nameToIp(expected);
    t.truthy(back, `nameToIp(${expected}) should parse`);
    if (back) t.is(formatIp(back), formatIp(ip(address)), 'nameToIp reverses it');
  },
  title: (_provided, version: 'V24' | 'V25', address: string, expected: string) =>
    `ipToName${version}(${address}) → ${expected}, and nameToIp reverses it`,
});

test(ipName, 'V24', '2001:db8::1', '2001-db8--1');
test(ipName, 'V24', '10.0.0.1', '10-0-0-1');
test(ipName, 'V24', 'fd00::', 'fd00--');
test(ipName, 'V24', '::1', '--1');
test(ipName, 'V24', '2001:db8:0:1:1:1:1:1', '2001-db8-0-1-1-1-1-1');
test(ipName, 'V25', '2001:db8::1', '2001-0db8-0000-0000-0000-0000-0000-0001');
test(ipName, 'V25', '2006::2:1', '2006-0000-0000-0000-0000-0000-0002-0001');
test(ipName, 'V25', 'fd00::', 'fd00-0000-0000-0000-0000-0000-0000-0000');
test(ipName, 'V25', '10.0.0.1', '10-0-0-1');
test(ipName, 'V25', '192.168.255.254', '192-168-255-254');

test('v2.5 IPv6 IP names are valid Kubernetes names where v2.4 ones ending in "--" were not', (t) => {
  const addr = ip('fd00::');
  t.false(isDns1123Subdomain(ipToNameV24(addr)));
  t.true(isDns1123Subdomain(ipToNameV25(addr)));
});

const nameIsIp = test.macro({
  exec(t, name: string, expected: string | undefined) {
    const parsed = nameToIp(name);
    t.is(parsed === undefined ? undefined : formatIp(parsed), expected);
  },
  title: (_provided, name: string, expected: string | undefined) => `nameToIp(${JSON.stringify(name)}) → ${expected ?? 'undefined'}`,
});

test(nameIsIp, '2001-db8--1', '2001:db8::1');
test(nameIsIp, '2001-0db8-0000-0000-0000-0000-0000-0001', '2001:db8::1');
test(nameIsIp, '2001-db8-0-0-0-0-0-1', '2001:db8::1');
test(nameIsIp, '2006-0000-0000-0000-0000-0000-0002-0001', '2006::2:1');
test(nameIsIp, '--', '::');
test(nameIsIp, '10-0-0', undefined);
test(nameIsIp, '10-0-0-256', undefined);
test(nameIsIp, 'not-an-ip', undefined);
test(nameIsIp, '', undefined);

// ---------------------------------------------------------------------------------------------
// CIDR names

const cidrName = test.macro({
  exec(t, text: string, expected: string) {
    t.is(cidrToName(cidr(text)), expected);
    const back = nameToCidr(expected);
    t.truthy(back, `nameToCidr(${expected}) should parse`);
    if (back) t.is(formatCidr(back), formatCidr(cidr(text)), 'nameToCidr reverses it');
  },
  title: (_provided, text: string, expected: string) => `cidrToName(${text}) → ${expected}, and nameToCidr reverses it`,
});

test(cidrName, '192.168.0.0/16', '192-168-0-0-16');
test(cidrName, 'fd80:24e2:f998:72d6::/64', 'fd80-24e2-f998-72d6---64');
test(cidrName, '10.0.0.0/8', '10-0-0-0-8');
test(cidrName, '0.0.0.0/0', '0-0-0-0-0');
test(cidrName, '::/0', '---0');
test(cidrName, '2001:db8::1/128', '2001-db8--1-128');
test(cidrName, '2001:db8:0:1:1:1:1:0/127', '2001-db8-0-1-1-1-1-0-127');
// Names use the compressed (Go) form even if the CIDR was written expanded.
test(cidrName, 'FD80:24E2:F998:72D6:0:0:0:0/64', 'fd80-24e2-f998-72d6---64');

const nameIsCidr = test.macro({
  exec(t, name: string, expected: string | undefined) {
    const parsed = nameToCidr(name);
    t.is(parsed === undefined ? undefined : formatCidr(parsed), expected);
  },
  title: (_provided, name: string, expected: string | undefined) => `nameToCidr(${JSON.stringify(name)}) → ${expected ?? 'undefined'}`,
});

test(nameIsCidr, '192-168-0-0-16', '192.168.0.0/16');
test(nameIsCidr, 'fd80-24e2-f998-72d6---64', 'fd80:24e2:f998:72d6::/64');
// v2.5-style fully expanded address part is accepted too.
test(nameIsCidr, 'fd80-24e2-f998-72d6-0000-0000-0000-0000-64', 'fd80:24e2:f998:72d6::/64');
test(nameIsCidr, '2001-0db8-0000-0000-0000-0000-0000-0000-32', '2001:db8::/32');
test(nameIsCidr, '192-168-0-0-33', undefined);
test(nameIsCidr, 'fd80-24e2-f998-72d6---129', undefined);
test(nameIsCidr, '192-168-0-0-x', undefined);
test(nameIsCidr, '192-168-0-0-', undefined);
test(nameIsCidr, '192-168-0-0', undefined);
test(nameIsCidr, '-16', undefined);
test(nameIsCidr, '16', undefined);
test(nameIsCidr, '', undefined);

// ---------------------------------------------------------------------------------------------
// unescapeName: upstream escapes `%` → `%25` first, then `/` → `%2f`; unescaping must undo that.

test(maps, unescapeName, 'unescapeName', 'team%2fweb', 'team/web');
test(maps, unescapeName, 'unescapeName', '50%25-canary', '50%-canary');
test(maps, unescapeName, 'unescapeName', 'a%252fb', 'a%2fb');
test(maps, unescapeName, 'unescapeName', 'a%25%2fb', 'a%/b');
test(maps, unescapeName, 'unescapeName', 'a%2525b', 'a%25b');
test(maps, unescapeName, 'unescapeName', 'ns%2fpolicy%2fx', 'ns/policy/x');
test(maps, unescapeName, 'unescapeName', 'plain-name', 'plain-name');
test(maps, unescapeName, 'unescapeName', '', '');

test('unescapeName inverts the upstream escaping (% → %25, then / → %2f) on awkward names', (t) => {
  const escape = (s: string): string => s.replace(/%/g, '%25').replace(/\//g, '%2f');
  for (const name of ['a/b', 'a%b', 'a%2fb', 'a%25b', '%/%', '%2f/%25', '//', '%%', 'x%252fy', 'team/web%']) {
    t.is(unescapeName(escape(name)), name, `round trip of ${JSON.stringify(name)} via ${JSON.stringify(escape(name))}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Kubernetes name validation

const validates = test.macro({
  exec(t, fn: (s: string) => boolean, _fnName: string, input: string, expected: boolean) {
    t.is(fn(input), expected);
  },
  title: (provided, _fn: (s: string) => boolean, fnName: string, input: string, expected: boolean) =>
    `${fnName} ${expected ? 'accepts' : 'rejects'} ${provided ? `${provided} ` : ''}${JSON.stringify(input.length > 40 ? `${input.slice(0, 20)}…(${input.length} chars)` : input)}`,
});

const label63 = 'a'.repeat(63);
const label64 = 'a'.repeat(64);
/** 253 characters made of dotted labels. */
const subdomain253 = `${`${'b'.repeat(61)}.`.repeat(4)}abcde`;
const subdomain254 = `${subdomain253}f`;

test('fixture lengths', (t) => {
  t.is(subdomain253.length, 253);
  t.is(subdomain254.length, 254);
});

test(validates, isDns1123Subdomain, 'isDns1123Subdomain', 'a', true);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', 'default.frontend', true);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', 'kns.flux.capacitor-a9ad9f16', true);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', '192-168-0-0-16', true);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', '0abc', true);
test('253 characters', validates, isDns1123Subdomain, 'isDns1123Subdomain', subdomain253, true);
test('a single 253-character label', validates, isDns1123Subdomain, 'isDns1123Subdomain', 'c'.repeat(253), true);
test('254 characters', validates, isDns1123Subdomain, 'isDns1123Subdomain', subdomain254, false);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', '', false);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', 'Abc', false);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', '-abc', false);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', 'abc-', false);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', '.abc', false);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', 'abc.', false);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', 'a..b', false);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', 'a.-b', false);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', 'a_b', false);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', 'a/b', false);
test(validates, isDns1123Subdomain, 'isDns1123Subdomain', 'fd00--', false);

test(validates, isDns1123Label, 'isDns1123Label', 'a', true);
test(validates, isDns1123Label, 'isDns1123Label', 'default-frontend-9b723216', true);
test(validates, isDns1123Label, 'isDns1123Label', 'abc---def', true);
test('63 characters', validates, isDns1123Label, 'isDns1123Label', label63, true);
test('64 characters', validates, isDns1123Label, 'isDns1123Label', label64, false);
test(validates, isDns1123Label, 'isDns1123Label', '', false);
test(validates, isDns1123Label, 'isDns1123Label', 'a.b', false);
test(validates, isDns1123Label, 'isDns1123Label', 'ABC', false);
test(validates, isDns1123Label, 'isDns1123Label', '-a', false);
test(validates, isDns1123Label, 'isDns1123Label', 'a-', false);
test(validates, isDns1123Label, 'isDns1123Label', 'my_policy', false);

test(validates, isQualifiedName, 'isQualifiedName', 'projectcalico.org/IPv4Address', true);
test(validates, isQualifiedName, 'isQualifiedName', 'app', true);
test(validates, isQualifiedName, 'isQualifiedName', 'App_Name.v1-x', true);
test(validates, isQualifiedName, 'isQualifiedName', 'a', true);
test(validates, isQualifiedName, 'isQualifiedName', 'kubernetes.io/hostname', true);
test(validates, isQualifiedName, 'isQualifiedName', 'calico/k8s_ns', true);
test('63-character name', validates, isQualifiedName, 'isQualifiedName', label63, true);
test('64-character name', validates, isQualifiedName, 'isQualifiedName', label64, false);
test('253-character prefix', validates, isQualifiedName, 'isQualifiedName', `${subdomain253}/x`, true);
test('254-character prefix', validates, isQualifiedName, 'isQualifiedName', `${subdomain254}/x`, false);
test('prefix plus 63-character name', validates, isQualifiedName, 'isQualifiedName', `example.com/${label63}`, true);
test('prefix plus 64-character name', validates, isQualifiedName, 'isQualifiedName', `example.com/${label64}`, false);
test(validates, isQualifiedName, 'isQualifiedName', 'a/b/c', false);
test(validates, isQualifiedName, 'isQualifiedName', '', false);
test(validates, isQualifiedName, 'isQualifiedName', '/name', false);
test(validates, isQualifiedName, 'isQualifiedName', 'example.com/', false);
test(validates, isQualifiedName, 'isQualifiedName', 'Example.com/name', false);
test(validates, isQualifiedName, 'isQualifiedName', 'example_com/name', false);
test(validates, isQualifiedName, 'isQualifiedName', '_name', false);
test(validates, isQualifiedName, 'isQualifiedName', 'name-', false);
test(validates, isQualifiedName, 'isQualifiedName', 'name.', false);
test(validates, isQualifiedName, 'isQualifiedName', 'has space', false);
test(validates, isQualifiedName, 'isQualifiedName', 'role:admin', false);
