/** Cross-checks with the real kubectl (/usr/bin/kubectl) over HTTPS with a bearer token (spec §11). */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startK8sServer, type K8sTestServer } from './index.js';
import { crdBody, tlsCall, waitFor } from './test-helpers.js';

let k8s: K8sTestServer;
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(server: K8sTestServer, args: string[], kubeconfigName = 'kubeconfig'): Promise<Run> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: join(dir, kubeconfigName) };
    execFile('kubectl', [...args, '--cache-dir', join(dir, `cache-${server.port}`)], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const POOL = 'apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata:\n  name: default-ipv4-ippool\nspec:\n  cidr: 192.168.0.0/16\n  natOutgoing: true\n';

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8s-kubectl-'));
  k8s = await startK8sServer({
    tls: true,
    tokens: { 'test-token-123': { user: 'admin', groups: ['system:masters'] } },
    seed: [crdBody('ippools', 'IPPool'), ...['node-a', 'node-b'].map((name) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, annotations: { 'projectcalico.org/IPv4Address': '10.0.1.5/24' } } }))],
  });
  await writeFile(join(dir, 'kubeconfig'), k8s.kubeconfig({ token: 'test-token-123' }));
  await writeFile(join(dir, 'pool.yaml'), POOL);
  await writeFile(join(dir, 'bad.yaml'), POOL.replace('default-ipv4-ippool', 'Pool_1'));
});

test.after.always(async () => {
  await k8s.stop();
  await rm(dir, { recursive: true, force: true });
});

