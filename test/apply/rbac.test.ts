/**
 * The generated RBAC, enforced: the rendered ClusterRole and Role are turned into the test
 * server's allow rules for the ServiceAccount's user, and `checkAccess` (SelfSubjectAccessReviews
 * through KubeClient) must find every permission allowed, and exactly the right ones refused when a
 * rule or verb is taken away. One refusal is cross-checked with the real kubectl.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAccess } from '../../src/apply/access-check.js';
import { describePermission, permissionsFor, type Permission, type PermissionsInput } from '../../src/apply/permissions.js';
import { renderRbac, serviceAccountUser, type RbacObject, type RbacRule, type RoleObject } from '../../src/apply/rbac.js';
import { KubeApiError, KubeClient } from '../../src/datastore/kube-client.js';
import { resolveSettings } from '../../src/datastore/settings.js';
import { startK8sServer, type K8sTestServer, type PolicyRule } from '../k8s-server/index.js';

const TOKEN = 'calico-migrate-sa-token';
const RBAC = { rbacApiVersion: 'rbac.authorization.k8s.io/v1', namespace: 'kube-system', name: 'calico-migrate' } as const;
const USER = serviceAccountUser(RBAC);
const BASE: PermissionsInput = { source: 'kubernetes', target: 'v2.5', mode: 'apply', lockResource: 'leases', daemonSetGroup: 'apps' };

let server: K8sTestServer;
let dir: string;

/** The client as the CLI builds it, authenticating as the ServiceAccount; `endpoint` overrides the URL. */
function clientFor(endpoint = server.url): KubeClient {
  const flags = { datastoreType: 'kubernetes', k8sAPIEndpoint: endpoint, k8sToken: TOKEN, ...(server.caFile ? { k8sCAFile: server.caFile } : {}) };
  const { settings } = resolveSettings({ flags, env: {} });
  return KubeClient.fromSettings(settings, {}, { sleep: () => Promise.resolve() });
}

/** What an RBAC authorizer would do with these objects, as the test server's allow rules. */
function policyRules(objects: readonly RbacObject[], drop: (role: RoleObject, rule: RbacRule) => RbacRule | undefined = (_, r) => r): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const role of objects.filter((o): o is RoleObject => o.kind === 'ClusterRole' || o.kind === 'Role')) {
    const users = objects.flatMap((b) =>
      'roleRef' in b && b.roleRef.kind === role.kind && b.roleRef.name === role.metadata.name && (role.kind === 'ClusterRole' || b.metadata.namespace === role.metadata.namespace)
        ? b.subjects.map((s) => `system:serviceaccount:${s.namespace}:${s.name}`)
        : [],
    );
    for (const rule of role.rules) {
      const kept = drop(role, rule);
      if (!kept || kept.verbs.length === 0) continue;
      out.push({ users, verbs: [...kept.verbs], apiGroups: [...kept.apiGroups], resources: [...kept.resources], ...(role.kind === 'Role' && role.metadata.namespace ? { namespaces: [role.metadata.namespace] } : {}) });
    }
  }
  return out;
}

/** The permissions a rule of `role` grants. */
const coveredBy = (perms: readonly Permission[], role: RoleObject, rule: RbacRule): Permission[] =>
  perms.filter((p) => rule.apiGroups.includes(p.group) && rule.resources.includes(p.resource) && rule.verbs.includes(p.verb) && p.namespace === role.metadata.namespace);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: join(dir, 'kubeconfig') };
    execFile('/usr/bin/kubectl', [...args, '--cache-dir', join(dir, 'cache')], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rbac-test-'));
  server = await startK8sServer({
    tls: true,
    tokens: { [TOKEN]: { user: USER, groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] } },
    // A stand-in for the v2.4 IpPool ThirdPartyResource, so that kubectl can resolve the resource.
    seed: [{ apiVersion: 'projectcalico.org/v1', kind: 'IpPool', metadata: { name: '192-168-0-0-16', namespace: 'kube-system' }, spec: { value: '{"cidr":"192.168.0.0/16"}' } }],
  });
  await writeFile(join(dir, 'kubeconfig'), server.kubeconfig({ token: TOKEN }));
});

