/**
 * The real control plane the real-peer suites run against: kube-apiserver built from
 * k8s.io/kubernetes by `npm run peers`, on loopback with its own etcd, TLS, RBAC and a token file.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { startControlPlane, type ControlPlane } from '../_helpers/control-plane.js';

let cp: ControlPlane | undefined;
test.before(async () => {
  cp = await startControlPlane();
});
test.after.always(async () => {
  await cp?.stop();
});

test.serial('control plane: /version reports the pinned Kubernetes release, built from Go modules', async (t) => {
  const c = cp!;
  t.is(c.version, c.peers.kubernetesVersion);
  const v = (await c.api('GET', '/version')).json<{ major: string; minor: string; gitTreeState: string }>();
  t.is(v.major, '1');
  t.is(v.minor, c.peers.kubernetesVersion.split('.')[1] ?? '');
  t.is(v.gitTreeState, 'clean');
});

test.serial('control plane: RBAC is enforced: the unprivileged user is forbidden what the admin may do', async (t) => {
  const c = cp!;
  const denied = await c.api('GET', '/api/v1/nodes', undefined, { token: c.userToken });
  t.is(denied.status, 403);
  t.is(denied.json<{ reason: string }>().reason, 'Forbidden');
  t.regex(denied.json<{ message: string }>().message, /User "unprivileged" cannot list resource "nodes"/);
  t.is((await c.api('GET', '/api/v1/nodes')).status, 200);
  const anonymous = await c.api('GET', '/api/v1/nodes', undefined, { token: 'not-a-token' });
  t.is(anonymous.status, 401);
});

test.serial('control plane: the system namespaces exist, no controller-manager runs, and kubectl talks to it', async (t) => {
  const c = cp!;
  const ns = await c.kubectl(['get', 'namespaces', '-o', 'name']);
  t.is(ns.code, 0, ns.stderr);
  t.deepEqual(ns.stdout.trim().split('\n').sort(), ['namespace/default', 'namespace/kube-node-lease', 'namespace/kube-public', 'namespace/kube-system']);
  // No token controller: a ServiceAccount gets a token only through the TokenRequest API.
  const sa = await c.kubectl(['get', 'serviceaccounts', '-n', 'default', '-o', 'name']);
  t.is(sa.stdout.trim(), '', 'no default ServiceAccount without kube-controller-manager');
  t.true(existsSync(c.etcd.dataDir), 'its own etcd');
});
