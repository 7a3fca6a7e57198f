/**
 * src/input/dump.ts: format detection, record extraction with origins, envelope failures, and the
 * one-line E_INPUT_FORMAT errors for files that are not dumps. Inline fixtures only.
 */
import test, { type ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDumps } from '../../src/cli/io.js';
import { CalicoMigrateError } from '../../src/errors.js';
import { decodeDump, type DecodedDump, type InputFormat, type RawEtcdRecord, type RawObjectRecord } from '../../src/input/dump.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function etcdRecords(t: ExecutionContext, dump: DecodedDump): RawEtcdRecord[] {
  const out: RawEtcdRecord[] = [];
  for (const r of dump.records) {
    if (r.type === 'etcd') out.push(r);
    else t.fail(`unexpected object record ${r.origin}`);
  }
  return out;
}

function objectRecords(t: ExecutionContext, dump: DecodedDump): RawObjectRecord[] {
  const out: RawObjectRecord[] = [];
  for (const r of dump.records) {
    if (r.type === 'object') out.push(r);
    else t.fail(`unexpected etcd record ${r.origin}`);
  }
  return out;
}

/** Asserts `fn` throws a CalicoMigrateError E_INPUT_FORMAT with a one-line message naming the file. */
function expectFormatError(t: ExecutionContext, path: string, fn: () => unknown, mentions: readonly (string | RegExp)[]): string {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof CalicoMigrateError)) {
    t.fail(`expected a CalicoMigrateError, got ${caught === undefined ? 'no error' : String(caught)}`);
    return '';
  }
  t.is(caught.code, 'E_INPUT_FORMAT');
  const message = caught.message;
  t.false(/[\r\n]/.test(message), `message is one line: ${JSON.stringify(message)}`);
  t.true(message.startsWith(`${path}: `), `message starts with the file path: ${message}`);
  t.regex(message, /expected /, 'message says what was expected');
  for (const m of mentions) {
    if (typeof m === 'string') t.true(message.includes(m), `message mentions ${JSON.stringify(m)}: ${message}`);
    else t.regex(message, m);
  }
  return message;
}

// ---------------------------------------------------------------------------------------------
// etcd v2

const ETCD_V2 = JSON.stringify({
  action: 'get',
  node: {
    key: '/calico',
    dir: true,
    nodes: [
      {
        key: '/calico/v1',
        dir: true,
        nodes: [
          {
            key: '/calico/v1/config',
            dir: true,
            nodes: [
              { key: '/calico/v1/config/LogSeverityScreen', value: 'Info', modifiedIndex: 5, createdIndex: 5 },
              { key: '/calico/v1/config/Ready', value: 'true', modifiedIndex: 6, createdIndex: 6 },
            ],
            modifiedIndex: 4,
            createdIndex: 4,
          },
          { key: '/calico/v1/host', dir: true, modifiedIndex: 7, createdIndex: 7 },
          { key: '/calico/v1/policy', dir: true, nodes: [], modifiedIndex: 8, createdIndex: 8 },
        ],
      },
      { key: '/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-26', value: '{"cidr":"10.0.0.0/26"}' },
      { key: '/calico/empty-value', value: '' },
    ],
  },
});

test('etcd v2: recursive GET body is detected and flattened into leaf records', (t) => {
  const dump = decodeDump('etcd-v2.json', ETCD_V2);
  t.is(dump.format, 'etcd-v2');
  t.is(dump.path, 'etcd-v2.json');
  t.deepEqual(dump.failures, []);
  const records = etcdRecords(t, dump);
  t.deepEqual(
    records.map((r) => [r.key, r.value]),
    [
      ['/calico/v1/config/LogSeverityScreen', 'Info'],
      ['/calico/v1/config/Ready', 'true'],
      ['/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-26', '{"cidr":"10.0.0.0/26"}'],
      ['/calico/empty-value', ''],
    ],
    'only leaves, depth-first in file order; directories (including empty ones) give no record',
  );
  for (const r of records) {
    t.is(r.origin, r.key, 'origin is the key');
    t.is(r.file, 'etcd-v2.json');
  }
});

