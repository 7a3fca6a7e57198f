/**
 * Live reads of the v2.4 Kubernetes datastore through @kubernetes/client-node, against the
 * Kubernetes API test server (test/k8s-server): the same List as the offline path, pagination,
 * tokens, kubeconfig and client certificates, retries, and the errors an operator sees.
 */
import test from 'ava';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { readKubernetes } from '../../src/datastore/kubernetes.js';
import { resolveSettings } from '../../src/datastore/settings.js';
import { startK8sServer, type K8sTestServer } from '../k8s-server/index.js';
import { REPO_ROOT, runCli } from '../_helpers/cli.js';

const KDD = ['tprs', 'systemnetworkpolicies', 'nodes'].map((n) => `fixtures/sources/kdd-typical/${n}.yaml`);
const TOKEN = 'operator-token';

let http: K8sTestServer;
let https: K8sTestServer;

async function seeded(options: Parameters<typeof startK8sServer>[0]): Promise<K8sTestServer> {
  const server = await startK8sServer({ gitVersion: 'v1.7.16', tokens: { [TOKEN]: 'operator' }, crdEstablishDelayMs: 0, crdNamesAcceptedDelayMs: 0, ...options });
  for (const f of KDD) await server.seedFile(join(REPO_ROOT, f));
  return server;
}

test.before(async () => {
  [http, https] = await Promise.all([seeded({}), seeded({ tls: true })]);
});

test.after.always(async () => {
  await Promise.all([http?.stop(), https?.stop()]);
});

const offline = (target: readonly string[]) => runCli(['convert', ...KDD.flatMap((f) => ['--from-file', f]), ...target, '-o', 'json']);
const live = (server: K8sTestServer, target: readonly string[], env: Record<string, string> = {}) =>
  runCli(['convert', ...target, '-o', 'json'], REPO_ROOT, { DATASTORE_TYPE: 'kubernetes', K8S_API_ENDPOINT: server.url, K8S_TOKEN: TOKEN, ...env });

for (const target of [['--to', 'v2.5'], ['--to', 'v3.0', '--form', 'crd'], ['--to', 'v3.0', '--form', 'calicoctl']] as const) {
  test.serial(`kubernetes live: converting the TPRs and Nodes gives the offline List (${target.join(' ')})`, async (t) => {
    const fromCluster = await live(http, target);
    const fromFiles = await offline(target);
    t.is(fromCluster.code, fromFiles.code, fromCluster.stderr);
    t.is(fromCluster.stdout, fromFiles.stdout);
  });
}

test.serial('kubernetes live: every list is read in pages with limit/continue', async (t) => {
  const server = await seeded({});
  try {
    const nodes = Array.from({ length: 1200 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `extra-${String(i).padStart(4, '0')}`, annotations: { 'projectcalico.org/IPv4Address': `10.1.${i >> 8}.${i & 255}/16` } },
      spec: { podCIDR: `10.200.${i >> 8}.${i & 255}/32` },
    }));
    server.seed(nodes);
    server.clearRequests();
    const run = await live(server, ['--to', 'v2.5']);
    t.is(run.code, 0, run.stderr);
    const nodeCalls = server.requests.filter((r) => r.path === '/api/v1/nodes');
    t.true(nodeCalls.length >= 3, `expected several pages, saw ${nodeCalls.length}`);
    t.true(nodeCalls.every((r) => r.params['limit'] === '500'));
    t.true(nodeCalls.slice(1).every((r) => (r.params['continue'] ?? '') !== ''));
    t.regex(run.stderr, /: 2422 records from kubernetes /);
  } finally {
    await server.stop();
  }
});

test.serial('kubernetes live: a kubeconfig (KUBECONFIG) works as well as endpoint and token', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-kc-'));
  const kubeconfig = join(dir, 'config');
  await writeFile(kubeconfig, http.kubeconfig({ token: TOKEN }));
  const run = await runCli(['convert', '--to', 'v2.5', '-o', 'json'], REPO_ROOT, { DATASTORE_TYPE: 'kubernetes', KUBECONFIG: kubeconfig });
  t.is(run.code, 0, run.stderr);
  t.is(run.stdout, (await offline(['--to', 'v2.5'])).stdout);
  t.regex(run.stderr, /kubeconfig=\S+ {2}\[environment KUBECONFIG\]/);
});

