/** CustomResourceDefinitions and custom resources (spec §2, §3.4, §4.1, §6). */
import test from 'ava';
import { startK8sServer, type K8sTestServer } from './index.js';
import { at, call, crdBody, waitFor } from './test-helpers.js';

let k8s: K8sTestServer;
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const POOLS = '/apis/crd.projectcalico.org/v1/ippools';

function pool(name: string, spec: Record<string, unknown> = { cidr: '192.168.0.0/16', natOutgoing: true }): Record<string, unknown> {
  return { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name }, spec };
}

async function createCrd(server: K8sTestServer, body: Record<string, unknown>): Promise<void> {
  const r = await call(server, 'POST', CRDS, { body });
  if (r.status !== 201) throw new Error(r.text);
  const name = String(at(body, 'metadata', 'name'));
  await waitFor(() => server.state.crdEstablished(name));
}

test.before(async () => {
  k8s = await startK8sServer({ tokens: { t: 'admin' }, crdNamesAcceptedDelayMs: 0, crdEstablishDelayMs: 0, cleanupDelayMs: 30 });
  await createCrd(k8s, crdBody('ippools', 'IPPool'));
});

test.after.always(async () => {
  await k8s.stop();
});

test.serial('the CRD create response: defaults, generation 1, no conditions yet (§6.2, §6.4)', async (t) => {
  const r = await call(k8s, 'POST', CRDS, { body: crdBody('bgppeers', 'BGPPeer') });
  t.is(r.status, 201);
  t.deepEqual(Object.keys(r.json), ['kind', 'apiVersion', 'metadata', 'spec', 'status']);
  t.like(r.json, { kind: 'CustomResourceDefinition', apiVersion: 'apiextensions.k8s.io/v1', metadata: { generation: 1 } });
  t.deepEqual(at(r.json, 'spec', 'names'), { kind: 'BGPPeer', plural: 'bgppeers', singular: 'bgppeer', listKind: 'BGPPeerList' });
  t.deepEqual(at(r.json, 'spec', 'conversion'), { strategy: 'None' });
  t.deepEqual(r.json.status, { conditions: null, acceptedNames: { plural: '', kind: '' }, storedVersions: ['v1'] });
});

