/** /version, legacy discovery and OpenAPI v3, per emulated Kubernetes version (spec §5, §7.4). */
import test from 'ava';
import { storageVersionHash } from './discovery.js';
import { startK8sServer, type K8sTestServer } from './index.js';
import { at, call, crdBody, waitFor } from './test-helpers.js';

const servers = new Map<string, K8sTestServer>();

test.before(async () => {
  for (const gitVersion of ['v1.33.0', 'v1.7.16', 'v1.16.15', 'v1.22.0']) {
    servers.set(gitVersion, await startK8sServer({ gitVersion, tokens: { t: 'admin' }, crdNamesAcceptedDelayMs: 30, crdEstablishDelayMs: 120 }));
  }
});

test.after.always(async () => {
  for (const s of servers.values()) await s.stop();
});

function server(v: string): K8sTestServer {
  const s = servers.get(v);
  if (!s) throw new Error(`no server ${v}`);
  return s;
}

function groupNames(body: Record<string, unknown>): string[] {
  return (at(body, 'groups') as { name: string }[]).map((g) => g.name);
}

test('/version: gitVersion, major and minor; emulation fields only from 1.33 (§5.1)', async (t) => {
  const v133 = (await call(server('v1.33.0'), 'GET', '/version?timeout=5s')).json;
  t.like(v133, { major: '1', minor: '33', emulationMajor: '1', emulationMinor: '33', minCompatibilityMinor: '32', gitVersion: 'v1.33.0', platform: 'linux/amd64' });
  t.deepEqual(Object.keys(v133).slice(0, 7), ['major', 'minor', 'emulationMajor', 'emulationMinor', 'minCompatibilityMajor', 'minCompatibilityMinor', 'gitVersion']);
  const v17 = (await call(server('v1.7.16'), 'GET', '/version')).json;
  t.like(v17, { major: '1', minor: '7', gitVersion: 'v1.7.16' });
  t.false('emulationMajor' in v17);
});

