/**
 * The Kubernetes client the planning and writing stages use: one small surface over
 * @kubernetes/client-node for every resource the tool touches (Calico CRs, CRDs in
 * `apiextensions.k8s.io/v1` or `v1beta1`, Nodes, Leases, ConfigMaps, DaemonSets,
 * SelfSubjectAccessReviews), with the retry, deadline and error policy in one place.
 *
 * - Custom and non-core resources go through CustomObjectsApi, which passes bodies through
 *   untouched (the typed serializer would drop fields it does not know, such as `spec.version` of
 *   a v1beta1 CRD). Core resources (Nodes, ConfigMaps) use CoreV1Api.
 * - 429 and 500/503/504 are retried up to four times, honouring `Retry-After` (at most 10 s), else
 *   with a doubling backoff. A retried write may already have been applied by the first attempt;
 *   the caller sees that as 409 AlreadyExists/Conflict and re-reads, never overwrites blindly.
 * - Every failure becomes a `KubeApiError` carrying the HTTP status, the Status `reason` and
 *   `message`, and the verb and resource it was about, so messages can name what was refused.
 */
import {
  ApiException,
  ApisApi,
  AuthorizationV1Api,
  CoreApi,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  VersionApi,
  setHeaderOptions,
  type KubeConfig,
} from './client-node.js';
import { request, type Dispatcher } from 'undici';
import { CalicoMigrateError } from '../errors.js';
import { apiVersionOf, isNotFound, KubeApiError, resourceName, type KubeObject, type ResourceType, type WriteOptions } from './kube-api.js';
import { isRecord } from '../input/dump.js';
import { DeadlineError, kubeConfigFor, networkDetail, retried, statusOf } from './kubernetes.js';
import type { DatastoreSettings } from './settings.js';

export { apiVersionOf, isConflict, isNotFound, KubeApiError, resourceName, type KubeObject, type ResourceType, type WriteOptions } from './kube-api.js';

function describe(t: ResourceType, name?: string, namespace?: string): string {
  return `${resourceName(t)}${name ? ` ${JSON.stringify(name)}` : ''}${namespace ? ` in namespace ${namespace}` : ''}`;
}

/** An object of a JSON answer, checked to have metadata. */
function asObject(o: unknown): KubeObject {
  if (!isRecord(o) || !isRecord(o['metadata'])) throw new Error('the API answered an object without metadata');
  return o as unknown as KubeObject;
}