test.serial('Established status: conditions, reasons and messages in struct order (§6.4)', async (t) => {
  await waitFor(() => k8s.state.crdEstablished('bgppeers.crd.projectcalico.org'));
  const r = await call(k8s, 'GET', `${CRDS}/bgppeers.crd.projectcalico.org`);
  const conditions = at(r.json, 'status', 'conditions') as Record<string, unknown>[];
  t.deepEqual(conditions.map((c) => Object.keys(c)), [['type', 'status', 'lastTransitionTime', 'reason', 'message'], ['type', 'status', 'lastTransitionTime', 'reason', 'message']]);
  t.like(conditions[0], { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' });
  t.like(conditions[1], { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' });
  t.regex(String(conditions[0]?.lastTransitionTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.deepEqual(at(r.json, 'status', 'acceptedNames'), { kind: 'BGPPeer', plural: 'bgppeers', singular: 'bgppeer', listKind: 'BGPPeerList' });
  t.is(at(r.json, 'metadata', 'generation'), 1);
});

test('before NamesAccepted the CR path is a plain 404; before Established it answers but is not discovered (§6.4, §6.6)', async (t) => {
  const slow = await startK8sServer({ tokens: { t: 'admin' }, crdNamesAcceptedDelayMs: 400, crdEstablishDelayMs: 1200 });
  try {
    await call(slow, 'POST', CRDS, { body: crdBody('ippools', 'IPPool') });
    t.is((await call(slow, 'GET', POOLS)).text, '404 page not found\n');
    t.is((await call(slow, 'POST', POOLS, { body: pool('early') })).status, 404);
    await waitFor(async () => (await call(slow, 'GET', POOLS)).status === 200);
    const crd = await call(slow, 'GET', `${CRDS}/ippools.crd.projectcalico.org`);
    t.like((at(crd.json, 'status', 'conditions') as unknown[])[1], { type: 'Established', status: 'False', reason: 'Installing', message: 'the initial names have been accepted' });
    t.is((await call(slow, 'GET', '/apis/crd.projectcalico.org/v1')).status, 404);
    t.is((await call(slow, 'POST', POOLS, { body: pool('installing') })).status, 201);
    await waitFor(() => slow.state.crdEstablished('ippools.crd.projectcalico.org'));
    t.is((await call(slow, 'GET', '/apis/crd.projectcalico.org/v1')).status, 200);
  } finally {
    await slow.stop();
  }
});

test.serial('custom resources get uid, a global string resourceVersion, generation and creationTimestamp; client values are ignored (§2.1)', async (t) => {
  const body = { ...pool('p-fields'), metadata: { name: 'p-fields', uid: 'mine', generation: 7, creationTimestamp: '2001-01-01T00:00:00Z' } };
  const created = await call(k8s, 'POST', POOLS, { body });
  t.is(created.status, 201);
  const meta = created.json.metadata as Record<string, unknown>;
  t.regex(String(meta.uid), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.regex(String(meta.resourceVersion), /^\d+$/);
  t.is(meta.generation, 1);
  t.regex(String(meta.creationTimestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.not(meta.creationTimestamp, '2001-01-01T00:00:00Z');
  const node = await call(k8s, 'POST', '/api/v1/nodes', { body: { metadata: { name: 'rv-probe' } } });
  t.true(Number(at(node.json, 'metadata', 'resourceVersion')) > Number(meta.resourceVersion));
  const labelled = await call(k8s, 'PATCH', `${POOLS}/p-fields`, { body: { metadata: { labels: { a: 'b' } } }, contentType: 'application/merge-patch+json' });
  t.is(at(labelled.json, 'metadata', 'generation'), 1);
  const specChanged = await call(k8s, 'PATCH', `${POOLS}/p-fields`, { body: { spec: { natOutgoing: false } }, contentType: 'application/merge-patch+json' });
  t.is(at(specChanged.json, 'metadata', 'generation'), 2);
  t.is(at(specChanged.json, 'metadata', 'uid'), meta.uid);
});

test.serial('custom resource JSON has sorted keys; a CR list keeps item kinds and always has metadata.continue (§0.3, §4.1)', async (t) => {
  const r = await call(k8s, 'GET', `${POOLS}/p-fields`);
  t.deepEqual(Object.keys(r.json), ['apiVersion', 'kind', 'metadata', 'spec']);
  t.deepEqual(Object.keys(r.json.metadata as object), [...Object.keys(r.json.metadata as object)].sort());
  const list = await call(k8s, 'GET', POOLS);
  t.deepEqual(Object.keys(list.json), ['apiVersion', 'items', 'kind', 'metadata']);
  t.like(list.json, { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPoolList', metadata: { continue: '' } });
  t.like((list.json.items as unknown[])[0], { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool' });
  const empty = await call(k8s, 'GET', '/apis/crd.projectcalico.org/v1/bgppeers');
  t.deepEqual(empty.json.items, []);
});

test.serial('dryRun=All on POST, PUT, PATCH and DELETE validates and answers without persisting (§2.6)', async (t) => {
  const rev = k8s.state.revision;
  const created = await call(k8s, 'POST', `${POOLS}?dryRun=All&fieldManager=calico-migrate`, { body: pool('dry') });
  t.is(created.status, 201);
  t.like(created.json, { metadata: { name: 'dry', generation: 1 } });
  t.truthy(at(created.json, 'metadata', 'uid'));
  t.is(at(created.json, 'metadata', 'resourceVersion'), undefined);
  t.is((await call(k8s, 'GET', `${POOLS}/dry`)).status, 404);
  t.is((await call(k8s, 'POST', `${POOLS}?dryRun=All`, { body: pool('p-fields') })).status, 409);
  t.is((await call(k8s, 'POST', `${POOLS}?dryRun=All`, { body: pool('Bad_Name') })).status, 422);
  const live = (await call(k8s, 'GET', `${POOLS}/p-fields`)).json;
  const put = await call(k8s, 'PUT', `${POOLS}/p-fields?dryRun=All`, { body: { ...live, spec: { cidr: '10.0.0.0/8' } } });
  t.is(put.status, 200);
  t.is(at(put.json, 'spec', 'cidr'), '10.0.0.0/8');
  t.is(at(put.json, 'metadata', 'resourceVersion'), at(live, 'metadata', 'resourceVersion'));
  const patch = await call(k8s, 'PATCH', `${POOLS}/p-fields?dryRun=All`, { body: { spec: { cidr: '10.1.0.0/16' } }, contentType: 'application/merge-patch+json' });
  t.is(at(patch.json, 'spec', 'cidr'), '10.1.0.0/16');
  const del = await call(k8s, 'DELETE', `${POOLS}/p-fields`, { body: { propagationPolicy: 'Background', dryRun: ['All'] } });
  t.like(del.json, { kind: 'Status', status: 'Success', details: { name: 'p-fields', uid: at(live, 'metadata', 'uid') } });
  t.is((await call(k8s, 'DELETE', `${POOLS}/p-fields?dryRun=All`)).status, 200);
  t.deepEqual((await call(k8s, 'GET', `${POOLS}/p-fields`)).json, live);
  t.is(k8s.state.revision, rev);
});

test.serial('pruning: unknown fields are dropped with a Warning under Warn, 400 under Strict, silently under Ignore (§2.7, §6.5)', async (t) => {
  const schema = { type: 'object', properties: { spec: { type: 'object', properties: { cidr: { type: 'string' }, blockSize: { type: 'integer' }, ipipMode: { type: 'string', enum: ['Always', 'CrossSubnet', 'Never'] } }, required: ['cidr'] } } };
  await createCrd(k8s, crdBody('strictpools', 'StrictPool', 'crd.projectcalico.org', 'Cluster', schema));
  const path = '/apis/crd.projectcalico.org/v1/strictpools';
  const obj = (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({ apiVersion: 'crd.projectcalico.org/v1', kind: 'StrictPool', metadata: { name, bogus: 1 }, spec, extra: true });
  const warn = await call(k8s, 'POST', path, { body: obj('warned', { cidr: '10.0.0.0/8', foo: 1 }) });
  t.is(warn.status, 201);
  t.is(warn.headers.get('warning'), '299 - "unknown field \\"metadata.bogus\\"", 299 - "unknown field \\"extra\\"", 299 - "unknown field \\"spec.foo\\""');
  t.deepEqual(warn.json.spec, { cidr: '10.0.0.0/8' });
  t.false('extra' in warn.json);
  const strict = await call(k8s, 'POST', `${path}?fieldValidation=Strict`, { body: obj('strict', { cidr: '10.0.0.0/8', foo: 1 }) });
  t.is(strict.status, 400);
  t.is(strict.json.message, 'StrictPool in version "v1" cannot be handled as a StrictPool: strict decoding error: unknown field "metadata.bogus", unknown field "extra", unknown field "spec.foo"');
  const ignore = await call(k8s, 'POST', `${path}?fieldValidation=Ignore`, { body: obj('ignored', { cidr: '10.0.0.0/8', foo: 1 }) });
  t.is(ignore.status, 201);
  t.is(ignore.headers.get('warning'), null);
  const invalid = await call(k8s, 'POST', path, { body: { apiVersion: 'crd.projectcalico.org/v1', kind: 'StrictPool', metadata: { name: 'typed' }, spec: { blockSize: 'x', ipipMode: 'Sometimes' } } });
  t.is(invalid.status, 422);
  t.deepEqual(at(invalid.json, 'details', 'causes'), [
    { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.cidr' },
    { reason: 'FieldValueTypeInvalid', message: 'Invalid value: "string": spec.blockSize in body must be of type integer: "string"', field: 'spec.blockSize' },
    { reason: 'FieldValueNotSupported', message: 'Unsupported value: "Sometimes": supported values: "Always", "CrossSubnet", "Never"', field: 'spec.ipipMode' },
  ]);
  t.is(invalid.json.message, 'StrictPool.crd.projectcalico.org "typed" is invalid: [spec.cidr: Required value, spec.blockSize: Invalid value: "string": spec.blockSize in body must be of type integer: "string", spec.ipipMode: Unsupported value: "Sometimes": supported values: "Always", "CrossSubnet", "Never"]');
});

test.serial('CRD validation: name, group, storage version and schema errors are 422 (§6.2)', async (t) => {
  const bad = crdBody('things', 'Thing', 'example');
  (bad.metadata as Record<string, unknown>).name = 'wrong.example';
  ((bad.spec as Record<string, unknown>).versions as Record<string, unknown>[]).push({ name: 'v2', served: true, storage: false });
  const r = await call(k8s, 'POST', CRDS, { body: bad });
  t.is(r.status, 422);
  t.like(r.json.details, { name: 'wrong.example', group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' });
  const fields = (at(r.json, 'details', 'causes') as { field: string; message: string }[]).map((c) => `${c.field}: ${c.message}`);
  t.deepEqual(fields, [
    'metadata.name: Invalid value: "wrong.example": must be spec.names.plural+"."+spec.group',
    'spec.group: Invalid value: "example": should be a domain with at least one dot',
    'spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required',
  ]);
  const v1Preserve = crdBody('others', 'Other');
  (v1Preserve.spec as Record<string, unknown>).preserveUnknownFields = true;
  const preserve = await call(k8s, 'POST', CRDS, { body: v1Preserve });
  t.is(preserve.json.message, 'CustomResourceDefinition.apiextensions.k8s.io "others.crd.projectcalico.org" is invalid: spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead');
});

test.serial('namespaced custom resources: namespaced paths, list across namespaces, scope mismatch is a plain 404 (§6.6)', async (t) => {
  await createCrd(k8s, crdBody('networkpolicies', 'NetworkPolicy', 'crd.projectcalico.org', 'Namespaced'));
  const base = '/apis/crd.projectcalico.org/v1';
  const np = (name: string): Record<string, unknown> => ({ apiVersion: 'crd.projectcalico.org/v1', kind: 'NetworkPolicy', metadata: { name }, spec: { order: 1 } });
  t.is((await call(k8s, 'POST', `${base}/namespaces/default/networkpolicies`, { body: np('a') })).status, 201);
  const second = await call(k8s, 'POST', `${base}/namespaces/kube-system/networkpolicies`, { body: np('b') });
  t.is(at(second.json, 'metadata', 'namespace'), 'kube-system');
  const all = await call(k8s, 'GET', `${base}/networkpolicies`);
  t.deepEqual((all.json.items as { metadata: { namespace: string; name: string } }[]).map((i) => `${i.metadata.namespace}/${i.metadata.name}`), ['default/a', 'kube-system/b']);
  t.is((await call(k8s, 'GET', `${base}/namespaces/default/networkpolicies`)).json.items instanceof Array, true);
  t.is((await call(k8s, 'GET', `${base}/networkpolicies/a`)).text, '404 page not found\n');
  t.is((await call(k8s, 'POST', `${base}/networkpolicies`, { body: np('c') })).text, '404 page not found\n');
  t.is((await call(k8s, 'GET', `${base}/namespaces/default/networkpolicies?fieldSelector=metadata.namespace%3Ddefault`)).status, 200);
  t.is((await call(k8s, 'GET', `${POOLS}?fieldSelector=metadata.namespace%3Ddefault`)).json.message, 'field label not supported: metadata.namespace');
});

test.serial('server-side apply: 201 on create, ownership conflicts as 409 with causes, force takes over, dropped fields are removed (§3.4)', async (t) => {
  const url = (m: string, extra = ''): string => `${POOLS}/ssa-pool?fieldManager=${m}${extra}`;
  const apply = (m: string, spec: Record<string, unknown>, extra = ''): ReturnType<typeof call> => call(k8s, 'PATCH', url(m, extra), { body: pool('ssa-pool', spec), contentType: 'application/apply-patch+yaml' });
  const created = await apply('calico-migrate', { cidr: '10.0.0.0/16', natOutgoing: true, ipipMode: 'Always' });
  t.is(created.status, 201);
  t.like((at(created.json, 'metadata', 'managedFields') as unknown[])[0], { manager: 'calico-migrate', operation: 'Apply', apiVersion: 'crd.projectcalico.org/v1', fieldsV1: { 'f:spec': { 'f:cidr': {}, 'f:ipipMode': {}, 'f:natOutgoing': {} } } });
  const conflict = await apply('other', { natOutgoing: false });
  t.is(conflict.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Apply failed with 1 conflict: conflict with \\"calico-migrate\\": .spec.natOutgoing","reason":"Conflict","details":{"causes":[{"reason":"FieldManagerConflict","message":"conflict with \\"calico-migrate\\"","field":".spec.natOutgoing"}]},"code":409}\n');
  await call(k8s, 'PATCH', `${POOLS}/ssa-pool?fieldManager=kubectl-edit`, { body: { spec: { ipipMode: 'Never', cidr: '10.1.0.0/16' } }, contentType: 'application/merge-patch+json' });
  const two = await apply('calico-migrate', { cidr: '10.0.0.0/16', natOutgoing: true, ipipMode: 'Always' });
  t.is(two.status, 409);
  t.is(two.json.message, 'Apply failed with 2 conflicts: conflicts with "kubectl-edit" using crd.projectcalico.org/v1:\n- .spec.cidr\n- .spec.ipipMode');
  const forced = await apply('calico-migrate', { cidr: '10.0.0.0/16', natOutgoing: true }, '&force=true');
  t.is(forced.status, 200);
  // ipipMode is no longer applied, but kubectl-edit still owns it, so it stays.
  t.deepEqual(forced.json.spec, { cidr: '10.0.0.0/16', ipipMode: 'Never', natOutgoing: true });
  const same = await apply('calico-migrate', { cidr: '10.0.0.0/16', natOutgoing: true });
  t.is(at(same.json, 'metadata', 'resourceVersion'), at(forced.json, 'metadata', 'resourceVersion'));
  // natOutgoing is owned only by calico-migrate: dropping it from the applied config removes it.
  const dropped = await apply('calico-migrate', { cidr: '10.0.0.0/16' });
  t.deepEqual(dropped.json.spec, { cidr: '10.0.0.0/16', ipipMode: 'Never' });
});

test.serial('status subresource: status is dropped on create, ignored on the main endpoint, written via /status (§2.1, §2.4)', async (t) => {
  const body = crdBody('ipamblocks', 'IPAMBlock');
  ((body.spec as Record<string, unknown>).versions as Record<string, unknown>[])[0] = { name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } };
  await createCrd(k8s, body);
  const base = '/apis/crd.projectcalico.org/v1/ipamblocks';
  const obj = { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPAMBlock', metadata: { name: 'b1' }, spec: { cidr: '10.0.0.0/26' }, status: { used: 3 } };
  const created = await call(k8s, 'POST', base, { body: obj });
  t.false('status' in created.json);
  const rv = at(created.json, 'metadata', 'resourceVersion');
  const main = await call(k8s, 'PUT', `${base}/b1`, { body: { ...obj, metadata: { name: 'b1', resourceVersion: rv } } });
  t.false('status' in main.json);
  const status = await call(k8s, 'PUT', `${base}/b1/status`, { body: { ...obj, spec: { cidr: 'ignored' }, metadata: { name: 'b1', resourceVersion: at(main.json, 'metadata', 'resourceVersion') } } });
  t.is(status.status, 200);
  t.deepEqual(status.json.status, { used: 3 });
  t.deepEqual(status.json.spec, { cidr: '10.0.0.0/26' });
  t.is(at(status.json, 'metadata', 'generation'), 1);
  const discovery = await call(k8s, 'GET', '/apis/crd.projectcalico.org/v1');
  t.true((discovery.json.resources as { name: string }[]).some((r) => r.name === 'ipamblocks/status'));
});

test.serial('deleting a CRD: Terminating, 405 for creates meanwhile, then every CR is gone for good (§1.6, §6.7)', async (t) => {
  await createCrd(k8s, crdBody('hostendpoints', 'HostEndpoint'));
  const base = '/apis/crd.projectcalico.org/v1/hostendpoints';
  await call(k8s, 'POST', base, { body: { apiVersion: 'crd.projectcalico.org/v1', kind: 'HostEndpoint', metadata: { name: 'h1' } } });
  const del = await call(k8s, 'DELETE', `${CRDS}/hostendpoints.crd.projectcalico.org`);
  t.is(del.status, 200);
  t.is(del.json.kind, 'CustomResourceDefinition');
  t.deepEqual(at(del.json, 'metadata', 'finalizers'), ['customresourcecleanup.apiextensions.k8s.io']);
  t.like((at(del.json, 'status', 'conditions') as Record<string, unknown>[]).find((c) => c.type === 'Terminating'), { status: 'True', reason: 'InstanceDeletionPending', message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon' });
  const create = await call(k8s, 'POST', base, { body: { apiVersion: 'crd.projectcalico.org/v1', kind: 'HostEndpoint', metadata: { name: 'h2' } } });
  t.is(create.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"create not allowed while custom resource definition is terminating","reason":"MethodNotAllowed","details":{"group":"crd.projectcalico.org","kind":"hostendpoints"},"code":405}\n');
  const verbs = ((await call(k8s, 'GET', '/apis/crd.projectcalico.org/v1')).json.resources as { name: string; verbs: string[] }[]).find((r) => r.name === 'hostendpoints')?.verbs;
  t.deepEqual(verbs, ['delete', 'deletecollection', 'get', 'list', 'watch']);
  await waitFor(async () => (await call(k8s, 'GET', `${CRDS}/hostendpoints.crd.projectcalico.org`)).status === 404);
  t.is((await call(k8s, 'GET', `${base}/h1`)).text, '404 page not found\n');
  await createCrd(k8s, crdBody('hostendpoints', 'HostEndpoint'));
  t.deepEqual((await call(k8s, 'GET', base)).json.items, []);
});

test('v1beta1 CRDs on a 1.16 server: version, scope and preserveUnknownFields defaults; read through v1 (§6.3)', async (t) => {
  const old = await startK8sServer({ gitVersion: 'v1.16.15', tokens: { t: 'admin' }, crdNamesAcceptedDelayMs: 0, crdEstablishDelayMs: 0 });
  try {
    const body = { apiVersion: 'apiextensions.k8s.io/v1beta1', kind: 'CustomResourceDefinition', metadata: { name: 'ippools.crd.projectcalico.org' }, spec: { group: 'crd.projectcalico.org', version: 'v1', names: { kind: 'IPPool', plural: 'ippools', singular: 'ippool' } } };
    const created = await call(old, 'POST', '/apis/apiextensions.k8s.io/v1beta1/customresourcedefinitions', { body });
    t.is(created.status, 201);
    t.like(created.json, { apiVersion: 'apiextensions.k8s.io/v1beta1', spec: { scope: 'Namespaced', version: 'v1', preserveUnknownFields: true, versions: [{ name: 'v1', served: true, storage: true }] } });
    const v1 = await call(old, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ippools.crd.projectcalico.org');
    t.like(v1.json, { apiVersion: 'apiextensions.k8s.io/v1', spec: { scope: 'Namespaced', preserveUnknownFields: true } });
    await waitFor(() => old.state.crdEstablished('ippools.crd.projectcalico.org'));
    const cr = await call(old, 'POST', '/apis/crd.projectcalico.org/v1/namespaces/kube-system/ippools', { body: { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'p' }, spec: { anything: 1 } } });
    t.deepEqual(cr.json.spec, { anything: 1 });
    t.is(cr.headers.get('warning'), null);
  } finally {
    await old.stop();
  }
});

test.serial('fieldManager defaults to the User-Agent up to its first slash (§2.1)', async (t) => {
  const r = await call(k8s, 'POST', POOLS, { body: pool('ua-pool'), headers: { 'User-Agent': 'calico-migrate/0.1.0 (linux)' } });
  t.is((at(r.json, 'metadata', 'managedFields') as { manager: string }[])[0]?.manager, 'calico-migrate');
});
