/**
 * Live reader for the Calico v2.4 Kubernetes datastore, through @kubernetes/client-node: the
 * ThirdPartyResource instances in kube-system (`projectcalico.org/v1` globalconfigs, ippools,
 * globalbgppeers, globalbgpconfigs; `alpha.projectcalico.org/v1` systemnetworkpolicies) and the
 * Nodes, every list paginated with `limit`/`continue`. It also reports what the cluster has: its
 * version, which TPR kinds exist, and whether the v2.5 CRDs already exist and hold data. The
 * objects are written out as one Kubernetes List and decoded like a dump file, so live and
 * offline reads cannot differ. The lists' resourceVersions are the fingerprint.
 */
import { ApiException, ApisApi, CoreV1Api, CustomObjectsApi, KubeConfig, VersionApi } from './client-node.js';
import { existsSync } from 'node:fs';
import { CalicoMigrateError } from '../errors.js';
import { decodeDump, isRecord } from '../input/dump.js';
import type { Issue } from '../model/report.js';
import type { LiveDump } from './etcd-v2.js';
import type { DatastoreSettings } from './settings.js';
import { TPR_KINDS, V25_CRD_PLURALS } from './calico-resources.js';


export { TPR_KINDS, V25_CRD_PLURALS };

export interface ClusterFacts {
  readonly server: string;
  readonly gitVersion: string;
  /** `group/plural` of the TPR kinds the API serves. */
  readonly tprKinds: readonly string[];
  readonly missingTprKinds: readonly string[];
  /** v2.5 CRD plurals that exist, and how many objects each holds (at least; lists stop at one page). */
  readonly v25Crds: Readonly<Record<string, number>>;
}

export interface KubernetesDump extends LiveDump {
  readonly cluster: ClusterFacts;
}

/** What the cluster's state means for a migration, as report issues. */
export function clusterIssues(c: ClusterFacts): Issue[] {
  const issues: Issue[] = [];
  if (c.tprKinds.length === 0) {
    issues.push({ severity: 'warning', code: 'no-calico-tprs', message: `${c.server} (Kubernetes ${c.gitVersion}) serves none of Calico v2.4's ThirdPartyResource kinds`, hint: 'check that this is the cluster running Calico v2.4 with the Kubernetes datastore; Kubernetes 1.8 removed ThirdPartyResources, so their data must be read (or exported) before Kubernetes is upgraded' });
  } else {
    for (const kind of c.missingTprKinds) issues.push({ severity: 'info', code: 'tpr-kind-absent', message: `the cluster serves no ${kind}; there is nothing of that kind to migrate` });
  }
  const filled = Object.entries(c.v25Crds).filter(([, n]) => n > 0).map(([plural]) => plural);
  if (filled.length > 0) {
    issues.push({ severity: 'warning', code: 'v25-crds-hold-data', message: `the v2.5 CRDs ${filled.join(', ')} already hold objects: a migration may already have run (fully or partly)`, hint: 'compare them with this conversion before applying anything; applying would overwrite them' });
  }
  return issues;
}

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

function without<T extends object, K extends keyof T>(o: T, key: K): T {
  return Object.fromEntries(Object.entries(o).filter(([k]) => k !== key)) as T;
}

/**
 * client-node 2.x refuses plain-HTTP servers unless skipTLSVerify is set, although no TLS is
 * involved; Kubernetes 1.7-era clusters often exposed the API over HTTP on a private port.
 */
function allowPlainHttp(kc: KubeConfig): KubeConfig {
  kc.clusters = kc.clusters.map((c) => (c.server.startsWith('http://') ? { ...c, skipTLSVerify: true } : c));
  return reuseConnections(kc);
}

/** The TLS settings client-node builds a dispatcher from (its createDispatcherOptions reads these). */
const DISPATCHER_OPTIONS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

type DispatcherFactory = (cluster: { server?: string; proxyUrl?: string; name?: string } | null, options: Record<string, unknown>) => unknown;

/**
 * client-node 2.x builds a new undici Agent for every request, so every request opens a new TLS
 * connection (a handshake and a new secure context: most of an apply's time, measured). One
 * dispatcher is kept per server and TLS identity, so requests share keep-alive connections as
 * kubectl's do; a changed identity (an exec plugin's new client certificate) gets a new one.
 */
