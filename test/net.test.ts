/**
 * src/net.ts: IP/CIDR parsing and formatting with Go `net` semantics (Calico's key paths and names
 * were produced by Go, so `formatIp` must reproduce `net.IP.String()` exactly).
 */
import test from 'ava';
import { cidr, ip } from './_helpers/net.js';
import { expandIPv6, formatCidr, formatIp, isMasked, maskCidr, parseCidr, parseIp, sameIp } from '../src/net.js';


// ---------------------------------------------------------------------------------------------
// parseIp: valid inputs, with the exact bytes expected.

const parsesTo = test.macro({
  exec(t, text: string, family: 4 | 6, bytes: readonly number[]) {
    const parsed = parseIp(text);
    t.truthy(parsed, `${text} should parse`);
    t.is(parsed?.family, family);
    t.deepEqual(parsed?.bytes, bytes);
  },
  title: (provided, text: string) => `parseIp accepts ${provided ?? ''} ${JSON.stringify(text)}`.replace(/\s+/g, ' '),
});

const zeros = (n: number): number[] => new Array<number>(n).fill(0);

test('IPv4', parsesTo, '10.0.0.1', 4, [10, 0, 0, 1]);
test('IPv4 all zeros', parsesTo, '0.0.0.0', 4, [0, 0, 0, 0]);
test('IPv4 broadcast', parsesTo, '255.255.255.255', 4, [255, 255, 255, 255]);
test('IPv6 compressed', parsesTo, '2001:db8::1', 6, [0x20, 0x01, 0x0d, 0xb8, ...zeros(11), 1]);
test('IPv6 unspecified', parsesTo, '::', 6, zeros(16));
test('IPv6 loopback', parsesTo, '::1', 6, [...zeros(15), 1]);
test('IPv6 trailing ::', parsesTo, 'fd00::', 6, [0xfd, 0x00, ...zeros(14)]);
test('IPv6 uncompressed', parsesTo, '2001:0db8:0000:0000:0000:0000:0000:0001', 6, [0x20, 0x01, 0x0d, 0xb8, ...zeros(11), 1]);
test('IPv6 uncompressed, short groups', parsesTo, '2001:db8:0:0:0:0:0:1', 6, [0x20, 0x01, 0x0d, 0xb8, ...zeros(11), 1]);
test('IPv6 uppercase hex', parsesTo, 'FD80:24E2::ABCD', 6, [0xfd, 0x80, 0x24, 0xe2, ...zeros(10), 0xab, 0xcd]);
test('IPv6 :: standing for a single zero group', parsesTo, '1::2:3:4:5:6:7', 6, [0, 1, 0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7]);
test('IPv6 mixed, IPv4-mapped suffix', parsesTo, '::ffff:10.0.0.1', 6, [...zeros(10), 0xff, 0xff, 10, 0, 0, 1]);
test('IPv6 mixed, full-length with IPv4 suffix', parsesTo, '1:2:3:4:5:6:192.168.0.1', 6, [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 192, 168, 0, 1]);
test('IPv6 mixed, compressed prefix and IPv4 suffix', parsesTo, '64:ff9b::1.2.3.4', 6, [0, 0x64, 0xff, 0x9b, ...zeros(8), 1, 2, 3, 4]);

// parseIp: invalid inputs.

const rejects = test.macro({
  exec(t, text: string) {
    t.is(parseIp(text), undefined, `${JSON.stringify(text)} must not parse`);
  },
  title: (provided, text: string) => `parseIp rejects ${provided ?? ''} ${JSON.stringify(text)}`.replace(/\s+/g, ' '),
});

