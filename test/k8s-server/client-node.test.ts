/** The server through @kubernetes/client-node 2.0.1, as the migration tool will call it (toolchain.md §3). */
import {
  ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type KubernetesObject,
} from '@kubernetes/client-node';
import test from 'ava';
import { startK8sServer, type K8sTestServer } from './index.js';
import { at, crdBody } from './test-helpers.js';

let k8s: K8sTestServer;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let objects: KubernetesObjectApi;
const G = { group: 'crd.projectcalico.org', version: 'v1', plural: 'ippools' };

function statusOf(e: unknown): { code: number; reason: unknown; message: unknown; body: unknown } {
  if (!(e instanceof ApiException)) throw e;
  const raw: unknown = e.body;
  const body: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
  return { code: e.code, reason: at(body, 'reason'), message: at(body, 'message'), body };
}

async function failure(promise: Promise<unknown>): Promise<ReturnType<typeof statusOf>> {
  try {
    await promise;
  } catch (e) {
    return statusOf(e);
  }
  throw new Error('expected the call to fail');
}

test.before(async () => {
  k8s = await startK8sServer({
    tls: true,
    tokens: { 'test-token': { user: 'calico-migrate', groups: ['system:masters'] } },
    seed: [crdBody('ippools', 'IPPool'), ...['node-a', 'node-b', 'node-c'].map((name) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name }, annotations: { 'projectcalico.org/IPv4Address': '10.0.1.5/24' } } }))],
  });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: k8s.url, caData: Buffer.from(k8s.ca ?? '').toString('base64') }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'u' }],
    currentContext: 'test',
  });
  core = kc.makeApiClient(CoreV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  objects = KubernetesObjectApi.makeApiClient(kc);
});

test.after.always(async () => {
  await k8s.stop();
});

