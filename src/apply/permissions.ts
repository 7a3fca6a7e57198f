/**
 * The Kubernetes permissions a migration needs, derived from what it will do: read the source
 * (ThirdPartyResources and Nodes of a v2.4 Kubernetes datastore), install the CRDs, write the
 * Calico objects and Node annotations, hold the lock, read the calico-node DaemonSet. One list
 * feeds both the least-privilege RBAC manifest (`rbac.ts`) and the preflight access check
 * (`access-check.ts`), so the manifest we hand out and the check we run can never disagree.
 * Pure: no I/O.
 */
import { TPR_KINDS, V25_CRD_PLURALS } from '../datastore/calico-resources.js';
import { CALICO_CRD_GROUP, CALICO_CRDS, CONFIGMAPS, CRDS_V1, LEASES, NAMESPACES, NODES, SECRETS } from '../datastore/calico-resources.js';
import { STATE_NAMESPACE } from '../state/kubernetes-store.js';
import { LOCK_NAMESPACE } from './lock-object.js';
import type { TargetVersion } from '../model/target.js';

/** The API verbs the tool uses (RBAC names them like this; PUT is `update`, PATCH is `patch`). */
export type Verb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';

/**
 * One thing the tool must be allowed to do. Without `namespace` the permission is needed
 * cluster-wide (a cluster-scoped resource, or a namespaced one in every namespace) and belongs in
 * a ClusterRole; with it, only in that namespace, so it belongs in a Role there.
 */
export interface Permission {
  readonly verb: Verb;
  /** API group; `''` is the core group. */
  readonly group: string;
  /** Resource plural, as RBAC names it. */
  readonly resource: string;
  readonly namespace?: string;
  /** Only this object (RBAC `resourceNames`); absent for every object of the resource. */
  readonly name?: string;
  /** One line: why the tool needs it (shown in the manifest and in preflight findings). */
  readonly why: string;
}

export type PermissionSource = 'etcdv2' | 'etcdv3' | 'kubernetes' | 'files';
/**
 * `plan` only reads (it sends no write, not even a dry run); `dry-run` is `apply --dry-run=server`:
 * the writes' verbs (a server-side dry run needs them) but no lock; `rollback` also deletes.
 */
export type Mode = 'plan' | 'dry-run' | 'apply' | 'rollback';

export interface PermissionsInput {
  /** Only a live Kubernetes-datastore source needs Kubernetes permissions to be read. */
  readonly source: PermissionSource;
  readonly target: TargetVersion;
  readonly mode: Mode;
  /** `leases` on Kubernetes 1.14+, else `configmaps` (see `lockTarget`). */
  readonly lockResource: 'leases' | 'configmaps';
  /** `apps` where the server serves it (1.9+), else `extensions`. */
  readonly daemonSetGroup: 'apps' | 'extensions';
  /** Where the run's state is kept: in the cluster (Secrets in the tool's namespace), or local files. */
  readonly state?: 'local' | 'target';
}

const VERB_ORDER: readonly Verb[] = ['get', 'list', 'create', 'update', 'patch', 'delete'];

/**
 * Every permission a run with these settings needs: de-duplicated (one entry per verb, group,
 * resource and namespace, the reasons of merged entries joined with `; `) and sorted by group,
 * resource, namespace (cluster-wide first) and verb, so the output is stable for diffs and tests.
 */
