/** permissionsFor (what a run needs) and renderRbac (the least-privilege manifest), as pure functions. */
import test from 'ava';
import YAML from 'yaml';
import { describeRefusals } from '../../src/apply/access-check.js';
import { describePermission, permissionKey, permissionsFor, type Permission, type PermissionsInput } from '../../src/apply/permissions.js';
import { rbacApiVersionFor, rbacFor, rbacYaml, renderRbac, serviceAccountUser, type RbacObject, type RoleObject } from '../../src/apply/rbac.js';
import { CALICO_CRDS } from '../../src/datastore/calico-resources.js';
import { TPR_KINDS } from '../../src/datastore/kubernetes.js';

const BASE: PermissionsInput = { source: 'kubernetes', target: 'v2.5', mode: 'apply', lockResource: 'leases', daemonSetGroup: 'apps' };
const RBAC = { rbacApiVersion: 'rbac.authorization.k8s.io/v1', namespace: 'kube-system', name: 'calico-migrate' } as const;

const has = (perms: readonly Permission[], verb: string, group: string, resource: string, namespace?: string): boolean =>
  perms.some((p) => p.verb === verb && p.group === group && p.resource === resource && p.namespace === namespace);
const short = (perms: readonly Permission[]): string[] => perms.map((p) => `${p.verb} ${p.resource}.${p.group}${p.namespace ? `@${p.namespace}` : ''}`);
const roles = (objs: readonly RbacObject[], kind: 'ClusterRole' | 'Role'): RoleObject[] => objs.filter((o): o is RoleObject => o.kind === kind);

test('kubernetes source, v2.5 apply: lists the five TPR kinds in kube-system, patches Nodes, never creates them', (t) => {
  const perms = permissionsFor(BASE);
  for (const k of TPR_KINDS) t.true(has(perms, 'list', k.group, k.plural, 'kube-system'), `list ${k.plural}.${k.group}`);
  t.is(perms.filter((p) => p.group === 'projectcalico.org' || p.group === 'alpha.projectcalico.org').length, 5);
  t.true(has(perms, 'patch', '', 'nodes'));
  t.true(has(perms, 'list', '', 'nodes'));
  t.false(perms.some((p) => p.resource === 'nodes' && p.verb !== 'get' && p.verb !== 'list' && p.verb !== 'patch'));
  for (const c of CALICO_CRDS['v2.5']) for (const verb of ['get', 'list', 'create', 'update']) t.true(has(perms, verb, 'crd.projectcalico.org', c.plural), `${verb} ${c.plural}`);
  t.false(perms.some((p) => p.verb === 'delete' && p.group === 'crd.projectcalico.org'));
  for (const verb of ['get', 'list', 'create']) t.true(has(perms, verb, 'apiextensions.k8s.io', 'customresourcedefinitions'));
  for (const verb of ['get', 'create', 'update', 'patch', 'delete']) t.true(has(perms, verb, 'coordination.k8s.io', 'leases', 'kube-system'));
  t.true(has(perms, 'get', 'apps', 'daemonsets', 'kube-system'));
  t.true(has(perms, 'create', 'authorization.k8s.io', 'selfsubjectaccessreviews'));
  t.true(perms.every((p) => p.why.length > 0 && !p.why.includes('\n')));
});

test('the list is de-duplicated (reasons merged), sorted and the same on every call', (t) => {
  const perms = permissionsFor(BASE);
  t.is(new Set(perms.map(permissionKey)).size, perms.length);
  t.deepEqual(permissionsFor(BASE), perms);
  // list nodes is needed both to read the source and to compare the target: one entry, both reasons.
  const listNodes = perms.filter((p) => p.verb === 'list' && p.resource === 'nodes');
  t.is(listNodes.length, 1);
  t.regex(listNodes[0]?.why ?? '', /\(source\); compare/);
  const scopes = perms.map((p) => `${p.group}\0${p.resource}\0${p.namespace ?? ''}`);
  t.deepEqual(scopes, [...scopes].sort());
  t.deepEqual(short(perms.filter((p) => p.resource === 'leases')), ['get leases.coordination.k8s.io@kube-system', 'create leases.coordination.k8s.io@kube-system', 'update leases.coordination.k8s.io@kube-system', 'patch leases.coordination.k8s.io@kube-system', 'delete leases.coordination.k8s.io@kube-system']);
});

