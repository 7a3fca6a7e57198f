/**
 * The project's emulated API server (test/k8s-server) against the real kube-apiserver, request for
 * request: the same calls, in the same order, on both, answers compared after replacing only what
 * differs by nature (uids, resourceVersions, timestamps, continue tokens, ports; managedFields
 * dropped). Each test names the behaviour; each difference found here was fixed in the emulated
 * server (see its README, "Differences found against the real server"). The emulated server stays
 * for what no real server here can run: Kubernetes 1.7 and its ThirdPartyResources.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../_helpers/control-plane.js';
import { call, normalise, type Answer, type Endpoint } from '../_helpers/differential.js';
import { startK8sServer, type K8sTestServer } from '../k8s-server/index.js';

let real: ControlPlane | undefined;
let emulated: K8sTestServer | undefined;
let dir = '';

test.before(async () => {
  real = await startControlPlane();
  emulated = await startK8sServer({
    tls: true,
    gitVersion: real.version,
    tokens: { [real.adminToken]: { user: 'admin', groups: ['system:masters'] }, [real.userToken]: 'unprivileged' },
    policy: { rules: [] },
    crdNamesAcceptedDelayMs: 20,
    crdEstablishDelayMs: 50,
  });
  dir = mkdtempSync(join(tmpdir(), 'calico-migrate-differential-'));
});
test.after.always(async () => {
  await Promise.all([real?.stop(), emulated?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ends = (): { real: Endpoint; emulated: Endpoint } => ({ real: { url: real!.url, ca: real!.ca }, emulated: { url: emulated!.url, ca: emulated!.ca ?? '' } });
const admin = (): string => real!.adminToken;
const user = (): string => real!.userToken;

/** Runs `probe` on the real server, then on the emulated one, and compares the normalised answers. */
function same(title: string, probe: (e: Endpoint) => Promise<unknown>): void {
  test.serial(`emulated = real: ${title}`, async (t) => {
    const e = ends();
    const r = normalise(await probe(e.real));
    const f = normalise(await probe(e.emulated));
    t.deepEqual(f, r);
  });
}

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'ippools.crd.projectcalico.org' },
  // Deliberately not in Go field order, and with a schema default.
  spec: {
    scope: 'Cluster',
    group: 'crd.projectcalico.org',
    names: { kind: 'IPPool', listKind: 'IPPoolList', plural: 'ippools', singular: 'ippool' },
    versions: [{ schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { natOutgoing: { type: 'boolean' }, cidr: { type: 'string' }, blockSize: { default: 26, type: 'integer' } } } } } }, name: 'v1', served: true, storage: true }],
  },
};
const CR = '/apis/crd.projectcalico.org/v1/ippools';
const pool = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name }, spec: { cidr: '10.0.0.0/16', ...spec } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(e: Endpoint, path: string, ok: (a: Answer) => boolean): Promise<Answer> {
  let last: Answer | undefined;
  for (let i = 0; i < 300; i++) {
    last = await call(e, admin(), 'GET', path);
    if (ok(last)) return last;
    await sleep(100);
  }
  throw new Error(`${path} never reached the expected state: ${JSON.stringify(last)}`);
}
const established = (a: Answer) => JSON.stringify(a.body).includes('"type":"Established","status":"True"');