test('etcd v2: a GET of a single key (non-dir node) gives one record', (t) => {
  const dump = decodeDump('one.json', '{"action":"get","node":{"key":"/calico/v1/Ready","value":"true"}}');
  t.is(dump.format, 'etcd-v2');
  t.deepEqual(
    etcdRecords(t, dump).map((r) => [r.origin, r.value]),
    [['/calico/v1/Ready', 'true']],
  );
});

test('etcd v2: an empty root directory gives no records and no failures', (t) => {
  const dump = decodeDump('empty-dir.json', '{"action":"get","node":{"key":"/calico","dir":true}}');
  t.is(dump.format, 'etcd-v2');
  t.deepEqual(dump.records, []);
  t.deepEqual(dump.failures, []);
});

test('etcd v2: a leaf without a string value is a format error naming the key', (t) => {
  expectFormatError(t, 'bad-v2.json', () => decodeDump('bad-v2.json', '{"node":{"key":"/calico","dir":true,"nodes":[{"key":"/calico/x"}]}}'), ['/calico/x']);
});

// ---------------------------------------------------------------------------------------------
// etcd v3 (etcdctl get --prefix -w json)

const ETCD_V3 = JSON.stringify({
  header: { cluster_id: 14841639068965178418, member_id: 10276657743932975437, revision: 12, raft_term: 2 },
  kvs: [
    { key: b64('/calico/resources/v3/projectcalico.org/felixconfigurations/default'), create_revision: 5, mod_revision: 5, version: 1, value: b64('{"kind":"FelixConfiguration","name":"café"}') },
    // etcdctl omits empty byte fields: no "value" means the empty string.
    { key: b64('/calico/v1/config/Empty'), create_revision: 6, mod_revision: 6, version: 1 },
    { key: b64('/calico/v1/Ready'), create_revision: 7, mod_revision: 7, version: 1, value: b64('true') },
  ],
  count: 3,
});

test('etcd v3: etcdctl JSON is detected, keys and values base64-decoded as UTF-8', (t) => {
  const dump = decodeDump('etcd-v3.json', ETCD_V3);
  t.is(dump.format, 'etcd-v3');
  t.deepEqual(dump.failures, []);
  const records = etcdRecords(t, dump);
  t.deepEqual(
    records.map((r) => [r.origin, r.key, r.value]),
    [
      ['/calico/resources/v3/projectcalico.org/felixconfigurations/default', '/calico/resources/v3/projectcalico.org/felixconfigurations/default', '{"kind":"FelixConfiguration","name":"café"}'],
      ['/calico/v1/config/Empty', '/calico/v1/config/Empty', ''],
      ['/calico/v1/Ready', '/calico/v1/Ready', 'true'],
    ],
  );
  for (const r of records) t.is(r.file, 'etcd-v3.json');
});

test('etcd v3: a kv with an empty-string value is the empty string too', (t) => {
  const text = JSON.stringify({ header: { revision: 1 }, kvs: [{ key: b64('/calico/a'), value: '' }, { key: b64('/calico/b'), value: b64('x') }], count: 2 });
  t.deepEqual(
    etcdRecords(t, decodeDump('v3.json', text)).map((r) => [r.key, r.value]),
    [
      ['/calico/a', ''],
      ['/calico/b', 'x'],
    ],
  );
});

test('etcd v3: an empty result (no kvs, count 0) is an etcd-v3 dump with no records', (t) => {
  const dump = decodeDump('none.json', '{"header":{"cluster_id":1,"member_id":2,"revision":3,"raft_term":4},"count":0}');
  t.is(dump.format, 'etcd-v3');
  t.deepEqual(dump.records, []);
});

