/**
 * End-to-end helpers for the CLI against the REAL kube-apiserver (see control-plane.ts): a control
 * plane with the Nodes a fixture needs, a scratch directory with the admin's kubeconfig, the CLI
 * run in-process with that environment, and the real kubectl.
 */
import type { ExecutionContext } from 'ava';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT, runCli, type CliRun } from './cli.js';
import { builtPeers, createNodes, startControlPlane, type ControlPlane } from './control-plane.js';

export interface RealCluster {
  readonly cp: ControlPlane;
  readonly dir: string;
  readonly kubeconfig: string;
  /** What the CLI gets: the admin's kubeconfig; DATASTORE_TYPE=kubernetes unless told otherwise. */
  readonly env: Record<string, string>;
  cli(args: readonly string[], env?: Record<string, string>): Promise<CliRun>;
  kubectl(args: readonly string[], options?: { token?: string; stdin?: string }): ReturnType<ControlPlane['kubectl']>;
  stop(): Promise<void>;
}

/** The Kubernetes Nodes of the bundled Kubernetes-datastore fixture (Calico annotations and all, as on a v2.4 cluster). */
export async function fixtureNodes(options: { calicoAnnotations?: boolean } = {}): Promise<{ metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown }[]> {
  const file = `${REPO_ROOT}/fixtures/sources/kdd-typical/nodes.yaml`;
  const doc = YAML.parse(await readFile(file, 'utf8')) as { items: { metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: { podCIDR?: string } }[] };
  return doc.items.map((n) => {
    // On an etcd-datastore cluster the Nodes carry no Calico annotations yet.
    const annotations = Object.fromEntries(Object.entries(n.metadata.annotations ?? {}).filter(([k]) => options.calicoAnnotations !== false || !k.startsWith('projectcalico.org/')));
    return { metadata: { name: n.metadata.name, ...(n.metadata.labels ? { labels: n.metadata.labels } : {}), annotations }, ...(n.spec?.podCIDR ? { spec: { podCIDR: n.spec.podCIDR } } : {}) };
  });
}

/** The hosts of the bundled etcd fixtures (etcd-typical, etcd-v26) all have these Node names. */
export const ETCD_TYPICAL_NODES = ['k8s-master', 'k8s-node-1', 'k8s-node-2'] as const;

export async function startRealCluster(options: { nodes?: Parameters<typeof createNodes>[1]; datastore?: string } = {}): Promise<RealCluster> {
  const cp = await startControlPlane();
  try {
    await createNodes(cp, options.nodes ?? []);
    const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-real-'));
    const kubeconfig = cp.writeKubeconfig(join(dir, 'kubeconfig'), cp.adminToken);
    const env = { KUBECONFIG: kubeconfig, DATASTORE_TYPE: options.datastore ?? 'kubernetes' };
    return {
      cp,
      dir,
      kubeconfig,
      env,
      cli: (args, extra = {}) => runCli(args, dir, { ...env, ...extra }),
      kubectl: (args, o) => cp.kubectl(args, o),
      stop: async () => {
        await cp.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await cp.stop();
    throw e;
  }
}

/**
 * Calico's own CRD manifests (libcalico-go/config/crd of the pinned calicoctl module), created with
 * kubectl as the Calico manifest installs them, and waited on until Established. `edit` may change
 * a manifest first (to stand for an older or edited one).
 */
export async function installCalicoCrds(t: ExecutionContext, c: RealCluster, edit?: (file: string, crd: Record<string, unknown>) => void): Promise<void> {
  const dir = builtPeers().calicoCrds;
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort()) {
    let file = join(dir, f);
    if (edit) {
      const crd = YAML.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      edit(f, crd);
      file = join(c.dir, f);
      await writeFile(file, YAML.stringify(crd));
    }
    const r = await c.kubectl(['create', '-f', file]);
    t.is(r.code, 0, `${f}: ${r.stderr}`);
  }
  const wait = await c.kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
  t.is(wait.code, 0, wait.stderr);
}
