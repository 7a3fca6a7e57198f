/**
 * The Kubernetes API test server: HTTP or HTTPS on 127.0.0.1, authentication, authorization,
 * fault injection, a request log, discovery and the resource handlers.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { authenticate, authorize, forbiddenError, type AuthOptions, type Policy, type TokenIdentity } from './auth.js';
import type { ApiRequest, Core } from './core.js';
import { FaultTable, type FaultHandle, type FaultSpec } from './faults.js';
import { isObj, nowSeconds, objAt, strAt, type Obj } from './json.js';
import { kubeconfigYaml, type KubeconfigOptions } from './kubeconfig.js';
import { Registry } from './registry.js';
import { parseRequestInfo } from './request-info.js';
import { featuresFor, storageKey, type Features, type HookContext, type ResourceDef } from './resources.js';
import { acceptsJson, mediaType, sendError } from './respond.js';
import { faultError, serveNonResource, serveResource, type RouteContext } from './routes.js';
import { readSeedFile, seedObjects, type SeedResult } from './seed.js';
import { notAcceptable, unauthorized } from './status.js';
import { Store } from './store.js';
import { createTestPki, type CertPair, type TestPki } from './tls.js';

/** Options of {@link startK8sServer}. Every field is optional. */
export interface K8sServerOptions {
  /** Serve HTTPS with a CA and server certificate generated at start (default false: plain HTTP). */
  tls?: boolean;
  /** Port on 127.0.0.1 (default 0, which picks a free port). */
  port?: number;
  /** The emulated `gitVersion` (default `v1.33.0`). Below 1.8 ThirdPartyResources are served. */
  gitVersion?: string;
  /** Bearer token → user (or `{ user, groups }`). Default: none. */
  tokens?: Record<string, TokenIdentity>;
  /** Accept requests without credentials as `system:anonymous` (default false: 401). */
  anonymous?: boolean;
  /** Authorization policy (default `'allow-all'`). */
  policy?: Policy;
  /** Delay before a new CRD's names are accepted and its resource paths answer (default 100 ms). */
  crdNamesAcceptedDelayMs?: number;
  /** Delay from CRD creation to `Established=True` and discovery (default 200 ms; never before names are accepted). */
  crdEstablishDelayMs?: number;
  /** Delay before a deleted CRD or Namespace is cleaned up and gone (default 50 ms). */
  cleanupDelayMs?: number;
  /** Simulated kubelet heartbeats: every Node's status changes this often (default 0: off). */
  nodeHeartbeatMs?: number;
  /** Serve `/openapi/v3` (default true); kubectl 1.29+ `apply` needs it unless `--validate=false`. */
  openapi?: boolean;
  /** Objects to seed before the server starts answering. */
  seed?: unknown[];
}

/** One request as the server saw it. */
export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  /** Raw query string without `?`. */
  query: string;
  /** Parsed query parameters (last value wins). */
  params: Record<string, string>;
  /** Media type of the body, without parameters ('' when none). */
  contentType: string;
  /** Authenticated user name, or undefined when authentication failed. */
  user: string | undefined;
  userAgent: string | undefined;
  /** Response status (set when the response finishes; undefined for dropped connections). */
  status?: number;
  /** The injected fault that answered or delayed the request, if any. */
  fault?: string;
}

/** Read access to the server's stored state, and simulated cluster events. */
export interface ServerState {
  /** The current store revision. */
  readonly revision: number;
  /** A stored object in its stored form (CRDs as v1), or undefined. */
  get(apiVersion: string, kind: string, name: string, namespace?: string): Obj | undefined;
  /** Stored objects of a kind (all namespaces unless one is given). */
  list(apiVersion: string, kind: string, namespace?: string): Obj[];
  /** Compacts history after a simulated write: every outstanding continue token then answers 410 Expired. */
  compact(): void;
  /** A kubelet heartbeat: bumps the `Ready` condition time (and resourceVersion) of one or every Node. */
  heartbeat(nodeName?: string): void;
  /** True once a CRD's `Established` condition is `True`. */
  crdEstablished(name: string): boolean;
}

