/** Nodes and Namespaces: lists, paging, selectors, updates and patches, lifecycle (spec §2–§4, §8). */
import test from 'ava';
import { startK8sServer, type K8sTestServer } from './index.js';
import { at, call, waitFor } from './test-helpers.js';

let k8s: K8sTestServer;

function node(name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels }, annotations },
    spec: { podCIDR: '192.168.0.0/24', podCIDRs: ['192.168.0.0/24'] },
    status: { addresses: [{ type: 'InternalIP', address: '10.0.1.5' }], conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2025-04-01T08:00:00Z' }] },
  };
}

test.before(async () => {
  k8s = await startK8sServer({ tokens: { t: 'admin' }, cleanupDelayMs: 20 });
  k8s.seed([
    { apiVersion: 'v1', kind: 'List', items: ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'].map((n, i) => node(n, { zone: i < 2 ? 'a' : 'b', ...(i === 4 ? { edge: '' } : {}) }, { 'projectcalico.org/IPv4Address': `10.0.1.${i + 5}/24` })) },
    node('node-pg-1'),
  ]);
});

test.after.always(async () => {
  await k8s.stop();
});

type Item = { metadata: { name: string; resourceVersion: string } } & Record<string, unknown>;

function items(body: Record<string, unknown>): Item[] {
  return body.items as Item[];
}

test.serial('a NodeList: struct key order, items without kind/apiVersion, list resourceVersion (§4.1)', async (t) => {
  const r = await call(k8s, 'GET', '/api/v1/nodes?labelSelector=zone%3Da');
  t.deepEqual(Object.keys(r.json), ['kind', 'apiVersion', 'metadata', 'items']);
  t.like(r.json, { kind: 'NodeList', apiVersion: 'v1' });
  t.regex(String(at(r.json, 'metadata', 'resourceVersion')), /^\d+$/);
  t.false('continue' in (r.json.metadata as object));
  const first = items(r.json)[0];
  t.false(first !== undefined && 'kind' in first);
  t.deepEqual(items(r.json).map((i) => i.metadata.name), ['node-a', 'node-b']);
  t.deepEqual(Object.keys(first?.metadata ?? {}).slice(0, 4), ['name', 'uid', 'resourceVersion', 'creationTimestamp']);
});

test.serial('limit/continue: opaque tokens, remainingItemCount, and one snapshot across pages (§4.2)', async (t) => {
  const page1 = await call(k8s, 'GET', '/api/v1/nodes?limit=2');
  const rv = at(page1.json, 'metadata', 'resourceVersion');
  t.deepEqual(items(page1.json).map((i) => i.metadata.name), ['node-a', 'node-b']);
  t.is(at(page1.json, 'metadata', 'remainingItemCount'), 4);
  const token = String(at(page1.json, 'metadata', 'continue'));
  t.regex(token, /^[A-Za-z0-9_-]+$/);
  t.like(JSON.parse(Buffer.from(token, 'base64url').toString()), { v: 'meta.k8s.io/v1', start: 'node-b\u0000' });
  // A write between pages is not visible in the rest of the paged list.
  await call(k8s, 'POST', '/api/v1/nodes', { body: node('node-bb') });
  await call(k8s, 'DELETE', '/api/v1/nodes/node-pg-1');
  const page2 = await call(k8s, 'GET', `/api/v1/nodes?limit=2&continue=${token}`);
  t.is(at(page2.json, 'metadata', 'resourceVersion'), rv);
  t.deepEqual(items(page2.json).map((i) => i.metadata.name), ['node-c', 'node-d']);
  const page3 = await call(k8s, 'GET', `/api/v1/nodes?limit=2&continue=${String(at(page2.json, 'metadata', 'continue'))}`);
  t.deepEqual(items(page3.json).map((i) => i.metadata.name), ['node-e', 'node-pg-1']);
  t.false('continue' in (page3.json.metadata as object));
  t.false('remainingItemCount' in (page3.json.metadata as object));
  const now = await call(k8s, 'GET', '/api/v1/nodes');
  t.true(items(now.json).some((i) => i.metadata.name === 'node-bb'));
  t.false(items(now.json).some((i) => i.metadata.name === 'node-pg-1'));
  await call(k8s, 'DELETE', '/api/v1/nodes/node-bb');
});

test.serial('a selected list paged one at a time gives every match once, and no continue after the last (§4.2)', async (t) => {
  const all = items((await call(k8s, 'GET', '/api/v1/nodes?labelSelector=zone%3Db')).json).map((i) => i.metadata.name);
  t.true(all.length >= 2);
  const paged: string[] = [];
  let token = '';
  for (let pages = 0; pages < 20; pages++) {
    const r = await call(k8s, 'GET', `/api/v1/nodes?limit=1&labelSelector=zone%3Db${token ? `&continue=${token}` : ''}`);
    paged.push(...items(r.json).map((i) => i.metadata.name));
    const next = at(r.json, 'metadata', 'continue');
    if (typeof next !== 'string' || next === '') break;
    token = next;
  }
  t.deepEqual(paged, all);
});

test.serial('remainingItemCount is left out when a selector is used (§4.2)', async (t) => {
  const r = await call(k8s, 'GET', '/api/v1/nodes?limit=1&labelSelector=zone%3Db');
  t.truthy(at(r.json, 'metadata', 'continue'));
  t.is(at(r.json, 'metadata', 'remainingItemCount'), undefined);
});

test.serial('a compacted snapshot answers 410 Expired with a fresh continue token that lists the rest (§1.10)', async (t) => {
  const page1 = await call(k8s, 'GET', '/api/v1/nodes?limit=2');
  k8s.state.compact();
  const r = await call(k8s, 'GET', `/api/v1/nodes?limit=2&continue=${String(at(page1.json, 'metadata', 'continue'))}`);
  t.is(r.status, 410);
  t.like(r.json, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
  t.regex(String(r.json.message), /^The provided continue parameter is too old to display a consistent list result\./);
  t.deepEqual(Object.keys(r.json), ['kind', 'apiVersion', 'metadata', 'status', 'message', 'reason', 'code']);
  const fresh = String(at(r.json, 'metadata', 'continue'));
  t.like(JSON.parse(Buffer.from(fresh, 'base64url').toString()), { rv: -1 });
  const rest = await call(k8s, 'GET', `/api/v1/nodes?limit=10&continue=${fresh}`);
  t.is(rest.status, 200);
  t.deepEqual(items(rest.json).map((i) => i.metadata.name), ['node-c', 'node-d', 'node-e']);
});

test.serial('malformed continue tokens and continue with resourceVersion are 400 (§1.2)', async (t) => {
  const bad = await call(k8s, 'GET', '/api/v1/nodes?limit=1&continue=not*base64');
  t.is(bad.status, 400);
  t.is(bad.json.message, 'invalid continue token: continue key is not valid: illegal base64 data at input byte 3');
  const zero = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 0, start: 'a\u0000' })).toString('base64url');
  t.is((await call(k8s, 'GET', `/api/v1/nodes?continue=${zero}`)).json.message, 'invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  const page1 = await call(k8s, 'GET', '/api/v1/nodes?limit=1');
  const both = await call(k8s, 'GET', `/api/v1/nodes?limit=1&resourceVersion=5&continue=${String(at(page1.json, 'metadata', 'continue'))}`);
  t.is(both.json.message, 'specifying resource version is not allowed when using continue');
});