test('etcd v3: a --keys-only dump (no kv has a value) is an error mentioning --keys-only', (t) => {
  const text = JSON.stringify({
    header: { revision: 9 },
    kvs: [
      { key: b64('/calico/v1/Ready'), create_revision: 7, mod_revision: 7, version: 1 },
      { key: b64('/calico/v1/config/LogSeverityScreen'), create_revision: 8, mod_revision: 8, version: 1 },
    ],
    count: 2,
  });
  expectFormatError(t, 'keys-only.json', () => decodeDump('keys-only.json', text), ['--keys-only']);
});

// ---------------------------------------------------------------------------------------------
// flat map

test('etcd flat map: string values kept exactly, numbers and booleans as their text, null/objects/lists are error records', (t) => {
  const text = JSON.stringify({
    '/calico/v1/config/LogSeverityScreen': 'Info',
    '/calico/v1/policy/tier/default/metadata': { order: null },
    '/calico/v1/config/IpInIpMtu': 1440,
    '/calico/v1/config/Flag': true,
    '/calico/v1/config/InterfacePrefix': null,
    '/calico/v1/config/List': ['a'],
    '/calico/v1/host/node1/config/Quoted': '"already a string"',
  });
  const dump = decodeDump('flat.json', text);
  t.is(dump.format, 'etcd-flat');
  t.deepEqual(
    dump.failures.map((f) => [f.origin, f.disposition, f.code]),
    [
      ['/calico/v1/policy/tier/default/metadata', 'error', 'invalid-value'],
      ['/calico/v1/config/InterfacePrefix', 'error', 'invalid-value'],
      ['/calico/v1/config/List', 'error', 'invalid-value'],
    ],
  );
  t.regex(dump.failures[1]?.message ?? '', /holds null for this key; etcd values are strings/);
  const records = etcdRecords(t, dump);
  t.deepEqual(
    records.map((r) => [r.origin, r.value]),
    [
      ['/calico/v1/config/LogSeverityScreen', 'Info'],
      ['/calico/v1/config/IpInIpMtu', '1440'],
      ['/calico/v1/config/Flag', 'true'],
      ['/calico/v1/host/node1/config/Quoted', '"already a string"'],
    ],
  );
  for (const r of records) {
    t.is(r.key, r.origin);
    t.is(r.file, 'flat.json');
  }
});

// ---------------------------------------------------------------------------------------------
// Kubernetes

const K8S_JSON_LIST = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    { apiVersion: 'projectcalico.org/v1', kind: 'GlobalConfig', metadata: { name: 'loglevel' }, spec: { name: 'LogSeverityScreen', value: 'Info' } },
    { apiVersion: 'projectcalico.org/v1', kind: 'SystemNetworkPolicy', metadata: { name: 'snp.projectcalico.org/allow-dns', namespace: '' } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-all', namespace: 'team-a' }, spec: {} },
  ],
});

