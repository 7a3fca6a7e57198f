/**
 * The preflight checks against the Kubernetes API test server, with reports and objects from the
 * real conversion of the bundled fixtures. One server per test (they run concurrently).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { acquireLock } from '../../src/apply/lock.js';
import { calicoNodeImage, enabledPoolCidrs, imageVersion } from '../../src/apply/preflight-checks.js';
import { IGNORED_PREFIX, isBlocking, runPreflight, type PreflightInput } from '../../src/apply/preflight.js';
import { CRDS_V1 } from '../../src/datastore/calico-resources.js';
import { KubeClient } from '../../src/datastore/kube-client.js';
import { resolveSettings } from '../../src/datastore/settings.js';
import { convertDumps, type ConvertResult } from '../../src/convert.js';
import { decodeDump } from '../../src/input/dump.js';
import type { TargetObject, TargetVersion } from '../../src/model/target.js';
import { formatCidr } from '../../src/net.js';
import type { Finding } from '../../src/plan/types.js';
import { startK8sServer, type K8sServerOptions, type K8sTestServer, type PolicyRule } from '../k8s-server/index.js';
import { crdBody } from '../k8s-server/test-helpers.js';

const KDD = ['fixtures/sources/kdd-typical/tprs.yaml', 'fixtures/sources/kdd-typical/nodes.yaml', 'fixtures/sources/kdd-typical/systemnetworkpolicies.yaml'];
const ETCD = ['fixtures/sources/etcd-typical/etcd-v2.json'];
const servers: K8sTestServer[] = [];

test.after.always(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

/** A fresh server and a client built as the CLI builds it (retries without waiting). */
async function cluster(options: K8sServerOptions = {}, token = 't'): Promise<{ server: K8sTestServer; client: KubeClient }> {
  const server = await startK8sServer({ tokens: { t: 'op' }, ...options });
  servers.push(server);
  const { settings } = resolveSettings({ flags: { datastoreType: 'kubernetes', k8sAPIEndpoint: server.url, k8sToken: token }, env: {} });
  return { server, client: KubeClient.fromSettings(settings, {}, { sleep: async () => undefined }) };
}

const conversions = new Map<string, ConvertResult>();
function convert(files: readonly string[], to: TargetVersion): ConvertResult {
  const key = `${to} ${files.join(' ')}`;
  let r = conversions.get(key);
  if (!r) {
    r = convertDumps(files.map((f) => decodeDump(f, readFileSync(f, 'utf8'))), to, 'crd');
    conversions.set(key, r);
  }
  return r;
}

function input(client: KubeClient, extra: Partial<PreflightInput> = {}): PreflightInput {
  const target = extra.target ?? 'v2.5';
  const { report, objects } = convert(KDD, target);
  return { client, target, mode: 'plan', source: 'files', sourceIsKdd: true, report, objects, ...extra };
}

const codes = (findings: readonly Finding[]): string[] => findings.map((f) => f.code);
const withCode = (findings: readonly Finding[], code: string): Finding[] => findings.filter((f) => f.code === code);
const calicoNode = (image: string, apiVersion = 'apps/v1') => ({
  apiVersion, kind: 'DaemonSet', metadata: { name: 'calico-node', namespace: 'kube-system' },
  spec: { selector: { matchLabels: { 'k8s-app': 'calico-node' } }, template: { metadata: { labels: { 'k8s-app': 'calico-node' } }, spec: { containers: [{ name: 'install-cni', image: 'quay.io/calico/cni:v1.10.0' }, { name: 'calico-node', image }] } } },
});
const node = (name: string, podCIDR?: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR ? { podCIDR } : {} });