test.serial('CoreV1Api: paged listNode with a label selector, readNode, merge-patching annotations', async (t) => {
  const first = await core.listNode({ limit: 2 });
  t.deepEqual(first.items.map((n) => n.metadata?.name), ['node-a', 'node-b']);
  t.is(first.metadata?.remainingItemCount, 1);
  const rest = await core.listNode({ limit: 2, _continue: first.metadata?._continue ?? '' });
  t.deepEqual(rest.items.map((n) => n.metadata?.name), ['node-c']);
  t.is(rest.metadata?.resourceVersion, first.metadata?.resourceVersion);
  const selected = await core.listNode({ labelSelector: 'kubernetes.io/hostname=node-b' });
  t.deepEqual(selected.items.map((n) => n.metadata?.name), ['node-b']);
  const patched = await core.patchNode(
    { name: 'node-a', body: { metadata: { annotations: { 'projectcalico.org/IPv4Address': null, 'projectcalico.org/ASNumber': '64512' } } }, fieldManager: 'calico-migrate' },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  t.deepEqual(patched.metadata?.annotations, { 'projectcalico.org/ASNumber': '64512' });
  const read = await core.readNode({ name: 'node-a' });
  t.is(read.metadata?.resourceVersion, patched.metadata?.resourceVersion);
  t.is(k8s.requests.at(-2)?.contentType, 'application/merge-patch+json');
});

test.serial('CustomObjectsApi: create, get, list, replace, merge patch, delete, with errors as ApiException and a string body', async (t) => {
  const pool = { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'default-ipv4-ippool' }, spec: { cidr: '192.168.0.0/16', natOutgoing: true } };
  const created: unknown = await custom.createClusterCustomObject({ ...G, body: pool, fieldManager: 'calico-migrate' });
  t.is(at(created, 'metadata', 'generation'), 1);
  const dup = await failure(custom.createClusterCustomObject({ ...G, body: pool }));
  t.like(dup, { code: 409, reason: 'AlreadyExists', message: 'ippools.crd.projectcalico.org "default-ipv4-ippool" already exists' });
  const missing = await failure(custom.getClusterCustomObject({ ...G, name: 'nope' }));
  t.like(missing, { code: 404, reason: 'NotFound', message: 'ippools.crd.projectcalico.org "nope" not found' });
  const got: unknown = await custom.getClusterCustomObject({ ...G, name: 'default-ipv4-ippool' });
  const stale = { ...pool, metadata: { name: 'default-ipv4-ippool', resourceVersion: '1' } };
  t.like(await failure(custom.replaceClusterCustomObject({ ...G, name: 'default-ipv4-ippool', body: stale })), { code: 409, reason: 'Conflict' });
  const replaced: unknown = await custom.replaceClusterCustomObject({ ...G, name: 'default-ipv4-ippool', body: { ...pool, metadata: { name: 'default-ipv4-ippool', resourceVersion: at(got, 'metadata', 'resourceVersion') }, spec: { cidr: '192.168.0.0/16', natOutgoing: false } } });
  t.is(at(replaced, 'metadata', 'generation'), 2);
  const patched: unknown = await custom.patchClusterCustomObject({ ...G, name: 'default-ipv4-ippool', body: { spec: { ipipMode: 'Always' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  t.is(at(patched, 'spec', 'ipipMode'), 'Always');
  const wrongType = await failure(custom.patchClusterCustomObject({ ...G, name: 'default-ipv4-ippool', body: { spec: {} } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)));
  t.like(wrongType, { code: 415, reason: 'UnsupportedMediaType' });
  const list: unknown = await custom.listClusterCustomObject({ ...G, limit: 10 });
  t.like(list, { kind: 'IPPoolList', metadata: { continue: '' } });
  const invalid = await failure(custom.createClusterCustomObject({ ...G, body: { ...pool, metadata: { name: 'Pool_1' } } }));
  t.like(invalid, { code: 422, reason: 'Invalid' });
  t.is(at(invalid.body, 'details', 'causes', 0, 'field'), 'metadata.name');
  const dry: unknown = await custom.createClusterCustomObject({ ...G, body: { ...pool, metadata: { name: 'dry-pool' } }, dryRun: 'All' });
  t.is(at(dry, 'metadata', 'resourceVersion'), undefined);
  t.like(await failure(custom.getClusterCustomObject({ ...G, name: 'dry-pool' })), { code: 404 });
  const deleted: unknown = await custom.deleteClusterCustomObject({ ...G, name: 'default-ipv4-ippool' });
  t.like(deleted, { kind: 'Status', status: 'Success', details: { name: 'default-ipv4-ippool', kind: 'ippools' } });
});

test.serial('server-side apply through CustomObjectsApi: 201 create, 409 conflict with causes, force', async (t) => {
  const body = { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'ssa' }, spec: { cidr: '10.0.0.0/16', natOutgoing: true } };
  const apply = (manager: string, spec: Record<string, unknown>, force?: boolean): Promise<unknown> =>
    custom.patchClusterCustomObject({ ...G, name: 'ssa', body: { ...body, spec }, fieldManager: manager, ...(force === undefined ? {} : { force }) }, setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply));
  const created = await apply('calico-migrate', body.spec);
  t.is(at(created, 'metadata', 'managedFields', 0, 'operation'), 'Apply');
  const conflict = await failure(apply('someone-else', { natOutgoing: false }));
  t.like(conflict, { code: 409, reason: 'Conflict', message: 'Apply failed with 1 conflict: conflict with "calico-migrate": .spec.natOutgoing' });
  t.deepEqual(at(conflict.body, 'details'), { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "calico-migrate"', field: '.spec.natOutgoing' }] });
  const forced = await apply('someone-else', { natOutgoing: false }, true);
  t.is(at(forced, 'spec', 'natOutgoing'), false);
});

test.serial('KubernetesObjectApi: discovery maps kinds to paths; create, read, patch (merge), list, delete', async (t) => {
  const spec: KubernetesObject & { spec: Record<string, unknown> } = { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'generic' }, spec: { cidr: '10.9.0.0/16' } };
  const created = await objects.create(spec, undefined, undefined, 'calico-migrate');
  t.is(created.metadata?.name, 'generic');
  const read = await objects.read({ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'generic' } });
  t.is(read.metadata?.uid, created.metadata?.uid);
  const patched = await objects.patch({ ...spec, spec: { cidr: '10.9.0.0/16', disabled: true } }, undefined, undefined, 'calico-migrate', undefined, PatchStrategy.MergePatch);
  t.is(at(patched, 'spec', 'disabled'), true);
  const nodes = await objects.list('v1', 'Node', undefined, undefined, undefined, undefined, undefined, 'kubernetes.io/hostname=node-c');
  t.deepEqual(nodes.items.map((n) => n.metadata?.name), ['node-c']);
  const node = await objects.patch({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-c', annotations: { a: 'b' } } });
  t.is(node.metadata?.annotations?.a, 'b');
  t.true(k8s.requests.some((r) => r.method === 'PATCH' && r.path === '/api/v1/nodes/node-c' && r.contentType === 'application/strategic-merge-patch+json'));
  await objects.delete({ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'generic' } });
  const gone = await failure(objects.read({ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'generic' } }));
  t.is(gone.code, 404);
  t.true(k8s.requests.some((r) => r.path === '/apis/crd.projectcalico.org/v1'));
});

test.serial('401 with a wrong token surfaces as ApiException code 401 (client-node drops the body of a 401)', async (t) => {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: 'test', server: k8s.url, caData: Buffer.from(k8s.ca ?? '').toString('base64'), skipTLSVerify: false }, { name: 'bad', token: 'wrong' });
  const err = await failure(kc.makeApiClient(CoreV1Api).listNode());
  t.is(err.code, 401);
  t.is(err.body, undefined);
  t.like(k8s.requests.at(-1), { path: '/api/v1/nodes', status: 401, user: undefined });
});