const table: { title: string; input: PermissionsInput; check: (t: import('ava').ExecutionContext, perms: Permission[]) => void }[] = [
  {
    title: 'etcd v2 source: no Kubernetes reads of the source',
    input: { ...BASE, source: 'etcdv2' },
    check: (t, perms) => {
      t.false(perms.some((p) => p.group === 'projectcalico.org' || p.group === 'alpha.projectcalico.org'));
      t.false(perms.some((p) => p.why.includes('(source)')));
      t.is(perms.find((p) => p.verb === 'list' && p.resource === 'nodes')?.why, 'compare the Calico annotations on the Nodes with the plan');
    },
  },
  { title: 'etcd v3 source: no TPR reads', input: { ...BASE, source: 'etcdv3', target: 'v3.0' }, check: (t, perms) => t.false(perms.some((p) => p.namespace === 'kube-system' && p.verb === 'list')) },
  { title: 'files source: the same as etcd', input: { ...BASE, source: 'files' }, check: (t, perms) => t.deepEqual(perms, permissionsFor({ ...BASE, source: 'etcdv2' })) },
  {
    title: 'plan: read only (get and list, and the access review itself), lock only read',
    input: { ...BASE, mode: 'plan' },
    check: (t, perms) => {
      t.deepEqual([...new Set(perms.map((p) => p.verb))].sort(), ['create', 'get', 'list']);
      t.deepEqual(perms.filter((p) => p.verb === 'create').map((p) => p.resource), ['selfsubjectaccessreviews']);
      t.deepEqual(short(perms.filter((p) => p.resource === 'leases')), ['get leases.coordination.k8s.io@kube-system']);
    },
  },
  {
    title: 'dry-run (apply --dry-run=server): the writes\' verbs (a server-side dry run needs the real verb), no delete, lock only read',
    input: { ...BASE, mode: 'dry-run' },
    check: (t, perms) => {
      t.false(perms.some((p) => p.verb === 'delete'));
      t.true(has(perms, 'create', 'crd.projectcalico.org', 'ippools'));
      t.true(has(perms, 'update', 'crd.projectcalico.org', 'ippools'));
      t.true(has(perms, 'patch', '', 'nodes'));
      t.deepEqual(short(perms.filter((p) => p.resource === 'leases')), ['get leases.coordination.k8s.io@kube-system']);
      t.regex(perms.find((p) => p.verb === 'create' && p.resource === 'ippools')?.why ?? '', /^dry-run/);
    },
  },
  {
    title: 'rollback: delete on every target CRD plural; CRDs only the Calico ones, by name; never Nodes',
    input: { ...BASE, target: 'v3.0', mode: 'rollback' },
    check: (t, perms) => {
      const deletes = perms.filter((p) => p.verb === 'delete' && p.group === 'crd.projectcalico.org').map((p) => p.resource);
      t.deepEqual(deletes.sort(), CALICO_CRDS['v3.0'].map((c) => c.plural).sort());
      const crdDeletes = perms.filter((p) => p.verb === 'delete' && p.resource === 'customresourcedefinitions');
      t.deepEqual(crdDeletes.map((p) => p.name).sort(), CALICO_CRDS['v3.0'].map((c) => `${c.plural}.crd.projectcalico.org`).sort());
      t.false(perms.some((p) => p.resource === 'nodes' && p.verb === 'delete'));
    },
  },
  {
    title: 'apply and plan never delete CRDs',
    input: { ...BASE, mode: 'apply' },
    check: (t, perms) => {
      t.false(perms.some((p) => p.verb === 'delete' && p.resource === 'customresourcedefinitions'));
    },
  },
  {
    title: 'lock on configmaps (before 1.14) and the DaemonSet in extensions (before 1.9)',
    input: { ...BASE, lockResource: 'configmaps', daemonSetGroup: 'extensions' },
    check: (t, perms) => {
      t.false(perms.some((p) => p.resource === 'leases' || p.group === 'apps'));
      for (const verb of ['get', 'create', 'update', 'patch', 'delete']) t.true(has(perms, verb, '', 'configmaps', 'kube-system'));
      t.true(has(perms, 'get', 'extensions', 'daemonsets', 'kube-system'));
    },
  },
  {
    title: 'v3.0 target: the v3 plurals, not the v2.5-only ones (beyond the source check)',
    input: { ...BASE, source: 'etcdv2', target: 'v3.0' },
    check: (t, perms) => {
      t.true(has(perms, 'update', 'crd.projectcalico.org', 'felixconfigurations'));
      t.false(perms.some((p) => p.resource === 'globalfelixconfigs'));
    },
  },
];

for (const row of table) test(`permissionsFor: ${row.title}`, (t) => row.check(t, permissionsFor(row.input)));

test('describePermission and describeRefusals name verb, resource, scope and reason', (t) => {
  t.is(describePermission({ verb: 'list', group: 'projectcalico.org', resource: 'ippools', namespace: 'kube-system' }), 'list ippools.projectcalico.org in namespace kube-system');
  t.is(describePermission({ verb: 'patch', group: '', resource: 'nodes' }), 'patch nodes (cluster-wide)');
  const permission: Permission = { verb: 'patch', group: '', resource: 'nodes', why: 'merge-patch annotations' };
  t.deepEqual(describeRefusals([{ permission }, { permission, reason: 'no' }]), ['patch nodes (cluster-wide): merge-patch annotations', 'patch nodes (cluster-wide): merge-patch annotations (server: no)']);
});