/** The request path of a resource type, or of one object of it. */
function pathOf(t: ResourceType, namespace?: string, name?: string): string {
  const base = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  return `${base}${t.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${t.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Plain JSON of a typed client-node model (dates become strings, class instances plain objects). */
function plain(v: unknown): KubeObject {
  const o: unknown = JSON.parse(JSON.stringify(v));
  if (!isRecord(o) || !isRecord(o['metadata'])) throw new Error('the API answered an object without metadata');
  return o as unknown as KubeObject;
}

export interface KubeClientOptions {
  /** Per-request deadline (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Page size of lists (default 500). */
  readonly pageSize?: number;
  /** How to wait between retries (tests may shorten it). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Sent as `fieldManager` on writes. */
  readonly fieldManager?: string;
}

/** The client. Build it with `KubeClient.fromSettings` or from a KubeConfig. */
export class KubeClient {
  readonly server: string;
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly kc: KubeConfig;
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  private readonly sleep: (ms: number) => Promise<void>;
  readonly fieldManager: string;

  constructor(kc: KubeConfig, options: KubeClientOptions = {}) {
    this.kc = kc;
    this.server = kc.getCurrentCluster()?.server ?? '(unknown server)';
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.pageSize = options.pageSize ?? 500;
    this.sleep = options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
    this.fieldManager = options.fieldManager ?? 'calico-migrate';
  }

  static fromSettings(settings: DatastoreSettings, env?: Readonly<Record<string, string | undefined>>, options: KubeClientOptions = {}): KubeClient {
    return new KubeClient(kubeConfigFor(settings, env), options);
  }

  /**
   * One JSON request straight over undici, for the custom resources the tool writes and reads in
   * bulk: the authentication and the (kept) connection are client-node's own, taken from the
   * kubeconfig exactly as its API classes take them, but without their per-request object model
   * and WHATWG streams, which cost more CPU than the request itself. A non-2xx answer throws the
   * same ApiException the API classes throw, so retries and error messages are the same.
   */
  private async raw(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, query: Readonly<Record<string, string | number | undefined>>, body?: unknown, contentType = 'application/json'): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    let dispatcher: Dispatcher | undefined;
    const context = { setHeaderParam: (k: string, v: string) => void (headers[k] = v), setDispatcher: (d: Dispatcher) => void (dispatcher = d) };
    await this.kc.applySecurityAuthentication(context as never);
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = contentType;
    // reset: false keeps the connection after a DELETE with a body (DeleteOptions, as client-go sends
    // them); undici would otherwise close it after every such request, and rollback would open one per object.
    const res = await request(`${this.server.replace(/\/$/, '')}${path}${qs ? `?${qs}` : ''}`, { method, headers, reset: false, ...(payload !== undefined ? { body: payload } : {}), ...(dispatcher ? { dispatcher } : {}) });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const h: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
      throw new ApiException(res.statusCode, `${method} ${path}`, text, h);
    }
    return JSON.parse(text) as unknown;
  }

  /** Runs a call with retries and a deadline; failures become KubeApiError or CalicoMigrateError. */
  private async call<T>(verb: string, resource: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await retried(fn, this.sleep, this.timeoutMs);
    } catch (e) {
      throw this.failure(e, verb, resource);
    }
  }

  private failure(e: unknown, verb: string, resource: string): Error {
    if (e instanceof ApiException) {
      const s = statusOf(e);
      return new KubeApiError(e.code, verb, resource, s.reason, s.message, { cause: e, server: this.server });
    }
    if (e instanceof DeadlineError) {
      return new CalicoMigrateError('E_TARGET_UNREACHABLE', `the Kubernetes API at ${this.server} gave ${e.message} to ${verb} ${resource}`, { cause: e });
    }
    const detail = networkDetail(e);
    if (/CERT|SSL|TLS|SELF_SIGNED|VERIFY/i.test(detail)) {
      return new CalicoMigrateError('E_TARGET_UNREACHABLE', `TLS with ${this.server} failed (${detail}); check the kubeconfig or K8S_CA_FILE, K8S_CERT_FILE and K8S_KEY_FILE`, { cause: e });
    }
    return new CalicoMigrateError('E_TARGET_UNREACHABLE', `cannot reach the Kubernetes API at ${this.server} to ${verb} ${resource} (${detail})`, { cause: e });
  }

  /** `/version`: gitVersion plus the numeric minor version (e.g. 7 for v1.7.16). */
  async version(): Promise<{ gitVersion: string; major: number; minor: number }> {
    const v = await this.call('get', '/version', () => this.kc.makeApiClient(VersionApi).getCode());
    const m = /^v?(\d+)\.(\d+)/.exec(v.gitVersion);
    return { gitVersion: v.gitVersion, major: m ? Number(m[1]) : Number(v.major), minor: m ? Number(m[2]) : Number.parseInt(v.minor, 10) };
  }

  /** API groups the server serves, each with its versions. */
  async groups(): Promise<ReadonlyMap<string, readonly string[]>> {
    const g = await this.call('get', '/apis (discovery)', () => this.kc.makeApiClient(ApisApi).getAPIVersions());
    const core = await this.call('get', '/api (discovery)', () => this.kc.makeApiClient(CoreApi).getAPIVersions());
    const map = new Map<string, readonly string[]>([['', core.versions]]);
    for (const group of g.groups) map.set(group.name, group.versions.map((v) => v.version));
    return map;
  }

  /**
   * Discovery of one non-core group/version: the resource names it serves (subresources included,
   * e.g. `daemonsets/status`). Needed where a group version outlives one of its resources, such as
   * `extensions/v1beta1` losing `thirdpartyresources` in 1.8. Every authenticated user may read it.
   */
  async resources(group: string, version: string): Promise<readonly string[]> {
    const list = await this.call('get', `/apis/${group}/${version} (discovery)`, () => this.custom.getAPIResources({ group, version }));
    return list.resources.map((r) => r.name);
  }

  async get(t: ResourceType, name: string, namespace?: string): Promise<KubeObject | undefined> {
    try {
      if (t.group === '') return plain(await this.call('get', describe(t, name, namespace), () => this.coreGet(t, name, namespace)));
      const obj: unknown = await this.call('get', describe(t, name, namespace), () => this.raw('GET', pathOf(t, namespace, name), {}));
      return withKind(t, asObject(obj));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /**
   * Every object of a type (all pages); `resourceVersion` is the list's. A type the server does not
   * serve (404) throws; callers decide whether that means "none".
   */
  async list(t: ResourceType, opts: { namespace?: string; labelSelector?: string } = {}): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    const what = describe(t, undefined, opts.namespace);
    do {
      const page = await this.call('list', what, () => this.listPage(t, opts, cont));
      for (const item of page.items) items.push(decoded(t, item));
      resourceVersion ||= page.resourceVersion;
      cont = page.continue;
    } while (cont);
    return { items, resourceVersion };
  }

  private async listPage(t: ResourceType, opts: { namespace?: string; labelSelector?: string }, cont: string | undefined): Promise<{ items: unknown[]; resourceVersion: string; continue?: string }> {
    const common = { limit: this.pageSize, ...(cont ? { _continue: cont } : {}), ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}) };
    let raw: unknown;
    if (t.group === '' && t.plural === 'nodes') raw = JSON.parse(JSON.stringify(await this.core.listNode(common)));
    else if (t.group === '' && t.plural === 'configmaps' && opts.namespace) raw = JSON.parse(JSON.stringify(await this.core.listNamespacedConfigMap({ namespace: opts.namespace, ...common })));
    else if (t.group === '' && t.plural === 'secrets' && opts.namespace) raw = JSON.parse(JSON.stringify(await this.core.listNamespacedSecret({ namespace: opts.namespace, ...common })));
    else if (t.group === '') throw new Error(`listing core ${t.plural} is not supported`);
    else raw = await this.raw('GET', pathOf(t, opts.namespace), { limit: this.pageSize, continue: cont, labelSelector: opts.labelSelector });
    if (!isRecord(raw) || !Array.isArray(raw['items'])) throw new Error('list answer has no items');
    const meta = isRecord(raw['metadata']) ? raw['metadata'] : {};
    const next = typeof meta['continue'] === 'string' && meta['continue'] !== '' ? meta['continue'] : typeof meta['_continue'] === 'string' && meta['_continue'] !== '' ? meta['_continue'] : undefined;
    return { items: raw['items'], resourceVersion: typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : '', ...(next ? { continue: next } : {}) };
  }

  async create(t: ResourceType, body: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const namespace = body.metadata.namespace;
    const common = { ...(opts.dryRun ? { dryRun: 'All' } : {}), fieldManager: this.fieldManager };
    const out: unknown = await this.call('create', describe(t, body.metadata.name, namespace), () => {
      if (t.group === '' && t.plural === 'configmaps' && namespace) return this.core.createNamespacedConfigMap({ namespace, body: body as never, ...common });
      if (t.group === '' && t.plural === 'secrets' && namespace) return this.core.createNamespacedSecret({ namespace, body: body as never, ...common });
      if (t.group === '' && t.plural === 'namespaces') return this.core.createNamespace({ body: body as never, ...common });
      if (t.group === '') throw new Error(`creating core ${t.plural} is not supported`);
      return this.raw('POST', pathOf(t, namespace), common, body);
    });
    return decoded(t, out);
  }

  /** PUT: the body must carry `metadata.resourceVersion` (a stale one is a 409 Conflict). */
  async replace(t: ResourceType, body: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const { name, namespace } = body.metadata;
    const common = { ...(opts.dryRun ? { dryRun: 'All' } : {}), fieldManager: this.fieldManager };
    const out: unknown = await this.call('update', describe(t, name, namespace), () => {
      if (t.group === '' && t.plural === 'configmaps' && namespace) return this.core.replaceNamespacedConfigMap({ name, namespace, body: body as never, ...common });
      if (t.group === '') throw new Error(`replacing core ${t.plural} is not supported`);
      return this.raw('PUT', pathOf(t, namespace, name), common, body);
    });
    return decoded(t, out);
  }

  /**
   * JSON merge patch (RFC 7386: `null` deletes a key). Put `metadata.resourceVersion` in the patch
   * to make it conditional: the server answers 409 Conflict when the object moved on.
   */
  async mergePatch(t: ResourceType, name: string, patch: Readonly<Record<string, unknown>>, opts: WriteOptions & { namespace?: string } = {}): Promise<KubeObject> {
    const header = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const common = { ...(opts.dryRun ? { dryRun: 'All' } : {}), fieldManager: this.fieldManager };
    const ns = opts.namespace;
    const out: unknown = await this.call('patch', describe(t, name, ns), () => {
      if (t.group === '' && t.plural === 'nodes') return this.core.patchNode({ name, body: patch, ...common }, header);
      if (t.group === '' && t.plural === 'configmaps' && ns) return this.core.patchNamespacedConfigMap({ name, namespace: ns, body: patch, ...common }, header);
      if (t.group === '') throw new Error(`patching core ${t.plural} is not supported`);
      return this.raw('PATCH', pathOf(t, ns, name), common, patch, 'application/merge-patch+json');
    });
    return decoded(t, out);
  }

  /** DELETE, optionally only if the object is still at `resourceVersion` (else 409). */
  async delete(t: ResourceType, name: string, opts: WriteOptions & { namespace?: string; resourceVersion?: string } = {}): Promise<void> {
    const ns = opts.namespace;
    const body = opts.resourceVersion ? { preconditions: { resourceVersion: opts.resourceVersion } } : undefined;
    const common = { ...(opts.dryRun ? { dryRun: 'All' } : {}), ...(body ? { body } : {}) };
    await this.call('delete', describe(t, name, ns), () => {
      if (t.group === '' && t.plural === 'configmaps' && ns) return this.core.deleteNamespacedConfigMap({ name, namespace: ns, ...common });
      if (t.group === '' && t.plural === 'secrets' && ns) return this.core.deleteNamespacedSecret({ name, namespace: ns, ...common });
      if (t.group === '') throw new Error(`deleting core ${t.plural} is not supported`);
      return this.raw('DELETE', pathOf(t, ns, name), { ...(opts.dryRun ? { dryRun: 'All' } : {}) }, body);
    });
  }

  /** SelfSubjectAccessReview: may the caller do `verb` on the resource? */
  async canI(a: { verb: string; group: string; resource: string; namespace?: string; name?: string }): Promise<{ allowed: boolean; reason?: string }> {
    const api = this.kc.makeApiClient(AuthorizationV1Api);
    const review = await this.call('create', 'selfsubjectaccessreviews.authorization.k8s.io', () =>
      api.createSelfSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { verb: a.verb, group: a.group, resource: a.resource, ...(a.namespace ? { namespace: a.namespace } : {}), ...(a.name ? { name: a.name } : {}) } },
        },
      }),
    );
    return { allowed: review.status?.allowed === true, ...(review.status?.reason ? { reason: review.status.reason } : {}) };
  }

  private coreGet(t: ResourceType, name: string, namespace?: string): Promise<unknown> {
    if (t.plural === 'nodes') return this.core.readNode({ name });
    if (t.plural === 'configmaps' && namespace) return this.core.readNamespacedConfigMap({ name, namespace });
    if (t.plural === 'namespaces') return this.core.readNamespace({ name });
    if (t.plural === 'secrets' && namespace) return this.core.readNamespacedSecret({ name, namespace });
    throw new Error(`reading core ${t.plural} is not supported`);
  }
}

/** Lists of custom objects carry kind/apiVersion per item, core lists do not: fill them in. */
/** An answer as an object of its type: core answers come as client-node models, custom ones as raw JSON. */
function decoded(t: ResourceType, answer: unknown): KubeObject {
  return withKind(t, t.group === '' ? plain(answer) : asObject(answer));
}

function withKind(t: ResourceType, o: KubeObject): KubeObject {
  return { ...o, apiVersion: o.apiVersion ?? apiVersionOf(t), kind: o.kind ?? t.kind };
}