function reuseConnections(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as { createDispatcher: DispatcherFactory };
  if (typeof target.createDispatcher !== 'function') return kc;
  const build = target.createDispatcher.bind(kc);
  const kept = new Map<string, unknown>();
  target.createDispatcher = (cluster, options) => {
    const identity = DISPATCHER_OPTIONS.map((k) => {
      const v = options[k];
      return Buffer.isBuffer(v) ? v.toString('base64') : v;
    });
    const key = JSON.stringify([cluster?.server, cluster?.proxyUrl, identity]);
    if (kept.has(key)) return kept.get(key);
    if (kept.size >= 8) kept.clear();
    const dispatcher = build(cluster, options);
    kept.set(key, dispatcher);
    return dispatcher;
  };
  return kc;
}

/** Builds the client configuration from the resolved settings. */
export function kubeConfigFor(settings: DatastoreSettings, env: Readonly<Record<string, string | undefined>> = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (settings.kubeconfig) {
    if (!existsSync(settings.kubeconfig)) throw new CalicoMigrateError('E_USAGE', `kubeconfig ${settings.kubeconfig}: no such file`);
    kc.loadFromFile(settings.kubeconfig);
    // Embedded data wins over a file in client-node, so a file override drops the embedded value.
    const cluster0 = kc.getCurrentCluster();
    const user0 = kc.getCurrentUser();
    if (cluster0 && settings.k8sCAFile) kc.clusters = kc.clusters.map((c) => (c.name === cluster0.name ? without(c, 'caData') : c));
    if (user0 && settings.k8sCertFile) kc.users = kc.users.map((u) => (u.name === user0.name ? without(u, 'certData') : u));
    if (user0 && settings.k8sKeyFile) kc.users = kc.users.map((u) => (u.name === user0.name ? without(u, 'keyData') : u));
    // As calicoctl does, explicit K8S_* settings override the kubeconfig's current cluster and user.
    const cluster = kc.getCurrentCluster();
    const user = kc.getCurrentUser();
    if (cluster) {
      kc.clusters = kc.clusters.map((c) =>
        c.name === cluster.name
          ? {
              ...c,
              ...(settings.k8sAPIEndpoint ? { server: settings.k8sAPIEndpoint } : {}),
              ...(settings.k8sCAFile ? { caFile: settings.k8sCAFile } : {}),
              ...(settings.k8sInsecureSkipTLSVerify !== undefined ? { skipTLSVerify: settings.k8sInsecureSkipTLSVerify } : {}),
            }
          : c,
      );
    }
    if (user && (settings.k8sToken || settings.k8sCertFile || settings.k8sKeyFile)) {
      kc.users = kc.users.map((u) =>
        u.name === user.name
          ? {
              ...u,
              ...(settings.k8sToken ? { token: settings.k8sToken } : {}),
              ...(settings.k8sCertFile ? { certFile: settings.k8sCertFile } : {}),
              ...(settings.k8sKeyFile ? { keyFile: settings.k8sKeyFile } : {}),
            }
          : u,
      );
    }
    return allowPlainHttp(kc);
  }
  if (settings.k8sAPIEndpoint) {
    kc.loadFromOptions({
      clusters: [{ name: 'calico-migrate', server: settings.k8sAPIEndpoint, ...(settings.k8sCAFile ? { caFile: settings.k8sCAFile } : {}), skipTLSVerify: settings.k8sInsecureSkipTLSVerify ?? false }],
      users: [{ name: 'calico-migrate', ...(settings.k8sToken ? { token: settings.k8sToken } : {}), ...(settings.k8sCertFile ? { certFile: settings.k8sCertFile } : {}), ...(settings.k8sKeyFile ? { keyFile: settings.k8sKeyFile } : {}) }],
      contexts: [{ name: 'calico-migrate', cluster: 'calico-migrate', user: 'calico-migrate' }],
      currentContext: 'calico-migrate',
    });
    return allowPlainHttp(kc);
  }
  if (env['KUBERNETES_SERVICE_HOST'] && existsSync(SA_TOKEN)) {
    kc.loadFromCluster();
    return reuseConnections(kc);
  }
  kc.loadFromDefault();
  allowPlainHttp(kc);
  if (!kc.getCurrentCluster()) {
    throw new CalicoMigrateError('E_USAGE', 'no Kubernetes API to talk to: set KUBECONFIG or --kubeconfig, or K8S_API_ENDPOINT, or run inside a pod with a service account');
  }
  return kc;
}

