/**
 * The least-privilege RBAC manifest for running calico-migrate in the cluster: a ServiceAccount,
 * a ClusterRole (+ binding) with only the cluster-wide permissions, and one Role (+ binding) per
 * namespace for the namespaced ones, so that e.g. the lock and the TPR reads in kube-system never
 * become rights over every namespace. Generated from `permissionsFor`, so it always matches what
 * the preflight check verifies. Pure: plain objects, deterministic order.
 */
import { STATE_NAMESPACE } from '../state/kubernetes-store.js';
import YAML from 'yaml';
import { permissionsFor, type Permission, type PermissionsInput } from './permissions.js';

export type RbacApiVersion = 'rbac.authorization.k8s.io/v1' | 'rbac.authorization.k8s.io/v1beta1';

export interface RbacOptions {
  readonly rbacApiVersion: RbacApiVersion;
  /** Namespace of the ServiceAccount (the bindings' subject); `kube-system` for calico-migrate. */
  readonly namespace: string;
  /** Name of the ServiceAccount, roles and bindings. */
  readonly name: string;
}

/** One RBAC rule: a single API group and resource (optionally only some objects of it), with its verbs sorted. */
export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

interface Metadata {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ServiceAccountObject {
  readonly apiVersion: 'v1';
  readonly kind: 'ServiceAccount';
  readonly metadata: Metadata;
}

export interface RoleObject {
  readonly apiVersion: RbacApiVersion;
  readonly kind: 'ClusterRole' | 'Role';
  readonly metadata: Metadata;
  readonly rules: readonly RbacRule[];
}

export interface BindingObject {
  readonly apiVersion: RbacApiVersion;
  readonly kind: 'ClusterRoleBinding' | 'RoleBinding';
  readonly metadata: Metadata;
  readonly roleRef: { readonly apiGroup: 'rbac.authorization.k8s.io'; readonly kind: 'ClusterRole' | 'Role'; readonly name: string };
  readonly subjects: readonly { readonly kind: 'ServiceAccount'; readonly name: string; readonly namespace: string }[];
}

export interface NamespaceObject {
  readonly apiVersion: 'v1';
  readonly kind: 'Namespace';
  readonly metadata: Metadata;
}

export type RbacObject = NamespaceObject | ServiceAccountObject | RoleObject | BindingObject;

/**
 * RBAC `v1` from Kubernetes 1.8; 1.7 (the last release with ThirdPartyResources, so where many
 * v2.4 clusters still are) serves only `v1beta1`, which 1.22 removed.
 */
export function rbacApiVersionFor(minor: number): RbacApiVersion {
  return minor >= 8 ? 'rbac.authorization.k8s.io/v1' : 'rbac.authorization.k8s.io/v1beta1';
}

/** `system:serviceaccount:<ns>:<name>`: the user name the ServiceAccount's token authenticates as. */
export function serviceAccountUser(opts: Pick<RbacOptions, 'namespace' | 'name'>): string {
  return `system:serviceaccount:${opts.namespace}:${opts.name}`;
}

/**
 * The objects to apply, in apply order: the namespace of the run's state (when it is kept in the
 * cluster); ServiceAccount; ClusterRole and ClusterRoleBinding (only
 * when some permission is cluster-wide); then a Role and RoleBinding per namespace, by namespace
 * name. Rules are one per API group and resource (verbs merged, sorted alphabetically), sorted by group then
 * resource, so the same permissions always render the same manifest.
 */
export function renderRbac(perms: readonly Permission[], opts: RbacOptions): RbacObject[] {
  const labels = { 'app.kubernetes.io/name': opts.name };
  const subjects = [{ kind: 'ServiceAccount' as const, name: opts.name, namespace: opts.namespace }];
  const out: RbacObject[] = [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: opts.name, namespace: opts.namespace, labels } }];
  // The namespace where the run's state is kept comes first: its Role cannot be applied before it exists.
  if (perms.some((p) => p.namespace === STATE_NAMESPACE)) out.unshift({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: STATE_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'calico-migrate' } } });

  const clusterRules = rulesOf(perms.filter((p) => p.namespace === undefined));
  if (clusterRules.length > 0) {
    out.push({ apiVersion: opts.rbacApiVersion, kind: 'ClusterRole', metadata: { name: opts.name, labels }, rules: clusterRules });
    out.push({
      apiVersion: opts.rbacApiVersion, kind: 'ClusterRoleBinding', metadata: { name: opts.name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: opts.name }, subjects,
    });
  }
  const namespaces = [...new Set(perms.flatMap((p) => (p.namespace === undefined ? [] : [p.namespace])))].sort();
  for (const namespace of namespaces) {
    const rules = rulesOf(perms.filter((p) => p.namespace === namespace));
    out.push({ apiVersion: opts.rbacApiVersion, kind: 'Role', metadata: { name: opts.name, namespace, labels }, rules });
    out.push({
      apiVersion: opts.rbacApiVersion, kind: 'RoleBinding', metadata: { name: opts.name, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: opts.name }, subjects,
    });
  }
  return out;
}

