/** Status bodies pinned byte-for-byte to the documented responses of the real kube-apiserver (spec §1). */
import test from 'ava';
import { startK8sServer, type K8sTestServer } from './index.js';
import { at, call, crdBody } from './test-helpers.js';

let k8s: K8sTestServer;
const POOLS = '/apis/crd.projectcalico.org/v1/ippools';
const pool = (name: string, spec: Record<string, unknown> = { cidr: '192.168.0.0/16' }): Record<string, unknown> => ({ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name }, spec });

test.before(async () => {
  k8s = await startK8sServer({ tokens: { t: 'system:serviceaccount:kube-system:calico-migrate' }, seed: [crdBody('ippools', 'IPPool')] });
  await call(k8s, 'POST', POOLS, { body: pool('default-ipv4-ippool') });
  await call(k8s, 'POST', '/api/v1/nodes', { body: { metadata: { name: 'node-a' } } });
});

test.after.always(async () => {
  await k8s.stop();
});

test('404 NotFound for a missing custom resource (§1.5.1), as compact JSON with a trailing newline', async (t) => {
  const r = await call(k8s, 'GET', `${POOLS}/nope`);
  t.is(r.status, 404);
  t.is(r.headers.get('content-type'), 'application/json');
  t.is(r.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ippools.crd.projectcalico.org \\"nope\\" not found","reason":"NotFound","details":{"name":"nope","group":"crd.projectcalico.org","kind":"ippools"},"code":404}\n');
});

test('404 NotFound for a core object leaves out the group (§1.5.1)', async (t) => {
  const r = await call(k8s, 'GET', '/api/v1/nodes/node-x');
  t.is(r.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes \\"node-x\\" not found","reason":"NotFound","details":{"name":"node-x","kind":"nodes"},"code":404}\n');
});

test('404: a JSON Status for an unknown resource in a served group/version, plain text elsewhere (§1.5.2)', async (t) => {
  const json = await call(k8s, 'GET', '/api/v1/foos');
  t.is(json.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}\n');
  for (const path of ['/apis/nope.example.com/v1/things', '/apis/crd.projectcalico.org/v2/ippools', '/apis/crd.projectcalico.org/v1/namespaces/default/ippools', '/nothing']) {
    const plain = await call(k8s, 'GET', path);
    t.is(plain.status, 404, path);
    t.is(plain.headers.get('content-type'), 'text/plain; charset=utf-8', path);
    t.is(plain.text, '404 page not found\n', path);
  }
});

test('409 AlreadyExists on POST of an existing name (§1.7)', async (t) => {
  const r = await call(k8s, 'POST', POOLS, { body: pool('default-ipv4-ippool') });
  t.is(r.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ippools.crd.projectcalico.org \\"default-ipv4-ippool\\" already exists","reason":"AlreadyExists","details":{"name":"default-ipv4-ippool","group":"crd.projectcalico.org","kind":"ippools"},"code":409}\n');
});

test('409 Conflict on a PUT with a stale resourceVersion, and on a patch carrying one (§1.8, §3.2)', async (t) => {
  const expected = '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on ippools.crd.projectcalico.org \\"default-ipv4-ippool\\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"default-ipv4-ippool","group":"crd.projectcalico.org","kind":"ippools"},"code":409}\n';
  const put = await call(k8s, 'PUT', `${POOLS}/default-ipv4-ippool`, { body: { ...pool('default-ipv4-ippool'), metadata: { name: 'default-ipv4-ippool', resourceVersion: '1' } } });
  t.is(put.text, expected);
  const patch = await call(k8s, 'PATCH', `${POOLS}/default-ipv4-ippool`, { body: { metadata: { resourceVersion: '1' }, spec: { x: 1 } }, contentType: 'application/merge-patch+json' });
  t.is(patch.text, expected);
});

test('422 Invalid for a name that is not a DNS-1123 subdomain, exact text (§1.12)', async (t) => {
  const r = await call(k8s, 'POST', POOLS, { body: pool('Pool_1', {}) });
  t.is(r.status, 422);
  t.is(r.text, String.raw`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"IPPool.crd.projectcalico.org \"Pool_1\" is invalid: metadata.name: Invalid value: \"Pool_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')","reason":"Invalid","details":{"name":"Pool_1","group":"crd.projectcalico.org","kind":"IPPool","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"Pool_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')","field":"metadata.name"}]},"code":422}` + '\n');
});

test('422 for a name over 253 characters adds the length cause; IPv6-style names with "--" are valid', async (t) => {
  const long = 'a'.repeat(254);
  const r = await call(k8s, 'POST', POOLS, { body: pool(long) });
  t.is(r.status, 422);
  const causes = at(r.json, 'details', 'causes') as { message: string }[];
  t.deepEqual(causes.map((c) => c.message), [`Invalid value: "${long}": must be no more than 253 characters`]);
  const ok = await call(k8s, 'POST', POOLS, { body: pool('2001-db8--1') });
  t.is(ok.status, 201);
  const slash = await call(k8s, 'POST', POOLS, { body: pool('team/web') });
  t.is(slash.status, 422);
  t.regex(String(slash.json.message), /^IPPool\.crd\.projectcalico\.org "team\/web" is invalid: metadata\.name: Invalid value: "team\/web": a lowercase RFC 1123 subdomain/);
});

test('422 for a PUT of a custom resource without resourceVersion: 0x0 and the plural in details.kind (§1.12)', async (t) => {
  const r = await call(k8s, 'PUT', `${POOLS}/default-ipv4-ippool`, { body: pool('default-ipv4-ippool') });
  t.is(r.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ippools.crd.projectcalico.org \\"default-ipv4-ippool\\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update","reason":"Invalid","details":{"name":"default-ipv4-ippool","group":"crd.projectcalico.org","kind":"ippools","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: 0x0: must be specified for an update","field":"metadata.resourceVersion"}]},"code":422}\n');
});

test('422 for an apply patch without fieldManager (§1.12, §3.4)', async (t) => {
  const r = await call(k8s, 'PATCH', `${POOLS}/default-ipv4-ippool`, { body: pool('default-ipv4-ippool'), contentType: 'application/apply-patch+yaml' });
  t.is(r.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"PatchOptions.meta.k8s.io \\"\\" is invalid: fieldManager: Required value: is required for apply patch","reason":"Invalid","details":{"group":"meta.k8s.io","kind":"PatchOptions","causes":[{"reason":"FieldValueRequired","message":"Required value: is required for apply patch","field":"fieldManager"}]},"code":422}\n');
});

test('422 for force on a non-apply patch and for a dryRun other than All (§1.12, §2.6)', async (t) => {
  const force = await call(k8s, 'PATCH', `${POOLS}/default-ipv4-ippool?force=true`, { body: {}, contentType: 'application/merge-patch+json' });
  t.is(force.status, 422);
  t.is(force.json.message, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  const dry = await call(k8s, 'POST', `${POOLS}?dryRun=foo`, { body: pool('dry-foo') });
  t.is(dry.status, 422);
  t.is(dry.json.message, 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"foo"}: supported values: "All"');
  t.deepEqual(at(dry.json, 'details'), { group: 'meta.k8s.io', kind: 'CreateOptions', causes: [{ reason: 'FieldValueNotSupported', message: 'Unsupported value: []string{"foo"}: supported values: "All"', field: 'dryRun' }] });
  const validation = await call(k8s, 'POST', `${POOLS}?fieldValidation=Loose`, { body: pool('fv') });
  t.is(validation.json.message, 'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"');
});

test('415 for a strategic merge patch on a custom resource, with the exact media-type list (§1.11)', async (t) => {
  const r = await call(k8s, 'PATCH', `${POOLS}/default-ipv4-ippool`, { body: { spec: {} }, contentType: 'application/strategic-merge-patch+json' });
  t.is(r.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml","reason":"UnsupportedMediaType","code":415}\n');
  const node = await call(k8s, 'PATCH', '/api/v1/nodes/node-a', { body: {}, contentType: 'text/plain' });
  t.is(node.json.message, 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml');
});

test('500 without a reason for a create that carries metadata.resourceVersion; dry run skips the check (§1.14, §2.3)', async (t) => {
  const body = { ...pool('with-rv'), metadata: { name: 'with-rv', resourceVersion: '5' } };
  const r = await call(k8s, 'POST', POOLS, { body });
  t.is(r.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"resourceVersion should not be set on objects to be created","code":500}\n');
  const dry = await call(k8s, 'POST', `${POOLS}?dryRun=All`, { body });
  t.is(dry.status, 201);
  t.is(at(dry.json, 'metadata', 'resourceVersion'), undefined);
});

test('400 BadRequest texts: namespace and name mismatches, apiVersion mismatch, missing kind (§1.2)', async (t) => {
  const ns = await call(k8s, 'POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', { body: { metadata: { name: 'l', namespace: 'kube-system' } } });
  t.is(ns.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the namespace of the provided object does not match the namespace sent on the request","reason":"BadRequest","code":400}\n');
  const name = await call(k8s, 'PUT', `${POOLS}/default-ipv4-ippool`, { body: pool('other') });
  t.is(name.json.message, 'the name of the object (other) does not match the name on the URL (default-ipv4-ippool)');
  const version = await call(k8s, 'POST', POOLS, { body: { ...pool('v'), apiVersion: 'crd.projectcalico.org/v3' } });
  t.is(version.json.message, 'the API version in the data (crd.projectcalico.org/v3) does not match the expected API version (crd.projectcalico.org/v1)');
  const kind = await call(k8s, 'POST', POOLS, { body: { metadata: { name: 'k' } } });
  t.is(kind.status, 400);
  t.is(kind.json.message, `Object 'Kind' is missing in '{"metadata":{"name":"k"}}'`);
  const wrongKind = await call(k8s, 'POST', POOLS, { body: { ...pool('wk'), kind: 'BGPPeer' } });
  t.is(wrongKind.status, 422);
  t.is(wrongKind.json.message, 'IPPool.crd.projectcalico.org "wk" is invalid: kind: Invalid value: "BGPPeer": must be IPPool');
});

test('creating into a missing namespace answers the namespace NotFound (§1.5.1)', async (t) => {
  const r = await call(k8s, 'POST', '/apis/coordination.k8s.io/v1/namespaces/foo/leases', { body: { metadata: { name: 'l' } } });
  t.is(r.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \\"foo\\" not found","reason":"NotFound","details":{"name":"foo","kind":"namespaces"},"code":404}\n');
});

test('DELETE answers a success Status without code, with the uid (§2.5)', async (t) => {
  const created = await call(k8s, 'POST', POOLS, { body: pool('to-delete') });
  const uid = String(at(created.json, 'metadata', 'uid'));
  const r = await call(k8s, 'DELETE', `${POOLS}/to-delete`, { body: { propagationPolicy: 'Background' } });
  t.is(r.status, 200);
  t.is(r.text, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"to-delete","group":"crd.projectcalico.org","kind":"ippools","uid":"${uid}"}}\n`);
  const node = await call(k8s, 'POST', '/api/v1/nodes', { body: { metadata: { name: 'node-gone' } } });
  const nodeDelete = await call(k8s, 'DELETE', '/api/v1/nodes/node-gone');
  t.deepEqual(nodeDelete.json.details, { name: 'node-gone', kind: 'nodes', uid: at(node.json, 'metadata', 'uid') });
  t.is((await call(k8s, 'DELETE', `${POOLS}/to-delete`)).status, 404);
});

test('DELETE preconditions: a wrong uid is a 409 with the storage error text (§1.8)', async (t) => {
  await call(k8s, 'POST', POOLS, { body: pool('guarded') });
  const r = await call(k8s, 'DELETE', `${POOLS}/guarded`, { body: { preconditions: { uid: '11111111-1111-1111-1111-111111111111' } } });
  t.is(r.status, 409);
  t.is(r.json.reason, 'Conflict');
  t.regex(String(r.json.message), /^Operation cannot be fulfilled on ippools\.crd\.projectcalico\.org "guarded": StorageError: invalid object, Code: 4, Key: \/registry\/.+, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: 11111111-1111-1111-1111-111111111111, UID in object meta: [0-9a-f-]{36}$/);
});

test('JSON is written like Go: <, > and & escaped (§0.3)', async (t) => {
  const r = await call(k8s, 'POST', POOLS, { body: pool('escapes', { selector: "a == 'b' && c < d > e" }) });
  t.true(r.text.includes(String.raw`"selector":"a == 'b' \u0026\u0026 c \u003c d \u003e e"`));
  t.is(at(JSON.parse(r.text), 'spec', 'selector'), "a == 'b' && c < d > e");
});

test('a JSON patch that cannot be applied is a generic 422 (§1.12)', async (t) => {
  const r = await call(k8s, 'PATCH', `${POOLS}/default-ipv4-ippool`, { body: [{ op: 'test', path: '/spec/cidr', value: '10.0.0.0/8' }], contentType: 'application/json-patch+json' });
  t.is(r.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422}\n');
});