/** A running test server. */
export interface K8sTestServer {
  /** `http://127.0.0.1:<port>` or `https://…`. */
  readonly url: string;
  readonly port: number;
  /** CA certificate (PEM) for HTTPS servers. */
  readonly ca: string | undefined;
  /** Path of the CA certificate file for HTTPS servers. */
  readonly caFile: string | undefined;
  /** Version-dependent features in effect. */
  readonly features: Features;
  /** The request log (live; oldest first). */
  readonly requests: readonly RequestLogEntry[];
  readonly state: ServerState;
  /** Stops listening, closes connections and timers, removes generated files. */
  stop(): Promise<void>;
  /** Seeds objects (Lists expanded; TPR/CRD definitions and namespaces created as needed). */
  seed(objects: unknown[]): SeedResult;
  /** Seeds the objects of a YAML/JSON file. */
  seedFile(path: string): Promise<SeedResult>;
  setPolicy(policy: Policy): void;
  /** Adds (or replaces) a bearer token. */
  addToken(token: string, identity: TokenIdentity): void;
  injectFault(spec: FaultSpec): FaultHandle;
  clearFaults(): void;
  clearRequests(): void;
  /** Issues a client certificate (CN = user, O = groups) signed by the server's CA (HTTPS only). */
  issueClientCert(user: string, groups?: string[]): Promise<CertPair>;
  /** A kubeconfig (YAML) for this server. */
  kubeconfig(options?: KubeconfigOptions): string;
}

interface Runtime extends RouteContext {
  auth: AuthOptions;
  policy: { current: Policy };
  faults: FaultTable;
  log: RequestLogEntry[];
}

function scheduler(timers: Set<NodeJS.Timeout>): HookContext['scheduler'] {
  return {
    after(ms, fn) {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    },
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function logEntry(req: IncomingMessage, url: URL): RequestLogEntry {
  return {
    time: new Date().toISOString(), method: req.method ?? 'GET', path: url.pathname, query: url.search.replace(/^\?/, ''),
    params: Object.fromEntries(url.searchParams), contentType: mediaType(req.headers['content-type']), user: undefined, userAgent: req.headers['user-agent'],
  };
}

/** One request: log, authenticate, faults, 401, authorize, route. */
async function handle(rt: Runtime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const entry = logEntry(req, url);
  rt.log.push(entry);
  res.on('finish', () => {
    entry.status = res.statusCode;
  });
  const body = await readBody(req);
  const authn = authenticate(req, rt.auth);
  if (authn.ok) entry.user = authn.user.name;
  const info = parseRequestInfo(entry.method, url.pathname, url.searchParams);
  for (const action of rt.faults.take(entry.method, url.pathname, entry.query)) {
    entry.fault = action.type === 'error' ? `error ${action.status}` : action.type === 'latency' ? `latency ${action.ms}ms` : 'drop';
    if (action.type === 'latency') await new Promise((r) => setTimeout(r, action.ms));
    else if (action.type === 'drop') return void req.socket.destroy();
    else return faultError(res, action, info);
  }
  if (!authn.ok) return sendError(res, unauthorized());
  const apiReq: ApiRequest = { method: entry.method, info, query: url.searchParams, contentType: entry.contentType, body, userAgent: entry.userAgent, user: authn.user };
  const decision = rt.core.authorize(authn.user, info);
  if (!decision.allowed) return sendError(res, forbiddenError({ user: authn.user, info }, decision.reason));
  if (!acceptsJson(req.headers.accept)) return sendError(res, notAcceptable(['application/json', 'application/yaml']));
  if (!info.isResourceRequest) return serveNonResource(rt, apiReq, res);
  serveResource(rt, apiReq, res);
}

function makeState(core: Core): ServerState {
  const defOf = (apiVersion: string, kind: string): ResourceDef | undefined => core.registry.byKind(apiVersion, kind);
  return {
    get revision() {
      return core.store.rev;
    },
    get(apiVersion, kind, name, namespace = '') {
      const def = defOf(apiVersion, kind);
      return def ? core.store.get(storageKey(def, def.namespaced ? namespace : '', name)) : undefined;
    },
    list(apiVersion, kind, namespace = '') {
      const def = defOf(apiVersion, kind);
      if (!def) return [];
      const prefix = def.namespaced && namespace ? `/${def.storageGroup}/${def.plural}/${namespace}/` : `/${def.storageGroup}/${def.plural}/`;
      return core.store.list(prefix).map((e) => e.obj);
    },
    compact: () => core.store.compact(),
    heartbeat: (nodeName) => heartbeat(core, nodeName),
    crdEstablished(name) {
      const crd = core.store.get(`/apiextensions.k8s.io/customresourcedefinitions/${name}`);
      const conditions = objAt(crd, 'status')?.conditions;
      return Array.isArray(conditions) && conditions.some((c) => isObj(c) && c.type === 'Established' && c.status === 'True');
    },
  };
}

function heartbeat(core: Core, nodeName?: string): void {
  for (const entry of core.store.list('/core/nodes/')) {
    if (nodeName !== undefined && strAt(objAt(entry.obj, 'metadata'), 'name') !== nodeName) continue;
    const status = isObj(entry.obj.status) ? entry.obj.status : (entry.obj.status = {});
    const list = Array.isArray(status.conditions) ? status.conditions.filter(isObj) : [];
    const time = nowSeconds();
    const ready = list.find((c) => c.type === 'Ready');
    if (ready) ready.lastHeartbeatTime = time;
    else list.push({ type: 'Ready', status: 'True', lastHeartbeatTime: time, lastTransitionTime: time, reason: 'KubeletReady', message: 'kubelet is posting ready status' });
    status.conditions = list;
    core.store.put(entry.key, entry.obj);
  }
}

function makeCore(options: K8sServerOptions, policy: { current: Policy }, timers: Set<NodeJS.Timeout>): Core {
  const features = featuresFor(options.gitVersion ?? 'v1.33.0');
  const store = new Store(1);
  const registry = new Registry(store, features);
  const hooks: HookContext = {
    store, features, scheduler: scheduler(timers),
    crdNamesAcceptedDelayMs: options.crdNamesAcceptedDelayMs ?? 100,
    crdEstablishDelayMs: options.crdEstablishDelayMs ?? 200,
    cleanupDelayMs: options.cleanupDelayMs ?? 50,
  };
  return { store, registry, features, hooks, authorize: (user, info) => authorize(policy.current, { user, info }) };
}

function defaultNamespaces(core: Core): void {
  const names = ['default', 'kube-system', 'kube-public', ...(core.features.leases ? ['kube-node-lease'] : [])];
  seedObjects(core, names.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })));
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Starts a Kubernetes API test server on 127.0.0.1.
 *
 * @example
 * const k8s = await startK8sServer({ tls: true, tokens: { t: 'admin' }, gitVersion: 'v1.7.16' });
 * k8s.seed(objects); // …requests against k8s.url…
 * await k8s.stop();
 */