test.serial('kubernetes live over HTTPS: the K8S_CA_FILE, K8S_CERT_FILE and K8S_KEY_FILE settings work', async (t) => {
  const { certFile, keyFile } = await https.issueClientCert('operator');
  const run = await runCli(['convert', '--to', 'v2.5', '-o', 'json'], REPO_ROOT, {
    DATASTORE_TYPE: 'kubernetes',
    K8S_API_ENDPOINT: https.url,
    K8S_CA_FILE: https.caFile ?? '',
    K8S_CERT_FILE: certFile,
    K8S_KEY_FILE: keyFile,
  });
  t.is(run.code, 0, run.stderr);
  t.is(run.stdout, (await offline(['--to', 'v2.5'])).stdout);
  const untrusted = await runCli(['convert', '--to', 'v2.5'], REPO_ROOT, { DATASTORE_TYPE: 'kubernetes', K8S_API_ENDPOINT: https.url, K8S_TOKEN: TOKEN });
  t.is(untrusted.code, 1);
  t.regex(untrusted.stderr, /calico-migrate: error: TLS with https:\/\/127\.0\.0\.1:\d+ failed \(.*\); check K8S_CA_FILE/);
});

test.serial('kubernetes live: K8S_* settings override the kubeconfig, as calicoctl does', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-kco-'));
  const kubeconfig = join(dir, 'config');
  await writeFile(kubeconfig, http.kubeconfig({ token: 'stale-token' }));
  const stale = await runCli(['convert', '--to', 'v2.5'], REPO_ROOT, { DATASTORE_TYPE: 'kubernetes', KUBECONFIG: kubeconfig });
  t.is(stale.code, 1);
  const fixed = await runCli(['convert', '--to', 'v2.5', '-o', 'json'], REPO_ROOT, { DATASTORE_TYPE: 'kubernetes', KUBECONFIG: kubeconfig, K8S_TOKEN: TOKEN });
  t.is(fixed.code, 0, fixed.stderr);
  t.is(fixed.stdout, (await offline(['--to', 'v2.5'])).stdout);
});

test.serial('kubernetes live: an API server that accepts connections but never answers times out', async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
  }).listen(0, '127.0.0.1');
  await new Promise((r) => silent.once('listening', r));
  const { port } = silent.address() as AddressInfo;
  try {
    const settings = resolveSettings({ flags: { datastoreType: 'kubernetes', k8sAPIEndpoint: `http://127.0.0.1:${port}`, k8sToken: TOKEN }, env: {} }).settings;
    const err = await t.throwsAsync(readKubernetes(settings, { requestTimeoutMs: 300, env: {} }));
    t.regex(err?.message ?? '', /the Kubernetes API at http:\/\/127\.0\.0\.1:\d+ gave no answer within 0\.3 s to get \/version/);
  } finally {
    for (const socket of sockets) socket.destroy();
    silent.close();
  }
});

