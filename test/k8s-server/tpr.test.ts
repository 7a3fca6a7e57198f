/** ThirdPartyResources on a 1.7 server, and TPR paths on 1.8+ (spec §7). */
import test from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startK8sServer, type K8sTestServer } from './index.js';
import { readSeedFile } from './seed.js';
import { at, call, crdBody, waitFor } from './test-helpers.js';
import { deriveTpr } from './tpr.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'fixtures', 'sources');
const TPRS = '/apis/extensions/v1beta1/thirdpartyresources';
let k8s: K8sTestServer;

test.before(async () => {
  k8s = await startK8sServer({ gitVersion: 'v1.7.16', tokens: { t: 'admin' } });
});

test.after.always(async () => {
  await k8s.stop();
});

test('kind, group and plural derivation from the TPR name (§7.2)', (t) => {
  t.deepEqual(deriveTpr('ip-pool.projectcalico.org'), { group: 'projectcalico.org', kind: 'IpPool', plural: 'ippools', singular: 'ippool' });
  t.like(deriveTpr('global-config.projectcalico.org'), { kind: 'GlobalConfig', plural: 'globalconfigs' });
  t.like(deriveTpr('global-bgp-config.projectcalico.org'), { kind: 'GlobalBgpConfig', plural: 'globalbgpconfigs' });
  t.like(deriveTpr('global-bgp-peer.projectcalico.org'), { kind: 'GlobalBgpPeer', plural: 'globalbgppeers' });
  t.like(deriveTpr('system-network-policy.alpha.projectcalico.org'), { group: 'alpha.projectcalico.org', kind: 'SystemNetworkPolicy', plural: 'systemnetworkpolicies' });
  t.like(deriveTpr('camelcase.example.com'), { kind: 'Camelcase', plural: 'camelcases' });
  t.like(deriveTpr('address.example.com'), { kind: 'Address', plural: 'addresses' });
});

