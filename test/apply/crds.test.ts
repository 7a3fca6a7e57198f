/** Installing the Calico CRDs against the Kubernetes API test server, cross-checked with kubectl. */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseCrdApi, crdManifest, crdsNeeded, ensureCrds, inspectCrds, type EnsureCrdsOptions } from '../../src/apply/crds.js';
import { CALICO_CRDS, CRDS_V1, crdName, crdResource, type CalicoCrd } from '../../src/datastore/calico-resources.js';
import { KubeClient } from '../../src/datastore/kube-client.js';
import { resolveSettings } from '../../src/datastore/settings.js';
import { CalicoMigrateError } from '../../src/errors.js';
import { startK8sServer, type K8sServerOptions, type K8sTestServer } from '../k8s-server/index.js';
import { at, crdBody, waitFor } from '../k8s-server/test-helpers.js';

const CRD_API = 'apiextensions.k8s.io/v1';
const CRD_PATH = /^\/apis\/apiextensions\.k8s\.io\/v1(beta1)?\/customresourcedefinitions$/;
const OPTS: EnsureCrdsOptions = { dryRun: false, timeoutMs: 5000, pollMs: 20, toolVersion: '0.1.0-test' };
const servers: K8sTestServer[] = [];
let dir: string;

/** A fresh server (its own CRDs, so tests run concurrently) and a client built as the CLI builds it. */
async function cluster(options: K8sServerOptions = {}): Promise<{ server: K8sTestServer; client: KubeClient }> {
  const server = await startK8sServer({ tokens: { t: 'op' }, crdNamesAcceptedDelayMs: 20, crdEstablishDelayMs: 60, ...options });
  servers.push(server);
  const flags = { datastoreType: 'kubernetes', k8sAPIEndpoint: server.url, k8sToken: 't', ...(server.caFile ? { k8sCAFile: server.caFile } : {}) };
  const { settings } = resolveSettings({ flags, env: {} });
  return { server, client: KubeClient.fromSettings(settings, {}) };
}

const names = (crds: readonly CalicoCrd[]): string[] => crds.map(crdName);
const crdPosts = (server: K8sTestServer) => server.requests.filter((q) => q.method === 'POST' && CRD_PATH.test(q.path));
const storedCrds = (server: K8sTestServer) => server.state.list(CRD_API, 'CustomResourceDefinition');
const ippool = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name }, spec });
const IPPOOL = CALICO_CRDS['v2.5'].find((c) => c.kind === 'IPPool') as CalicoCrd;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crds-test-'));
});

test.after.always(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await rm(dir, { recursive: true, force: true });
});

test('crdManifest: v1 preserves unknown fields at the root; v1beta1 names one version and needs no schema', (t) => {
  const np = CALICO_CRDS['v3.0'].find((c) => c.kind === 'NetworkPolicy') as CalicoCrd;
  const v1 = crdManifest(np, 'apiextensions.k8s.io/v1', '1.2.3');
  t.deepEqual(v1, {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: 'networkpolicies.crd.projectcalico.org', labels: { 'app.kubernetes.io/managed-by': 'calico-migrate' }, annotations: { 'calico-migrate.projectcalico.org/installed-by': 'calico-migrate 1.2.3' } },
    spec: {
      group: 'crd.projectcalico.org', names: { kind: 'NetworkPolicy', listKind: 'NetworkPolicyList', plural: 'networkpolicies', singular: 'networkpolicy' }, scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  });
  const beta = crdManifest(IPPOOL, 'apiextensions.k8s.io/v1beta1', '1.2.3');
  t.like(beta, { apiVersion: 'apiextensions.k8s.io/v1beta1', spec: { group: 'crd.projectcalico.org', scope: 'Cluster', version: 'v1', versions: [{ name: 'v1', served: true, storage: true }] } });
  t.is(at(beta, 'spec', 'versions', 0, 'schema'), undefined);
});

test('crdsNeeded: only the kinds written, in installation order; non-CRD kinds ignored', (t) => {
  t.deepEqual(names(crdsNeeded('v3.0', ['NetworkPolicy', 'Node', 'IPPool', 'ClusterInformation'])), [
    'clusterinformations.crd.projectcalico.org', 'ippools.crd.projectcalico.org', 'networkpolicies.crd.projectcalico.org',
  ]);
  t.deepEqual(crdsNeeded('v2.5', ['NetworkPolicy']), []);
  t.deepEqual(crdsNeeded('v2.5', new Set(['GlobalBGPConfig', 'GlobalFelixConfig'])).map((c) => c.kind), ['GlobalFelixConfig', 'GlobalBGPConfig']);
});

