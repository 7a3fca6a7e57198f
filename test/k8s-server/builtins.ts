/** Built-in resources: Nodes, Namespaces, Leases, DaemonSets, Ingresses, CRDs, ThirdPartyResources, SelfSubjectAccessReviews. */
import { crdResourceDefs } from './crd.js';
import { ensureObj, isObj, nowSeconds, objAt, strAt, type Obj } from './json.js';
import { baseDef, type Features, type HookContext, type ResourceDef } from './resources.js';
import { badRequest, forbidden, type FieldError } from './status.js';
import { tprResourceDef } from './tpr.js';

const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

function nodeDef(): ResourceDef {
  return baseDef({
    group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, origin: 'builtin',
    shortNames: ['no'], subresources: ['status'], fieldSelectors: ['metadata.name', 'metadata.namespace', 'spec.unschedulable'],
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
    nodeDef(),
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