test('empty string', rejects, '');
test('whitespace', rejects, ' ');
test('IPv4 octet 256', rejects, '10.0.0.256');
test('IPv4 octet 256 (first)', rejects, '256.0.0.1');
test('IPv4 leading zero', rejects, '10.0.0.01');
test('IPv4 leading zero (octal-looking)', rejects, '010.0.0.1');
test('IPv4 too few octets', rejects, '10.0.1');
test('IPv4 too many octets', rejects, '10.0.0.1.5');
test('IPv4 empty octet', rejects, '10..0.1');
test('IPv4 negative octet', rejects, '10.0.0.-1');
test('IPv4 surrounding space', rejects, ' 10.0.0.1');
test('IPv4 with prefix', rejects, '10.0.0.1/32');
test('IPv6 too many groups', rejects, '1:2:3:4:5:6:7:8:9');
test('IPv6 too few groups without ::', rejects, '1:2:3:4:5:6:7');
test('IPv6 :: with 8 explicit groups', rejects, '1:2:3:4::5:6:7:8');
test('IPv6 two ::', rejects, '2001::db8::1');
test('IPv6 :::', rejects, '2001:::1');
test('IPv6 group longer than 4 digits', rejects, '2001:db8::10000');
test('IPv6 non-hex digit', rejects, '2001:db8::g');
test('IPv6 leading single colon', rejects, ':1:2:3:4:5:6:7');
test('IPv6 trailing single colon', rejects, '1:2:3:4:5:6:7:');
test('IPv6 with zone', rejects, 'fe80::1%eth0');
test('IPv6 IPv4 suffix with octet 256', rejects, '::ffff:10.0.0.256');
test('IPv6 IPv4 suffix too long', rejects, '1:2:3:4:5:6:7:1.2.3.4');
// Go (netip.parseIPv6) only allows an embedded IPv4 address as the final 32 bits.
test('IPv6 IPv4 part not at the end', rejects, '1.2.3.4::');
test('a hostname', rejects, 'localhost');

// ---------------------------------------------------------------------------------------------
// formatIp: Go's net.IP.String().

const formatsAs = test.macro({
  exec(t, input: string, expected: string) {
    t.is(formatIp(ip(input)), expected);
  },
  title: (provided, input: string, expected: string) =>
    `formatIp ${provided ?? ''}: ${JSON.stringify(input)} → ${JSON.stringify(expected)}`.replace(/\s+/g, ' '),
});

test('IPv4 dotted', formatsAs, '192.168.0.1', '192.168.0.1');
test('IPv4 zeros', formatsAs, '0.0.0.0', '0.0.0.0');
test('IPv6 unspecified', formatsAs, '0:0:0:0:0:0:0:0', '::');
test('IPv6 loopback', formatsAs, '0:0:0:0:0:0:0:1', '::1');
test('compresses a long zero run', formatsAs, '2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1');
test('trailing zero run', formatsAs, 'fd80:24e2:f998:72d6:0:0:0:0', 'fd80:24e2:f998:72d6::');
test('leading zero run', formatsAs, '0:0:0:0:0:0:2:1', '::2:1');
test('single zero group is NOT compressed', formatsAs, '2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1');
test('single zero group at the end is NOT compressed', formatsAs, '1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0');
test('two-group zero run is compressed', formatsAs, '2001:db8:0:0:1:1:1:1', '2001:db8::1:1:1:1');
test('longest run wins over an earlier shorter one', formatsAs, '2001:0:0:1:0:0:0:1', '2001:0:0:1::1');
test('leftmost run wins on a tie', formatsAs, '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1');
test('leftmost run wins on a tie (runs of 3)', formatsAs, '1:0:0:0:2:0:0:0', '1::2:0:0:0');
test('lowercase hex', formatsAs, 'FD80:24E2:F998:72D6::ABCD', 'fd80:24e2:f998:72d6::abcd');
test('leading zeros in groups dropped', formatsAs, '2001:0db8:000a:0b00:0000:0000:0000:00c0', '2001:db8:a:b00::c0');
test('no zero group', formatsAs, '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8');
test('IPv4 suffix of a non-mapped address is printed as hex', formatsAs, '64:ff9b::1.2.3.4', '64:ff9b::102:304');
// Go's IP.String() checks To4() first: an IPv4-mapped IPv6 address (::ffff:a.b.c.d) prints as IPv4.
test('IPv4-mapped address prints dotted, as Go does', formatsAs, '::ffff:10.0.0.1', '10.0.0.1');

test('formatIp(parseIp(x)) is the identity on already-canonical addresses', (t) => {
  for (const text of ['10.0.0.1', '::', '::1', '2001:db8::1', 'fd80:24e2:f998:72d6::', '2001:db8:0:1:1:1:1:1', '2006::2:1']) {
    t.is(formatIp(ip(text)), text);
  }
});

// ---------------------------------------------------------------------------------------------
// expandIPv6

const expandsTo = test.macro({
  exec(t, input: string, expected: string) {
    t.is(expandIPv6(ip(input)), expected);
  },
  title: (_provided, input: string, expected: string) => `expandIPv6 ${JSON.stringify(input)} → ${JSON.stringify(expected)}`,
});