test('chooseCrdApi: v1beta1 below 1.16, v1 from 1.16; server dry run from 1.13', async (t) => {
  const cases: [string, string, boolean][] = [['v1.7.16', 'apiextensions.k8s.io/v1beta1', false], ['v1.15.12', 'apiextensions.k8s.io/v1beta1', true], ['v1.16.0', 'apiextensions.k8s.io/v1', true], ['v1.21.3', 'apiextensions.k8s.io/v1', true], ['v1.22.0', 'apiextensions.k8s.io/v1', true]];
  for (const [gitVersion, apiVersion, serverDryRun] of cases) {
    const { client } = await cluster({ gitVersion });
    t.like(await chooseCrdApi(client), { apiVersion, gitVersion, serverDryRun }, gitVersion);
  }
});

test('Kubernetes 1.7: v1beta1 CRDs are created and Established, and CRs can be written', async (t) => {
  const { server, client } = await cluster({ gitVersion: 'v1.7.16' });
  const progress: string[] = [];
  const r = await ensureCrds(client, 'v2.5', { ...OPTS, onProgress: (m) => progress.push(m) });
  t.deepEqual(r.created, names(CALICO_CRDS['v2.5']));
  t.deepEqual(r.alreadyPresent, []);
  t.is(r.api.apiVersion, 'apiextensions.k8s.io/v1beta1');
  t.deepEqual(crdPosts(server).map((q) => [q.path, q.status]), CALICO_CRDS['v2.5'].map(() => ['/apis/apiextensions.k8s.io/v1beta1/customresourcedefinitions', 201]));
  for (const name of r.created) t.true(server.state.crdEstablished(name), name);
  t.true(progress.some((m) => m.startsWith('created CRD ippools.crd.projectcalico.org (apiextensions.k8s.io/v1beta1)')));
  const states = await inspectCrds(client, 'v2.5');
  t.deepEqual(states.map((s) => s.state), CALICO_CRDS['v2.5'].map(() => 'established'));
  const stored = await client.get({ ...CRDS_V1, version: 'v1beta1' }, 'ippools.crd.projectcalico.org');
  t.like(stored, { spec: { version: 'v1', scope: 'Cluster', names: { kind: 'IPPool', listKind: 'IPPoolList' } }, metadata: { labels: { 'app.kubernetes.io/managed-by': 'calico-migrate' } } });
  const cr = await client.create(crdResource(IPPOOL), ippool('192-168-0-0-16', { cidr: '192.168.0.0/16', someLaterField: { x: 1 } }));
  t.deepEqual(cr['spec'], { cidr: '192.168.0.0/16', someLaterField: { x: 1 } });
});

test('Kubernetes 1.33: v1 CRDs preserve unknown fields, so no Calico field is pruned', async (t) => {
  const { server, client } = await cluster();
  const r = await ensureCrds(client, 'v3.0', OPTS);
  t.deepEqual(r.created, names(CALICO_CRDS['v3.0']));
  t.true(crdPosts(server).every((q) => q.path === '/apis/apiextensions.k8s.io/v1/customresourcedefinitions' && q.status === 201));
  const np = server.state.get(CRD_API, 'CustomResourceDefinition', 'networkpolicies.crd.projectcalico.org');
  t.is(at(np, 'spec', 'scope'), 'Namespaced');
  t.deepEqual(at(np, 'spec', 'versions', 0, 'schema'), { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } });
  t.is(at(np, 'metadata', 'annotations', 'calico-migrate.projectcalico.org/installed-by'), 'calico-migrate 0.1.0-test');
  const spec = { cidr: '10.0.0.0/16', ipipMode: 'Always', notInAnySchema: { nested: [1, 'two'] } };
  await client.create(crdResource(IPPOOL), ippool('p1', spec));
  t.deepEqual((await client.get(crdResource(IPPOOL), 'p1'))?.['spec'], spec);
});

test('waits for Established: a CR create right after ensureCrds succeeds', async (t) => {
  const { server, client } = await cluster({ crdNamesAcceptedDelayMs: 100, crdEstablishDelayMs: 400 });
  const progress: string[] = [];
  const started = Date.now();
  const r = await ensureCrds(client, 'v2.5', { ...OPTS, crds: [IPPOOL], onProgress: (m) => progress.push(m) });
  t.true(Date.now() - started >= 350, `returned after ${Date.now() - started} ms`);
  t.deepEqual(r.created, ['ippools.crd.projectcalico.org']);
  t.true(server.state.crdEstablished('ippools.crd.projectcalico.org'));
  t.true(progress.includes('waiting for ippools.crd.projectcalico.org to be Established'));
  const cr = await client.create(crdResource(IPPOOL), ippool('p', { cidr: '10.1.0.0/16' }));
  t.is(cr.metadata.name, 'p');
  t.deepEqual(names(crdsNeeded('v2.5', ['IPPool'])), r.created);
});

