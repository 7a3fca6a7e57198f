/** ConfigMaps (core v1, namespaced): discovery, CRUD, optimistic concurrency, preconditions, patches, kubectl (spec §1.8, §2, §3.2). */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startK8sServer, type K8sTestServer } from './index.js';
import { at, call } from './test-helpers.js';

let k8s: K8sTestServer;
let old: K8sTestServer;

const BASE = '/api/v1/namespaces/kube-system/configmaps';
const LOCK = `${BASE}/calico-migrate-lock`;

function configMap(name: string, data: Record<string, string>, resourceVersion?: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'kube-system', ...(resourceVersion ? { resourceVersion } : {}) }, data };
}

function rv(body: Record<string, unknown>): string {
  return String(at(body, 'metadata', 'resourceVersion'));
}

test.before(async () => {
  k8s = await startK8sServer({ tokens: { t: 'admin' } });
  old = await startK8sServer({ gitVersion: 'v1.7.16', tokens: { t: 'admin' } });
});

test.after.always(async () => {
  await k8s.stop();
  await old.stop();
});

test('discovery: configmaps in /api/v1 with verbs, short name and storageVersionHash, on 1.33 and 1.7 (§5.2)', async (t) => {
  for (const s of [k8s, old]) {
    const resources = (await call(s, 'GET', '/api/v1')).json.resources as Record<string, unknown>[];
    t.deepEqual(resources.find((r) => r.name === 'configmaps'), {
      name: 'configmaps', singularName: 'configmap', namespaced: true, kind: 'ConfigMap',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['cm'], storageVersionHash: 'qFsyl6wFWjQ=',
    });
  }
  t.is((await call(k8s, 'GET', '/api/v1/configmaps')).status, 200, 'cross-namespace list');
});

test.serial('create (201, struct key order), get, AlreadyExists, list as a ConfigMapList (§2.2, §4.1)', async (t) => {
  const created = await call(k8s, 'POST', BASE, { body: configMap('calico-migrate-lock', { holder: 'a', reason: 'apply' }) });
  t.is(created.status, 201, created.text);
  t.deepEqual(Object.keys(created.json), ['kind', 'apiVersion', 'metadata', 'data']);
  t.like(created.json, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'calico-migrate-lock', namespace: 'kube-system' }, data: { holder: 'a', reason: 'apply' } });
  t.regex(rv(created.json), /^\d+$/);
  t.is(at(created.json, 'metadata', 'generation'), undefined);
  const got = await call(k8s, 'GET', LOCK);
  t.deepEqual(got.json, created.json);
  const again = await call(k8s, 'POST', BASE, { body: configMap('calico-migrate-lock', {}) });
  t.is(again.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"calico-migrate-lock\\" already exists","reason":"AlreadyExists","details":{"name":"calico-migrate-lock","kind":"configmaps"},"code":409}\n');
  const list = await call(k8s, 'GET', `${BASE}?limit=500`);
  t.deepEqual(Object.keys(list.json), ['kind', 'apiVersion', 'metadata', 'items']);
  t.like(list.json, { kind: 'ConfigMapList', apiVersion: 'v1' });
  const items = list.json.items as Record<string, unknown>[];
  t.deepEqual(items.map((i) => at(i, 'metadata', 'name')), ['calico-migrate-lock']);
  t.false('kind' in (items[0] ?? {}));
  t.deepEqual(k8s.state.get('v1', 'ConfigMap', 'calico-migrate-lock', 'kube-system')?.data, { holder: 'a', reason: 'apply' });
});