test(expandsTo, '2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001');
test(expandsTo, '::', '0000:0000:0000:0000:0000:0000:0000:0000');
test(expandsTo, 'FD80:24E2:F998:72D6::', 'fd80:24e2:f998:72d6:0000:0000:0000:0000');
test(expandsTo, '2006::2:1', '2006:0000:0000:0000:0000:0000:0002:0001');
test(expandsTo, '::ffff:10.0.0.1', '0000:0000:0000:0000:0000:ffff:0a00:0001');

// ---------------------------------------------------------------------------------------------
// parseCidr

const cidrParses = test.macro({
  exec(t, text: string, expectedIp: string, prefix: number) {
    const parsed = parseCidr(text);
    t.truthy(parsed, `${text} should parse`);
    if (!parsed) return;
    t.is(parsed.prefix, prefix);
    t.true(sameIp(parsed.ip, ip(expectedIp)), 'address kept as written (not masked)');
  },
  title: (provided, text: string) => `parseCidr accepts ${provided ?? ''} ${JSON.stringify(text)}`.replace(/\s+/g, ' '),
});

test('IPv4 /16', cidrParses, '192.168.0.0/16', '192.168.0.0', 16);
test('IPv4 minimum prefix', cidrParses, '0.0.0.0/0', '0.0.0.0', 0);
test('IPv4 maximum prefix', cidrParses, '10.0.0.1/32', '10.0.0.1', 32);
test('IPv4 unmasked address kept', cidrParses, '192.168.0.129/25', '192.168.0.129', 25);
test('IPv6 /64', cidrParses, 'fd80:24e2:f998:72d6::/64', 'fd80:24e2:f998:72d6::', 64);
test('IPv6 minimum prefix', cidrParses, '::/0', '::', 0);
test('IPv6 maximum prefix', cidrParses, '2001:db8::1/128', '2001:db8::1', 128);

const cidrRejects = test.macro({
  exec(t, text: string) {
    t.is(parseCidr(text), undefined, `${JSON.stringify(text)} must not parse`);
  },
  title: (provided, text: string) => `parseCidr rejects ${provided ?? ''} ${JSON.stringify(text)}`.replace(/\s+/g, ' '),
});

test('IPv4 prefix 33', cidrRejects, '10.0.0.0/33');
test('IPv6 prefix 129', cidrRejects, '2001:db8::/129');
test('negative prefix', cidrRejects, '10.0.0.0/-1');
test('empty prefix', cidrRejects, '10.0.0.0/');
test('non-numeric prefix', cidrRejects, '10.0.0.0/abc');
test('netmask instead of prefix', cidrRejects, '10.0.0.0/255.0.0.0');
test('no prefix at all', cidrRejects, '10.0.0.0');
test('two slashes', cidrRejects, '10.0.0.0/8/8');
test('invalid address', cidrRejects, '10.0.0.256/24');
test('empty string', cidrRejects, '');
test('only a slash', cidrRejects, '/8');
test('etcd key-path form (dash instead of slash)', cidrRejects, '10.0.0.0-8');

// ---------------------------------------------------------------------------------------------
// maskCidr / isMasked / formatCidr

const masksTo = test.macro({
  exec(t, input: string, expected: string) {
    const original = cidr(input);
    const masked = maskCidr(original);
    t.is(formatCidr(masked), expected);
    t.is(masked.prefix, original.prefix);
    t.is(masked.ip.family, original.ip.family);
    t.is(isMasked(original), input === expected, 'isMasked agrees with whether masking changed anything');
    t.true(isMasked(masked), 'the masked CIDR is masked');
  },
  title: (_provided, input: string, expected: string) => `maskCidr ${input} → ${expected}`,
});

test(masksTo, '192.168.0.129/25', '192.168.0.128/25');
test(masksTo, '192.168.0.128/25', '192.168.0.128/25');
test(masksTo, '10.1.2.3/8', '10.0.0.0/8');
test(masksTo, '10.255.255.255/9', '10.128.0.0/9');
test(masksTo, '172.31.255.255/12', '172.16.0.0/12');
test(masksTo, '10.1.2.3/0', '0.0.0.0/0');
test(masksTo, '10.1.2.3/32', '10.1.2.3/32');
test(masksTo, '10.1.2.3/31', '10.1.2.2/31');
test(masksTo, '2001:db8:abcd:1234:5678::1/64', '2001:db8:abcd:1234::/64');
test(masksTo, 'fd80:24e2:f998:72d6::/64', 'fd80:24e2:f998:72d6::/64');
test(masksTo, 'fd80:24e2:f998:72df::/60', 'fd80:24e2:f998:72d0::/60');
test(masksTo, '2001:db8::ffff/127', '2001:db8::fffe/127');
test(masksTo, '2001:db8::1/128', '2001:db8::1/128');
test(masksTo, 'ffff:ffff::/0', '::/0');
test(masksTo, '2001:db8:ffff::/33', '2001:db8:8000::/33');