test('imageVersion reads the tag, tolerating registry ports, digests and suffixes', (t) => {
  t.deepEqual(imageVersion('quay.io/calico/node:v2.4.1'), [2, 4, 1]);
  t.deepEqual(imageVersion('calico/node:v2.6.12'), [2, 6, 12]);
  t.deepEqual(imageVersion('registry.local:5000/calico/node:v3.0.1'), [3, 0, 1]);
  t.deepEqual(imageVersion('quay.io/calico/node:v3.0.1@sha256:0123abcd'), [3, 0, 1]);
  t.deepEqual(imageVersion('quay.io/calico/node:v3.0.0-rc1'), [3, 0, 0]);
  t.deepEqual(imageVersion('calico/node:2.5'), [2, 5, 0]);
  t.is(imageVersion('quay.io/calico/node:latest'), undefined);
  t.is(imageVersion('quay.io/calico/node@sha256:0123abcd'), undefined);
  t.is(imageVersion('registry.local:5000/calico/node'), undefined);
});

test('calicoNodeImage takes the calico-node container, else the first; enabledPoolCidrs skips disabled pools', (t) => {
  t.is(calicoNodeImage(calicoNode('calico/node:v2.4.1')), 'calico/node:v2.4.1');
  t.is(calicoNodeImage({ metadata: { name: 'x' }, spec: { template: { spec: { containers: [{ name: 'node', image: 'a:v1.0.0' }] } } } }), 'a:v1.0.0');
  t.is(calicoNodeImage({ metadata: { name: 'x' }, spec: {} }), undefined);
  const pools: TargetObject[] = [
    { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'a' }, spec: { cidr: '10.0.0.0/16' } },
    { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'b' }, spec: { cidr: '10.1.0.0/16', disabled: true } },
    { apiVersion: 'crd.projectcalico.org/v1', kind: 'BGPPeer', metadata: { name: 'c' }, spec: { cidr: '10.2.0.0/16' } },
  ];
  t.deepEqual(enabledPoolCidrs(pools).map(formatCidr), ['10.0.0.0/16']);
});

test('1.7.16 with the v2.4 TPRs, live kdd source: tpr-source warning, nothing blocking, facts for 1.7', async (t) => {
  const { server, client } = await cluster({ gitVersion: 'v1.7.16' });
  for (const f of KDD) await server.seedFile(f);
  await server.seed([calicoNode('quay.io/calico/node:v2.4.1', 'extensions/v1beta1')]);
  const { findings, facts } = await runPreflight(input(client, { source: 'kubernetes', mode: 'apply' }));
  t.deepEqual(codes(findings), ['kubernetes-version', 'tpr-source', 'calico-node-version', ...Array<string>(5).fill('crd-will-be-created')]);
  t.regex(withCode(findings, 'kubernetes-version')[0]?.message ?? '', /runs Kubernetes v1\.7\.16$/);
  t.is(withCode(findings, 'tpr-source')[0]?.severity, 'warning');
  t.regex(withCode(findings, 'tpr-source')[0]?.message ?? '', /do not upgrade Kubernetes to 1\.8 or later before this migration has been applied and verified/);
  t.false(isBlocking(findings));
  t.like(facts, { gitVersion: 'v1.7.16', minor: 7, lockResource: 'configmaps', daemonSetGroup: 'extensions', calicoNodeImage: 'quay.io/calico/node:v2.4.1' });
  t.is(facts.crdApi?.apiVersion, 'apiextensions.k8s.io/v1beta1');
  // Ordered by check, then by message; the same on a second run.
  t.deepEqual(withCode(findings, 'crd-will-be-created').map((f) => f.message), [...withCode(findings, 'crd-will-be-created').map((f) => f.message)].sort());
  t.deepEqual((await runPreflight(input(client, { source: 'kubernetes', mode: 'apply' }))).findings, findings);
});

