/** Fault injection (spec §1.13–§1.16, §11.5) and the request log. */
import test from 'ava';
import { startK8sServer, type K8sTestServer } from './index.js';
import { at, call } from './test-helpers.js';

let k8s: K8sTestServer;

test.before(async () => {
  k8s = await startK8sServer({ tokens: { t: 'admin' }, seed: [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } }] });
});

test.after.always(async () => {
  k8s.clearFaults();
  await k8s.stop();
});

test.serial('429 like API Priority and Fairness: plain text with Retry-After, then recovery (§1.13)', async (t) => {
  const fault = k8s.injectFault({ method: 'GET', path: /^\/api\/v1\/nodes$/, times: 2, action: { type: 'error', status: 429, retryAfterSeconds: 1 } });
  for (let i = 0; i < 2; i += 1) {
    const r = await call(k8s, 'GET', '/api/v1/nodes');
    t.is(r.status, 429);
    t.is(r.text, 'Too many requests, please try again later.\n');
    t.is(r.headers.get('retry-after'), '1');
    t.is(r.headers.get('content-type'), 'text/plain; charset=utf-8');
  }
  t.is(fault.remaining, 0);
  t.is(fault.hits, 2);
  t.is((await call(k8s, 'GET', '/api/v1/nodes')).status, 200);
  t.is((await call(k8s, 'GET', '/api/v1/nodes/node-a')).status, 200);
});

test.serial('429 in Status form sets details.retryAfterSeconds and the header (§1.13)', async (t) => {
  k8s.injectFault({ action: { type: 'error', status: 429, form: 'status', retryAfterSeconds: 3 } });
  const r = await call(k8s, 'GET', '/api/v1/nodes');
  t.is(r.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":3},"code":429}\n');
  t.is(r.headers.get('retry-after'), '3');
});

test.serial('500 InternalError and 500 ServerTimeout with Retry-After: 2 (§1.14)', async (t) => {
  k8s.injectFault({ path: '/api/v1/nodes', action: { type: 'error', status: 500, message: 'etcdserver: request timed out' } });
  const internal = await call(k8s, 'GET', '/api/v1/nodes');
  t.is(internal.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: etcdserver: request timed out","reason":"InternalError","details":{"causes":[{"message":"etcdserver: request timed out"}]},"code":500}\n');
  t.is(internal.headers.get('retry-after'), null);
  k8s.injectFault({ path: '/apis/crd', action: { type: 'error', status: 500, reason: 'ServerTimeout' } });
  const timeout = await call(k8s, 'GET', '/apis/crd.projectcalico.org/v1/ippools/default-ipv4-ippool');
  t.is(timeout.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The get operation against ippools.crd.projectcalico.org could not be completed at this time, please try again.","reason":"ServerTimeout","details":{"name":"get","group":"crd.projectcalico.org","kind":"ippools","retryAfterSeconds":2},"code":500}\n');
  t.is(timeout.headers.get('retry-after'), '2');
});

test.serial('503 ServiceUnavailable with and without Retry-After; 504 Timeout with details {} (§1.15, §1.16)', async (t) => {
  k8s.injectFault({ action: { type: 'error', status: 503, message: 'the request has been made before all known HTTP paths have been installed, please try again', retryAfterSeconds: 5 } });
  const retry = await call(k8s, 'GET', '/api');
  t.is(retry.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the request has been made before all known HTTP paths have been installed, please try again","reason":"ServiceUnavailable","details":{"retryAfterSeconds":5},"code":503}\n');
  t.is(retry.headers.get('retry-after'), '5');
  k8s.injectFault({ action: { type: 'error', status: 503 } });
  const plain = await call(k8s, 'GET', '/api');
  t.is(plain.status, 503);
  t.is(plain.headers.get('retry-after'), null);
  t.false('details' in plain.json);
  k8s.injectFault({ method: 'PATCH', action: { type: 'error', status: 504 } });
  t.is((await call(k8s, 'GET', '/api')).status, 200);
  const timeout = await call(k8s, 'PATCH', '/api/v1/nodes/node-a', { body: {}, contentType: 'application/merge-patch+json' });
  t.is(timeout.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Timeout: request did not complete within the allotted timeout","reason":"Timeout","details":{},"code":504}\n');
});

test.serial('faults match the query string too, e.g. only continue pages', async (t) => {
  k8s.seed([{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b' } }]);
  k8s.injectFault({ query: /continue=/, action: { type: 'error', status: 503 } });
  const first = await call(k8s, 'GET', '/api/v1/nodes?limit=1');
  t.is(first.status, 200);
  const next = await call(k8s, 'GET', `/api/v1/nodes?limit=1&continue=${String(at(first.json, 'metadata', 'continue'))}`);
  t.is(next.status, 503);
});

test.serial('latency delays a request; drop destroys the connection', async (t) => {
  k8s.injectFault({ path: /nodes/, action: { type: 'latency', ms: 150 } });
  const start = Date.now();
  t.is((await call(k8s, 'GET', '/api/v1/nodes')).status, 200);
  t.true(Date.now() - start >= 140);
  k8s.injectFault({ path: /nodes/, action: { type: 'drop' } });
  const error = await t.throwsAsync(call(k8s, 'GET', '/api/v1/nodes'));
  t.is(error?.message, 'fetch failed');
  t.is((await call(k8s, 'GET', '/api/v1/nodes')).status, 200);
  t.is(k8s.requests.filter((r) => r.fault === 'drop').length, 1);
});

test.serial('the request log records method, path, query, content type, user, status and faults', async (t) => {
  k8s.clearRequests();
  await call(k8s, 'PATCH', '/api/v1/nodes/node-a?fieldManager=calico-migrate', { body: { metadata: { labels: { a: 'b' } } }, contentType: 'application/merge-patch+json' });
  await call(k8s, 'GET', '/api/v1/nodes', { token: 'nope' });
  t.like(k8s.requests[0], { method: 'PATCH', path: '/api/v1/nodes/node-a', query: 'fieldManager=calico-migrate', params: { fieldManager: 'calico-migrate' }, contentType: 'application/merge-patch+json', user: 'admin', status: 200 });
  t.like(k8s.requests[1], { method: 'GET', path: '/api/v1/nodes', user: undefined, status: 401 });
  t.is(k8s.requests.length, 2);
});
