/**
 * The safety properties against the REAL kube-apiserver (built by `npm run peers`), `--to v3.0`
 * from the Kubernetes-datastore dumps: a conflicting object blocks and `--overwrite` backs it up
 * first; rollback restores the exact pre-apply state (whole-cluster snapshots as `kubectl get -o
 * json` shows them, without uid, resourceVersion, creationTimestamp, generation and managedFields);
 * two concurrent applies and the Lease lock (exactly one writes); `--dry-run=server` writes nothing
 * and names what the server could not check before the CRDs exist; Calico's own CRDs installed
 * first (schema defaults are not differences; a field the schema would prune blocks); an account
 * bound only to `calico-migrate rbac`'s output can plan, apply and roll back, and without one of its
 * permissions is stopped by the preflight naming it; pagination past 2,000 objects of one kind.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT, runCli } from '../_helpers/cli.js';
import { clusterSnapshot } from '../_helpers/control-plane.js';
import { convertedItems } from '../_helpers/items.js';
import { fixtureNodes, installCalicoCrds, startRealCluster, type RealCluster } from '../_helpers/real-cluster.js';
import { jsonOutput } from '../_helpers/cluster-assert.js';

interface Obj { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; uid?: string }; spec?: Record<string, unknown> }
interface ApplyResult { result: string; exitCode: number; summary?: Record<string, number>; journal?: string; backup?: string; findings?: { code: string; severity: string; message: string }[]; entries?: { key: string; outcome: string; error?: string }[]; message?: string }

const S = `${REPO_ROOT}/fixtures/sources`;
const KDD = [`${S}/kdd-typical/tprs.yaml`, `${S}/kdd-typical/systemnetworkpolicies.yaml`, `${S}/kdd-typical/nodes.yaml`];
const SOURCE = KDD.flatMap((f) => ['--from-file', f]);
const POOL = '192-168-0-0-16';

const json = jsonOutput;

async function start(): Promise<RealCluster> {
  return startRealCluster({ nodes: await fixtureNodes() });
}


async function getObject(c: RealCluster, resource: string, name: string): Promise<Obj | undefined> {
  const r = await c.kubectl(['get', resource, name, '-o', 'json']);
  if (r.code !== 0) return undefined;
  return JSON.parse(r.stdout) as Obj;
}

/** Waits until no Calico CRD is left terminating (rollback deletes the ones the apply installed). */
async function untilNoCalicoCrds(c: RealCluster): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await c.kubectl(['get', 'crd', '-o', 'name']);
    if (!r.stdout.includes('.crd.projectcalico.org')) return;
    await new Promise((res) => setTimeout(res, 100));
  }
}

test.serial('real safety: a hand-made object blocks plan and apply (nothing written); --overwrite backs it up first, then replaces it', async (t) => {
  const c = await start();
  try {
    await installCalicoCrds(t, c);
    const handMade = { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: POOL, labels: { owner: 'platform-team' } }, spec: { cidr: '192.168.0.0/16', ipipMode: 'Never', natOutgoing: false } };
    const created = await c.kubectl(['create', '-f', '-'], { stdin: JSON.stringify(handMade) });
    t.is(created.code, 0, created.stderr);
    const before = await clusterSnapshot(c.cp);

    const plan = await c.cli(['plan', '--to', 'v3.0', ...SOURCE]);
    t.is(plan.code, 3, plan.stdout + plan.stderr);
    t.regex(plan.stdout, /create 8, update 0, unchanged 0, conflict 1/);
    const blocked = await c.cli(['apply', '--state', 'local', '--to', 'v3.0', ...SOURCE, '--yes', '-o', 'json']);
    t.is(blocked.code, 3, blocked.stdout);
    t.is(json<ApplyResult>(t, blocked).result, 'blocked');
    t.deepEqual(await clusterSnapshot(c.cp), before, 'a blocked apply writes nothing, not even the lock');

    const live = await getObject(c, 'ippools.crd.projectcalico.org', POOL);
    const apply = await c.cli(['apply', '--state', 'local', '--to', 'v3.0', ...SOURCE, '--yes', '--overwrite', '-o', 'json']);
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    const result = json<ApplyResult>(t, apply);
    t.deepEqual(result.summary, { created: 8, overwritten: 1 });
    const backup = YAML.parse(await readFile(result.backup ?? '', 'utf8')) as { items: Obj[] };
    t.is(backup.items.length, 1);
    t.is(backup.items[0]?.metadata.uid, live?.metadata.uid, 'the backup is the object as it was on the server');
    t.deepEqual(backup.items[0]?.spec, live?.spec);
    const want = convertedItems<Obj>((await runCli(['convert', ...SOURCE, '--to', 'v3.0', '-o', 'json'])).stdout).find((o) => o.kind === 'IPPool');
    const now = await getObject(c, 'ippools.crd.projectcalico.org', POOL);
    // Calico's IPPool CRD has no defaults for these fields; what was written is what is stored.
    t.deepEqual(now?.spec, want?.spec);
    t.is(now?.metadata.labels, undefined, 'the hand-made labels are gone');
  } finally {
    await c.stop();
  }
});