test('maskCidr does not mutate its argument', (t) => {
  const original = cidr('192.168.0.129/25');
  maskCidr(original);
  t.deepEqual(original.ip.bytes, [192, 168, 0, 129]);
});

test('formatCidr uses the Go-compressed address', (t) => {
  t.is(formatCidr(cidr('FD80:24E2:F998:72D6:0:0:0:0/64')), 'fd80:24e2:f998:72d6::/64');
  t.is(formatCidr(cidr('10.0.0.0/8')), '10.0.0.0/8');
});

// ---------------------------------------------------------------------------------------------
// sameIp

const same = test.macro({
  exec(t, a: string, b: string, expected: boolean) {
    t.is(sameIp(ip(a), ip(b)), expected);
    t.is(sameIp(ip(b), ip(a)), expected, 'symmetric');
  },
  title: (_provided, a: string, b: string, expected: boolean) => `sameIp(${a}, ${b}) is ${String(expected)}`,
});

test(same, '10.0.0.1', '10.0.0.1', true);
test(same, '10.0.0.1', '10.0.0.2', false);
test(same, '2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001', true);
test(same, '2001:db8::1', '2001:DB8:0:0:0:0:0:1', true);
test(same, '2001:db8::1', '2001:db8::2', false);
test(same, '::ffff:10.0.0.1', '::ffff:a00:1', true);
// An IPv4 address and an IPv4-compatible (not mapped) IPv6 address are different addresses.
test(same, '10.0.0.1', '::a00:1', false);
test(same, '0.0.0.0', '::', false);

/** The IPv4 rule written as it reads (split on dots; one to three digits; no leading zero; at most 255), to check the character-by-character parser against. */
function ipv4ByRule(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0')) || Number(p) > 255) return undefined;
    out.push(Number(p));
  }
  return out;
}

test('IPv4: the parser agrees with the rule as written, on edge cases and on 50,000 strings of digits, dots and other characters', (t) => {
  const edges = ['', '.', '...', '1.2.3', '1.2.3.4.', '.1.2.3.4', '1.2.3.4.5', '01.2.3.4', '1.2.3.00', '0.0.0.0', '255.255.255.255', '256.1.1.1', '1.2.3.256', '1..2.3',
    ' 1.2.3.4', '1.2.3.4 ', '+1.2.3.4', '1e1.2.3.4', '0x1.2.3.4', '1000.1.1.1', '1.2.3.0255', '١.2.3.4', '10.0.0.1/32', '999.999.999.999', '0.00.0.0', '9.99.199.249'];
  for (const s of edges) t.deepEqual(parseIp(s)?.bytes, ipv4ByRule(s), JSON.stringify(s));
  // A small deterministic generator (no randomness in tests that must say the same every run).
  let seed = 12345;
  const next = (n: number): number => {
    // xorshift32
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const alphabet = '0123456789....0125x -';
  let agreed = 0;
  let valid = 0;
  for (let i = 0; i < 50_000; i++) {
    let s = '';
    if (i % 2 === 0) {
      for (let n = next(17); n > 0; n--) s += alphabet[next(alphabet.length)];
    } else {
      // Dotted groups of one to four digits, three to five of them: many are addresses.
      const groups: string[] = [];
      for (let g = next(5) === 0 ? 3 + 2 * next(2) : 4; g > 0; g--) groups.push(String(next(10) < 3 ? next(10) : next(280)).padStart(next(8) === 0 ? 2 : 1, '0'));
      s = groups.join('.');
    }
    if (ipv4ByRule(s)) valid++;
    const got = parseIp(s);
    const want = ipv4ByRule(s);
    if (want === undefined ? got === undefined || got.family === 6 : got?.family === 4 && got.bytes.join('.') === want.join('.')) agreed++;
    else t.fail(`${JSON.stringify(s)}: ${JSON.stringify(got)} against ${JSON.stringify(want)}`);
  }
  t.is(agreed, 50_000);
  t.true(valid > 3_000, `${valid} of the strings are addresses`);
});