test('CRDs already present are left alone and reported; a second run creates nothing', async (t) => {
  const { server, client } = await cluster({ seed: [crdBody('ippools', 'IPPool'), crdBody('bgppeers', 'BGPPeer')] });
  const before = server.state.get(CRD_API, 'CustomResourceDefinition', 'ippools.crd.projectcalico.org');
  const r = await ensureCrds(client, 'v2.5', OPTS);
  t.deepEqual(r.alreadyPresent, ['ippools.crd.projectcalico.org', 'bgppeers.crd.projectcalico.org']);
  t.deepEqual(r.created, ['globalfelixconfigs.crd.projectcalico.org', 'globalbgpconfigs.crd.projectcalico.org', 'globalnetworkpolicies.crd.projectcalico.org']);
  t.is(crdPosts(server).length, 3);
  const after = server.state.get(CRD_API, 'CustomResourceDefinition', 'ippools.crd.projectcalico.org');
  t.is(at(after, 'metadata', 'resourceVersion'), at(before, 'metadata', 'resourceVersion'));
  t.is(at(after, 'metadata', 'labels'), undefined);
  server.clearRequests();
  const again = await ensureCrds(client, 'v2.5', OPTS);
  t.deepEqual(again.created, []);
  t.deepEqual(again.alreadyPresent, names(CALICO_CRDS['v2.5']));
  t.is(crdPosts(server).length, 0);
});

test('dry run on 1.33: creates are sent with dryRun=All, nothing is stored, nothing is awaited', async (t) => {
  const { server, client } = await cluster({ seed: [crdBody('ippools', 'IPPool')] });
  const revision = server.state.revision;
  const r = await ensureCrds(client, 'v3.0', { ...OPTS, dryRun: true });
  t.deepEqual(r.created, names(CALICO_CRDS['v3.0']).filter((n) => n !== 'ippools.crd.projectcalico.org'));
  t.deepEqual(r.alreadyPresent, ['ippools.crd.projectcalico.org']);
  t.is(crdPosts(server).length, 6);
  t.true(crdPosts(server).every((q) => q.params['dryRun'] === 'All' && q.status === 201));
  t.is(server.state.revision, revision);
  t.deepEqual(storedCrds(server).map((c) => at(c, 'metadata', 'name')), ['ippools.crd.projectcalico.org']);
});

test('dry run on 1.7 (no server-side dry run there): no write is sent at all', async (t) => {
  const { server, client } = await cluster({ gitVersion: 'v1.7.16' });
  const progress: string[] = [];
  const r = await ensureCrds(client, 'v2.5', { ...OPTS, dryRun: true, onProgress: (m) => progress.push(m) });
  t.deepEqual(r.created, names(CALICO_CRDS['v2.5']));
  t.false(r.api.serverDryRun);
  t.true(server.requests.every((q) => q.method === 'GET'));
  t.deepEqual(storedCrds(server), []);
  t.regex(progress[0] ?? '', /^would create CRD globalfelixconfigs\.crd\.projectcalico\.org .*nothing sent/);
});

test('a CRD being deleted is an error, and nothing is created', async (t) => {
  const { server, client } = await cluster({ cleanupDelayMs: 60_000, seed: [crdBody('ippools', 'IPPool')] });
  await client.delete(CRDS_V1, 'ippools.crd.projectcalico.org');
  const states = await inspectCrds(client, 'v2.5', { crds: [IPPOOL] });
  t.like(states[0], { name: 'ippools.crd.projectcalico.org', state: 'terminating' });
  t.true(states[0]?.conditions.some((c) => c.type === 'Terminating' && c.status === 'True'));
  const e = await t.throwsAsync(ensureCrds(client, 'v2.5', OPTS), { instanceOf: CalicoMigrateError });
  t.regex(e?.message ?? '', /^CRD ippools\.crd\.projectcalico\.org is being deleted; wait until it is gone/);
  t.is(crdPosts(server).length, 0);
});

test('a timeout names the CRDs still not Established and their conditions', async (t) => {
  const { client } = await cluster({ crdEstablishDelayMs: 10_000 });
  const crds = crdsNeeded('v3.0', ['IPPool', 'BGPPeer']);
  const e = await t.throwsAsync(ensureCrds(client, 'v3.0', { ...OPTS, crds, timeoutMs: 400 }), { instanceOf: CalicoMigrateError });
  t.is(
    e?.message,
    'CRDs not Established after 400 ms: ' +
      ['ippools', 'bgppeers'].map((p) => `${p}.crd.projectcalico.org (NamesAccepted=True NoConflicts: no conflicts found; Established=False Installing: the initial names have been accepted)`).join(', '),
  );
});

