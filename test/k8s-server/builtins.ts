/** Built-in resources: ConfigMaps, Secrets, Nodes, Namespaces, Leases, DaemonSets, Ingresses, CRDs, ThirdPartyResources, SelfSubjectAccessReviews. */
import { crdResourceDefs } from './crd.js';
import { deepEqual, ensureObj, goQuote, isObj, nowSeconds, objAt, orderKeys, strAt, type Obj } from './json.js';
import { baseDef, type Features, type HookContext, type ResourceDef } from './resources.js';
import { badRequest, forbidden, type FieldError } from './status.js';
import { tprResourceDef } from './tpr.js';

const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

const NODE_STATUS_ORDER = ['capacity', 'allocatable', 'phase', 'conditions', 'addresses', 'daemonEndpoints', 'nodeInfo', 'images', 'volumesInUse', 'volumesAttached', 'config', 'runtimeHandlers', 'features'];
const NODE_INFO_FIELDS = ['machineID', 'systemUUID', 'bootID', 'kernelVersion', 'osImage', 'containerRuntimeVersion', 'kubeletVersion', 'kubeProxyVersion', 'operatingSystem', 'architecture'];

/**
 * A Node as the real server writes it: `status.daemonEndpoints` and `status.nodeInfo` are Go structs
 * without omitempty, so they are always there, zero-valued until a kubelet reports.
 */
function presentNode(obj: Obj): Obj {
  const status = ensureObj(obj, 'status');
  if (!isObj(status.daemonEndpoints)) status.daemonEndpoints = { kubeletEndpoint: { Port: 0 } };
  const info = isObj(status.nodeInfo) ? status.nodeInfo : {};
  status.nodeInfo = Object.fromEntries([...NODE_INFO_FIELDS.map((k) => [k, typeof info[k] === 'string' ? info[k] : '']), ...Object.entries(info).filter(([k]) => !NODE_INFO_FIELDS.includes(k))]);
  obj.status = orderKeys(status, NODE_STATUS_ORDER);
  return obj;
}

/**
 * On create, from 1.17 the TaintNodesByCondition admission plugin taints a new Node
 * `node.kubernetes.io/not-ready:NoSchedule` until its kubelet reports Ready.
 */
function prepareNode(obj: Obj, features: Features): void {
  if (features.major === 1 && features.minor < 17) return;
  const spec = ensureObj(obj, 'spec');
  const taints = Array.isArray(spec.taints) ? spec.taints : [];
  if (!taints.some((t) => isObj(t) && t.key === 'node.kubernetes.io/not-ready')) spec.taints = [...taints, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }];
}

function nodeDef(features: Features): ResourceDef {
  return baseDef({
    group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, origin: 'builtin',
    shortNames: ['no'], subresources: ['status'], fieldSelectors: ['metadata.name', 'metadata.namespace', 'spec.unschedulable'],
    hooks: { prepareCreate: (obj) => prepareNode(obj, features), present: presentNode },
  });
}

/** Server-set Namespace fields on create. */
export function prepareNamespace(obj: Obj, features: Features): void {
  const name = strAt(objAt(obj, 'metadata'), 'name') ?? '';
  obj.spec = { finalizers: ['kubernetes'] };
  obj.status = { phase: 'Active' };
  if (features.namespaceNameLabel && name) ensureObj(ensureObj(obj, 'metadata'), 'labels')['kubernetes.io/metadata.name'] = name;
}

function beginNamespaceDelete(obj: Obj, ctx: HookContext): Obj | undefined {
  const meta = ensureObj(obj, 'metadata');
  const name = strAt(meta, 'name') ?? '';
  if (PROTECTED_NAMESPACES.has(name)) throw forbidden({ group: '', name: 'namespaces' }, name, 'this namespace may not be deleted');
  if (meta.deletionTimestamp) return obj;
  meta.deletionTimestamp = nowSeconds();
  meta.deletionGracePeriodSeconds = 0;
  obj.status = { phase: 'Terminating' };
  const key = `/core/namespaces/${name}`;
  const stored = ctx.store.put(key, obj);
  const uid = strAt(meta, 'uid');
  ctx.scheduler.after(ctx.cleanupDelayMs, () => {
    const current = ctx.store.get(key);
    if (!current || strAt(objAt(current, 'metadata'), 'uid') !== uid) return;
    for (const entry of ctx.store.list('/')) {
      if (strAt(objAt(entry.obj, 'metadata'), 'namespace') === name) ctx.store.delete(entry.key);
    }
    ctx.store.delete(key);
  });
  return stored;
}

function namespaceDef(features: Features): ResourceDef {
  return baseDef({
    group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, origin: 'builtin',
    shortNames: ['ns'], subresources: ['status'], nameRule: 'label',
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    hooks: { prepareCreate: (obj) => prepareNamespace(obj, features), beginDelete: beginNamespaceDelete },
  });
}