same('a missing object is a 404 NotFound Status', (e) => call(e, admin(), 'GET', '/api/v1/namespaces/kube-system/configmaps/nope'));
same('a custom resource path before its CRD exists is the plain-text 404', (e) => call(e, admin(), 'GET', CR));
same('creating a CRD answers 201 with the spec in Go field order, schema properties sorted, conditions null', (e) => call(e, admin(), 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', CRD));
same('the CRD becomes NamesAccepted and Established with the real reasons and messages', (e) => until(e, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ippools.crd.projectcalico.org', established));
same('discovery of the new group/version', (e) => until(e, '/apis/crd.projectcalico.org/v1', (a) => a.status === 200));
same('the group in the /apis list', async (e) => ((await call(e, admin(), 'GET', '/apis')).body as { groups: { name: string }[] }).groups.find((g) => g.name === 'crd.projectcalico.org'));
same('a custom resource is created with its schema defaults filled in and unknown fields pruned', (e) => call(e, admin(), 'POST', CR, pool('p1', { unknownField: 1 })));
same('creating it again is 409 AlreadyExists', (e) => call(e, admin(), 'POST', CR, pool('p1')));
same('dryRun=All create answers the defaulted object without a resourceVersion, and stores nothing', async (e) => [await call(e, admin(), 'POST', `${CR}?dryRun=All`, pool('p2')), await call(e, admin(), 'GET', `${CR}/p2`)]);
same('a PUT with a stale resourceVersion is 409 Conflict', (e) => call(e, admin(), 'PUT', `${CR}/p1`, { ...pool('p1'), metadata: { name: 'p1', resourceVersion: '1' } }));
same('a PUT without a resourceVersion is 422 on a custom resource', (e) => call(e, admin(), 'PUT', `${CR}/p1`, pool('p1')));
same('dryRun=All update answers the result (generation +1, defaults) and changes nothing', async (e) => {
  const cur = (await call(e, admin(), 'GET', `${CR}/p1`)).body as Record<string, unknown>;
  return [await call(e, admin(), 'PUT', `${CR}/p1?dryRun=All`, { ...cur, spec: { cidr: '10.1.0.0/16' } }), await call(e, admin(), 'GET', `${CR}/p1`)];
});
same('an invalid name is 422 Invalid with its cause', (e) => call(e, admin(), 'POST', CR, pool('Bad_Name')));
same('a strategic merge patch of a custom resource is 415 with the accepted types', (e) => call(e, admin(), 'PATCH', `${CR}/p1`, { spec: {} }, 'application/strategic-merge-patch+json'));
same('a custom resource list is paged with limit/continue: sorted metadata keys, remainingItemCount, then the last page', async (e) => {
  await call(e, admin(), 'POST', CR, pool('p3'));
  const first = await call(e, admin(), 'GET', `${CR}?limit=1`);
  const token = (first.body as { metadata: { continue: string } }).metadata.continue;
  return [first, await call(e, admin(), 'GET', `${CR}?limit=1&continue=${encodeURIComponent(token)}`)];
});
same('a missing custom resource is 404 NotFound naming the resource', (e) => call(e, admin(), 'GET', `${CR}/nope`));
same('a new Node gets the not-ready taint and the zero-valued status structs', (e) => call(e, admin(), 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', annotations: { a: '1', b: '2' } } }));
same('a merge patch of Node annotations sets and removes (null) keys', (e) => call(e, admin(), 'PATCH', '/api/v1/nodes/n1', { metadata: { annotations: { a: null, c: '3' } } }, 'application/merge-patch+json'));
same('a merge patch with a stale resourceVersion is 409 Conflict', (e) => call(e, admin(), 'PATCH', '/api/v1/nodes/n1', { metadata: { resourceVersion: '1', annotations: { d: '4' } } }, 'application/merge-patch+json'));
const lease = (holder: string, rv?: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l1', ...(rv ? { resourceVersion: rv } : {}) }, spec: { holderIdentity: holder, leaseDurationSeconds: 60, acquireTime: '2026-01-01T00:00:00.000000Z', renewTime: '2026-01-01T00:00:00.000000Z' } });
same('a Lease is created with its MicroTimes as given', (e) => call(e, admin(), 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', lease('me')));
same('a Lease PUT with a stale resourceVersion is 409 Conflict', (e) => call(e, admin(), 'PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l1', lease('you', '1')));
same('a Lease merge patch conditional on its resourceVersion renews it', async (e) => {
  const cur = (await call(e, admin(), 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l1')).body as { metadata: { resourceVersion: string } };
  return call(e, admin(), 'PATCH', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l1', { metadata: { resourceVersion: cur.metadata.resourceVersion }, spec: { renewTime: '2026-01-01T00:00:20.000000Z' } }, 'application/merge-patch+json');
});
same('deleting a Lease answers the success Status', (e) => call(e, admin(), 'DELETE', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l1'));
const ssar = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'create', group: 'crd.projectcalico.org', resource: 'ippools' } } };
same('a SelfSubjectAccessReview of a user without the permission says not allowed', (e) => call(e, user(), 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', ssar));
same('a SelfSubjectAccessReview of a cluster admin says allowed', (e) => call(e, admin(), 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', ssar));
same('a request the user may not make is 403 Forbidden with the real message', (e) => call(e, user(), 'GET', CR));
same('deleting a custom resource answers the deleted object; deleting it again is 404', async (e) => [await call(e, admin(), 'DELETE', `${CR}/p3`), await call(e, admin(), 'DELETE', `${CR}/p3`)]);

/** kubectl against one of the servers, with a time limit (a hang is the failure being looked for). */
function kubectl(e: Endpoint, name: string, args: readonly string[], stdin?: string): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const kc = join(dir, `kubeconfig-${name}`);
  writeFileSync(kc, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: '${e.url}', certificate-authority-data: ${Buffer.from(e.ca).toString('base64')}}}]\nusers: [{name: u, user: {token: ${admin()}}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n`);
  return new Promise((resolve) => {
    const child = execFile('kubectl', [...args, '--cache-dir', join(dir, `cache-${name}`)], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: kc }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.killed ? 'timed out' : typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

test.serial('emulated = real: kubectl delete <custom kind> --all deletes every object and returns', async (t) => {
  const e = ends();
  for (const [name, end] of [['real', e.real], ['emulated', e.emulated]] as const) {
    for (const n of ['d1', 'd2']) await call(end, admin(), 'POST', CR, pool(n));
    const r = await kubectl(end, name, ['delete', 'ippools.crd.projectcalico.org', '--all']);
    t.is(r.code, 0, `${name}: ${r.stderr}`);
    t.deepEqual(r.stdout.trim().split('\n').sort(), ['ippool.crd.projectcalico.org "d1" deleted', 'ippool.crd.projectcalico.org "d2" deleted', 'ippool.crd.projectcalico.org "p1" deleted'], name);
  }
});

test.serial('emulated = real: kubectl delete crd waits for the CRD to terminate (a watch for its DELETED event) and returns', async (t) => {
  const e = ends();
  const outs: unknown[] = [];
  for (const [name, end] of [['real', e.real], ['emulated', e.emulated]] as const) {
    await call(end, admin(), 'POST', CR, pool('left-behind'));
    const r = await kubectl(end, name, ['delete', 'crd', 'ippools.crd.projectcalico.org']);
    t.is(r.code, 0, `${name}: ${r.stderr}`);
    outs.push([r.stdout, normalise(await call(end, admin(), 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ippools.crd.projectcalico.org')), normalise(await call(end, admin(), 'GET', CR))]);
  }
  t.deepEqual(outs[1], outs[0]);
});