test.serial('real safety: rollback restores the exact pre-apply state of the whole cluster (CRDs, objects, Nodes, the lock)', async (t) => {
  const c = await startRealCluster({ nodes: await fixtureNodes({ calicoAnnotations: false }) });
  try {
    const etcd = ['--from-file', `${S}/etcd-typical/etcd-v2.json`, '--ignore-preflight', 'calico-ipam-in-use'];
    const before = await clusterSnapshot(c.cp);
    // Local state: the whole cluster, the tool's own state namespace included, must be as before.
    const apply = await c.cli(['apply', '--state', 'local', '--to', 'v3.0', ...etcd, '--yes', '-o', 'json']);
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    const result = json<ApplyResult>(t, apply);
    t.deepEqual(result.summary, { created: 14, patched: 3 });
    t.notDeepEqual(await clusterSnapshot(c.cp), before);

    const rollback = await c.cli(['rollback', '--journal', result.journal ?? '', '--yes', '-o', 'json']);
    t.is(rollback.code, 0, rollback.stdout + rollback.stderr);
    t.is(json<{ result: string }>(t, rollback).result, 'rolled-back');
    await untilNoCalicoCrds(c);
    t.deepEqual(await clusterSnapshot(c.cp), before, 'after rollback the cluster is exactly as before the apply');

    const again = await c.cli(['rollback', '--journal', result.journal ?? '', '--yes', '-o', 'json']);
    t.is(again.code, 0, again.stdout + again.stderr);
    t.deepEqual(await clusterSnapshot(c.cp), before, 'a second rollback changes nothing');
  } finally {
    await c.stop();
  }
});

/** The real executable, as a separate process (the lock tells holders apart by host and pid). */
function runBin(c: RealCluster, args: readonly string[], stateDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: c.dir, KUBECONFIG: c.kubeconfig, DATASTORE_TYPE: 'kubernetes', NO_COLOR: '1' };
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/calico-migrate.js'), ...args, '--state-dir', stateDir], { cwd: c.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

test.serial('real safety: two applies started together: the Lease lets exactly one write; the other is blocked by the lock or finds nothing left to do', async (t) => {
  const c = await start();
  try {
    const args = ['apply', '--to', 'v3.0', ...SOURCE, '--yes', '-o', 'json'];
    const [a, b] = await Promise.all([runBin(c, args, join(c.dir, 'a')), runBin(c, args, join(c.dir, 'b'))]);
    const results = [a, b].map((r) => ({ code: r.code, ...json<ApplyResult>(t, r) }));
    const writers = results.filter((r) => r.result === 'applied' && (r.summary?.['created'] ?? 0) > 0);
    t.is(writers.length, 1, JSON.stringify(results, null, 2));
    t.deepEqual(writers[0]?.summary, { created: 9 });
    const other = results.find((r) => r !== writers[0]);
    t.true(other?.result === 'blocked' || other?.result === 'nothing-to-do', JSON.stringify(other, null, 2));
    if (other?.result === 'blocked') {
      t.is(other.code, 3);
      t.regex(other.message ?? '', /the migration lock \(Lease kube-system\/calico-migrate\) is held by "[^"]+" \(on host [^,]+, pid \d+\)/);
      t.deepEqual(other.entries, [], 'the blocked run wrote nothing');
    }
    // The Lease is gone once the writer is done.
    const lease = await c.kubectl(['get', 'lease', '-n', 'kube-system', 'calico-migrate', '-o', 'name']);
    t.not(lease.code, 0, 'the lock is released');
    const again = await c.cli(['plan', '--to', 'v3.0', ...SOURCE]);
    t.is(again.code, 0, again.stdout);
  } finally {
    await c.stop();
  }
});