/** Verbs in code-point order, each once. */
function sortVerbs(verbs: Iterable<string>): string[] {
  return [...new Set(verbs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** One rule per group and resource for permissions on every object; one per verb for those on named objects. */
function rulesOf(perms: readonly Permission[]): RbacRule[] {
  const byResource = new Map<string, { group: string; resource: string; verbs: string[]; names: string[] }>();
  for (const p of perms) {
    const key = p.name === undefined ? `${p.group}\0${p.resource}` : `${p.group}\0${p.resource}\0${p.verb}`;
    const entry = byResource.get(key) ?? { group: p.group, resource: p.resource, verbs: [], names: [] };
    entry.verbs.push(p.verb);
    if (p.name !== undefined) entry.names.push(p.name);
    byResource.set(key, entry);
  }
  return [...byResource.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, e]) => ({ apiGroups: [e.group], resources: [e.resource], ...(e.names.length > 0 ? { resourceNames: [...new Set(e.names)].sort() } : {}), verbs: sortVerbs(e.verbs) }));
}

/** What to generate: the permissions of a run plus how to render them. */
export type RbacManifestInput = PermissionsInput & RbacOptions;

/** The RBAC objects for a run: `permissionsFor` rendered by `renderRbac`. */
export function rbacFor(input: RbacManifestInput): RbacObject[] {
  return renderRbac(permissionsFor(input), input);
}

/**
 * The objects as one multi-document YAML manifest for `kubectl apply -f`, each rule preceded by
 * comments giving the reason for each verb (taken from `perms`), so a reviewer can judge every
 * grant without reading the code. With `perms` omitted, the rules carry no comments.
 */
export function rbacYaml(objects: readonly RbacObject[], perms: readonly Permission[] = [], header?: string): string {
  const docs = objects.map((o, i) => {
    const doc = new YAML.Document(o, { version: '1.1' });
    if (i === 0 && header) doc.commentBefore = header.split('\n').map((l) => ` ${l}`).join('\n');
    if ('rules' in o) {
      const rules = doc.get('rules');
      if (YAML.isSeq(rules)) {
        o.rules.forEach((rule, j) => {
          const node = rules.items[j];
          const why = reasons(rule, o.metadata.namespace, perms);
          if (YAML.isNode(node) && why.length > 0) node.commentBefore = why.map((l) => ` ${l}`).join('\n');
        });
      }
    }
    return doc.toString({ lineWidth: 0, minContentWidth: 0 });
  });
  return docs.join('---\n');
}

function reasons(rule: RbacRule, namespace: string | undefined, perms: readonly Permission[]): string[] {
  return perms
    .filter((p) => rule.apiGroups.includes(p.group) && rule.resources.includes(p.resource) && p.namespace === namespace && rule.verbs.includes(p.verb))
    .filter((p) => (p.name === undefined ? rule.resourceNames === undefined : rule.resourceNames?.includes(p.name) === true))
    .map((p) => `${p.verb}${p.name ? ` ${p.name}` : ''}: ${p.why}`);
}