test('renderRbac: namespaced permissions only in the Role, cluster-wide ones only in the ClusterRole', (t) => {
  const perms = permissionsFor(BASE);
  const objs = renderRbac(perms, RBAC);
  t.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`), [
    'ServiceAccount/kube-system/calico-migrate', 'ClusterRole//calico-migrate', 'ClusterRoleBinding//calico-migrate', 'Role/kube-system/calico-migrate', 'RoleBinding/kube-system/calico-migrate',
  ]);
  const [cluster] = roles(objs, 'ClusterRole');
  const [role] = roles(objs, 'Role');
  const granted = (r: RoleObject | undefined, p: Permission): boolean => (r?.rules ?? []).some((x) => x.apiGroups.includes(p.group) && x.resources.includes(p.resource) && x.verbs.includes(p.verb));
  for (const p of perms) {
    t.is(granted(cluster, p), p.namespace === undefined, `ClusterRole and ${describePermission(p)}`);
    t.is(granted(role, p), p.namespace === 'kube-system', `Role and ${describePermission(p)}`);
  }
  t.false((cluster?.rules ?? []).some((r) => r.resources.includes('leases') || r.resources.includes('daemonsets') || r.apiGroups.includes('projectcalico.org')));
  const binding = objs.find((o) => o.kind === 'RoleBinding');
  t.like(binding, { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'calico-migrate' }, subjects: [{ kind: 'ServiceAccount', name: 'calico-migrate', namespace: 'kube-system' }] });
  t.is(serviceAccountUser(RBAC), 'system:serviceaccount:kube-system:calico-migrate');
});

test('renderRbac: one ClusterRole rule per group and resource, verbs merged and sorted, rules sorted', (t) => {
  const [cluster] = roles(renderRbac(permissionsFor(BASE), RBAC), 'ClusterRole');
  const rules = cluster?.rules ?? [];
  t.deepEqual(rules.find((r) => r.resources[0] === 'ippools'), { apiGroups: ['crd.projectcalico.org'], resources: ['ippools'], verbs: ['create', 'get', 'list', 'update'] });
  t.deepEqual(rules.find((r) => r.resources[0] === 'nodes'), { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch'] });
  const keys = rules.map((r) => `${r.apiGroups.join()}\0${r.resources.join()}`);
  t.is(new Set(keys).size, keys.length);
  t.deepEqual(keys, [...keys].sort());
  for (const r of rules) t.deepEqual([...r.verbs], [...r.verbs].sort());
});

test('renderRbac: deterministic whatever the input order; v1beta1 switch; rbacApiVersionFor', (t) => {
  const perms = permissionsFor({ ...BASE, mode: 'rollback' });
  const a = renderRbac(perms, RBAC);
  t.deepEqual(renderRbac([...perms].reverse(), RBAC), a);
  t.is(JSON.stringify(renderRbac([...perms].reverse(), RBAC)), JSON.stringify(a));
  const beta = renderRbac(perms, { ...RBAC, rbacApiVersion: 'rbac.authorization.k8s.io/v1beta1' });
  t.deepEqual(beta.map((o) => o.apiVersion), ['v1', ...Array<string>(4).fill('rbac.authorization.k8s.io/v1beta1')]);
  t.is(rbacApiVersionFor(7), 'rbac.authorization.k8s.io/v1beta1');
  t.is(rbacApiVersionFor(8), 'rbac.authorization.k8s.io/v1');
  t.is(rbacApiVersionFor(33), 'rbac.authorization.k8s.io/v1');
});

test('renderRbac: a Role per namespace; no ClusterRole when nothing is cluster-wide', (t) => {
  const perms: Permission[] = [
    { verb: 'get', group: '', resource: 'configmaps', namespace: 'b', why: 'x' },
    { verb: 'get', group: '', resource: 'configmaps', namespace: 'a', why: 'x' },
  ];
  t.deepEqual(renderRbac(perms, RBAC).map((o) => `${o.kind}/${o.metadata.namespace ?? ''}`), ['ServiceAccount/kube-system', 'Role/a', 'RoleBinding/a', 'Role/b', 'RoleBinding/b']);
});

test('rbacYaml: documents in order, every rule commented with its reasons, round-trips to the objects', (t) => {
  const input = { ...BASE, ...RBAC };
  const objs = rbacFor(input);
  const text = rbacYaml(objs, permissionsFor(input), 'generated by calico-migrate');
  t.true(text.startsWith('# generated by calico-migrate\n'));
  t.deepEqual(YAML.parseAllDocuments(text).map((d) => d.toJS() as unknown), objs as unknown[]);
  t.regex(text, /# patch: merge-patch the Calico annotations of existing Nodes \(never creates Nodes\)\n\s+- apiGroups:\n\s+- ""\n\s+resources:\n\s+- nodes/);
  t.regex(text, /# delete: release the migration lock/);
  t.is(rbacYaml(objs, permissionsFor(input), 'generated by calico-migrate'), text);
});