test('kubernetes: a single JSON List is flattened into its items with Kind/namespace/name and Kind/name origins', (t) => {
  const dump = decodeDump('list.json', K8S_JSON_LIST);
  t.is(dump.format, 'kubernetes');
  t.deepEqual(dump.failures, []);
  const records = objectRecords(t, dump);
  t.deepEqual(
    records.map((r) => r.origin),
    ['GlobalConfig/loglevel', 'SystemNetworkPolicy/snp.projectcalico.org/allow-dns', 'NetworkPolicy/team-a/deny-all'],
  );
  const [gc, snp, np] = records;
  t.is(gc?.kind, 'GlobalConfig');
  t.is(gc?.apiVersion, 'projectcalico.org/v1');
  t.is(gc?.name, 'loglevel');
  t.false(gc !== undefined && 'namespace' in gc, 'cluster-scoped object has no namespace property');
  t.false(snp !== undefined && 'namespace' in snp, 'empty namespace is treated as none');
  t.is(np?.namespace, 'team-a');
  t.is(np?.file, 'list.json');
  t.deepEqual(np?.object, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-all', namespace: 'team-a' }, spec: {} });
});

test('kubernetes: a single standalone JSON object', (t) => {
  const dump = decodeDump('node.json', '{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1"}}');
  t.is(dump.format, 'kubernetes');
  t.deepEqual(
    objectRecords(t, dump).map((r) => r.origin),
    ['Node/node-1'],
  );
});

const K8S_MULTI_YAML = `---
apiVersion: v1
kind: List
items:
- apiVersion: projectcalico.org/v1
  kind: IpPool
  metadata:
    name: 192-168-0-0-16
  spec:
    value: 192.168.0.0/16
- apiVersion: projectcalico.org/v1
  kind: GlobalBgpPeer
  metadata:
    name: 2001-db8--1
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
  annotations:
    net.beta.kubernetes.io/network-policy: '{"ingress":{"isolation":"DefaultDeny"}}'
---
# a comment-only document is skipped
---
apiVersion: extensions/v1beta1
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: team-a
`;

test('kubernetes: multi-document YAML with a List and single objects', (t) => {
  const dump = decodeDump('objects.yaml', K8S_MULTI_YAML);
  t.is(dump.format, 'kubernetes');
  t.deepEqual(dump.failures, []);
  const records = objectRecords(t, dump);
  t.deepEqual(
    records.map((r) => r.origin),
    ['IpPool/192-168-0-0-16', 'GlobalBgpPeer/2001-db8--1', 'Namespace/team-a', 'NetworkPolicy/team-a/allow-web'],
  );
  t.deepEqual(records[0]?.object['spec'], { value: '192.168.0.0/16' });
  t.is(records[3]?.apiVersion, 'extensions/v1beta1');
  t.is(records[3]?.namespace, 'team-a');
  for (const r of records) t.is(r.file, 'objects.yaml');
});

test('kubernetes: kind NodeList is flattened like List', (t) => {
  const text = `apiVersion: v1
kind: NodeList
items:
- apiVersion: v1
  kind: Node
  metadata:
    name: node-1
    annotations:
      projectcalico.org/IPv4Address: 10.0.0.1/24
- apiVersion: v1
  kind: Node
  metadata:
    name: node-2
`;
  const dump = decodeDump('nodes.yaml', text);
  t.is(dump.format, 'kubernetes');
  t.deepEqual(
    objectRecords(t, dump).map((r) => [r.origin, r.kind, r.name]),
    [
      ['Node/node-1', 'Node', 'node-1'],
      ['Node/node-2', 'Node', 'node-2'],
    ],
  );
});

test('kubernetes: items without kind or metadata.name become invalid-envelope failures with their position', (t) => {
  const text = JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'ok' } },
      { apiVersion: 'v1', metadata: { name: 'no-kind' } },
      { apiVersion: 'v1', kind: 'Node', metadata: {} },
      { apiVersion: 'v1', kind: 'Node', metadata: { name: '' } },
      'not an object',
    ],
  });
  const dump = decodeDump('env.json', text);
  t.is(dump.format, 'kubernetes');
  t.deepEqual(
    objectRecords(t, dump).map((r) => r.origin),
    ['Node/ok'],
  );
  t.deepEqual(
    dump.failures.map((f) => [f.origin, f.file, f.disposition, f.code]),
    [
      ['env.json document items[1] (no-kind)', 'env.json', 'error', 'invalid-envelope'],
      ['env.json document items[2]', 'env.json', 'error', 'invalid-envelope'],
      ['env.json document items[3]', 'env.json', 'error', 'invalid-envelope'],
      ['env.json document items[4]', 'env.json', 'error', 'invalid-envelope'],
    ],
  );
  t.regex(dump.failures[0]?.message ?? '', /no kind/);
  t.regex(dump.failures[1]?.message ?? '', /metadata\.name/);
  t.regex(dump.failures[2]?.message ?? '', /metadata\.name/);
});

