/**
 * Kubernetes integration test that runs against a real cluster as well as the test server.
 *
 * - `npm test`: against a fresh Kubernetes API test server that emulates a current Kubernetes
 *   (no ThirdPartyResources), so CRDs stand in for the TPRs, as they must on a real modern cluster.
 * - `KUBECONFIG=... npm run test:cluster`: against that cluster. Use a DISPOSABLE cluster without
 *   Calico: the test creates CRDs in the `projectcalico.org` and `alpha.projectcalico.org` groups
 *   (or ThirdPartyResources on Kubernetes 1.7), objects in kube-system and two Node objects named
 *   `cmtest-*`, and deletes them all afterwards.
 *
 * It seeds the v2.4 data, converts it live, exports it, converts the export, and checks both give
 * the same List and that every seeded record was converted.
 */
import test from 'ava';
import { ApiException, ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, VersionApi, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TPR_KINDS } from '../src/datastore/kubernetes.js';
import { startK8sServer, type K8sTestServer } from './k8s-server/index.js';
import { REPO_ROOT, runCli } from './_helpers/cli.js';

const REAL = process.env['CALICO_MIGRATE_CLUSTER'] === '1';
const KINDS = TPR_KINDS;

const SEED: Record<string, Record<string, unknown>[]> = {
  globalconfigs: [
    { metadata: { name: 'cmtest-logseverityscreen' }, spec: { name: 'CmtestLogSeverityScreen', value: 'info' } },
    { metadata: { name: 'calicoversion' }, spec: { name: 'CalicoVersion', value: 'v2.4.1' } },
  ],
  ippools: [{ metadata: { name: '10-123-0-0-16' }, spec: { value: '{"cidr":"10.123.0.0/16","ipip":"tunl0","ipip_mode":"always","masquerade":true,"ipam":true,"disabled":false}' } }],
  globalbgppeers: [{ metadata: { name: '10-123-0-1' }, spec: { asNumber: 64567 } }],
  globalbgpconfigs: [{ metadata: { name: 'asnumber' }, spec: { name: 'AsNumber', value: '64512' } }],
  systemnetworkpolicies: [{ metadata: { name: 'cmtest-allow-dns' }, spec: { order: 100, selector: 'all()', egress: [{ action: 'allow', protocol: 'udp', destination: { ports: [53] } }] } }],
};
const NODES = ['cmtest-node-a', 'cmtest-node-b'];

