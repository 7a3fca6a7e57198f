/** Authentication over HTTPS (tokens, client certificates, anonymous) and authorization with the real 403 texts (spec §1.3, §1.4, §9). */
import test from 'ava';
import { startK8sServer, type K8sTestServer, type PolicyRule } from './index.js';
import { at, call, crdBody, tlsCall } from './test-helpers.js';
import { createTestPki } from './tls.js';

const SA = 'system:serviceaccount:kube-system:calico-migrate';
let k8s: K8sTestServer;

const RULES: PolicyRule[] = [
  { users: [SA], verbs: ['get', 'list'], apiGroups: ['crd.projectcalico.org'], resources: ['ippools'] },
  { users: [SA], verbs: ['get'], apiGroups: [''], resources: ['nodes'] },
  { groups: ['calico-admins'], verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
];

test.before(async () => {
  k8s = await startK8sServer({
    tls: true,
    tokens: { t: { user: 'admin', groups: ['system:masters'] }, sa: { user: SA, groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] } },
    policy: { rules: RULES },
    seed: [crdBody('ippools', 'IPPool'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } }],
  });
});

test.after.always(async () => {
  await k8s.stop();
});

test.serial('HTTPS with the generated CA; a valid token authenticates', async (t) => {
  t.true(k8s.url.startsWith('https://127.0.0.1:'));
  t.true(k8s.ca?.includes('BEGIN CERTIFICATE'));
  const r = await tlsCall(k8s, 'GET', '/api/v1/nodes/node-a');
  t.is(r.status, 200);
  t.is(k8s.requests.at(-1)?.user, 'admin');
});

test.serial('401 Unauthorized for a bad token and for no credentials when anonymous is off (§1.3)', async (t) => {
  const expected = '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n';
  t.is((await tlsCall(k8s, 'GET', '/api/v1/nodes', { token: 'wrong' })).text, expected);
  const none = await tlsCall(k8s, 'GET', '/version', { token: null });
  t.is(none.status, 401);
  t.is(none.text, expected);
});

test.serial('client certificates: CN is the user, each O a group; a certificate from another CA is 401 (§9.1)', async (t) => {
  const alice = await k8s.issueClientCert('alice', ['calico-admins']);
  const ok = await tlsCall(k8s, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { token: null, cert: alice.cert, key: alice.key, body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'delete', group: 'crd.projectcalico.org', resource: 'ippools' } } } });
  t.is(ok.status, 201);
  t.deepEqual(ok.json.status, { allowed: true });
  t.is(k8s.requests.at(-1)?.user, 'alice');
  const other = await createTestPki();
  try {
    const mallory = await other.issueClientCert('mallory', ['system:masters']);
    const r = await tlsCall(k8s, 'GET', '/api/v1/nodes', { token: null, cert: mallory.cert, key: mallory.key });
    t.is(r.status, 401);
  } finally {
    await other.cleanup();
  }
});