test.serial('creating a ThirdPartyResource serves namespaced instances; CRUD, paging and discovery (§7.1, §7.3)', async (t) => {
  const tpr = { apiVersion: 'extensions/v1beta1', kind: 'ThirdPartyResource', metadata: { name: 'ip-pool.projectcalico.org' }, description: 'Calico IP Pools', versions: [{ name: 'v1' }] };
  const created = await call(k8s, 'POST', TPRS, { body: tpr });
  t.is(created.status, 201);
  t.deepEqual(Object.keys(created.json), ['kind', 'apiVersion', 'metadata', 'description', 'versions']);
  const base = '/apis/projectcalico.org/v1/namespaces/kube-system/ippools';
  for (const name of ['192-168-0-0-16', '10-1-0-0-16', '10-2-0-0-16']) {
    const r = await call(k8s, 'POST', base, { body: { apiVersion: 'projectcalico.org/v1', kind: 'IpPool', metadata: { name }, spec: { value: '{"cidr":"x"}' } } });
    t.is(r.status, 201, r.text);
  }
  const got = await call(k8s, 'GET', `${base}/192-168-0-0-16`);
  t.like(got.json, { apiVersion: 'projectcalico.org/v1', kind: 'IpPool', metadata: { namespace: 'kube-system' }, spec: { value: '{"cidr":"x"}' } });
  const page = await call(k8s, 'GET', `${base}?limit=2`);
  t.deepEqual((page.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name), ['10-1-0-0-16', '10-2-0-0-16']);
  const rest = await call(k8s, 'GET', `${base}?limit=2&continue=${String(at(page.json, 'metadata', 'continue'))}`);
  t.deepEqual((rest.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name), ['192-168-0-0-16']);
  t.is((await call(k8s, 'GET', '/apis/projectcalico.org/v1/ippools')).status, 200);
  const discovery = await call(k8s, 'GET', '/apis/projectcalico.org/v1');
  t.like((discovery.json.resources as unknown[])[0], { name: 'ippools', namespaced: true, kind: 'IpPool', verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'] });
  const patched = await call(k8s, 'PATCH', `${base}/10-1-0-0-16`, { body: { spec: { value: 'y' } }, contentType: 'application/merge-patch+json' });
  t.is(at(patched.json, 'spec', 'value'), 'y');
  t.is((await call(k8s, 'DELETE', `${base}/10-2-0-0-16`)).status, 200);
  t.is((await call(k8s, 'GET', `${base}/10-2-0-0-16`)).json.message, 'ippools.projectcalico.org "10-2-0-0-16" not found');
});

test.serial('a TPR name needs three dot-separated parts (§7.1)', async (t) => {
  const r = await call(k8s, 'POST', TPRS, { body: { apiVersion: 'extensions/v1beta1', kind: 'ThirdPartyResource', metadata: { name: 'short.name' }, versions: [{ name: 'v1' }] } });
  t.is(r.status, 422);
  t.is(r.json.message, 'ThirdPartyResource.extensions "short.name" is invalid: metadata.name: Invalid value: "short.name": unexpectedly short resource name: short.name, expected at least <kind>.<domain>.<tld>');
});

test.serial('deleting the TPR deletes its instance data (§7.3)', async (t) => {
  t.is((await call(k8s, 'DELETE', `${TPRS}/ip-pool.projectcalico.org`)).status, 200);
  t.is((await call(k8s, 'GET', '/apis/projectcalico.org/v1/namespaces/kube-system/ippools')).text, '404 page not found\n');
  await call(k8s, 'POST', TPRS, { body: { apiVersion: 'extensions/v1beta1', kind: 'ThirdPartyResource', metadata: { name: 'ip-pool.projectcalico.org' }, versions: [{ name: 'v1' }] } });
  t.deepEqual((await call(k8s, 'GET', '/apis/projectcalico.org/v1/namespaces/kube-system/ippools')).json.items, []);
});

test('seeding the kdd-typical dump creates the TPR definitions and keeps uid, timestamps and resourceVersions', async (t) => {
  const s = await startK8sServer({ gitVersion: 'v1.7.16', tokens: { t: 'admin' } });
  try {
    const result = s.seed([...(await readSeedFile(join(FIXTURES, 'kdd-typical', 'tprs.yaml'))), ...(await readSeedFile(join(FIXTURES, 'kdd-typical', 'systemnetworkpolicies.yaml')))]);
    t.deepEqual(result.skipped, []);
    const tprs = await call(s, 'GET', TPRS);
    t.deepEqual((tprs.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name), ['global-bgp-config.projectcalico.org', 'global-bgp-peer.projectcalico.org', 'global-config.projectcalico.org', 'ip-pool.projectcalico.org', 'system-network-policy.alpha.projectcalico.org']);
    const pool = await call(s, 'GET', '/apis/projectcalico.org/v1/namespaces/kube-system/ippools/192-168-0-0-16');
    t.like(pool.json, { metadata: { resourceVersion: '1259', creationTimestamp: '2017-08-21T14:01:38Z' } });
    t.false('selfLink' in (pool.json.metadata as object));
    const peers = await call(s, 'GET', '/apis/projectcalico.org/v1/namespaces/kube-system/globalbgppeers');
    t.deepEqual((peers.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name), ['10-0-0-1', '2001-db8--1']);
    const groups = (await call(s, 'GET', '/apis')).json.groups as { name: string }[];
    t.true(groups.some((g) => g.name === 'alpha.projectcalico.org'));
  } finally {
    await s.stop();
  }
});

test('on 1.8+ TPR instance paths are a plain 404 unless a CRD serves the same group, version and plural (§7.4)', async (t) => {
  const s = await startK8sServer({ gitVersion: 'v1.8.15', tokens: { t: 'admin' }, crdNamesAcceptedDelayMs: 0, crdEstablishDelayMs: 0 });
  try {
    const path = '/apis/projectcalico.org/v1/namespaces/kube-system/ippools';
    t.is((await call(s, 'GET', path)).text, '404 page not found\n');
    t.is((await call(s, 'GET', TPRS)).json.message, 'the server could not find the requested resource');
    const crd = { apiVersion: 'apiextensions.k8s.io/v1beta1', kind: 'CustomResourceDefinition', metadata: { name: 'ippools.projectcalico.org' }, spec: { group: 'projectcalico.org', version: 'v1', scope: 'Namespaced', names: { kind: 'IpPool', plural: 'ippools' } } };
    t.is((await call(s, 'POST', '/apis/apiextensions.k8s.io/v1beta1/customresourcedefinitions', { body: crd })).status, 201);
    await waitFor(() => s.state.crdEstablished('ippools.projectcalico.org'));
    t.deepEqual((await call(s, 'GET', path)).json.items, []);
    t.is((await call(s, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions')).status, 404);
    // Seeding TPR-era data into a 1.8+ server makes a stand-in CRD.
    const seeded = s.seed([{ apiVersion: 'projectcalico.org/v1', kind: 'GlobalConfig', metadata: { name: 'clustertype', namespace: 'kube-system' }, spec: { value: 'k8s,bgp,KDD' } }]);
    t.deepEqual(seeded.stored, ['apiextensions.k8s.io/v1beta1/CustomResourceDefinition globalconfigs.projectcalico.org', 'projectcalico.org/v1/GlobalConfig kube-system/clustertype']);
    t.is((await call(s, 'GET', '/apis/projectcalico.org/v1/namespaces/kube-system/globalconfigs/clustertype')).status, 200);
    t.is(crdBody('x', 'X').kind, 'CustomResourceDefinition');
  } finally {
    await s.stop();
  }
});