test('kubernetes: in multi-document YAML the failure origin names the document number', (t) => {
  const text = `apiVersion: v1
kind: Node
metadata:
  name: node-1
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata:
    name: node-2
- apiVersion: v1
  kind: Node
---
apiVersion: v1
kind: Namespace
metadata:
  labels: {}
`;
  const dump = decodeDump('multi.yaml', text);
  t.is(dump.format, 'kubernetes');
  t.deepEqual(
    objectRecords(t, dump).map((r) => r.origin),
    ['Node/node-1', 'Node/node-2'],
  );
  t.deepEqual(
    dump.failures.map((f) => [f.origin, f.disposition, f.code]),
    [
      ['multi.yaml document 2 items[1]', 'error', 'invalid-envelope'],
      ['multi.yaml document 3', 'error', 'invalid-envelope'],
    ],
  );
});

test('kubernetes: failure positions count every YAML document in the file, including empty ones', (t) => {
  // The operator locates "document N" by counting documents in the file; an empty document between
  // two separators is still a document, so the bad object below is the file's third document.
  const text = `apiVersion: v1
kind: Node
metadata:
  name: node-1
---
# placeholder, intentionally empty
---
apiVersion: v1
kind: Node
metadata:
  labels: {}
`;
  const dump = decodeDump('gaps.yaml', text);
  t.deepEqual(
    objectRecords(t, dump).map((r) => r.origin),
    ['Node/node-1'],
  );
  t.deepEqual(
    dump.failures.map((f) => f.origin),
    ['gaps.yaml document 3'],
  );
});

// ---------------------------------------------------------------------------------------------
// sha256 and format reporting

test('sha256 is the hex SHA-256 of the exact text (whitespace included)', (t) => {
  const text = '{"/calico/v1/Ready":"true"}\n';
  const dump = decodeDump('flat.json', text);
  t.is(dump.format, 'etcd-flat');
  t.regex(dump.sha256, /^[0-9a-f]{64}$/);
  t.is(dump.sha256, createHash('sha256').update(text, 'utf8').digest('hex'));
  // Precomputed with `printf '%s\n' '{"/calico/v1/Ready":"true"}' | sha256sum`.
  t.is(dump.sha256, '8ac9da92b9fc4f0391e06ebe582994265f1da035dc6e0c7915417b2edccdef3a');
  const withoutNewline = decodeDump('flat.json', text.trimEnd());
  t.not(withoutNewline.sha256, dump.sha256, 'a different byte sequence gives a different hash');
});