test.serial('real safety: --dry-run=server writes nothing; before the CRDs exist it names the objects the server could not check; with them every write is validated', async (t) => {
  const c = await start();
  try {
    const before = await clusterSnapshot(c.cp);
    const dry = await c.cli(['apply', '--to', 'v3.0', ...SOURCE, '--dry-run=server', '-o', 'json']);
    t.is(dry.code, 0, dry.stdout + dry.stderr);
    const result = json<ApplyResult>(t, dry);
    t.is(result.result, 'dry-run');
    // No Calico CRD exists yet: the server cannot check any object, and each says so instead of failing the run.
    const entries = result.entries ?? [];
    t.is(entries.length, 9);
    for (const e of entries) {
      t.is(e.outcome, 'not-validated', JSON.stringify(e));
      t.regex(e.error ?? '', /its CRD is not installed yet, so the server cannot validate it/);
    }
    t.deepEqual(await clusterSnapshot(c.cp), before, 'a server-side dry run changes nothing');

    await installCalicoCrds(t, c);
    const withCrds = await clusterSnapshot(c.cp);
    const dry2 = await c.cli(['apply', '--to', 'v3.0', ...SOURCE, '--dry-run=server', '-o', 'json']);
    t.is(dry2.code, 0, dry2.stdout + dry2.stderr);
    t.deepEqual((json<ApplyResult>(t, dry2).entries ?? []).map((e) => e.outcome), Array(9).fill('validated'));
    t.deepEqual(await clusterSnapshot(c.cp), withCrds);
  } finally {
    await c.stop();
  }
});

test.serial("real safety: on Calico's own CRDs the schema's defaults are not differences: apply verifies, and plan again has nothing to do", async (t) => {
  const etcd = ['--from-file', `${S}/etcd-typical/etcd-v2.json`, '--ignore-preflight', 'calico-ipam-in-use'];
  const c = await startRealCluster({ nodes: await fixtureNodes({ calicoAnnotations: false }) });
  try {
    await installCalicoCrds(t, c);
    const apply = await c.cli(['apply', '--to', 'v3.0', ...etcd, '--yes', '-o', 'json']);
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    const stored = await getObject(c, 'bgpconfigurations.crd.projectcalico.org', 'default');
    t.is(stored?.spec?.['serviceLoadBalancerAggregation'], 'Enabled', "Calico's CRD defaulted a field the tool does not write");
    const again = await c.cli(['plan', '--to', 'v3.0', ...etcd]);
    t.is(again.code, 0, again.stdout + again.stderr);
    t.regex(again.stdout, /create 0, update 0, unchanged 17, conflict 0/);
  } finally {
    await c.stop();
  }
});

test.serial("real safety: a field the cluster's CRD schema would prune blocks plan and apply, naming it; nothing is written", async (t) => {
  const d = await start();
  try {
    // An older or edited IPPool CRD without natOutgoing: writing would silently lose it.
    await installCalicoCrds(t, d, (file, crd) => {
      if (file !== 'crd.projectcalico.org_ippools.yaml') return;
      const versions = (crd['spec'] as { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } } }[] }).versions;
      for (const v of versions) delete v.schema.openAPIV3Schema.properties.spec.properties['natOutgoing'];
    });
    const before = await clusterSnapshot(d.cp);
    const plan = await d.cli(['plan', '--to', 'v3.0', ...SOURCE]);
    t.is(plan.code, 3, plan.stdout + plan.stderr);
    t.regex(plan.stdout, /crd-prunes-fields.*IPPool\/192-168-0-0-16: the CRD on the cluster has no field spec\.natOutgoing/);
    const apply = await d.cli(['apply', '--to', 'v3.0', ...SOURCE, '--yes', '-o', 'json']);
    t.is(apply.code, 3, apply.stdout);
    t.deepEqual(await clusterSnapshot(d.cp), before, 'nothing is written');
  } finally {
    await d.stop();
  }
});

test.serial('real safety: paging: 2,100 policies of one kind are applied, then read back across list pages: plan again has nothing to do', async (t) => {
  const c = await startRealCluster({ nodes: await fixtureNodes({ calicoAnnotations: false }) });
  try {
    const keys: Record<string, string> = { '/calico/v1/config/LogSeverityScreen': 'Info' };
    for (let i = 0; i < 2100; i++) {
      keys[`/calico/v1/policy/tier/default/policy/p-${String(i).padStart(4, '0')}`] = JSON.stringify({ order: i, selector: `app == 'a${i}'`, inbound_rules: [{ action: 'allow', protocol: 'tcp', dst_ports: [80] }], outbound_rules: [] });
    }
    const file = join(c.dir, 'many.json');
    await writeFile(file, JSON.stringify(keys));
    const apply = await c.cli(['apply', '--to', 'v3.0', '--from-file', file, '--yes', '-o', 'json', '--concurrency', '8']);
    t.is(apply.code, 0, apply.stdout.slice(0, 2000) + apply.stderr);
    t.deepEqual(json<ApplyResult>(t, apply).summary, { created: 2101 });
    const count = await c.kubectl(['get', 'globalnetworkpolicies.crd.projectcalico.org', '-o', 'name', '--chunk-size', '500']);
    t.is(count.stdout.trim().split('\n').length, 2100);
    const again = await c.cli(['plan', '--to', 'v3.0', '--from-file', file]);
    t.is(again.code, 0, again.stdout.slice(0, 2000) + again.stderr);
    t.regex(again.stdout, /create 0, update 0, unchanged 2101, conflict 0/);
  } finally {
    await c.stop();
  }
});