test.serial('403 texts from the policy: named, list, core group and namespaced (§1.4)', async (t) => {
  const update = await tlsCall(k8s, 'PUT', '/apis/crd.projectcalico.org/v1/ippools/default-ipv4-ippool', { token: 'sa', body: {} });
  t.is(update.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ippools.crd.projectcalico.org \\"default-ipv4-ippool\\" is forbidden: User \\"system:serviceaccount:kube-system:calico-migrate\\" cannot update resource \\"ippools\\" in API group \\"crd.projectcalico.org\\" at the cluster scope","reason":"Forbidden","details":{"name":"default-ipv4-ippool","group":"crd.projectcalico.org","kind":"ippools"},"code":403}\n');
  const list = await tlsCall(k8s, 'GET', '/apis/crd.projectcalico.org/v1/bgppeers', { token: 'sa' });
  t.is(list.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"bgppeers.crd.projectcalico.org is forbidden: User \\"system:serviceaccount:kube-system:calico-migrate\\" cannot list resource \\"bgppeers\\" in API group \\"crd.projectcalico.org\\" at the cluster scope","reason":"Forbidden","details":{"group":"crd.projectcalico.org","kind":"bgppeers"},"code":403}\n');
  const patch = await tlsCall(k8s, 'PATCH', '/api/v1/nodes/node-a', { token: 'sa', body: {}, contentType: 'application/merge-patch+json' });
  t.is(patch.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes \\"node-a\\" is forbidden: User \\"system:serviceaccount:kube-system:calico-migrate\\" cannot patch resource \\"nodes\\" in API group \\"\\" at the cluster scope","reason":"Forbidden","details":{"name":"node-a","kind":"nodes"},"code":403}\n');
  const lease = await tlsCall(k8s, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/calico-migrate', { token: 'sa' });
  t.is(lease.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"leases.coordination.k8s.io \\"calico-migrate\\" is forbidden: User \\"system:serviceaccount:kube-system:calico-migrate\\" cannot get resource \\"leases\\" in API group \\"coordination.k8s.io\\" in the namespace \\"kube-system\\"","reason":"Forbidden","details":{"name":"calico-migrate","group":"coordination.k8s.io","kind":"leases"},"code":403}\n');
  const status = await tlsCall(k8s, 'GET', '/api/v1/nodes/node-a/status', { token: 'sa' });
  t.is(status.json.message, `nodes "node-a" is forbidden: User "${SA}" cannot get resource "nodes/status" in API group "" at the cluster scope`);
  t.is((await tlsCall(k8s, 'GET', '/apis/crd.projectcalico.org/v1/ippools', { token: 'sa' })).status, 200);
  t.is((await tlsCall(k8s, 'GET', '/apis', { token: 'sa' })).status, 200);
});

test.serial('SelfSubjectAccessReview answers the policy for the caller, 201, never stored (§9.2)', async (t) => {
  const review = (verb: string, resource: string): Record<string, unknown> => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb, group: 'crd.projectcalico.org', resource, name: 'default-ipv4-ippool' } } });
  const denied = await tlsCall(k8s, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { token: 'sa', body: review('update', 'ippools') });
  t.is(denied.status, 201);
  t.deepEqual(denied.json, { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec: at(review('update', 'ippools'), 'spec'), status: { allowed: false } });
  const allowed = await tlsCall(k8s, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { token: 'sa', body: review('get', 'ippools') });
  t.deepEqual(allowed.json.status, { allowed: true });
  const protobuf = await tlsCall(k8s, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { token: 'sa', body: 'k8s\u0000', contentType: 'application/vnd.kubernetes.protobuf' });
  t.is(protobuf.status, 415);
});

test.serial('setPolicy replaces the policy at run time; a function policy may give a reason (§1.4)', async (t) => {
  k8s.setPolicy(({ info }) => (info.verb === 'delete' ? { allowed: false, reason: 'deletes are frozen' } : true));
  try {
    const r = await tlsCall(k8s, 'DELETE', '/api/v1/nodes/node-a', { token: 'sa' });
    t.is(r.json.message, `nodes "node-a" is forbidden: User "${SA}" cannot delete resource "nodes" in API group "" at the cluster scope: deletes are frozen`);
  } finally {
    k8s.setPolicy({ rules: RULES });
  }
});

test.serial('anonymous requests, when enabled, are system:anonymous and get 403 for discovery (§1.3, §1.4)', async (t) => {
  const anon = await startK8sServer({ anonymous: true, policy: { rules: [] } });
  try {
    const apis = await call(anon, 'GET', '/apis', { token: null });
    t.is(apis.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \\"system:anonymous\\" cannot get path \\"/apis\\"","reason":"Forbidden","details":{},"code":403}\n');
    t.is((await call(anon, 'GET', '/version', { token: null })).status, 200);
    t.is((await call(anon, 'GET', '/api/v1/nodes', { token: 'unknown' })).status, 401);
  } finally {
    await anon.stop();
  }
});