test('sha256 covers non-ASCII text as UTF-8', (t) => {
  const text = '{"/calico/v1/config/Note":"café"}';
  t.is(decodeDump('u.json', text).sha256, createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'));
});

test('readDumps: a file read from disk has the hash of its text as UTF-8, whether or not its bytes are UTF-8', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'calico-migrate-sha-'));
  try {
    const valid = Buffer.from('{"/calico/v1/config/Note":"café"}\n', 'utf8');
    // A byte that is not UTF-8: the text holds U+FFFD in its place, and the hash is of that text.
    const invalid = Buffer.concat([Buffer.from('{"/calico/v1/config/Note":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]);
    writeFileSync(join(dir, 'valid.json'), valid);
    writeFileSync(join(dir, 'invalid.json'), invalid);
    const [a, b] = await readDumps(['valid.json', 'invalid.json'], dir);
    t.is(a?.sha256, createHash('sha256').update(valid).digest('hex'), 'the bytes as sha256sum hashes them');
    t.is(b?.sha256, createHash('sha256').update(invalid.toString('utf8'), 'utf8').digest('hex'));
    t.not(b?.sha256, createHash('sha256').update(invalid).digest('hex'));
    t.is(a?.sha256, decodeDump('valid.json', valid.toString('utf8')).sha256);
    t.is(b?.sha256, decodeDump('invalid.json', invalid.toString('utf8')).sha256);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const reportsFormat = test.macro({
  exec(t, text: string, expected: InputFormat) {
    t.is(decodeDump('x', text).format, expected);
    t.is(decodeDump('x', text, expected).format, expected, 'forcing the detected format is accepted');
  },
  title: (provided, _text: string, expected: InputFormat) => `format is reported as ${expected} (${provided ?? ''})`,
});

test('etcd v2 body', reportsFormat, ETCD_V2, 'etcd-v2');
test('etcdctl json', reportsFormat, ETCD_V3, 'etcd-v3');
test('flat map', reportsFormat, '{"/calico/v1/Ready":"true"}', 'etcd-flat');
test('YAML objects', reportsFormat, K8S_MULTI_YAML, 'kubernetes');

// ---------------------------------------------------------------------------------------------
// Malformed files: one-line E_INPUT_FORMAT naming the file and what was expected

const malformed = test.macro({
  exec(t, path: string, text: string, mentions: readonly (string | RegExp)[], forced?: InputFormat) {
    expectFormatError(t, path, () => decodeDump(path, text, forced), mentions);
  },
  title: (provided) => `malformed: ${provided ?? ''}`,
});

test('empty file', malformed, 'dumps/empty.json', '', ['empty']);
test('whitespace only', malformed, 'dumps/blank.yaml', '  \n\t\n   \n', ['empty']);
test('truncated JSON', malformed, 'dumps/trunc.json', '{"action":"get","node":{"key":"/calico","dir":true,"nodes":[{"key":"/cal', ['not valid JSON']);
test('truncated JSON array', malformed, 'trunc-array.json', '[{"kind":"Node"', ['not valid JSON']);
test('invalid YAML (unclosed flow sequence)', malformed, 'bad.yaml', 'apiVersion: v1\nkind: List\nitems: [a, b\n', ['not valid YAML']);
test('invalid YAML (bad indentation)', malformed, 'bad-indent.yaml', 'apiVersion: v1\nkind: Node\nmetadata:\n  name: a\n bad: x\n', ['not valid YAML']);
test('invalid YAML in a later document', malformed, 'later.yaml', 'apiVersion: v1\nkind: Node\nmetadata:\n  name: a\n---\nkind: Node\nmetadata: {name: [\n', ['not valid YAML']);
test('a JSON object of unknown shape', malformed, 'odd.json', '{"foo":1,"bar":{"baz":2}}', ['unrecognised', 'foo', 'bar']);
test('an empty JSON object', malformed, 'empty-object.json', '{}', ['unrecognised']);
test('a JSON array', malformed, 'array.json', '[{"apiVersion":"v1","kind":"Node","metadata":{"name":"n"}}]', ['unrecognised']);
test('a JSON scalar string', malformed, 'scalar.json', '"just a string"', ['unrecognised']);
test('a YAML scalar', malformed, 'scalar.yaml', 'hello world\n', ['unrecognised']);
test('YAML documents without kind', malformed, 'nokind.yaml', 'a: 1\n---\nb: 2\n', ['unrecognised']);
test('YAML with only comments and separators', malformed, 'comments.yaml', '# nothing here\n---\n# still nothing\n', ['no documents']);
test(
  'etcd error response',
  malformed,
  'etcd-error.json',
  '{"errorCode":100,"message":"Key not found","cause":"/calico","index":42}',
  ['etcd error response', 'Key not found'],
);
test('--input-format kubernetes forced on etcd v2 content', malformed, 'v2.json', ETCD_V2, ['--input-format kubernetes', 'etcd-v2'], 'kubernetes');
test('--input-format etcd-v2 forced on Kubernetes YAML', malformed, 'k.yaml', K8S_MULTI_YAML, ['--input-format etcd-v2', 'kubernetes'], 'etcd-v2');
test('--input-format etcd-flat forced on etcdctl JSON', malformed, 'v3.json', ETCD_V3, ['--input-format etcd-flat', 'etcd-v3'], 'etcd-flat');
test('--input-format etcd-v3 forced on a flat map', malformed, 'flat.json', '{"/calico/v1/Ready":"true"}', ['--input-format etcd-v3', 'etcd-flat'], 'etcd-v3');

test('malformed-file errors are thrown for the file, not reported as record failures', (t) => {
  // A file that is not a dump must never be half-read: decodeDump throws rather than returning.
  t.throws(() => decodeDump('odd.json', '{"foo":1}'), { instanceOf: CalicoMigrateError });
});