test.serial('label selectors: equality, inequality, set-based and existence; field selectors (§4.3)', async (t) => {
  const names = async (q: string): Promise<string[]> => items((await call(k8s, 'GET', `/api/v1/nodes?${q}`)).json).map((i) => i.metadata.name);
  t.deepEqual(await names('labelSelector=zone%3D%3Db'), ['node-c', 'node-d', 'node-e']);
  t.deepEqual(await names('labelSelector=zone!%3Db'), ['node-a', 'node-b']);
  t.deepEqual(await names(`labelSelector=${encodeURIComponent('zone in (a),kubernetes.io/hostname notin (node-a)')}`), ['node-b']);
  t.deepEqual(await names('labelSelector=edge'), ['node-e']);
  t.deepEqual(await names(`labelSelector=${encodeURIComponent('!edge,zone=b')}`), ['node-c', 'node-d']);
  t.deepEqual(await names('fieldSelector=metadata.name%3Dnode-c'), ['node-c']);
  t.deepEqual(await names('fieldSelector=spec.unschedulable%3Dfalse&labelSelector=zone%3Da'), ['node-a', 'node-b']);
  const badField = await call(k8s, 'GET', '/api/v1/nodes?fieldSelector=spec.podCIDR%3Dx');
  t.is(badField.status, 400);
  t.is(badField.json.message, 'field label not supported: spec.podCIDR');
  t.is((await call(k8s, 'GET', `/api/v1/nodes?labelSelector=${encodeURIComponent('a in (b')}`)).status, 400);
});