test.serial('kubernetes live: no server at the address, or a port fetch refuses, is said with its reason (not just "fetch failed")', async (t) => {
  // A port nothing listens on: taken, then released.
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => probe.once('listening', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  const at = (endpoint: string) => resolveSettings({ flags: { datastoreType: 'kubernetes', k8sAPIEndpoint: endpoint, k8sToken: TOKEN }, env: {} }).settings;
  const refused = await t.throwsAsync(readKubernetes(at(`http://127.0.0.1:${port}`), { requestTimeoutMs: 5000, env: {} }));
  t.is(refused?.message, `cannot reach the Kubernetes API at http://127.0.0.1:${port} (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port})`);
  // fetch refuses some ports outright (10080 among them) and says why only in its error's cause.
  const blocked = await t.throwsAsync(readKubernetes(at('http://127.0.0.1:10080'), { requestTimeoutMs: 5000, env: {} }));
  t.is(blocked?.message, 'cannot reach the Kubernetes API at http://127.0.0.1:10080 (fetch failed: bad port)');
});

test.serial('kubernetes live: a token the server does not know is a 401 naming what was tried', async (t) => {
  const run = await live(http, ['--to', 'v2.5'], { K8S_TOKEN: 'wrong' });
  t.is(run.code, 1);
  t.regex(run.stderr, /calico-migrate: error: http:\/\/127\.0\.0\.1:\d+ refused the credentials \(401 Unauthorized\) when trying to get \/version/);
  t.false(run.stderr.includes('wrong'), 'the token never appears');
});

test.serial('kubernetes live: a 403 names the verb and the resource that was refused', async (t) => {
  http.setPolicy({ rules: [{ verbs: ['get'], nonResourceURLs: ['*'] }, { verbs: ['list'], resources: ['nodes', 'globalconfigs'] }] } as Parameters<K8sTestServer['setPolicy']>[0]);
  try {
    const run = await live(http, ['--to', 'v2.5']);
    t.is(run.code, 1);
    t.regex(run.stderr, /forbids list on ippools\.projectcalico\.org in namespace kube-system \(403: ippools\.projectcalico\.org is forbidden: User "operator" cannot list resource "ippools" in API group "projectcalico\.org" in the namespace "kube-system"/);
  } finally {
    http.setPolicy('allow-all');
  }
});

test.serial('kubernetes live: throttling and transient server errors are retried', async (t) => {
  const throttled = http.injectFault({ method: 'GET', path: '/api/v1/nodes', times: 2, action: { type: 'error', status: 429, retryAfterSeconds: 0 } });
  const flaky = http.injectFault({ method: 'GET', path: /ippools$/, times: 1, action: { type: 'error', status: 503 } });
  const run = await live(http, ['--to', 'v2.5']);
  t.is(run.code, 0, run.stderr);
  t.is(throttled.hits, 2);
  t.is(flaky.hits, 1);
  t.is(run.stdout, (await offline(['--to', 'v2.5'])).stdout);
  const broken = http.injectFault({ method: 'GET', path: '/api/v1/nodes', times: 10, action: { type: 'error', status: 500 } });
  const failed = await live(http, ['--to', 'v2.5']);
  broken.clear();
  t.is(failed.code, 1);
  t.regex(failed.stderr, /answered 500 InternalError to list nodes/);
});

test.serial('detect: Kubernetes version, TPR kinds present and absent, and v2.5 CRDs holding data', async (t) => {
  const run = await runCli(['detect', '-o', 'json'], REPO_ROOT, { DATASTORE_TYPE: 'kubernetes', K8S_API_ENDPOINT: http.url, K8S_TOKEN: TOKEN });
  t.is(run.code, 0, run.stderr);
  const r = JSON.parse(run.stdout) as { cluster: { gitVersion: string; tprKinds: string[]; missingTprKinds: string[]; v25Crds: Record<string, number> }; calicoVersion: string; fingerprint: Record<string, string>; records: number };
  t.is(r.cluster.gitVersion, 'v1.7.16');
  t.deepEqual(r.cluster.tprKinds.sort(), ['globalbgpconfigs.projectcalico.org', 'globalbgppeers.projectcalico.org', 'globalconfigs.projectcalico.org', 'ippools.projectcalico.org', 'systemnetworkpolicies.alpha.projectcalico.org']);
  t.deepEqual(r.cluster.missingTprKinds, []);
  t.deepEqual(r.cluster.v25Crds, {});
  t.is(r.calicoVersion, 'v2.4.1');
  t.is(r.records, 22);
  t.regex(r.fingerprint['nodes'] ?? '', /^\d+$/);

  const bare = await startK8sServer({ gitVersion: 'v1.7.16', tokens: { [TOKEN]: 'operator' }, crdEstablishDelayMs: 0, crdNamesAcceptedDelayMs: 0 });
  try {
    bare.seed([
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'ippools.crd.projectcalico.org' }, spec: { group: 'crd.projectcalico.org', scope: 'Cluster', names: { plural: 'ippools', singular: 'ippool', kind: 'IPPool', listKind: 'IPPoolList' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] } },
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', annotations: { 'projectcalico.org/IPv4Address': '10.0.0.1/24' } } },
    ]);
    for (let i = 0; i < 100 && !bare.state.crdEstablished('ippools.crd.projectcalico.org'); i++) await new Promise((r) => setTimeout(r, 10));
    const seeded = bare.seed([{ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: '10-0-0-0-8' }, spec: { cidr: '10.0.0.0/8' } }]);
    t.deepEqual(seeded.skipped, []);
    const text = await runCli(['detect'], REPO_ROOT, { DATASTORE_TYPE: 'kubernetes', K8S_API_ENDPOINT: bare.url, K8S_TOKEN: TOKEN });
    t.is(text.code, 0, text.stderr);
    t.regex(text.stdout, /^kubernetes: +v1\.7\.16; TPR kinds: none; absent: globalconfigs\.projectcalico\.org, .*systemnetworkpolicies\.alpha\.projectcalico\.org$/m);
    t.regex(text.stdout, /^v2\.5 CRDs: +ippools \(holds data\)$/m);
  } finally {
    await bare.stop();
  }
});

test.serial('export: a Kubernetes read saved with owner-only permissions converts exactly like the live read', async (t) => {
  const out = join(await mkdtemp(join(tmpdir(), 'calico-migrate-kexport-')), 'kdd.json');
  const exported = await runCli(['export', '--out', out], REPO_ROOT, { DATASTORE_TYPE: 'kubernetes', K8S_API_ENDPOINT: http.url, K8S_TOKEN: TOKEN });
  t.is(exported.code, 0, exported.stderr);
  t.is((await stat(out)).mode & 0o777, 0o600);
  const fromExport = await runCli(['convert', '--from-file', out, '--to', 'v3.0', '-o', 'json']);
  t.is(fromExport.stdout, (await live(http, ['--to', 'v3.0'])).stdout);
});
