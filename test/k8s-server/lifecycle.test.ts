/** generateName, finalizers, delete-collection and watch streams (spec §2.2, §2.5, §4.4). */
import test from 'ava';
import { startK8sServer, type K8sTestServer } from './index.js';
import { at, call, crdBody } from './test-helpers.js';

let k8s: K8sTestServer;
const POOLS = '/apis/crd.projectcalico.org/v1/ippools';

test.before(async () => {
  k8s = await startK8sServer({ tokens: { t: 'admin' }, seed: [crdBody('ippools', 'IPPool')] });
});

test.after.always(async () => {
  await k8s.stop();
});

test.serial('generateName: the prefix plus five random characters (§2.2)', async (t) => {
  const r = await call(k8s, 'POST', POOLS, { body: { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { generateName: 'pool-' } } });
  t.is(r.status, 201);
  t.regex(String(at(r.json, 'metadata', 'name')), /^pool-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  const none = await call(k8s, 'POST', POOLS, { body: { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: {} } });
  t.is(none.status, 422);
  t.is(none.json.message, 'IPPool.crd.projectcalico.org "" is invalid: metadata.name: Required value: name or generateName is required');
});

test.serial('finalizers keep a deleted object readable with deletionTimestamp until an update removes the last one (§2.5)', async (t) => {
  await call(k8s, 'POST', POOLS, { body: { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
  const del = await call(k8s, 'DELETE', `${POOLS}/held`);
  t.is(del.status, 200);
  t.is(del.json.kind, 'IPPool');
  t.truthy(at(del.json, 'metadata', 'deletionTimestamp'));
  const still = await call(k8s, 'GET', `${POOLS}/held`);
  t.is(still.status, 200);
  const released = await call(k8s, 'PATCH', `${POOLS}/held`, { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
  t.is(released.status, 200);
  t.is((await call(k8s, 'GET', `${POOLS}/held`)).status, 404);
});

test.serial('delete-collection removes the selected objects and answers their list', async (t) => {
  for (const [name, tier] of [['c1', 'x'], ['c2', 'x'], ['c3', 'y']] as const) {
    await call(k8s, 'POST', POOLS, { body: { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name, labels: { tier } } } });
  }
  const r = await call(k8s, 'DELETE', `${POOLS}?labelSelector=tier%3Dx`);
  t.is(r.status, 200);
  t.is(r.json.kind, 'IPPoolList');
  t.deepEqual((r.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name), ['c1', 'c2']);
  const left = await call(k8s, 'GET', `${POOLS}?labelSelector=tier`);
  t.deepEqual((left.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name), ['c3']);
});

test.serial('watch streams newline-delimited events from a resourceVersion on (§4.4)', async (t) => {
  const list = await call(k8s, 'GET', '/api/v1/nodes');
  const rv = String(at(list.json, 'metadata', 'resourceVersion'));
  const controller = new AbortController();
  const res = await fetch(`${k8s.url}/api/v1/nodes?watch=true&resourceVersion=${rv}&timeoutSeconds=5`, { headers: { Authorization: 'Bearer t' }, signal: controller.signal });
  t.is(res.status, 200);
  await call(k8s, 'POST', '/api/v1/nodes', { body: { metadata: { name: 'watched' } } });
  await call(k8s, 'DELETE', '/api/v1/nodes/watched');
  const reader = res.body?.getReader();
  let text = '';
  while (reader && text.split('\n').length < 3) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  controller.abort();
  const events = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { kind: string; metadata: { name: string } } });
  t.deepEqual(events.map((e) => `${e.type} ${e.object.kind} ${e.object.metadata.name}`), ['ADDED Node watched', 'DELETED Node watched']);
});
