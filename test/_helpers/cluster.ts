/**
 * End-to-end helpers for plan/apply/rollback against the Kubernetes API test server: a server
 * seeded like a cluster, a working directory with a kubeconfig, the CLI run in-process with that
 * environment, and the real kubectl.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startK8sServer, type K8sServerOptions, type K8sTestServer } from '../k8s-server/index.js';
import { REPO_ROOT, runCli, type CliRun } from './cli.js';
import type { CliIo } from '../../src/cli/io.js';

export const KDD_FILES = ['tprs', 'systemnetworkpolicies', 'nodes'].map((n) => `${REPO_ROOT}/fixtures/sources/kdd-typical/${n}.yaml`);
export const ETCD_TYPICAL = `${REPO_ROOT}/fixtures/sources/etcd-typical/etcd-v2.json`;
export const TOKEN = 'operator-token';

export interface Cluster {
  readonly server: K8sTestServer;
  readonly dir: string;
  readonly kubeconfig: string;
  /** The environment the CLI gets: the kubeconfig (and a Kubernetes datastore source unless told otherwise). */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/** A TLS test server (so the real kubectl sends the token), seeded with `files`, and a scratch directory. */
export async function startCluster(options: K8sServerOptions & { files?: readonly string[]; datastore?: 'kubernetes' | 'etcdv2' } = {}): Promise<Cluster> {
  const { files = [], datastore = 'kubernetes', ...serverOptions } = options;
  const server = await startK8sServer({ tls: true, tokens: { [TOKEN]: { user: 'operator', groups: ['system:masters'] } }, crdNamesAcceptedDelayMs: 20, crdEstablishDelayMs: 50, ...serverOptions });
  for (const f of files) await server.seedFile(f);
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-e2e-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, server.kubeconfig({ token: TOKEN }), { mode: 0o600 });
  return {
    server,
    dir,
    kubeconfig,
    env: { KUBECONFIG: kubeconfig, DATASTORE_TYPE: datastore },
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The CLI in-process, in the cluster's directory, with its environment. */
export function cli(c: Cluster, args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, c.dir, { ...c.env, ...env });
}

/** The CLI in-process with a terminal made of streams (for prompts). */
export async function cliWithTerminal(c: Cluster, args: readonly string[], terminal: NonNullable<CliIo['interactive']>, env: Record<string, string> = {}): Promise<CliRun> {
  const { main } = await import('../../src/cli/main.js');
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: c.dir, env: { ...c.env, ...env }, defaultConfigPath: '/nonexistent/calicoctl.cfg', interactive: terminal });
  return { code, stdout, stderr };
}

/** The real kubectl against the cluster. */
export function kubectl(c: Cluster, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: c.dir, KUBECONFIG: c.kubeconfig };
    execFile('kubectl', [...args, '--cache-dir', join(c.dir, 'kubectl-cache')], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Requests that changed something (not GET, and not the lock's own writes when `lock` is false). */
export function writes(server: K8sTestServer, options: { lock?: boolean } = {}): string[] {
  return server.requests
    .filter((r) => r.method !== 'GET' && !r.path.includes('selfsubjectaccessreviews'))
    .filter((r) => options.lock !== false || !(r.path.includes('/leases') || r.path.includes('/configmaps')))
    .map((r) => `${r.method} ${r.path}${r.query ? `?${r.query}` : ''}`);
}