test('1.33: a live kdd source is gone (error); from files it is info; an etcd source says nothing about TPRs', async (t) => {
  const { server, client } = await cluster();
  await server.seedFile('fixtures/sources/kdd-typical/nodes.yaml');
  const live = await runPreflight(input(client, { source: 'kubernetes' }));
  t.deepEqual(withCode(live.findings, 'tpr-api-gone').map((f) => f.severity), ['error']);
  t.true(isBlocking(live.findings));
  t.like(live.facts, { gitVersion: 'v1.33.0', minor: 33, lockResource: 'leases', daemonSetGroup: 'apps' });
  const files = await runPreflight(input(client));
  t.deepEqual(codes(files.findings), ['kubernetes-version', 'tpr-api-absent', 'no-calico-node-daemonset', ...Array<string>(5).fill('crd-will-be-created')]);
  t.false(isBlocking(files.findings));
  const etcd = await runPreflight(input(client, { sourceIsKdd: false }));
  t.deepEqual(withCode(etcd.findings, 'tpr-api-absent'), []);
});

const IMAGES: readonly { image: string; target: TargetVersion; code: string; severity: Finding['severity'] }[] = [
  { image: 'quay.io/calico/node:v2.4.1', target: 'v2.5', code: 'calico-node-version', severity: 'info' },
  { image: 'quay.io/calico/node:v2.6.12', target: 'v3.0', code: 'calico-node-version', severity: 'info' },
  { image: 'quay.io/calico/node:v2.5.0', target: 'v2.5', code: 'calico-node-already-upgraded', severity: 'error' },
  { image: 'registry.local:5000/calico/node:v3.0.1@sha256:abc', target: 'v3.0', code: 'calico-node-already-upgraded', severity: 'error' },
  { image: 'quay.io/calico/node:v3.0.1', target: 'v2.5', code: 'calico-node-already-upgraded', severity: 'error' },
  { image: 'quay.io/calico/node:latest', target: 'v2.5', code: 'calico-node-version-unknown', severity: 'warning' },
  { image: 'quay.io/calico/node@sha256:abc', target: 'v2.5', code: 'calico-node-version-unknown', severity: 'warning' },
];

for (const c of IMAGES) {
  test(`calico-node ${c.image}, target ${c.target}: ${c.code}`, async (t) => {
    const { server, client } = await cluster();
    await server.seedFile('fixtures/sources/kdd-typical/nodes.yaml');
    await server.seed([calicoNode(c.image)]);
    const { findings, facts } = await runPreflight(input(client, { target: c.target }));
    const [f, ...more] = findings.filter((x) => x.code.startsWith('calico-node'));
    t.deepEqual(more, []);
    t.like(f, { code: c.code, severity: c.severity });
    t.is(isBlocking(findings), c.severity === 'error');
    t.is(facts.calicoNodeImage, c.image);
    if (c.code !== 'calico-node-already-upgraded') return;
    t.regex(f?.message ?? '', /migrate before rolling out calico\/node/);
    t.regex(f?.hint ?? '', /--ignore-preflight calico-node-already-upgraded/);
    const ignored = await runPreflight(input(client, { target: c.target, ignore: ['calico-node-already-upgraded'] }));
    t.like(withCode(ignored.findings, 'calico-node-already-upgraded')[0], { severity: 'info', message: `${IGNORED_PREFIX}${f?.message ?? ''}` });
    t.false(isBlocking(ignored.findings));
  });
}

test('a restricted user without patch on nodes: exactly that permission-denied', async (t) => {
  const groups = ['apiextensions.k8s.io', 'crd.projectcalico.org', 'coordination.k8s.io', 'apps', 'extensions', 'authorization.k8s.io'];
  const rules: PolicyRule[] = [
    { users: ['restricted'], apiGroups: groups },
    { users: ['restricted'], apiGroups: [''], resources: ['configmaps'] },
    { users: ['restricted'], apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] },
    { users: ['restricted'], apiGroups: [''], resources: ['namespaces'], verbs: ['get'], names: ['kube-system'] },
  ];
  const { server, client } = await cluster({ tokens: { r: 'restricted' }, policy: { rules } }, 'r');
  await server.seedFile('fixtures/sources/kdd-typical/nodes.yaml');
  const { findings } = await runPreflight(input(client, { mode: 'apply' }));
  const denied = withCode(findings, 'permission-denied');
  t.is(denied.length, 1);
  t.like(denied[0], { severity: 'error', message: 'not allowed to patch nodes (cluster-wide): merge-patch the Calico annotations of existing Nodes (never creates Nodes)' });
  t.regex(denied[0]?.hint ?? '', /calico-migrate rbac --to v2\.5/);
  t.deepEqual(withCode(findings, 'preflight-check-failed'), []);
  t.true(isBlocking(findings));
});