test.serial('kubectl get nodes -o json sends the token over TLS and reads a NodeList', async (t) => {
  const r = await kubectl(k8s, ['get', 'nodes', '-o', 'json']);
  t.is(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as { items: { metadata: { name: string; annotations: Record<string, string> } }[] };
  t.deepEqual(list.items.map((i) => i.metadata.name), ['node-a', 'node-b']);
  t.is(list.items[0]?.metadata.annotations['projectcalico.org/IPv4Address'], '10.0.1.5/24');
  t.true(k8s.requests.some((q) => q.path === '/api/v1/nodes' && q.params.limit === '500' && q.user === 'admin'));
});

test.serial('kubectl api-resources lists built-ins and the Established CRD', async (t) => {
  const r = await kubectl(k8s, ['api-resources']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^nodes\s+no\s+v1\s+false\s+Node$/m);
  t.regex(r.stdout, /^ippools\s+crd\.projectcalico\.org\/v1\s+false\s+IPPool$/m);
  t.regex(r.stdout, /^customresourcedefinitions\s+crd,crds\s+apiextensions\.k8s\.io\/v1\s+false\s+CustomResourceDefinition$/m);
});

test.serial('kubectl apply --dry-run=server validates with fieldValidation=Strict and persists nothing', async (t) => {
  const r = await kubectl(k8s, ['apply', '--dry-run=server', '-f', join(dir, 'pool.yaml')]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.trim(), 'ippool.crd.projectcalico.org/default-ipv4-ippool created (server dry run)');
  const post = k8s.requests.find((q) => q.method === 'POST' && q.path === '/apis/crd.projectcalico.org/v1/ippools');
  t.like(post?.params, { dryRun: 'All', fieldManager: 'kubectl-client-side-apply', fieldValidation: 'Strict' });
  t.is(k8s.state.get('crd.projectcalico.org/v1', 'IPPool', 'default-ipv4-ippool'), undefined);
});

test.serial('kubectl apply --server-side creates; kubectl get of the CR; default patch type is refused for CRs', async (t) => {
  const r = await kubectl(k8s, ['apply', '--server-side', '-f', join(dir, 'pool.yaml')]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.trim(), 'ippool.crd.projectcalico.org/default-ipv4-ippool serverside-applied');
  const patch = k8s.requests.find((q) => q.method === 'PATCH' && q.contentType === 'application/apply-patch+yaml');
  t.like(patch?.params, { fieldManager: 'kubectl', force: 'false' });
  t.is(patch?.status, 201);
  const get = await kubectl(k8s, ['get', 'ippools.crd.projectcalico.org', 'default-ipv4-ippool', '-o', 'json']);
  t.is(get.code, 0, get.stderr);
  t.like(JSON.parse(get.stdout), { kind: 'IPPool', spec: { cidr: '192.168.0.0/16', natOutgoing: true }, metadata: { generation: 1 } });
  const smp = await kubectl(k8s, ['patch', 'ippool', 'default-ipv4-ippool', '-p', '{"spec":{"natOutgoing":false}}']);
  t.is(smp.code, 1);
  t.is(smp.stderr.trim(), 'error: application/strategic-merge-patch+json is not supported by crd.projectcalico.org/v1, Kind=IPPool: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
});

test.serial('kubectl client-side apply (create, then configure), diff and delete', async (t) => {
  const file = join(dir, 'peer.yaml');
  const peer = (asNumber: number): string => `apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata:\n  name: client-side\nspec:\n  cidr: 10.7.0.0/16\n  blockSize: ${asNumber}\n`;
  await writeFile(file, peer(26));
  const created = await kubectl(k8s, ['apply', '-f', file]);
  t.is(created.stdout.trim(), 'ippool.crd.projectcalico.org/client-side created', created.stderr);
  t.is((await kubectl(k8s, ['diff', '-f', file])).code, 0);
  await writeFile(file, peer(28));
  const diff = await kubectl(k8s, ['diff', '-f', file]);
  t.is(diff.code, 1, diff.stderr);
  t.regex(diff.stdout, /^-  blockSize: 26\n\+  blockSize: 28$/m);
  t.true(k8s.requests.some((q) => q.method === 'PATCH' && q.params.dryRun === 'All' && q.contentType === 'application/merge-patch+json'));
  const configured = await kubectl(k8s, ['apply', '-f', file]);
  t.is(configured.stdout.trim(), 'ippool.crd.projectcalico.org/client-side configured', configured.stderr);
  const deleted = await kubectl(k8s, ['delete', '-f', file]);
  t.is(deleted.stdout.trim(), 'ippool.crd.projectcalico.org "client-side" deleted', deleted.stderr);
  t.is(k8s.state.get('crd.projectcalico.org/v1', 'IPPool', 'client-side'), undefined);
});

test.serial('kubectl shows the server Status messages: NotFound and Invalid', async (t) => {
  const missing = await kubectl(k8s, ['get', 'ippool', 'nope']);
  t.is(missing.code, 1);
  t.is(missing.stderr.trim(), 'Error from server (NotFound): ippools.crd.projectcalico.org "nope" not found');
  const bad = await kubectl(k8s, ['create', '-f', join(dir, 'bad.yaml')]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /^The IPPool "Pool_1" is invalid: metadata\.name: Invalid value: "Pool_1": a lowercase RFC 1123 subdomain must consist of/m);
});

test.serial('kubectl retries a 429 with Retry-After and succeeds (§11.5)', async (t) => {
  k8s.injectFault({ method: 'GET', path: /^\/api\/v1\/nodes$/, times: 1, action: { type: 'error', status: 429, retryAfterSeconds: 1 } });
  const r = await kubectl(k8s, ['get', 'nodes', '-o', 'name']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'node/node-a\nnode/node-b\n');
  t.is(k8s.requests.filter((q) => q.path === '/api/v1/nodes' && q.status === 429).length, 1);
});

test('kubectl against a 1.7 server reads ThirdPartyResource data', async (t) => {
  const old = await startK8sServer({
    tls: true, gitVersion: 'v1.7.16', tokens: { 'test-token-123': { user: 'admin', groups: ['system:masters'] } },
    seed: [{ apiVersion: 'projectcalico.org/v1', kind: 'IpPool', metadata: { name: '192-168-0-0-16', namespace: 'kube-system' }, spec: { value: '{}' } }],
  });
  try {
    await writeFile(join(dir, 'kubeconfig-17'), old.kubeconfig({ token: 'test-token-123' }));
    const r = await kubectl(old, ['get', 'ippools.projectcalico.org', '-n', 'kube-system', '-o', 'name'], 'kubeconfig-17');
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, 'ippool.projectcalico.org/192-168-0-0-16\n');
    const tprs = await kubectl(old, ['get', 'thirdpartyresources', '-o', 'name'], 'kubeconfig-17');
    t.is(tprs.stdout, 'thirdpartyresource.extensions/ip-pool.projectcalico.org\n');
  } finally {
    await old.stop();
  }
});

test('kubectl wait --for=condition=Established follows a watch until the CRD is Established (§4.4, §6.4)', async (t) => {
  const slow = await startK8sServer({ tls: true, tokens: { 'test-token-123': 'admin' }, crdNamesAcceptedDelayMs: 0, crdEstablishDelayMs: 700 });
  try {
    await writeFile(join(dir, 'kubeconfig-wait'), slow.kubeconfig({ token: 'test-token-123' }));
    const crdPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
    const created = await fetchTls(slow, 'POST', crdPath, crdBody('bgppeers', 'BGPPeer'));
    t.is(created, 201);
    await waitFor(async () => (await fetchTls(slow, 'GET', '/apis/crd.projectcalico.org/v1/bgppeers')) === 200);
    t.false(slow.state.crdEstablished('bgppeers.crd.projectcalico.org'));
    const r = await kubectl(slow, ['wait', '--for=condition=Established', 'crd/bgppeers.crd.projectcalico.org', '--timeout=10s'], 'kubeconfig-wait');
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.trim(), 'customresourcedefinition.apiextensions.k8s.io/bgppeers.crd.projectcalico.org condition met');
    t.true(slow.requests.some((q) => q.params.watch === 'true'));
  } finally {
    await slow.stop();
  }
});

async function fetchTls(server: K8sTestServer, method: string, path: string, body?: unknown): Promise<number> {
  return (await tlsCall(server, method, path, { token: 'test-token-123', ...(body === undefined ? {} : { body }) })).status;
}