/** ConfigMap `data` and `binaryData` are string maps: anything else fails to decode (400); a null value decodes as "". */
function decodeConfigMap(obj: Obj): Obj {
  for (const field of ['data', 'binaryData']) {
    const value = obj[field];
    if (value === undefined || value === null) continue;
    const fail = (got: unknown, type: string): never => {
      const what = got === null ? 'null' : Array.isArray(got) ? 'array' : typeof got === 'object' ? 'object' : typeof got;
      throw badRequest(`ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal ${what} into Go struct field ConfigMap.${field} of type ${type}`);
    };
    if (!isObj(value)) fail(value, field === 'data' ? 'map[string]string' : 'map[string][]uint8');
    else {
      for (const [k, v] of Object.entries(value)) {
        if (v === null) value[k] = '';
        else if (typeof v !== 'string') fail(v, field === 'data' ? 'string' : '[]uint8');
      }
    }
  }
  return obj;
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIG_KEY_TEXT = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/** `ValidateConfigMap` and `ValidateConfigMapUpdate`: key syntax, no key in both maps, `immutable`. */
function validateConfigMap(obj: Obj, old: Obj | undefined): FieldError[] {
  const errors: FieldError[] = [];
  const data = objAt(obj, 'data') ?? {};
  const binary = objAt(obj, 'binaryData') ?? {};
  for (const [field, map] of [['data', data], ['binaryData', binary]] as const) {
    for (const key of Object.keys(map)) {
      const path = `${field}[${key}]`;
      if (key.length > 253) errors.push({ type: 'Invalid', field: path, value: goQuote(key), detail: 'must be no more than 253 characters' });
      if (!CONFIG_KEY.test(key)) errors.push({ type: 'Invalid', field: path, value: goQuote(key), detail: CONFIG_KEY_TEXT });
      if (key === '.' || key === '..') errors.push({ type: 'Invalid', field: path, value: goQuote(key), detail: `must not be '${key}'` });
      else if (key.startsWith('..')) errors.push({ type: 'Invalid', field: path, value: goQuote(key), detail: "must not start with '..'" });
      if (field === 'binaryData' && key in data) errors.push({ type: 'Invalid', field: path, value: goQuote(key), detail: 'duplicate of key present in data' });
    }
  }
  if (old?.immutable === true) {
    const text = 'field is immutable when `immutable` is set';
    if (obj.immutable !== true) errors.push({ type: 'Forbidden', field: 'immutable', detail: text });
    if (!deepEqual(old.data ?? null, obj.data ?? null)) errors.push({ type: 'Forbidden', field: 'data', detail: text });
    if (!deepEqual(old.binaryData ?? null, obj.binaryData ?? null)) errors.push({ type: 'Forbidden', field: 'binaryData', detail: text });
  }
  return errors;
}

/** ConfigMaps: no spec/status; unconditional PUT allowed (like Nodes), a stale resourceVersion is 409. */
function configMapDef(): ResourceDef {
  return baseDef({
    group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, origin: 'builtin', shortNames: ['cm'],
    topLevel: ['apiVersion', 'kind', 'metadata', 'immutable', 'data', 'binaryData'],
    topOrder: ['kind', 'apiVersion', 'metadata', 'immutable', 'data', 'binaryData'],
    hooks: { decode: decodeConfigMap, validate: validateConfigMap },
  });
}

/**
 * Secret decode, as the real API server does it: `data` values are base64 strings (anything else is
 * a 400 at decode), and the write-only `stringData` is merged into `data`, overriding it.
 */
function decodeSecret(obj: Obj): Obj {
  const data = obj.data;
  if (data !== undefined && data !== null) {
    if (!isObj(data)) throw badRequest('Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal into Go struct field Secret.data of type map[string][]uint8');
    for (const [k, v] of Object.entries(data)) {
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data in Secret.data[${JSON.stringify(k)}]`);
    }
  }
  const stringData = obj.stringData;
  if (stringData === undefined || stringData === null) return obj;
  if (!isObj(stringData) || Object.values(stringData).some((v) => typeof v !== 'string')) throw badRequest('Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal into Go struct field Secret.stringData of type string');
  const merged: Obj = { ...(isObj(data) ? data : {}) };
  for (const [k, v] of Object.entries(stringData)) merged[k] = Buffer.from(v as string, 'utf8').toString('base64');
  const { stringData: _dropped, ...rest } = obj;
  return { ...rest, data: merged };
}

/** `ValidateSecret`: keys as for ConfigMaps, the whole data at most 1 MiB, `immutable` kept. */
function validateSecret(obj: Obj, old: Obj | undefined): FieldError[] {
  const errors: FieldError[] = [];
  const data = isObj(obj.data) ? obj.data : {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    if (!/^[-._a-zA-Z0-9]+$/.test(k) || k.length > 253) errors.push({ type: 'Invalid', field: `data[${k}]`, value: k, detail: "a valid config key must consist of alphanumeric characters, '-', '_' or '.'" });
    total += Buffer.from(String(v), 'base64').length;
  }
  if (total > 1024 * 1024) errors.push({ type: 'TooLong', field: 'data', detail: `may not be more than ${1024 * 1024} bytes` });
  if (old?.immutable === true && (obj.immutable !== true || !deepEqual(old.data ?? null, obj.data ?? null))) errors.push({ type: 'Forbidden', field: 'data', detail: 'field is immutable when `immutable` is set' });
  return errors;
}

/** Secrets: `type` defaults to Opaque; stored data is base64; unconditional PUT allowed. */
function secretDef(): ResourceDef {
  return baseDef({
    group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true, origin: 'builtin',
    topLevel: ['apiVersion', 'kind', 'metadata', 'immutable', 'data', 'stringData', 'type'],
    topOrder: ['kind', 'apiVersion', 'metadata', 'immutable', 'data', 'type'],
    hooks: {
      decode: decodeSecret,
      validate: validateSecret,
      prepareCreate: (obj) => {
        if (obj.type === undefined || obj.type === '') obj.type = 'Opaque';
      },
    },
  });
}

const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;

/** Leases: MicroTime fields must have exactly six fractional digits (else 400 at decode). */
function decodeLease(obj: Obj): Obj {
  const spec = objAt(obj, 'spec');
  for (const field of ['acquireTime', 'renewTime']) {
    const value = spec?.[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || !MICRO_TIME.test(value)) {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      throw badRequest(`Lease in version "v1" cannot be handled as a Lease: parsing time ${JSON.stringify(text)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse ${JSON.stringify(text.slice(19))} as ".000000"`);
    }
  }
  return obj;
}

function leaseDef(): ResourceDef {
  return baseDef({
    group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true, origin: 'builtin',
    unconditionalUpdate: false, createOnUpdate: true, hooks: { decode: decodeLease },
  });
}

function validateDaemonSet(obj: Obj): FieldError[] {
  const containers = objAt(objAt(objAt(obj, 'spec'), 'template'), 'spec')?.containers;
  if (Array.isArray(containers) && containers.length > 0 && containers.every(isObj)) return [];
  return [{ type: 'Required', field: 'spec.template.spec.containers' }];
}

/** DaemonSets: `apps/v1` (1.9+) and `extensions/v1beta1` (until 1.15) share one storage. */
function daemonSetDef(group: string, version: string): ResourceDef {
  return baseDef({
    group, version, plural: 'daemonsets', kind: 'DaemonSet', namespaced: true, origin: 'builtin', storageGroup: 'apps',
    shortNames: ['ds'], categories: ['all'], subresources: ['status'], statusOnCreate: 'drop', generation: 'spec',
    hooks: { validate: validateDaemonSet },
  });
}

/** Ingresses in `extensions/v1beta1` (until 1.21), so that group is never served empty. */
function ingressDef(): ResourceDef {
  return baseDef({
    group: 'extensions', version: 'v1beta1', plural: 'ingresses', kind: 'Ingress', namespaced: true, origin: 'builtin',
    storageGroup: 'networking.k8s.io', shortNames: ['ing'], subresources: ['status'], generation: 'spec',
  });
}

function extensionsDefs(features: Features): ResourceDef[] {
  if (!features.extensions) return [];
  return [...(features.minor <= 15 ? [daemonSetDef('extensions', 'v1beta1')] : []), ingressDef(), ...(features.tpr ? [tprResourceDef()] : [])];
}

/** The SelfSubjectAccessReview resource (create only; answered, never stored). */
export function ssarDef(): ResourceDef {
  return baseDef({
    group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, origin: 'builtin',
    verbs: ['create'],
  });
}

/** Every built-in resource the emulated version serves. */
export function builtinDefs(features: Features): ResourceDef[] {
  return [
    configMapDef(),
    secretDef(),
    nodeDef(features),
    namespaceDef(features),
    ...extensionsDefs(features),
    ...crdResourceDefs(features),
    ssarDef(),
    ...(features.leases ? [leaseDef()] : []),
    ...(features.appsV1 ? [daemonSetDef('apps', 'v1')] : []),
  ];
}

/** Group/versions answered by built-in handlers: unknown resources there get a JSON 404 Status. */
export function builtinGroupVersions(features: Features): string[] {
  return [
    'v1', 'authorization.k8s.io/v1',
    ...(features.extensions ? ['extensions/v1beta1'] : []),
    ...(features.crdV1 ? ['apiextensions.k8s.io/v1'] : []),
    ...(features.crdV1beta1 ? ['apiextensions.k8s.io/v1beta1'] : []),
    ...(features.leases ? ['coordination.k8s.io/v1'] : []),
    ...(features.appsV1 ? ['apps/v1'] : []),
  ];
}