test.serial('merge patch of Node annotations: null deletes, others stay, new resourceVersion, managedFields for the manager (§8.1)', async (t) => {
  const before = await call(k8s, 'GET', '/api/v1/nodes/node-a');
  const r = await call(k8s, 'PATCH', '/api/v1/nodes/node-a?fieldManager=calico-migrate', {
    body: { metadata: { annotations: { 'projectcalico.org/IPv4Address': null, 'projectcalico.org/ASNumber': '64512' } } }, contentType: 'application/merge-patch+json',
  });
  t.is(r.status, 200);
  t.is(r.json.kind, 'Node');
  t.deepEqual(at(r.json, 'metadata', 'annotations'), { 'projectcalico.org/ASNumber': '64512' });
  t.not(at(r.json, 'metadata', 'resourceVersion'), at(before.json, 'metadata', 'resourceVersion'));
  t.deepEqual(at(r.json, 'spec'), at(before.json, 'spec'));
  const entry = (at(r.json, 'metadata', 'managedFields') as Record<string, unknown>[]).find((e) => e.manager === 'calico-migrate');
  t.like(entry, { manager: 'calico-migrate', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:projectcalico.org/ASNumber': {} } } } });
  t.is(at(r.json, 'metadata', 'generation'), undefined);
});

test.serial('strategic merge patch on a Node merges maps like a merge patch; JSON patch works too (§3.1, §3.3)', async (t) => {
  const smp = await call(k8s, 'PATCH', '/api/v1/nodes/node-b', { body: { metadata: { annotations: { 'x/y': 'z', 'projectcalico.org/IPv4Address': null } } }, contentType: 'application/strategic-merge-patch+json' });
  t.is(smp.status, 200);
  t.deepEqual(at(smp.json, 'metadata', 'annotations'), { 'x/y': 'z' });
  const jp = await call(k8s, 'PATCH', '/api/v1/nodes/node-b', { body: [{ op: 'add', path: '/metadata/labels/role', value: 'edge' }, { op: 'remove', path: '/metadata/annotations/x~1y' }], contentType: 'application/json-patch+json' });
  t.is(jp.status, 200);
  t.is(at(jp.json, 'metadata', 'labels', 'role'), 'edge');
  t.deepEqual(at(jp.json, 'metadata', 'annotations'), {});
});

test.serial('Nodes allow an unconditional PUT; a stale resourceVersion is a 409; status is kept by the main endpoint (§2.4, §8.1)', async (t) => {
  const current = (await call(k8s, 'GET', '/api/v1/nodes/node-c')).json;
  const edited = { ...current, metadata: { ...(current.metadata as object), resourceVersion: undefined, labels: { changed: 'yes' } }, status: { addresses: [] } };
  const put = await call(k8s, 'PUT', '/api/v1/nodes/node-c', { body: edited });
  t.is(put.status, 200);
  t.deepEqual(at(put.json, 'metadata', 'labels'), { changed: 'yes' });
  t.deepEqual(at(put.json, 'status', 'addresses'), [{ type: 'InternalIP', address: '10.0.1.5' }]);
  const stale = await call(k8s, 'PUT', '/api/v1/nodes/node-c', { body: current });
  t.is(stale.status, 409);
  t.is(stale.json.message, 'Operation cannot be fulfilled on nodes "node-c": the object has been modified; please apply your changes to the latest version and try again');
  const missing = await call(k8s, 'PUT', '/api/v1/nodes/node-zz', { body: node('node-zz') });
  t.is(missing.status, 404);
});

test.serial('a kubelet heartbeat changes the Node underneath: GET-then-PUT conflicts, a merge patch does not (§8.1)', async (t) => {
  const read = (await call(k8s, 'GET', '/api/v1/nodes/node-d')).json;
  k8s.state.heartbeat('node-d');
  const put = await call(k8s, 'PUT', '/api/v1/nodes/node-d', { body: { ...read, metadata: { ...(read.metadata as object), annotations: { a: 'b' } } } });
  t.is(put.status, 409);
  const patch = await call(k8s, 'PATCH', '/api/v1/nodes/node-d', { body: { metadata: { annotations: { a: 'b' } } }, contentType: 'application/merge-patch+json' });
  t.is(patch.status, 200);
});

test.serial('a no-op write keeps the resourceVersion (§2.4)', async (t) => {
  const before = await call(k8s, 'GET', '/api/v1/nodes/node-e');
  const r = await call(k8s, 'PATCH', '/api/v1/nodes/node-e', { body: { metadata: { labels: { edge: '' } } }, contentType: 'application/merge-patch+json' });
  t.is(at(r.json, 'metadata', 'resourceVersion'), at(before.json, 'metadata', 'resourceVersion'));
});

test.serial('server-side apply of a Node annotation; 201 when it creates (§3.4)', async (t) => {
  const apply = await call(k8s, 'PATCH', '/api/v1/nodes/node-e?fieldManager=calico-migrate', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-e', annotations: { 'projectcalico.org/ASNumber': '64513' } } }, contentType: 'application/apply-patch+yaml' });
  t.is(apply.status, 200);
  t.is(at(apply.json, 'metadata', 'annotations', 'projectcalico.org/ASNumber'), '64513');
  t.is(at(apply.json, 'metadata', 'annotations', 'projectcalico.org/IPv4Address'), '10.0.1.9/24');
  const yaml = 'apiVersion: v1\nkind: Node\nmetadata:\n  name: node-new\n  labels:\n    a: b\n';
  const created = await call(k8s, 'PATCH', '/api/v1/nodes/node-new?fieldManager=calico-migrate', { body: yaml, contentType: 'application/apply-patch+yaml' });
  t.is(created.status, 201);
  t.like((at(created.json, 'metadata', 'managedFields') as unknown[])[0], { manager: 'calico-migrate', operation: 'Apply' });
});

test.serial('Namespaces: server-set label and phase; protected ones cannot be deleted; delete is Terminating, then gone (§8.2)', async (t) => {
  const created = await call(k8s, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'calico-test' } } });
  t.is(created.status, 201);
  t.like(created.json, { kind: 'Namespace', spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' }, metadata: { labels: { 'kubernetes.io/metadata.name': 'calico-test' } } });
  const protectedDelete = await call(k8s, 'DELETE', '/api/v1/namespaces/kube-system');
  t.is(protectedDelete.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \\"kube-system\\" is forbidden: this namespace may not be deleted","reason":"Forbidden","details":{"name":"kube-system","kind":"namespaces"},"code":403}\n');
  await call(k8s, 'POST', '/apis/coordination.k8s.io/v1/namespaces/calico-test/leases', { body: { metadata: { name: 'lock' } } });
  const del = await call(k8s, 'DELETE', '/api/v1/namespaces/calico-test');
  t.is(del.status, 200);
  t.like(del.json, { kind: 'Namespace', status: { phase: 'Terminating' } });
  t.truthy(at(del.json, 'metadata', 'deletionTimestamp'));
  const during = await call(k8s, 'POST', '/apis/coordination.k8s.io/v1/namespaces/calico-test/leases', { body: { metadata: { name: 'late' } } });
  t.is(during.status, 403);
  t.is(during.json.message, 'leases.coordination.k8s.io "late" is forbidden: unable to create new content in namespace calico-test because it is being terminated');
  await waitFor(async () => (await call(k8s, 'GET', '/api/v1/namespaces/calico-test')).status === 404);
  t.is(k8s.state.list('coordination.k8s.io/v1', 'Lease', 'calico-test').length, 0);
  const badName = await call(k8s, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'a.b' } } });
  t.is(badName.status, 422);
  t.regex(String(badName.json.message), /^Namespace "a\.b" is invalid: metadata\.name: Invalid value: "a\.b": a lowercase RFC 1123 label must consist of/);
});