/** The status body of an ApiException (client-node gives it as JSON text). */
export function statusOf(e: ApiException<unknown>): { reason?: string; message?: string } {
  let b: unknown = e.body;
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b);
    } catch {
      return {};
    }
  }
  return isRecord(b) ? { ...(typeof b['reason'] === 'string' ? { reason: b['reason'] } : {}), ...(typeof b['message'] === 'string' ? { message: b['message'] } : {}) } : {};
}

const RETRYABLE = new Set([429, 500, 503, 504]);
const DEFAULT_TIMEOUT_MS = 30_000;

/** No answer in time: the request is abandoned (client-node 2 sets no timeout of its own). */
export class DeadlineError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms / 1000} s`);
    this.name = 'DeadlineError';
  }
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
    timer.unref();
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
const MAX_ATTEMPTS = 4;

/** Seconds from a Retry-After header, when the answer carried one. */
function retryAfter(e: ApiException<unknown>): number | undefined {
  const h = e.headers as Record<string, string | undefined> | undefined;
  const v = h?.['retry-after'] ?? h?.['Retry-After'];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/**
 * Runs a read, retrying throttling (429) and transient server errors (500, 503, 504) up to
 * MAX_ATTEMPTS times, waiting Retry-After when the server names it (at most 10 s), else 250 ms
 * doubling. Reads are idempotent, so a retry never changes what is read.
 */
export async function retried<T>(call: () => Promise<T>, sleep: (ms: number) => Promise<void>, timeoutMs: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withDeadline(call(), timeoutMs);
    } catch (e) {
      if (!(e instanceof ApiException) || !RETRYABLE.has(e.code) || attempt >= MAX_ATTEMPTS) throw e;
      const seconds = retryAfter(e);
      await sleep(seconds !== undefined ? Math.min(seconds, 10) * 1000 : 250 * 2 ** (attempt - 1));
    }
  }
}

/**
 * What went wrong with a request that got no answer: the system's error code and message when
 * there is one (ECONNREFUSED, ENOTFOUND, a TLS code), else the error with what caused it. fetch
 * says only "fetch failed" and keeps the reason (such as "bad port": fetch refuses ports like
 * 6000 or 10080) in its cause.
 */
export function networkDetail(e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}: ${cause.message ?? ''}`;
  return cause?.message && cause.message !== err.message ? `${err.message}: ${cause.message}` : err.message;
}

/** Maps a failed call to an operator-facing error naming the verb and resource. */
function failure(e: unknown, server: string, verb: string, resource: string): CalicoMigrateError {
  if (e instanceof ApiException) {
    const s = statusOf(e);
    if (e.code === 401) return new CalicoMigrateError('E_SOURCE_AUTH', `${server} refused the credentials (401 Unauthorized) when trying to ${verb} ${resource}; check the token or client certificate`, { cause: e });
    if (e.code === 403) {
      return new CalicoMigrateError('E_SOURCE_FORBIDDEN', `${server} forbids ${verb} on ${resource} (403${s.message ? `: ${s.message}` : ''}); grant the account RBAC permission to ${verb} ${resource}`, { cause: e });
    }
    return new CalicoMigrateError('E_SOURCE_PROTOCOL', `${server} answered ${e.code}${s.reason ? ` ${s.reason}` : ''} to ${verb} ${resource}${s.message ? `: ${s.message}` : ''}`, { cause: e });
  }
  const detail = networkDetail(e);
  if (e instanceof DeadlineError) {
    return new CalicoMigrateError('E_SOURCE_UNREACHABLE', `the Kubernetes API at ${server} gave ${e.message} to ${verb} ${resource}`, { cause: e });
  }
  if (/CERT|SSL|TLS|SELF_SIGNED|VERIFY/i.test(detail)) {
    return new CalicoMigrateError('E_SOURCE_TLS', `TLS with ${server} failed (${detail}); check K8S_CA_FILE, K8S_CERT_FILE and K8S_KEY_FILE, or the kubeconfig`, { cause: e });
  }
  return new CalicoMigrateError('E_SOURCE_UNREACHABLE', `cannot reach the Kubernetes API at ${server} (${detail})`, { cause: e });
}

interface ListPage {
  readonly items: readonly unknown[];
  readonly metadata?: { readonly _continue?: string; readonly continue?: string; readonly resourceVersion?: string } | undefined;
}