export async function startK8sServer(options: K8sServerOptions = {}): Promise<K8sTestServer> {
  const timers = new Set<NodeJS.Timeout>();
  const policy = { current: options.policy ?? 'allow-all' };
  const core = makeCore(options, policy, timers);
  const rt: Runtime = {
    core, policy, address: '127.0.0.1:0', openapi: options.openapi !== false, watchers: new Set(),
    auth: { tokens: { ...(options.tokens ?? {}) }, anonymous: options.anonymous === true }, faults: new FaultTable(), log: [],
  };
  defaultNamespaces(core);
  if (options.seed) seedObjects(core, options.seed);
  const pki: TestPki | undefined = options.tls ? await createTestPki() : undefined;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(rt, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, err);
      else res.end();
    });
  };
  const server: Server = pki
    ? createHttpsServer({ key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: false }, onRequest)
    : createHttpServer(onRequest);
  const port = await listen(server, options.port ?? 0);
  rt.address = `127.0.0.1:${port}`;
  const heartbeatTimer = options.nodeHeartbeatMs ? setInterval(() => heartbeat(core, undefined), options.nodeHeartbeatMs) : undefined;
  const url = `${pki ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    url, port, ca: pki?.ca.cert, caFile: pki?.ca.certFile, features: core.features, requests: rt.log, state: makeState(core),
    async stop() {
      if (heartbeatTimer) clearInterval(heartbeatTimer);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const stop of rt.watchers) stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pki?.cleanup();
    },
    seed: (objects) => seedObjects(core, objects),
    seedFile: async (path) => seedObjects(core, await readSeedFile(path)),
    setPolicy(next) {
      policy.current = next;
    },
    addToken(token, identity) {
      (rt.auth.tokens ??= {})[token] = identity;
    },
    injectFault: (spec) => rt.faults.add(spec),
    clearFaults: () => rt.faults.clear(),
    clearRequests() {
      rt.log.length = 0;
    },
    async issueClientCert(user, groups) {
      if (!pki) throw new Error('client certificates need a TLS server (start it with tls: true)');
      return pki.issueClientCert(user, groups);
    },
    kubeconfig: (opts = {}) => kubeconfigYaml(url, pki?.ca.cert, opts),
  };
}