test('/api and /api/v1: no apiVersion, nodes and namespaces with verbs, short names and storageVersionHash (§5.2)', async (t) => {
  const s = server('v1.33.0');
  t.deepEqual((await call(s, 'GET', '/api?timeout=32s')).json, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${s.port}` }] });
  const v1 = (await call(s, 'GET', '/api/v1?timeout=32s')).json;
  t.is(v1.kind, 'APIResourceList');
  t.is(v1.groupVersion, 'v1');
  t.false('apiVersion' in v1);
  const resources = v1.resources as Record<string, unknown>[];
  t.deepEqual(resources.find((r) => r.name === 'nodes'), { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['no'], storageVersionHash: 'XwShjMxG9Fs=' });
  t.deepEqual(resources.find((r) => r.name === 'nodes/status'), { name: 'nodes/status', singularName: '', namespaced: false, kind: 'Node', verbs: ['get', 'patch', 'update'] });
  t.like(resources.find((r) => r.name === 'namespaces'), { singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['ns'] });
});

test('storageVersionHash is base64 of the first 8 bytes of SHA-256(<group>/<version>/<Kind>) (§5.2)', (t) => {
  t.is(storageVersionHash('', 'v1', 'Node'), 'XwShjMxG9Fs=');
  t.is(storageVersionHash('crd.projectcalico.org', 'v1', 'IPPool'), '3/m0Z1pQb+k=');
});

test('a CRD group appears in /apis and /apis/<g>/<v> only once Established; CR verbs keep their fixed order (§5.2, §6.6)', async (t) => {
  // Its own server with a long establishment delay: the "not yet" half must not race a loaded machine.
  const s = await startK8sServer({ gitVersion: 'v1.33.0', tokens: { t: 'admin' }, crdNamesAcceptedDelayMs: 30, crdEstablishDelayMs: 1500 });
  servers.set('v1.33.0 slow establishment', s);
  t.is((await call(s, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crdBody('ippools', 'IPPool') })).status, 201);
  t.false(groupNames((await call(s, 'GET', '/apis')).json).includes('crd.projectcalico.org'));
  t.is((await call(s, 'GET', '/apis/crd.projectcalico.org/v1')).text, '404 page not found\n');
  await waitFor(() => s.state.crdEstablished('ippools.crd.projectcalico.org'), 10_000);
  const groups = (await call(s, 'GET', '/apis')).json;
  t.is(groups.kind, 'APIGroupList');
  t.is(groups.apiVersion, 'v1');
  t.deepEqual((groups.groups as { name: string }[]).find((g) => g.name === 'crd.projectcalico.org'), { name: 'crd.projectcalico.org', versions: [{ groupVersion: 'crd.projectcalico.org/v1', version: 'v1' }], preferredVersion: { groupVersion: 'crd.projectcalico.org/v1', version: 'v1' } });
  t.deepEqual((await call(s, 'GET', '/apis/crd.projectcalico.org/v1?timeout=32s')).json, {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'crd.projectcalico.org/v1',
    resources: [{ name: 'ippools', singularName: 'ippool', namespaced: false, kind: 'IPPool', verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'], storageVersionHash: '3/m0Z1pQb+k=' }],
  });
  t.like((await call(s, 'GET', '/apis/crd.projectcalico.org')).json, { kind: 'APIGroup', apiVersion: 'v1', name: 'crd.projectcalico.org' });
});

test('ThirdPartyResources are served only before 1.8; CRD v1beta1 from 1.7 to 1.21, v1 from 1.16 (§6.1, §7)', async (t) => {
  const v17 = groupNames((await call(server('v1.7.16'), 'GET', '/apis')).json);
  t.true(v17.includes('extensions'));
  t.true(v17.includes('apiextensions.k8s.io'));
  const ext17 = (await call(server('v1.7.16'), 'GET', '/apis/extensions/v1beta1')).json;
  t.deepEqual((ext17.resources as { name: string }[]).map((r) => r.name), ['daemonsets', 'daemonsets/status', 'ingresses', 'ingresses/status', 'thirdpartyresources']);
  t.false(groupNames((await call(server('v1.7.16'), 'GET', '/apis')).json).includes('apps'));
  t.deepEqual(at((await call(server('v1.7.16'), 'GET', '/apis/apiextensions.k8s.io')).json, 'versions'), [{ groupVersion: 'apiextensions.k8s.io/v1beta1', version: 'v1beta1' }]);
  const v116 = (await call(server('v1.16.15'), 'GET', '/apis/apiextensions.k8s.io')).json;
  t.deepEqual(at(v116, 'versions'), [{ groupVersion: 'apiextensions.k8s.io/v1', version: 'v1' }, { groupVersion: 'apiextensions.k8s.io/v1beta1', version: 'v1beta1' }]);
  t.deepEqual(at(v116, 'preferredVersion'), { groupVersion: 'apiextensions.k8s.io/v1', version: 'v1' });
  t.deepEqual(at((await call(server('v1.33.0'), 'GET', '/apis/apiextensions.k8s.io')).json, 'versions'), [{ groupVersion: 'apiextensions.k8s.io/v1', version: 'v1' }]);
});

test('1.8–1.21 answer a JSON 404 for thirdpartyresources; 1.22+ a plain-text 404 (§7.4)', async (t) => {
  const ext116 = (await call(server('v1.16.15'), 'GET', '/apis/extensions/v1beta1')).json;
  t.deepEqual((ext116.resources as { name: string }[]).map((r) => r.name), ['ingresses', 'ingresses/status']);
  const mid = await call(server('v1.16.15'), 'GET', '/apis/extensions/v1beta1/thirdpartyresources');
  t.is(mid.status, 404);
  t.is(mid.json.message, 'the server could not find the requested resource');
  const late = await call(server('v1.22.0'), 'GET', '/apis/extensions/v1beta1/thirdpartyresources');
  t.is(late.text, '404 page not found\n');
  const tprPath = await call(server('v1.33.0'), 'GET', '/apis/projectcalico.org/v1/namespaces/kube-system/ippools');
  t.is(tprPath.text, '404 page not found\n');
});

test('OpenAPI v3: an index and per-group/version documents with the fieldValidation PATCH parameter (§5.4, §11.3)', async (t) => {
  const s = server('v1.33.0');
  const index = (await call(s, 'GET', '/openapi/v3')).json;
  const url = at(index, 'paths', 'api/v1', 'serverRelativeURL');
  t.regex(String(url), /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]+$/);
  const doc = (await call(s, 'GET', String(url))).json;
  const patch = at(doc, 'paths', '/api/v1/nodes/{name}', 'patch') as Record<string, unknown>;
  t.deepEqual(patch['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Node' });
  t.true((patch.parameters as { name: string; in: string }[]).some((p) => p.name === 'fieldValidation' && p.in === 'query'));
  t.is((await call(s, 'GET', '/openapi/v2')).status, 404);
});