test.serial('PUT: a stale resourceVersion is 409 Conflict, none is an unconditional update, a missing object is 404 (§1.8, §2.4)', async (t) => {
  const current = (await call(k8s, 'GET', LOCK)).json;
  const ok = await call(k8s, 'PUT', LOCK, { body: configMap('calico-migrate-lock', { holder: 'b' }, rv(current)) });
  t.is(ok.status, 200, ok.text);
  t.deepEqual(ok.json.data, { holder: 'b' });
  t.not(rv(ok.json), rv(current));
  const stale = await call(k8s, 'PUT', LOCK, { body: configMap('calico-migrate-lock', { holder: 'c' }, rv(current)) });
  t.is(stale.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on configmaps \\"calico-migrate-lock\\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"calico-migrate-lock","kind":"configmaps"},"code":409}\n');
  const unconditional = await call(k8s, 'PUT', LOCK, { body: configMap('calico-migrate-lock', { holder: 'd' }) });
  t.is(unconditional.status, 200);
  t.deepEqual(unconditional.json.data, { holder: 'd' });
  const missing = await call(k8s, 'PUT', `${BASE}/nope`, { body: configMap('nope', {}) });
  t.is(missing.status, 404);
  t.is(missing.json.message, 'configmaps "nope" not found');
});

test.serial('merge patch: adds and removes data keys; a stale resourceVersion in the patch is 409 (§3.2)', async (t) => {
  const before = (await call(k8s, 'GET', LOCK)).json;
  const patched = await call(k8s, 'PATCH', LOCK, { body: { data: { renewTime: '2026-12-04T16:06:11.123456Z', holder: null } }, contentType: 'application/merge-patch+json' });
  t.is(patched.status, 200, patched.text);
  t.deepEqual(patched.json.data, { renewTime: '2026-12-04T16:06:11.123456Z' });
  const stale = await call(k8s, 'PATCH', LOCK, { body: { metadata: { resourceVersion: rv(before) }, data: { x: 'y' } }, contentType: 'application/merge-patch+json' });
  t.is(stale.status, 409);
  t.is(stale.json.reason, 'Conflict');
  const smp = await call(k8s, 'PATCH', LOCK, { body: { data: { x: 'y' } }, contentType: 'application/strategic-merge-patch+json' });
  t.deepEqual(smp.json.data, { renewTime: '2026-12-04T16:06:11.123456Z', x: 'y' });
});

test.serial('DELETE with a resourceVersion precondition: 409 on a mismatch, the success Status on a match, then 404 (§1.8, §2.5)', async (t) => {
  const current = (await call(k8s, 'GET', LOCK)).json;
  const uid = String(at(current, 'metadata', 'uid'));
  const wrong = await call(k8s, 'DELETE', LOCK, { body: { preconditions: { resourceVersion: '1' } } });
  t.is(wrong.status, 409);
  t.is(wrong.json.message, `Operation cannot be fulfilled on configmaps "calico-migrate-lock": StorageError: invalid object, Code: 4, Key: /registry/core/configmaps/kube-system/calico-migrate-lock, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${rv(current)}`);
  const ok = await call(k8s, 'DELETE', LOCK, { body: { preconditions: { resourceVersion: rv(current) } } });
  t.is(ok.text, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"calico-migrate-lock","kind":"configmaps","uid":"${uid}"}}\n`);
  t.is((await call(k8s, 'GET', LOCK)).status, 404);
  t.is((await call(k8s, 'DELETE', LOCK)).status, 404);
});

test('decode and validation: non-string data is 400, bad keys 422, immutable ConfigMaps keep their data (§1.2, §1.12)', async (t) => {
  const number = await call(k8s, 'POST', BASE, { body: { metadata: { name: 'num' }, data: { a: 1 } } });
  t.is(number.status, 400);
  t.is(number.json.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string');
  const badKey = await call(k8s, 'POST', BASE, { body: { metadata: { name: 'bad-key' }, data: { 'a b': 'x' } } });
  t.is(badKey.status, 422);
  t.is(badKey.json.message, 'ConfigMap "bad-key" is invalid: data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, \'-\', \'_\' or \'.\' (e.g. \'key.name\',  or \'KEY_NAME\',  or \'key-name\', regex used for validation is \'[-._a-zA-Z0-9]+\')');
  const frozen = await call(k8s, 'POST', BASE, { body: { metadata: { name: 'frozen' }, immutable: true, data: { a: 'x' } } });
  t.deepEqual(Object.keys(frozen.json), ['kind', 'apiVersion', 'metadata', 'immutable', 'data']);
  const change = await call(k8s, 'PATCH', `${BASE}/frozen`, { body: { data: { a: 'y' } }, contentType: 'application/merge-patch+json' });
  t.is(change.status, 422);
  t.is(change.json.message, 'ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set');
  t.is((await call(k8s, 'PATCH', `${BASE}/frozen`, { body: { metadata: { labels: { a: 'b' } } }, contentType: 'application/merge-patch+json' })).status, 200);
});

test('kubectl get/apply/delete configmaps -n kube-system against the test server (§11)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-cm-kubectl-'));
  const tls = await startK8sServer({
    tls: true, tokens: { tk: { user: 'admin', groups: ['system:masters'] } },
    seed: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'calico-config', namespace: 'kube-system' }, data: { etcd_endpoints: 'http://10.96.232.136:6666' } }],
  });
  const kubectl = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') };
    execFile('/usr/bin/kubectl', [...args, '--cache-dir', join(dir, 'cache')], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
  try {
    await writeFile(join(dir, 'kubeconfig'), tls.kubeconfig({ token: 'tk' }));
    await writeFile(join(dir, 'lock.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: calico-migrate-lock\n  namespace: kube-system\ndata:\n  holder: me\n');
    const applied = await kubectl(['apply', '-f', join(dir, 'lock.yaml')]);
    t.is(applied.stdout.trim(), 'configmap/calico-migrate-lock created', applied.stderr);
    const table = await kubectl(['get', 'configmaps', '-n', 'kube-system']);
    t.is(table.code, 0, table.stderr);
    t.regex(table.stdout, /^NAME\s+AGE\ncalico-config\s+\d+s\ncalico-migrate-lock\s+\d+s\n$/);
    const json = await kubectl(['get', 'cm', 'calico-config', '-n', 'kube-system', '-o', 'json']);
    t.like(JSON.parse(json.stdout), { kind: 'ConfigMap', apiVersion: 'v1', data: { etcd_endpoints: 'http://10.96.232.136:6666' } });
    const deleted = await kubectl(['delete', 'configmap', 'calico-migrate-lock', '-n', 'kube-system']);
    t.is(deleted.stdout.trim(), 'configmap "calico-migrate-lock" deleted', deleted.stderr);
    t.is(tls.state.get('v1', 'ConfigMap', 'calico-migrate-lock', 'kube-system'), undefined);
  } finally {
    await tls.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