let server: K8sTestServer | undefined;
let kubeconfig = '';
let kc: KubeConfig;
let useTprs = false;

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function crd(k: (typeof KINDS)[number]): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${k.plural}.${k.group}` },
    spec: {
      group: k.group,
      scope: 'Namespaced',
      names: { plural: k.plural, singular: k.kind.toLowerCase(), kind: k.kind, listKind: `${k.kind}List` },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } }],
    },
  };
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof ApiException && e.code === 404)) throw e;
  }
}

test.before(async () => {
  if (REAL) {
    kubeconfig = process.env['KUBECONFIG'] ?? '';
    if (!kubeconfig || !existsSync(kubeconfig)) throw new Error('npm run test:cluster needs KUBECONFIG pointing at a disposable cluster');
  } else {
    server = await startK8sServer({ gitVersion: 'v1.29.0', tokens: { 'cluster-token': 'admin' }, crdEstablishDelayMs: 300 });
    kubeconfig = join(await mkdtemp(join(tmpdir(), 'calico-migrate-cluster-')), 'config');
    await writeFile(kubeconfig, server.kubeconfig({ token: 'cluster-token' }));
  }
  kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  kc.clusters = kc.clusters.map((c) => (c.server.startsWith('http://') ? { ...c, skipTLSVerify: true } : c));
  const version = await kc.makeApiClient(VersionApi).getCode();
  useTprs = Number(version.minor.replace(/\D/g, '')) < 8 && version.major === '1';
  const custom = kc.makeApiClient(CustomObjectsApi);
  if (useTprs) {
    for (const k of KINDS) {
      await custom.createClusterCustomObject({ group: 'extensions', version: 'v1beta1', plural: 'thirdpartyresources', body: { apiVersion: 'extensions/v1beta1', kind: 'ThirdPartyResource', metadata: { name: `${k.kind.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}.${k.group}` }, versions: [{ name: 'v1' }] } });
    }
  } else {
    const apiext = kc.makeApiClient(ApiextensionsV1Api);
    for (const k of KINDS) await apiext.createCustomResourceDefinition({ body: crd(k) });
    for (const k of KINDS) {
      await waitFor(`CRD ${k.plural}.${k.group} Established`, async () => {
        const c = await apiext.readCustomResourceDefinition({ name: `${k.plural}.${k.group}` });
        return (c.status?.conditions ?? []).some((cond) => cond.type === 'Established' && cond.status === 'True');
      });
    }
  }
  for (const k of KINDS) {
    for (const body of SEED[k.plural] ?? []) {
      await waitFor(`${k.plural} accepting objects`, async () => {
        try {
          await custom.createNamespacedCustomObject({ group: k.group, version: 'v1', namespace: 'kube-system', plural: k.plural, body: { apiVersion: `${k.group}/v1`, kind: k.kind, ...body } });
          return true;
        } catch (e) {
          if (e instanceof ApiException && e.code === 404) return false;
          throw e;
        }
      });
    }
  }
  const core = kc.makeApiClient(CoreV1Api);
  for (const [i, name] of NODES.entries()) {
    await core.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata: { name, annotations: { 'projectcalico.org/IPv4Address': `10.123.${i}.10/24`, ...(i === 0 ? { 'peer.bgp.projectcalico.org/10-123-0-254': '{"ip":"10.123.0.254","as_num":"64600"}' } : {}) } } } });
  }
});

test.after.always(async () => {
  if (!kc) return;
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (const k of KINDS) for (const body of SEED[k.plural] ?? []) {
    const name = (body['metadata'] as { name: string }).name;
    await ignoreNotFound(custom.deleteNamespacedCustomObject({ group: k.group, version: 'v1', namespace: 'kube-system', plural: k.plural, name }));
  }
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of NODES) await ignoreNotFound(core.deleteNode({ name }));
  if (!useTprs) {
    const apiext = kc.makeApiClient(ApiextensionsV1Api);
    for (const k of KINDS) await ignoreNotFound(apiext.deleteCustomResourceDefinition({ name: `${k.plural}.${k.group}` }));
  }
  await server?.stop();
});

const env = () => ({ DATASTORE_TYPE: 'kubernetes', KUBECONFIG: kubeconfig });

test.serial(`cluster (${REAL ? 'real cluster' : 'test server, CRDs standing in for TPRs'}): live conversion converts every seeded record, and equals converting an export`, async (t) => {
  const live = await runCli(['convert', '--to', 'v3.0', '-o', 'json'], REPO_ROOT, env());
  t.not(live.code, 1, live.stderr);
  const list = JSON.parse(live.stdout) as { items: { kind: string; metadata: { name: string } }[] };
  const ids = new Set(list.items.map((o) => `${o.kind}/${o.metadata.name}`));
  for (const id of ['IPPool/10-123-0-0-16', 'BGPPeer/10-123-0-1', 'BGPPeer/cmtest-node-a.10-123-0-254', 'GlobalNetworkPolicy/default.cmtest-allow-dns', 'BGPConfiguration/default', 'FelixConfiguration/default']) {
    t.true(ids.has(id), `${id} is missing from the live conversion`);
  }
  const out = join(await mkdtemp(join(tmpdir(), 'calico-migrate-cluster-export-')), 'dump.json');
  const exported = await runCli(['export', '--out', out], REPO_ROOT, env());
  t.is(exported.code, 0, exported.stderr);
  const fromExport = await runCli(['convert', '--from-file', out, '--to', 'v3.0', '-o', 'json']);
  t.is(fromExport.stdout, live.stdout);
});

test.serial('cluster: detect sees the Calico kinds and the seeded Calico version', async (t) => {
  const run = await runCli(['detect', '-o', 'json'], REPO_ROOT, env());
  t.is(run.code, 0, run.stderr);
  const r = JSON.parse(run.stdout) as { calicoVersion?: string; cluster: { tprKinds: string[]; missingTprKinds: string[] } };
  t.is(r.calicoVersion, 'v2.4.1');
  t.deepEqual(r.cluster.missingTprKinds, []);
  t.is(r.cluster.tprKinds.length, KINDS.length);
});