test('SelfSubjectAccessReviews refused: access-check-unavailable warning, not a blocker', async (t) => {
  const { server, client } = await cluster({ policy: ({ info }) => info.resource !== 'selfsubjectaccessreviews' });
  await server.seedFile('fixtures/sources/kdd-typical/nodes.yaml');
  const { findings } = await runPreflight(input(client));
  t.deepEqual(withCode(findings, 'access-check-unavailable').map((f) => f.severity), ['warning']);
  t.deepEqual(withCode(findings, 'permission-denied'), []);
  t.false(isBlocking(findings));
});

test('a terminating CRD is an error, one not Established a warning, the others are created', async (t) => {
  const { server, client } = await cluster({ cleanupDelayMs: 60_000, crdEstablishDelayMs: 60_000 });
  await server.seedFile('fixtures/sources/kdd-typical/nodes.yaml');
  await server.seed([crdBody('ippools', 'IPPool')]);
  await client.delete(CRDS_V1, 'ippools.crd.projectcalico.org');
  await client.create(CRDS_V1, { ...crdBody('bgppeers', 'BGPPeer'), metadata: { name: 'bgppeers.crd.projectcalico.org' } });
  const { findings } = await runPreflight(input(client));
  t.deepEqual(findings.filter((f) => f.code.startsWith('crd-')).map((f) => `${f.severity} ${f.code} ${f.message.split(' ')[1] ?? ''}`), [
    'warning crd-not-established bgppeers.crd.projectcalico.org',
    'info crd-will-be-created globalbgpconfigs.crd.projectcalico.org',
    'info crd-will-be-created globalfelixconfigs.crd.projectcalico.org',
    'info crd-will-be-created globalnetworkpolicies.crd.projectcalico.org',
    'error crd-terminating ippools.crd.projectcalico.org',
  ]);
  t.true(isBlocking(findings));
});

test('etcd-typical for v2.5: the Calico IPAM blocker of the conversion blocks; error records are summarised', async (t) => {
  const { server, client } = await cluster();
  await server.seedFile('fixtures/sources/kdd-typical/nodes.yaml');
  const etcd = convert(ETCD, 'v2.5');
  const { findings } = await runPreflight(input(client, { source: 'etcdv2', sourceIsKdd: false, report: etcd.report, objects: etcd.objects }));
  const ipam = withCode(findings, 'calico-ipam-in-use');
  t.is(ipam.length, 1);
  t.like(ipam[0], { severity: 'error', message: etcd.report.issues.find((i) => i.code === 'calico-ipam-in-use')?.message });
  t.true(isBlocking(findings));

  const bad = convert(['fixtures/sources/edge-cases/etcd-bad-values.json'], 'v2.5');
  const errors = withCode((await runPreflight(input(client, { sourceIsKdd: false, report: bad.report, objects: bad.objects }))).findings, 'conversion-errors');
  t.is(errors.length, 1);
  t.regex(errors[0]?.message ?? '', /^8 source records could not be converted: \/calico\/bgp\/v1\/global\/as_num, .*, …$/);
});