test('a name conflict shows as NamesAccepted=False with its reason when the wait times out', async (t) => {
  const { client } = await cluster({ seed: [crdBody('calicoippools', 'IPPool')] });
  const e = await t.throwsAsync(ensureCrds(client, 'v2.5', { ...OPTS, crds: [IPPOOL], timeoutMs: 300 }), { instanceOf: CalicoMigrateError });
  t.is(e?.message, 'CRDs not Established after 300 ms: ippools.crd.projectcalico.org (NamesAccepted=False SingularConflict: "ippool" is already in use; Established=False NotAccepted: not all names are accepted)');
  const [state] = await inspectCrds(client, 'v2.5', { crds: [IPPOOL] });
  t.is(state?.state, 'pending');
});

test('409 on create (created by someone else meanwhile) counts as present, and is still awaited', async (t) => {
  const { server, client } = await cluster();
  server.injectFault({ method: 'POST', path: CRD_PATH, action: { type: 'latency', ms: 300 } });
  const running = ensureCrds(client, 'v2.5', { ...OPTS, crds: [IPPOOL] });
  await waitFor(() => server.requests.some((q) => q.method === 'POST' && q.fault !== undefined));
  server.seed([crdBody('ippools', 'IPPool')]);
  const r = await running;
  t.deepEqual(r, { created: [], alreadyPresent: ['ippools.crd.projectcalico.org'], api: r.api });
  t.is(crdPosts(server)[0]?.status, 409);
});

test('the missing CRDs are created at once: every create is sent before the first is answered', async (t) => {
  const { server, client } = await cluster();
  const wanted = CALICO_CRDS['v3.0'].length;
  server.injectFault({ method: 'POST', path: CRD_PATH, times: Infinity, action: { type: 'latency', ms: 400 } });
  const recorded: string[] = [];
  const running = ensureCrds(client, 'v3.0', { ...OPTS, onCreated: async (name) => void recorded.push(name) });
  await waitFor(() => crdPosts(server).length === wanted);
  t.true(crdPosts(server).every((q) => q.status === undefined), 'none answered yet');
  const r = await running;
  // Reported in the CRDs' order, whatever order the answers came in; each recorded once.
  t.deepEqual(r.created, names(CALICO_CRDS['v3.0']));
  t.deepEqual([...recorded].sort(), [...r.created].sort());
});

test('one create fails: the others are still created and each is recorded before the error is thrown', async (t) => {
  const { server, client } = await cluster();
  // The connection of one create (whichever comes first) is dropped before the server handles it.
  server.injectFault({ method: 'POST', path: CRD_PATH, times: 1, action: { type: 'drop' } });
  const recorded: string[] = [];
  const err = await t.throwsAsync(ensureCrds(client, 'v3.0', { ...OPTS, onCreated: async (name) => void recorded.push(name) }));
  t.regex(err?.message ?? '', /customresourcedefinitions/);
  const stored = storedCrds(server).map((c) => at(c, 'metadata', 'name') as string);
  t.is(stored.length, CALICO_CRDS['v3.0'].length - 1);
  t.deepEqual([...recorded].sort(), [...stored].sort(), 'every CRD that exists was recorded as created by this run');
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(server: K8sTestServer, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: join(dir, `kubeconfig-${server.port}`) };
    execFile('/usr/bin/kubectl', [...args, '--cache-dir', join(dir, `cache-${server.port}`)], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

for (const gitVersion of ['v1.7.16', 'v1.33.0']) {
  test(`kubectl (${gitVersion}, TLS) sees the installed CRDs Established`, async (t) => {
    const { server, client } = await cluster({ tls: true, gitVersion });
    await writeFile(join(dir, `kubeconfig-${server.port}`), server.kubeconfig({ token: 't' }));
    const r = await ensureCrds(client, 'v3.0', OPTS);
    const list = await kubectl(server, ['get', 'crd', '-l', 'app.kubernetes.io/managed-by=calico-migrate', '-o', 'name']);
    t.is(list.code, 0, list.stderr);
    t.deepEqual(list.stdout.trim().split('\n'), [...r.created].sort().map((n) => `customresourcedefinition.apiextensions.k8s.io/${n}`));
    const wait = await kubectl(server, ['wait', '--for=condition=Established', 'crd/networkpolicies.crd.projectcalico.org', '--timeout=5s']);
    t.is(wait.code, 0, wait.stderr);
    const json = await kubectl(server, ['get', 'crd', 'networkpolicies.crd.projectcalico.org', '-o', 'json']);
    t.like(JSON.parse(json.stdout), { spec: { scope: 'Namespaced', names: { kind: 'NetworkPolicy' } } });
  });
}