test.after.always(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

const configs: PermissionsInput[] = [
  BASE,
  { ...BASE, mode: 'plan' },
  { source: 'etcdv2', target: 'v3.0', mode: 'rollback', lockResource: 'configmaps', daemonSetGroup: 'extensions' },
];

for (const input of configs) {
  test.serial(`the rendered RBAC allows everything permissionsFor asks (${input.source}, ${input.target}, ${input.mode}, ${input.lockResource})`, async (t) => {
    const perms = permissionsFor(input);
    server.setPolicy({ rules: policyRules(renderRbac(perms, RBAC)) });
    server.clearRequests();
    const report = await checkAccess(clientFor(), perms);
    t.deepEqual(report.refused, []);
    t.deepEqual(report.allowed, perms);
    t.is(report.unavailable, undefined);
    const reviews = server.requests.filter((q) => q.path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    t.is(reviews.length, perms.length);
    t.true(reviews.every((q) => q.user === USER && q.status === 201));
  });
}

test.serial('without the Role (namespaced rules) nothing in kube-system is allowed, and nothing else is refused', async (t) => {
  const perms = permissionsFor(BASE);
  server.setPolicy({ rules: policyRules(renderRbac(perms, RBAC), (role, rule) => (role.kind === 'Role' ? undefined : rule)) });
  const report = await checkAccess(clientFor(), perms);
  t.deepEqual(report.refused.map((r) => r.permission), perms.filter((p) => p.namespace === 'kube-system'));
  t.true(report.refused.length > 0);
});

test.serial('removing any one rule refuses exactly the permissions that rule granted', async (t) => {
  const perms = permissionsFor(BASE);
  const objects = renderRbac(perms, RBAC);
  const client = clientFor();
  let rules = 0;
  for (const role of objects.filter((o): o is RoleObject => o.kind === 'ClusterRole' || o.kind === 'Role')) {
    for (const removed of role.rules) {
      rules++;
      server.setPolicy({ rules: policyRules(objects, (r, rule) => (r === role && rule === removed ? undefined : rule)) });
      const report = await checkAccess(client, perms);
      // Every authenticated user may create SelfSubjectAccessReviews (system:basic-user), so that
      // grant in our ClusterRole is only documentation: removing it refuses nothing.
      const selfReview = removed.resources.includes('selfsubjectaccessreviews');
      const expected = selfReview ? [] : coveredBy(perms, role, removed);
      t.true(selfReview || expected.length > 0);
      t.deepEqual(report.refused.map((r) => r.permission), expected, `${role.kind} rule ${removed.resources.join()}.${removed.apiGroups.join()}`);
      t.is(report.allowed.length, perms.length - expected.length);
    }
  }
  t.true(rules >= 12);
});

test.serial('removing one verb refuses exactly that permission', async (t) => {
  const perms = permissionsFor(BASE);
  const objects = renderRbac(perms, RBAC);
  server.setPolicy({ rules: policyRules(objects, (_, rule) => (rule.resources.includes('nodes') ? { ...rule, verbs: rule.verbs.filter((v) => v !== 'patch') } : rule)) });
  const report = await checkAccess(clientFor(), perms);
  t.deepEqual(report.refused, [{ permission: perms.find((p) => p.verb === 'patch' && p.resource === 'nodes') }]);
  const first = report.refused[0];
  t.is(first && describePermission(first.permission), 'patch nodes (cluster-wide)');
});

test.serial("a refusal carries the authorizer's reason when it gives one", async (t) => {
  const perms = permissionsFor(BASE);
  server.setPolicy(({ info }) => (info.resource === 'leases' && info.verb === 'delete' ? { allowed: false, reason: 'lock deletion is reserved to cluster admins' } : true));
  const report = await checkAccess(clientFor(), perms);
  t.deepEqual(report.refused, [{ permission: perms.find((p) => p.verb === 'delete' && p.resource === 'leases'), reason: 'lock deletion is reserved to cluster admins' }]);
});

test.serial('at most four reviews are in flight at once', async (t) => {
  const perms = permissionsFor(BASE);
  server.setPolicy('allow-all');
  const fault = server.injectFault({ path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', times: Infinity, action: { type: 'latency', ms: 20 } });
  const real = clientFor();
  let inFlight = 0;
  let peak = 0;
  // The real client, only counted: every review still goes to the server.
  const counted = {
    server: real.server,
    canI: async (a: Parameters<KubeClient['canI']>[0]) => {
      peak = Math.max(peak, ++inFlight);
      try {
        return await real.canI(a);
      } finally {
        inFlight--;
      }
    },
  };
  try {
    const report = await checkAccess(counted, perms);
    t.is(report.allowed.length, perms.length);
    t.is(peak, 4);
    t.is(fault.hits, perms.length);
  } finally {
    fault.clear();
  }
});

test.serial('a 403 for the review API itself: the check is reported as unavailable, not a crash', async (t) => {
  server.setPolicy('deny-all');
  const report = await checkAccess(clientFor(), permissionsFor(BASE));
  t.deepEqual(report.allowed, []);
  t.deepEqual(report.refused, []);
  t.regex(report.unavailable ?? '', /refused to create a SelfSubjectAccessReview \(HTTP 403: selfsubjectaccessreviews\.authorization\.k8s\.io is forbidden: User "system:serviceaccount:kube-system:calico-migrate" cannot create resource "selfsubjectaccessreviews" in API group "authorization\.k8s\.io" at the cluster scope\)/);
});

test.serial('a 404 for the review API (not served, or not an API server at that path): unavailable', async (t) => {
  server.setPolicy('allow-all');
  server.clearRequests();
  const report = await checkAccess(clientFor(`${server.url}/not-the-api`), permissionsFor(BASE));
  t.regex(report.unavailable ?? '', /does not serve SelfSubjectAccessReviews .*HTTP 404/);
  t.deepEqual([report.allowed, report.refused], [[], []]);
  t.true(server.requests.length >= 1 && server.requests.length <= 4, 'stops after the first answers');
});

test.serial('any other failure of the review API is thrown (after the client has retried)', async (t) => {
  server.setPolicy('allow-all');
  const fault = server.injectFault({ path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', times: Infinity, action: { type: 'error', status: 503 } });
  try {
    const e = await t.throwsAsync(checkAccess(clientFor(), permissionsFor(BASE)), { instanceOf: KubeApiError });
    t.is(e?.status, 503);
  } finally {
    fault.clear();
  }
});

test.serial('kubectl agrees: with the TPR rule removed, kubectl get prints the 403 for exactly the refused permission', async (t) => {
  const perms = permissionsFor(BASE);
  const objects = renderRbac(perms, RBAC);
  server.setPolicy({ rules: policyRules(objects, (role, rule) => (role.kind === 'Role' && rule.apiGroups[0] === 'projectcalico.org' && rule.resources[0] === 'ippools' ? undefined : rule)) });
  const report = await checkAccess(clientFor(), perms);
  t.is(report.refused.length, 1);
  const refused = report.refused[0]?.permission;
  t.like(refused, { verb: 'list', group: 'projectcalico.org', resource: 'ippools', namespace: 'kube-system' });

  const r = await kubectl(['get', 'ippools.projectcalico.org', '-n', 'kube-system']);
  t.is(r.code, 1);
  t.is(
    r.stderr.trim(),
    `Error from server (Forbidden): ${refused?.resource}.${refused?.group} is forbidden: User "${USER}" cannot ${refused?.verb} resource "${refused?.resource}" in API group "${refused?.group}" in the namespace "${refused?.namespace}"`,
  );
  // A permission the Role still grants works for kubectl with the same token (list nodes, cluster-wide).
  const nodes = await kubectl(['get', 'nodes', '-o', 'name']);
  t.is(nodes.code, 0, nodes.stderr);
});