test('pod CIDRs against the pools: missing, outside, no pool of that family', async (t) => {
  const { server, client } = await cluster();
  await server.seed([node('inside', '192.168.3.0/24'), node('outside', '10.244.1.0/24'), node('bare'), node('v6', 'fd00:1::/64')]);
  const { findings } = await runPreflight(input(client));
  t.deepEqual(findings.filter((f) => ['node-without-pod-cidr', 'pod-cidr-outside-pools', 'no-ip-pool'].includes(f.code)).map((f) => `${f.severity} ${f.code}`), [
    'error node-without-pod-cidr', 'warning no-ip-pool', 'warning pod-cidr-outside-pools',
  ]);
  t.regex(withCode(findings, 'node-without-pod-cidr')[0]?.message ?? '', /^Node bare has no spec\.podCIDR/);
  t.regex(withCode(findings, 'pod-cidr-outside-pools')[0]?.message ?? '', /10\.244\.1\.0\/24 of Node outside is outside every enabled IPv4 pool \(192\.168\.0\.0\/16\)/);
  t.regex(withCode(findings, 'no-ip-pool')[0]?.message ?? '', /IPv6.*v6 fd00:1::\/64/);

  const disabled = input(client).objects.map((o) => (o.kind === 'IPPool' ? { ...o, spec: { ...o.spec, disabled: true } } : o));
  const none = await runPreflight(input(client, { objects: disabled }));
  t.deepEqual(withCode(none.findings, 'pod-cidr-outside-pools'), []);
  t.is(withCode(none.findings, 'no-ip-pool').length, 2);
});

test('the lock: held by another run is lock-held, expired is lock-stale', async (t) => {
  const held = await cluster();
  await acquireLock(held.client, { holder: 'run-other', reason: 'apply plan sha256:abc', ttlSeconds: 600, host: 'bastion', pid: 77 });
  const a = withCode((await runPreflight(input(held.client))).findings, 'lock-held');
  t.is(a.length, 1);
  t.is(a[0]?.severity, 'warning');
  t.regex(a[0]?.message ?? '', /held by "run-other" \(on host bastion, pid 77\) for "apply plan sha256:abc"/);

  const stale = await cluster({ gitVersion: 'v1.12.10' });
  await acquireLock(stale.client, { holder: 'run-old', reason: 'apply', ttlSeconds: 30, now: () => new Date(Date.now() - 3600_000) });
  const { findings, facts } = await runPreflight(input(stale.client));
  t.is(facts.lockResource, 'configmaps');
  t.deepEqual(codes(findings).filter((c) => c.startsWith('lock-')), ['lock-stale']);
  t.regex(withCode(findings, 'lock-stale')[0]?.hint ?? '', /--force-unlock/);
});

test('a failing request turns its check into preflight-check-failed; the other checks still report', async (t) => {
  const { server, client } = await cluster();
  await server.seed([node('bare')]);
  server.injectFault({ method: 'GET', path: /^\/api\/v1\/nodes$/, times: Infinity, action: { type: 'error', status: 503 } });
  const { findings } = await runPreflight(input(client));
  const failed = withCode(findings, 'preflight-check-failed');
  t.is(failed.length, 1);
  t.regex(failed[0]?.message ?? '', /^the pod-cidrs check failed: http:\/\/127\.0\.0\.1:\d+: list nodes: 503/);
  t.deepEqual(withCode(findings, 'node-without-pod-cidr'), []);
  t.is(withCode(findings, 'kubernetes-version').length, 1);
  t.is(withCode(findings, 'crd-will-be-created').length, 5);
  t.true(isBlocking(findings));
});

test('credentials refused (401): one preflight-check-failed, and the conversion blockers still', async (t) => {
  const { client } = await cluster({}, 'wrong');
  const etcd = convert(ETCD, 'v2.5');
  const { findings, facts } = await runPreflight(input(client, { source: 'etcdv2', sourceIsKdd: false, report: etcd.report, objects: etcd.objects }));
  t.deepEqual(codes(findings), ['preflight-check-failed', 'calico-ipam-in-use']);
  t.regex(findings[0]?.hint ?? '', /HTTP 401/);
  t.is(facts.gitVersion, '');
});