export function permissionsFor(input: PermissionsInput): Permission[] {
  const out: Permission[] = [];
  const add = (verbs: readonly Verb[], group: string, resource: string, why: string, namespace?: string, name?: string): void => {
    for (const verb of verbs) out.push({ verb, group, resource, ...(namespace === undefined ? {} : { namespace }), ...(name === undefined ? {} : { name }), why });
  };
  const readOnly = input.mode === 'plan';
  const dry = input.mode === 'dry-run';

  if (input.source === 'kubernetes') {
    for (const t of TPR_KINDS) add(['list'], t.group, t.plural, `read the v2.4 ${t.kind} ThirdPartyResource data`, 'kube-system');
    add(['list'], NODES.group, NODES.plural, 'read the Calico annotations and pod CIDRs of the Nodes (source)');
    for (const plural of V25_CRD_PLURALS) add(['list'], CALICO_CRD_GROUP, plural, 'see whether the v2.5 CRDs already hold data (source)');
  }

  add(['get'], NAMESPACES.group, NAMESPACES.plural, 'identify the cluster (the uid of namespace kube-system), whatever address it is reached by', undefined, 'kube-system');
  add(['get', 'list'], CRDS_V1.group, CRDS_V1.plural, 'see which Calico CRDs exist and whether they are Established');
  if (!readOnly) add(['create'], CRDS_V1.group, CRDS_V1.plural, dry ? 'dry-run installing the missing Calico CRDs (a server-side dry run needs the real verb)' : 'install the Calico CRDs when missing');

  if (input.mode === 'rollback') {
    // Only the Calico CRDs, by name: deleting a CRD deletes every object in it.
    for (const c of CALICO_CRDS[input.target]) add(['delete'], CRDS_V1.group, CRDS_V1.plural, 'remove a Calico CRD the apply installed, once it holds no object (rollback)', undefined, `${c.plural}.${CALICO_CRD_GROUP}`);
  }

  const writeVerbs: Verb[] = readOnly ? [] : input.mode === 'rollback' ? ['create', 'update', 'delete'] : ['create', 'update'];
  for (const c of CALICO_CRDS[input.target]) {
    add(['get', 'list'], CALICO_CRD_GROUP, c.plural, `compare the ${c.kind} objects on the cluster with the plan`);
    for (const verb of writeVerbs) add([verb], CALICO_CRD_GROUP, c.plural, `${writeWhy(verb, dry)} ${c.kind} objects`);
  }

  add(['get', 'list'], NODES.group, NODES.plural, 'compare the Calico annotations on the Nodes with the plan');
  if (!readOnly) add(['patch'], NODES.group, NODES.plural, dry ? 'dry-run the merge patches of Calico annotations on Nodes' : 'merge-patch the Calico annotations of existing Nodes (never creates Nodes)');

  const lock = input.lockResource === 'leases' ? LEASES : CONFIGMAPS;
  if (readOnly || dry) {
    add(['get'], lock.group, lock.plural, 'show whether another run holds the migration lock', LOCK_NAMESPACE);
  } else {
    add(['get'], lock.group, lock.plural, 'read the migration lock', LOCK_NAMESPACE);
    add(['create'], lock.group, lock.plural, 'take the migration lock', LOCK_NAMESPACE);
    add(['update'], lock.group, lock.plural, 'take over an expired migration lock', LOCK_NAMESPACE);
    add(['patch'], lock.group, lock.plural, 'renew the migration lock', LOCK_NAMESPACE);
    add(['delete'], lock.group, lock.plural, 'release the migration lock', LOCK_NAMESPACE);
  }

  if (input.state === 'target' && !readOnly && !dry) {
    // The run's state: Secrets in the tool's own namespace only, never kube-system's.
    add(['get'], NAMESPACES.group, NAMESPACES.plural, `see that namespace ${STATE_NAMESPACE} (where the run's state is kept) exists`, undefined, STATE_NAMESPACE);
    add(['get', 'list', 'create'], SECRETS.group, SECRETS.plural, 'keep the run\'s journal, plan and backup (append-only, never rewritten)', STATE_NAMESPACE);
    if (input.mode === 'rollback') add(['delete'], SECRETS.group, SECRETS.plural, 'forget a finished run\'s state (calico-migrate forget)', STATE_NAMESPACE);
  }

  add(['get'], input.daemonSetGroup, 'daemonsets', 'read the calico-node DaemonSet to see which Calico version runs', 'kube-system');
  add(['create'], 'authorization.k8s.io', 'selfsubjectaccessreviews', 'check these permissions before starting (every authenticated user may)');
  return dedupe(out);
}

function writeWhy(verb: Verb, dry: boolean): string {
  const what = verb === 'create' ? 'create' : verb === 'update' ? 'update (PUT)' : 'delete (rollback)';
  return dry ? `dry-run: ${what}` : what;
}

/** `verb\0group\0resource\0namespace\0name`: the identity of a permission, ignoring its reason. */
export function permissionKey(p: Pick<Permission, 'verb' | 'group' | 'resource' | 'namespace' | 'name'>): string {
  return [p.verb, p.group, p.resource, p.namespace ?? '', p.name ?? ''].join('\0');
}

/** Orders permissions by group, resource, namespace (cluster-wide first), then verb. */
export function comparePermissions(a: Permission, b: Permission): number {
  return cmp(a.group, b.group) || cmp(a.resource, b.resource) || cmp(a.namespace ?? '', b.namespace ?? '') || VERB_ORDER.indexOf(a.verb) - VERB_ORDER.indexOf(b.verb) || cmp(a.name ?? '', b.name ?? '');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function dedupe(perms: readonly Permission[]): Permission[] {
  const byKey = new Map<string, { p: Permission; whys: string[] }>();
  for (const p of perms) {
    const seen = byKey.get(permissionKey(p));
    if (!seen) byKey.set(permissionKey(p), { p, whys: [p.why] });
    else if (!seen.whys.includes(p.why)) seen.whys.push(p.why);
  }
  return [...byKey.values()].map(({ p, whys }) => ({ ...p, why: whys.join('; ') })).sort(comparePermissions);
}

/** `list ippools.projectcalico.org in namespace kube-system`: how findings and messages name a permission. */
export function describePermission(p: Pick<Permission, 'verb' | 'group' | 'resource' | 'namespace' | 'name'>): string {
  const resource = p.group === '' ? p.resource : `${p.resource}.${p.group}`;
  return `${p.verb} ${resource}${p.name ? ` ${JSON.stringify(p.name)}` : ''}${p.namespace ? ` in namespace ${p.namespace}` : p.name ? '' : ' (cluster-wide)'}`;
}