/** Reads every page of a list; returns the items and the first page's resourceVersion. */
async function listAll(fetchPage: (cont: string | undefined) => Promise<ListPage>): Promise<{ items: unknown[]; resourceVersion: string }> {
  const items: unknown[] = [];
  let cont: string | undefined;
  let resourceVersion = '';
  do {
    const page = await fetchPage(cont);
    for (const item of page.items) items.push(item);
    resourceVersion ||= page.metadata?.resourceVersion ?? '';
    cont = page.metadata?._continue ?? page.metadata?.continue;
  } while (cont);
  return { items, resourceVersion };
}

function asPage(v: unknown): ListPage {
  if (!isRecord(v) || !Array.isArray(v['items'])) throw new Error('list answer has no items');
  const meta = isRecord(v['metadata']) ? v['metadata'] : {};
  const cont = typeof meta['continue'] === 'string' ? meta['continue'] : undefined;
  const rv = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : undefined;
  return { items: v['items'], metadata: { ...(cont ? { continue: cont } : {}), ...(rv ? { resourceVersion: rv } : {}) } };
}

export async function readKubernetes(settings: DatastoreSettings, options: { pageSize?: number; env?: Readonly<Record<string, string | undefined>>; requestTimeoutMs?: number } = {}): Promise<KubernetesDump> {
  const kc = kubeConfigFor(settings, options.env);
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  const withRetries = <T>(call: () => Promise<T>) => retried(call, sleep, options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS);
  const server = kc.getCurrentCluster()?.server ?? '(unknown server)';
  const limit = options.pageSize ?? 500;
  const version = await withRetries(() => kc.makeApiClient(VersionApi).getCode()).catch((e: unknown) => {
    throw failure(e, server, 'get', '/version');
  });
  const groups = await withRetries(() => kc.makeApiClient(ApisApi).getAPIVersions()).catch((e: unknown) => {
    throw failure(e, server, 'get', '/apis (discovery)');
  });
  const served = new Set(groups.groups.map((g) => g.name));
  const custom = kc.makeApiClient(CustomObjectsApi);
  const items: unknown[] = [];
  const fingerprint: Record<string, string> = { source: 'kubernetes', server, gitVersion: version.gitVersion };
  const tprKinds: string[] = [];
  const missing: string[] = [];
  for (const t of TPR_KINDS) {
    const resource = `${t.plural}.${t.group}`;
    if (!served.has(t.group)) {
      missing.push(resource);
      continue;
    }
    let listed: { items: unknown[]; resourceVersion: string };
    try {
      listed = await listAll(async (cont) => asPage(await withRetries(() => custom.listNamespacedCustomObject({ group: t.group, version: 'v1', namespace: 'kube-system', plural: t.plural, limit, ...(cont ? { _continue: cont } : {}) }))));
    } catch (e) {
      if (e instanceof ApiException && e.code === 404) {
        missing.push(resource);
        continue;
      }
      throw failure(e, server, 'list', `${resource} in namespace kube-system`);
    }
    tprKinds.push(resource);
    fingerprint[resource] = listed.resourceVersion;
    for (const item of listed.items) items.push(isRecord(item) ? { apiVersion: `${t.group}/v1`, kind: t.kind, ...item } : item);
  }
  const core = kc.makeApiClient(CoreV1Api);
  let nodes: { items: unknown[]; resourceVersion: string };
  try {
    nodes = await listAll(async (cont) => {
      const page = await withRetries(() => core.listNode({ limit, ...(cont ? { _continue: cont } : {}) }));
      return { items: page.items, metadata: page.metadata };
    });
  } catch (e) {
    throw failure(e, server, 'list', 'nodes');
  }
  fingerprint['nodes'] = nodes.resourceVersion;
  for (const node of nodes.items) items.push({ apiVersion: 'v1', kind: 'Node', ...(JSON.parse(JSON.stringify(node)) as Record<string, unknown>) });

  const v25Crds: Record<string, number> = {};
  if (served.has('crd.projectcalico.org')) {
    for (const plural of V25_CRD_PLURALS) {
      try {
        const page = asPage(await withRetries(() => custom.listClusterCustomObject({ group: 'crd.projectcalico.org', version: 'v1', plural, limit: 1 })));
        v25Crds[plural] = page.items.length;
      } catch (e) {
        if (!(e instanceof ApiException && e.code === 404)) throw failure(e, server, 'list', `${plural}.crd.projectcalico.org`);
      }
    }
  }
  const text = `${JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items })}\n`;
  const dump = decodeDump(`kubernetes ${server}`, text, 'kubernetes');
  return { dump, text, fingerprint, cluster: { server, gitVersion: version.gitVersion, tprKinds, missingTprKinds: missing, v25Crds } };
}