test.serial('Leases: MicroTime needs six fractional digits (400), PUT needs a resourceVersion (422), PUT creates a missing one (§10.1)', async (t) => {
  const base = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases';
  const badTime = await call(k8s, 'POST', base, { body: { metadata: { name: 'bad' }, spec: { renewTime: '2025-05-01T10:00:00Z' } } });
  t.is(badTime.status, 400);
  t.is(badTime.json.message, 'Lease in version "v1" cannot be handled as a Lease: parsing time "2025-05-01T10:00:00Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"');
  const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'calico-migrate', namespace: 'kube-system' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 60, renewTime: '2025-05-01T10:00:30.123456Z' } };
  const created = await call(k8s, 'PUT', `${base}/calico-migrate`, { body: lease });
  t.is(created.status, 201);
  const noRv = await call(k8s, 'PUT', `${base}/calico-migrate`, { body: lease });
  t.is(noRv.status, 422);
  t.is(noRv.json.message, 'leases.coordination.k8s.io "calico-migrate" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
  const ok = await call(k8s, 'PUT', `${base}/calico-migrate`, { body: { ...lease, metadata: { ...lease.metadata, resourceVersion: at(created.json, 'metadata', 'resourceVersion') }, spec: { ...lease.spec, holderIdentity: 'b' } } });
  t.is(ok.status, 200);
});

test.serial('DaemonSets: calico-node read through apps/v1; a spec change bumps generation, status is kept (§10.2)', async (t) => {
  k8s.seed([{
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'calico-node', namespace: 'kube-system', generation: 3 },
    spec: { updateStrategy: { type: 'RollingUpdate' }, template: { spec: { containers: [{ name: 'calico-node', image: 'quay.io/calico/node:v2.4.1' }] } } },
    status: { observedGeneration: 3, desiredNumberScheduled: 3, currentNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3, updatedNumberScheduled: 3, numberAvailable: 3 },
  }]);
  const path = '/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node';
  const ds = await call(k8s, 'GET', path);
  t.is(at(ds.json, 'spec', 'template', 'spec', 'containers', 0, 'image'), 'quay.io/calico/node:v2.4.1');
  t.like(ds.json, { kind: 'DaemonSet', apiVersion: 'apps/v1', metadata: { generation: 3 }, status: { observedGeneration: 3 } });
  const patched = await call(k8s, 'PATCH', path, { body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'quay.io/calico/node:v2.5.0' }], contentType: 'application/json-patch+json' });
  t.like(patched.json, { metadata: { generation: 4 }, status: { observedGeneration: 3 } });
});