test.serial("real safety: a ServiceAccount bound only to `calico-migrate rbac --mode rollback`'s output plans, applies and rolls back; without one of its permissions the preflight stops it, naming that permission", async (t) => {
  const c = await start();
  try {
    const rbac = await c.cli(['rbac', '--to', 'v3.0', '--source', 'files', '--mode', 'rollback']);
    t.is(rbac.code, 0, rbac.stderr);
    const granted = await c.kubectl(['apply', '-f', '-'], { stdin: rbac.stdout });
    t.is(granted.code, 0, granted.stderr);
    // No token controller runs: the ServiceAccount's token comes from the TokenRequest API, as `kubectl create token` asks it.
    const token = await c.kubectl(['create', 'token', 'calico-migrate', '-n', 'kube-system', '--duration', '1h']);
    t.is(token.code, 0, token.stderr);
    const kubeconfig = c.cp.writeKubeconfig(join(c.dir, 'sa-kubeconfig'), token.stdout.trim());
    const as = { KUBECONFIG: kubeconfig };

    const plan = await c.cli(['plan', '--to', 'v3.0', ...SOURCE], as);
    t.is(plan.code, 2, plan.stdout + plan.stderr);
    t.notRegex(plan.stdout, /permission-denied/);
    const before = await clusterSnapshot(c.cp);
    const apply = await c.cli(['apply', '--to', 'v3.0', ...SOURCE, '--yes', '-o', 'json'], as);
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    const result = json<ApplyResult>(t, apply);
    t.deepEqual(result.summary, { created: 9 });
    // The run's state is in the cluster (the manifest made its namespace and granted Secrets there alone).
    t.regex(result.journal ?? '', /^Secrets run-[0-9a-f]{12}-\* in namespace calico-migrate on /);
    const status = await c.cli(['status', '-o', 'json'], as);
    t.is(status.code, 0, status.stderr);
    t.like(JSON.parse(status.stdout) as object, { status: { lastOutcome: 'applied', planned: 9 } });
    const rollback = await c.cli(['rollback', '--yes', '-o', 'json'], as);
    t.is(rollback.code, 0, rollback.stdout + rollback.stderr);
    await untilNoCalicoCrds(c);
    const run = /run-([0-9a-f]{12})-/.exec(result.journal ?? '')?.[1] ?? '';
    const forgot = await c.cli(['forget', run], as);
    t.is(forgot.code, 0, forgot.stdout + forgot.stderr);
    t.deepEqual(await clusterSnapshot(c.cp), before, 'the least-privilege account rolled back (and forgot the run) to the exact state');

    // Take away one permission: creating IPPools.
    const role = JSON.parse((await c.kubectl(['get', 'clusterrole', 'calico-migrate', '-o', 'json'])).stdout) as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    role.rules = role.rules.map((r) => (r.resources.includes('ippools') && r.apiGroups.includes('crd.projectcalico.org') ? { ...r, verbs: r.verbs.filter((v) => v !== 'create') } : r));
    const replaced = await c.kubectl(['replace', '-f', '-'], { stdin: JSON.stringify(role) });
    t.is(replaced.code, 0, replaced.stderr);
    const beforeDenied = await clusterSnapshot(c.cp);
    const denied = await c.cli(['apply', '--to', 'v3.0', ...SOURCE, '--yes', '-o', 'json'], as);
    t.is(denied.code, 3, denied.stdout + denied.stderr);
    const findings = json<ApplyResult>(t, denied).findings ?? [];
    const refusals = findings.filter((f) => f.code === 'permission-denied');
    t.is(refusals.length, 1, JSON.stringify(findings, null, 2));
    t.regex(refusals[0]?.message ?? '', /create .*ippools.*crd\.projectcalico\.org/);
    t.deepEqual(await clusterSnapshot(c.cp), beforeDenied, 'stopped before writing anything');

    // A user with no role at all is told what it lacks, not given a stack trace.
    const nobody = c.cp.writeKubeconfig(join(c.dir, 'nobody-kubeconfig'), c.cp.userToken);
    const refused = await c.cli(['plan', '--to', 'v3.0', ...SOURCE], { KUBECONFIG: nobody });
    t.is(refused.code, 3, refused.stdout + refused.stderr);
    t.regex(refused.stdout, /permission-denied/);
  } finally {
    await c.stop();
  }
});
