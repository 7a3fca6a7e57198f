/**
 * The safety properties of plan/apply/rollback/status, end to end through the CLI against the
 * Kubernetes API test server, read back with the real kubectl:
 * - an object the tool did not write is a conflict: blocked unless --overwrite, backed up first;
 *   --overwrite covers only the conflicts the plan showed (not an object created during the
 *   apply), and a resumed apply keeps the backup of what the first run replaced;
 * - rollback restores exactly the state before the apply, keeps what changed after it (unless
 *   --force), deletes the CRDs it installed only when they are empty, is idempotent, and undoes
 *   every run of an apply that was resumed by running it again;
 * - a saved plan is refused when the source or the target moved, but not when resumed;
 * - the migration lock keeps a second writer out, can be waited for, and a stale one is shown and
 *   can be forced (journaled);
 * - `status` after a failed apply says what is left, and applying the plan again completes it.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import YAML from 'yaml';
import { acquireLock } from '../../src/apply/lock.js';
import { KubeClient } from '../../src/datastore/kube-client.js';
import { resolveSettings } from '../../src/datastore/settings.js';
import type { AuthzAttributes } from '../k8s-server/auth.js';
import { runCli } from '../_helpers/cli.js';
import { cli, KDD_FILES, kubectl, startCluster, TOKEN, writes, type Cluster } from '../_helpers/cluster.js';
import { jsonOutput } from '../_helpers/cluster-assert.js';
import { seededRandom } from '../_helpers/random.js';
import { rollBackEverything } from '../_helpers/rollback-chain.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  [field: string]: unknown;
}
interface Obj { apiVersion: string; kind: string; metadata: Meta; spec?: unknown; [field: string]: unknown }

interface ApplyResult {
  result: string;
  exitCode: number;
  plan?: { hash: string; file?: string };
  journal?: string;
  backup?: string;
  summary?: Record<string, number>;
  entries?: { key: string; outcome: string; error?: string }[];
  moved?: string[];
  message?: string;
}
interface RollbackResult { result: string; exitCode: number; journal: string; steps: { key: string; outcome: string; detail?: string }[] }
interface StatusResult {
  lock: { holder: string; reason: string; stale: boolean } | null;
  journal: string | null;
  status: { planned: number; done: string[]; failed: string[]; remaining: string[]; lastOutcome: string; planFile?: string } | null;
  next: string;
}
interface JournalLine { t: string; key?: string; outcome?: string; removed?: { holder: string; reason: string } | null; automatic?: boolean }

const TOOL = 'calico-migrate.projectcalico.org/written-by';
const PLAN = 'calico-migrate.projectcalico.org/plan';
const SOURCE = 'calico-migrate.projectcalico.org/source';
const POOL = '192-168-0-0-16';
const POOL_KEY = `IPPool/${POOL}`;
/** The resource each v2.5 kind is read from with kubectl. */
const RESOURCE: Readonly<Record<string, string>> = {
  GlobalFelixConfig: 'globalfelixconfigs.crd.projectcalico.org', GlobalBGPConfig: 'globalbgpconfigs.crd.projectcalico.org', IPPool: 'ippools.crd.projectcalico.org',
  BGPPeer: 'bgppeers.crd.projectcalico.org', GlobalNetworkPolicy: 'globalnetworkpolicies.crd.projectcalico.org',
};

const json = jsonOutput;

/** The two kinds of cluster: Kubernetes 1.7 with the v2.4 TPRs as live source, or 1.33 with the dumps as files. */
interface Setup { readonly version: 'v1.7.16' | 'v1.33.0'; readonly sourceArgs: readonly string[]; readonly lockResource: 'configmaps' | 'leases' }
const V17: Setup = { version: 'v1.7.16', sourceArgs: [], lockResource: 'configmaps' };
const V133: Setup = { version: 'v1.33.0', sourceArgs: KDD_FILES.flatMap((f) => ['--from-file', f]), lockResource: 'leases' };

function start(s: Setup): Promise<Cluster> {
  return startCluster({ gitVersion: s.version, files: s.version === 'v1.7.16' ? KDD_FILES : [KDD_FILES[2] ?? ''] });
}

/** A Calico CRD as another installer (Calico's own manifests) would have created it, in the form the server reads. */
function foreignCrd(s: Setup, plural: string, kind: string): Obj {
  const metadata = { name: `${plural}.crd.projectcalico.org` };
  const names = { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` };
  if (s.version === 'v1.7.16') {
    return { apiVersion: 'apiextensions.k8s.io/v1beta1', kind: 'CustomResourceDefinition', metadata, spec: { group: 'crd.projectcalico.org', version: 'v1', scope: 'Cluster', names } };
  }
  const schema = { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
  return { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata, spec: { group: 'crd.projectcalico.org', scope: 'Cluster', names, versions: [{ name: 'v1', served: true, storage: true, schema }] } };
}

/** The IP pool somebody created by hand: same name as the converted one, different content, none of this tool's annotations. */
const HAND_MADE_POOL: Obj = {
  apiVersion: 'crd.projectcalico.org/v1',
  kind: 'IPPool',
  metadata: { name: POOL, labels: { owner: 'platform-team' }, annotations: { 'example.com/note': 'created by hand during the outage' } },
  spec: { cidr: '192.168.0.0/16', ipip: { enabled: false }, 'nat-outgoing': false },
};

/** Seeds the hand-made pool with its CRD first (the CRD is then not one this tool installed). */
function seedHandMadePool(c: Cluster, s: Setup): void {
  const r = c.server.seed([foreignCrd(s, 'ippools', 'IPPool'), HAND_MADE_POOL]);
  if (r.skipped.length > 0) throw new Error(`seeding failed: ${JSON.stringify(r.skipped)}`);
}

/** What convert prints for the kdd-typical source: what the cluster must hold after an apply. */
async function converted(): Promise<Obj[]> {
  const run = await runCli(['convert', ...V133.sourceArgs, '--to', 'v2.5', '-o', 'json']);
  return (JSON.parse(run.stdout) as { items: Obj[] }).items;
}

/** One object read with the real kubectl, or undefined when it does not exist. */
async function getObject(c: Cluster, resource: string, name: string): Promise<Obj | undefined> {
  const r = await kubectl(c, ['get', resource, name, '-o', 'json']);
  if (r.code !== 0) {
    if (/NotFound|not found|doesn't have a resource type/.test(r.stderr)) return undefined;
    throw new Error(`kubectl get ${resource} ${name}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout) as Obj;
}

async function listObjects(c: Cluster, args: readonly string[]): Promise<Obj[]> {
  const r = await kubectl(c, ['get', ...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(`kubectl get ${args.join(' ')}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { items: Obj[] }).items;
}

/** The Calico CRDs on the cluster, by name. */
async function calicoCrdNames(c: Cluster): Promise<string[]> {
  return (await listObjects(c, ['crd'])).map((o) => o.metadata.name).filter((n) => n.endsWith('.crd.projectcalico.org')).sort();
}

const SERVER_SET = new Set(['resourceVersion', 'uid', 'creationTimestamp', 'managedFields', 'generation']);

/** An object without the fields the server sets on every write. */
function normalized(o: Obj): Obj {
  return { ...o, metadata: Object.fromEntries(Object.entries(o.metadata).filter(([k]) => !SERVER_SET.has(k))) as Meta };
}

/**
 * Everything a migration could touch, as the real kubectl reads it: the Calico CRDs, every object in
 * each of them, the Nodes, and the objects of the lock's kind in kube-system.
 */
async function snapshot(c: Cluster, s: Setup): Promise<Record<string, Obj[]>> {
  const crds = (await listObjects(c, ['crd'])).filter((o) => o.metadata.name.endsWith('.crd.projectcalico.org'));
  const out: Record<string, Obj[]> = { crds: crds.map(normalized), nodes: (await listObjects(c, ['nodes'])).map(normalized) };
  out[`${s.lockResource} in kube-system`] = (await listObjects(c, [s.lockResource, '-n', 'kube-system'])).map(normalized);
  for (const crd of crds) out[crd.metadata.name] = (await listObjects(c, [crd.metadata.name])).map(normalized);
  return out;
}

async function journalLines(path: string): Promise<JournalLine[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as JournalLine);
}

/** A client of the cluster for the test itself (to hold the lock as another operator would). */
function clientOf(c: Cluster): KubeClient {
  return KubeClient.fromSettings(resolveSettings({ flags: { datastoreType: 'kubernetes', kubeconfig: c.kubeconfig }, env: {} }).settings, {});
}

/** Writes other than the lock's own that reached the Calico group or the CRDs. */
function calicoWrites(c: Cluster): string[] {
  return writes(c.server, { lock: false }).filter((w) => w.includes('projectcalico.org') || w.includes('customresourcedefinitions'));
}

/**
 * A 1.33 cluster where creating `resource` fails with 403 (as an admission webhook would refuse it)
 * until the test calls `c.server.setPolicy('allow-all')`. Access reviews still answer yes, so the
 * preflight passes and the apply fails part-way. The operator is not in system:masters here, so the
 * policy applies to it.
 */
function startDenyingCreates(resource: string): Promise<Cluster> {
  const policy = ({ info }: AuthzAttributes): boolean | { allowed: boolean; reason: string } => {
    const realRequest = info.path !== ''; // access reviews carry no path
    return realRequest && info.verb === 'create' && info.resource === resource ? { allowed: false, reason: 'denied by the change-freeze admission policy' } : true;
  };
  return startCluster({ gitVersion: 'v1.33.0', files: [KDD_FILES[2] ?? ''], tokens: { [TOKEN]: 'operator' }, policy });
}

/** Waits until the CRDs a rollback deleted have finished terminating. */
async function untilCrds(c: Cluster, count: number): Promise<void> {
  for (let i = 0; i < 100 && (await calicoCrdNames(c)).length > count; i++) await new Promise((r) => setTimeout(r, 50));
}

/** The pid of a process that has exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = execFile('true', (err) => (err ? reject(err) : resolve(child.pid ?? 0)));
  });
}

// ---------------------------------------------------------------------------------------------
// 1. Conflicts
// ---------------------------------------------------------------------------------------------

test.serial('conflict: an object the tool did not write blocks plan and apply (nothing written); --overwrite backs it up, then replaces it', async (t) => {
  const c = await start(V133);
  try {
    seedHandMadePool(c, V133);
    c.server.clearRequests();

    const plan = await cli(c, ['plan', '--to', 'v2.5', ...V133.sourceArgs]);
    t.is(plan.code, 3, plan.stdout + plan.stderr);
    t.regex(plan.stdout, /create 13, update 0, unchanged 0, conflict 1/);
    t.regex(plan.stdout, new RegExp(`^ {2}conflict +${POOL_KEY}$`, 'm'));
    t.regex(plan.stdout, /IPPool\/192-168-0-0-16 exists with different content and was not written by calico-migrate/);

    const blocked = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...V133.sourceArgs, '--yes', '-o', 'json']);
    t.is(blocked.code, 3, blocked.stdout + blocked.stderr);
    t.is(json<ApplyResult>(t, blocked).result, 'blocked');
    t.deepEqual(writes(c.server), [], 'a blocked apply writes nothing, not even the lock');
    const before = await getObject(c, 'ippools.crd.projectcalico.org', POOL);
    t.deepEqual(before?.spec, HAND_MADE_POOL.spec, 'the hand-made pool is untouched');
    const apply = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...V133.sourceArgs, '--yes', '--overwrite', '-o', 'json']);
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    const result = json<ApplyResult>(t, apply);
    t.is(result.result, 'applied');
    t.deepEqual(result.summary, { created: 13, overwritten: 1 });

    // The backup holds the hand-made pool exactly as it was.
    t.truthy(result.backup);
    const backup = YAML.parse(await readFile(result.backup ?? '', 'utf8')) as { kind: string; items: Obj[] };
    t.is(backup.kind, 'List');
    t.is(backup.items.length, 1);
    const saved = backup.items[0];
    t.is(saved?.metadata.name, POOL);
    t.deepEqual(saved?.spec, HAND_MADE_POOL.spec);
    t.deepEqual(saved?.metadata.labels, HAND_MADE_POOL.metadata.labels);
    t.deepEqual(saved?.metadata.annotations, HAND_MADE_POOL.metadata.annotations);
    t.is(saved?.metadata.uid, before?.metadata.uid);

    // The pool now holds the desired content, with this tool's annotations and nothing of the old one.
    const want = (await converted()).find((o) => o.kind === 'IPPool' && o.metadata.name === POOL);
    const now = await getObject(c, 'ippools.crd.projectcalico.org', POOL);
    t.deepEqual(now?.spec, want?.spec);
    t.is(now?.metadata.labels, undefined, 'the hand-made labels are gone');
    t.deepEqual(Object.keys(now?.metadata.annotations ?? {}).sort(), [PLAN, SOURCE, TOOL]);
    t.regex(now?.metadata.annotations?.[TOOL] ?? '', /^calico-migrate \d/);
    t.is(now?.metadata.annotations?.[PLAN], result.plan?.hash);
    t.regex(now?.metadata.annotations?.[SOURCE] ?? '', /192-168-0-0-16/);
  } finally {
    await c.stop();
  }
});

test.serial('conflict: --overwrite replaces only the conflicts the plan showed; an object someone else creates while the apply runs is not overwritten, and a rollback leaves it alone', async (t) => {
  const c = await start(V133);
  try {
    seedHandMadePool(c, V133);
    // Hold the apply's creates of BGP peers for a moment; meanwhile another operator creates one of them.
    const held = c.server.injectFault({ method: 'POST', path: /^\/apis\/crd\.projectcalico\.org\/v1\/bgppeers$/, times: 2, action: { type: 'latency', ms: 1500 } });
    const theirs: Obj = { apiVersion: 'crd.projectcalico.org/v1', kind: 'BGPPeer', metadata: { name: '10-0-0-1', labels: { team: 'network' } }, spec: { asNumber: 65001, peerIP: '10.0.0.1', scope: 'global' } };
    const running = cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...V133.sourceArgs, '--yes', '--overwrite', '-o', 'json']);
    for (let i = 0; i < 600 && held.hits === 0; i++) await new Promise((r) => setTimeout(r, 25));
    t.true(held.hits > 0, 'the apply reached the BGP peers');
    t.deepEqual(c.server.seed([theirs]).skipped, []);
    const apply = await running;
    const result = json<ApplyResult>(t, apply);
    const peer = result.entries?.find((e) => e.key === 'BGPPeer/10-0-0-1');
    t.is(peer?.outcome, 'failed', `BGPPeer/10-0-0-1 was planned as a create and not backed up; it must not be overwritten (got ${peer?.outcome ?? 'nothing'})`);
    t.not(apply.code, 0);
    const backup = YAML.parse(await readFile(result.backup ?? '', 'utf8')) as { items: Obj[] };
    t.deepEqual(backup.items.map((o) => `${o.kind}/${o.metadata.name}`), [POOL_KEY], 'the backup holds only the planned overwrite');
    const live = await getObject(c, 'bgppeers.crd.projectcalico.org', '10-0-0-1');
    t.deepEqual(live?.spec, theirs.spec, 'their peer is untouched by the apply');
    t.deepEqual(live?.metadata.labels, theirs.metadata.labels);

    await cli(c, ['rollback', '--yes', '--journal', result.journal ?? '', '-o', 'json']);
    const afterRollback = await getObject(c, 'bgppeers.crd.projectcalico.org', '10-0-0-1');
    t.truthy(afterRollback, 'a rollback never deletes an object the apply did not create');
    t.deepEqual(afterRollback?.spec, theirs.spec);
  } finally {
    await c.stop();
  }
});

test.serial('conflict: the backup of what an --overwrite apply replaced survives when the failed apply is resumed with its plan', async (t) => {
  const c = await startDenyingCreates('bgppeers');
  try {
    seedHandMadePool(c, V133);
    const first = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...V133.sourceArgs, '--yes', '--overwrite', '-o', 'json']);
    t.is(first.code, 1, first.stdout + first.stderr);
    const failed = json<ApplyResult>(t, first);
    t.is(failed.entries?.find((e) => e.key === POOL_KEY)?.outcome, 'overwritten');
    const backupItems = async (path: string) => (YAML.parse(await readFile(path, 'utf8')) as { items: Obj[] }).items;
    t.deepEqual((await backupItems(failed.backup ?? '')).map((o) => o.spec), [HAND_MADE_POOL.spec], 'the first run backed up the hand-made pool');

    c.server.setPolicy('allow-all');
    const status = json<StatusResult>(t, await cli(c, ['status', '--state', 'local', '-o', 'json']));
    const resumed = await cli(c, ['apply', '--state', 'local', '--plan', status.status?.planFile ?? '', ...V133.sourceArgs, '--yes', '--overwrite', '-o', 'json']);
    t.is(resumed.code, 0, resumed.stdout + resumed.stderr);
    const done = json<ApplyResult>(t, resumed);
    t.deepEqual(done.summary, { created: 2 });
    t.is(done.backup, failed.backup, 'the resumed apply keeps its backup in the same file');
    const items = await backupItems(done.backup ?? '');
    t.deepEqual(items.map((o) => `${o.kind}/${o.metadata.name}`), [POOL_KEY], 'the backup still holds the object the first run overwrote');
    t.deepEqual(items[0]?.spec, HAND_MADE_POOL.spec);
  } finally {
    await c.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// 2. Rollback restores the exact pre-apply state
// ---------------------------------------------------------------------------------------------

for (const s of [V17, V133]) {
  test.serial(`rollback (${s.version}): after an --overwrite apply, the cluster is exactly as before (created objects and empty installed CRDs gone, the overwritten object restored); a second rollback is a no-op`, async (t) => {
    const c = await start(s);
    try {
      seedHandMadePool(c, s);
      const before = await snapshot(c, s);
      t.deepEqual(await calicoCrdNames(c), ['ippools.crd.projectcalico.org']);

      const apply = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...s.sourceArgs, '--yes', '--overwrite', '-o', 'json']);
      t.is(apply.code, 0, apply.stdout + apply.stderr);
      const applied = json<ApplyResult>(t, apply);
      t.deepEqual(applied.summary, { created: 13, overwritten: 1 });
      t.is((await calicoCrdNames(c)).length, 5, 'the apply installed the four missing CRDs');
      t.notDeepEqual(await snapshot(c, s), before);

      const rollback = await cli(c, ['rollback', '--yes', '--journal', applied.journal ?? '', '-o', 'json']);
      t.is(rollback.code, 0, rollback.stdout + rollback.stderr);
      const undone = json<RollbackResult>(t, rollback);
      t.is(undone.result, 'rolled-back');
      const outcomes = Object.fromEntries(undone.steps.map((x) => [x.key, x.outcome]));
      t.is(outcomes[POOL_KEY], 'restored');
      t.is(undone.steps.filter((x) => x.outcome === 'deleted' && !x.key.startsWith('CustomResourceDefinition/')).length, 13);
      t.deepEqual(undone.steps.filter((x) => x.key.startsWith('CustomResourceDefinition/')).map((x) => `${x.key} ${x.outcome}`).sort(), [
        'CustomResourceDefinition/bgppeers.crd.projectcalico.org deleted',
        'CustomResourceDefinition/globalbgpconfigs.crd.projectcalico.org deleted',
        'CustomResourceDefinition/globalfelixconfigs.crd.projectcalico.org deleted',
        'CustomResourceDefinition/globalnetworkpolicies.crd.projectcalico.org deleted',
      ], 'only the CRDs the apply installed are deleted; the one holding the restored pool was not installed by it');

      // Deleted CRDs terminate for a moment on the server; wait until they are gone.
      await untilCrds(c, 1);
      t.deepEqual(await snapshot(c, s), before, 'everything the apply touched is as it was before');
      const pool = await getObject(c, 'ippools.crd.projectcalico.org', POOL);
      t.deepEqual(pool?.metadata.labels, HAND_MADE_POOL.metadata.labels);
      t.deepEqual(pool?.metadata.annotations, HAND_MADE_POOL.metadata.annotations);
      t.deepEqual(pool?.spec, HAND_MADE_POOL.spec);

      c.server.clearRequests();
      const again = await cli(c, ['rollback', '--state', 'local', '--yes', '-o', 'json']);
      t.is(again.code, 0, again.stdout + again.stderr);
      t.is(json<RollbackResult>(t, again).result, 'nothing-to-do');
      t.deepEqual(writes(c.server), [], 'a second rollback writes nothing');
      t.deepEqual(await snapshot(c, s), before);
    } finally {
      await c.stop();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// 3. Rollback keeps what changed after the apply
// ---------------------------------------------------------------------------------------------

test.serial('rollback: an object changed after the apply is kept (exit 3) with its CRD, the rest is undone; --force then removes it too', async (t) => {
  const c = await start(V133);
  try {
    const apply = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...V133.sourceArgs, '--yes', '-o', 'json']);
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    t.deepEqual(json<ApplyResult>(t, apply).summary, { created: 14 });

    // Somebody edits the pool after the apply.
    const edit = await kubectl(c, ['patch', 'ippools.crd.projectcalico.org', POOL, '--type', 'merge', '-p', '{"spec":{"nat-outgoing":false}}']);
    t.is(edit.code, 0, edit.stderr);

    const first = await cli(c, ['rollback', '--state', 'local', '--yes', '-o', 'json']);
    t.is(first.code, 3, first.stdout + first.stderr);
    const r1 = json<RollbackResult>(t, first);
    t.is(r1.result, 'incomplete');
    const kept = r1.steps.filter((x) => x.outcome === 'kept').map((x) => x.key).sort();
    t.deepEqual(kept, ['CustomResourceDefinition/ippools.crd.projectcalico.org', POOL_KEY], 'the edited pool is kept, and so is the CRD holding it');
    t.regex(r1.steps.find((x) => x.key === POOL_KEY)?.detail ?? '', /--force/);
    t.is(r1.steps.filter((x) => x.outcome === 'deleted').length, 13 + 4, 'the 13 other objects and the 4 other CRDs are deleted');
    const pool = await getObject(c, 'ippools.crd.projectcalico.org', POOL);
    t.is((pool?.spec as { 'nat-outgoing'?: boolean } | undefined)?.['nat-outgoing'], false, 'the edit survives');
    await untilCrds(c, 1);
    t.deepEqual(await calicoCrdNames(c), ['ippools.crd.projectcalico.org']);

    const forced = await cli(c, ['rollback', '--state', 'local', '--yes', '--force', '-o', 'json']);
    t.is(forced.code, 0, forced.stdout + forced.stderr);
    const r2 = json<RollbackResult>(t, forced);
    t.is(r2.result, 'rolled-back');
    t.deepEqual(r2.steps.map((x) => `${x.key} ${x.outcome}`), [`${POOL_KEY} deleted`, 'CustomResourceDefinition/ippools.crd.projectcalico.org deleted'], 'only what was left is undone');
    await untilCrds(c, 0);
    t.deepEqual(await calicoCrdNames(c), []);
  } finally {
    await c.stop();
  }
});

test.serial('rollback: a failed apply resumed by running the same command again is undone completely by rollback (both runs)', async (t) => {
  const c = await startDenyingCreates('ippools');
  try {
    const before = await snapshot(c, V133);
    const args = ['apply', '--state', 'local', '--to', 'v2.5', ...V133.sourceArgs, '--yes', '-o', 'json'];
    const first = await cli(c, args);
    t.is(first.code, 1, first.stdout + first.stderr);
    t.deepEqual(json<ApplyResult>(t, first).summary, { created: 13, failed: 1 });

    // "An apply killed at any point is resumed by running it again" (README).
    c.server.setPolicy('allow-all');
    const second = await cli(c, args);
    t.is(second.code, 0, second.stdout + second.stderr);
    t.deepEqual(json<ApplyResult>(t, second).summary, { created: 1 });

    const rollback = await cli(c, ['rollback', '--state', 'local', '--yes', '-o', 'json']);
    t.is(rollback.code, 0, rollback.stdout + rollback.stderr);
    const undone = json<RollbackResult>(t, rollback);
    t.is(undone.steps.filter((x) => x.outcome === 'deleted' && !x.key.startsWith('CustomResourceDefinition/')).length, 14, `every object the migration created is deleted, not only the last run's: ${JSON.stringify(undone.steps)}`);
    await untilCrds(c, 0);
    t.deepEqual(await calicoCrdNames(c), [], 'no CRD the migration installed is left');
    t.deepEqual(await snapshot(c, V133), before);
  } finally {
    await c.stop();
  }
});

for (const state of ['local', 'target'] as const) {
  test.serial(`rollback: applied, rolled back and applied again (a rehearsal), the second apply is undone completely too (state ${state})`, async (t) => {
    const c = await start(V133);
    try {
      const before = await snapshot(c, V133);
      const apply = ['apply', '--state', state, '--to', 'v2.5', ...V133.sourceArgs, '--yes', '-o', 'json'];
      const rollback = ['rollback', '--state', state, '--yes', '-o', 'json'];
      const first = await cli(c, apply);
      t.is(first.code, 0, first.stdout + first.stderr);
      t.deepEqual(json<ApplyResult>(t, first).summary, { created: 14 });
      const undo1 = await cli(c, rollback);
      t.is(undo1.code, 0, undo1.stdout + undo1.stderr);
      await untilCrds(c, 0);
      t.deepEqual(await snapshot(c, V133), before);

      // The same plan again (the cluster is as it was), so the same run and journal go on.
      const second = await cli(c, apply);
      t.is(second.code, 0, second.stdout + second.stderr);
      t.is(json<ApplyResult>(t, second).plan?.hash, json<ApplyResult>(t, first).plan?.hash);
      t.deepEqual(json<ApplyResult>(t, second).summary, { created: 14 });
      const status = await cli(c, ['status', '--state', state, '-o', 'json']);
      t.regex(status.stdout, /"undoable": 14\b/, 'status counts the second apply\'s writes as undoable');

      const undo2 = await cli(c, rollback);
      t.is(undo2.code, 0, undo2.stdout + undo2.stderr);
      const steps = json<RollbackResult>(t, undo2).steps;
      t.is(steps.filter((x) => x.outcome === 'deleted' && !x.key.startsWith('CustomResourceDefinition/')).length, 14, `the second apply's objects are deleted: ${JSON.stringify(steps)}`);
      t.is(steps.filter((x) => x.outcome === 'deleted' && x.key.startsWith('CustomResourceDefinition/')).length, 5, 'and the CRDs it installed again');
      await untilCrds(c, 0);
      t.deepEqual(await calicoCrdNames(c), []);
      t.deepEqual(await snapshot(c, V133), before);
    } finally {
      await c.stop();
    }
  });
}

test.serial('rollback: an --overwrite apply rehearsed, rolled back, the object changed by hand, applied again: the backup holds what the second apply replaced, and rollback restores it', async (t) => {
  const c = await start(V133);
  try {
    seedHandMadePool(c, V133);
    const apply = ['apply', '--state', 'local', '--to', 'v2.5', ...V133.sourceArgs, '--yes', '--overwrite', '-o', 'json'];
    const first = await cli(c, apply);
    t.is(first.code, 0, first.stdout + first.stderr);
    const undo1 = await cli(c, ['rollback', '--state', 'local', '--yes', '-o', 'json']);
    t.is(undo1.code, 0, undo1.stdout + undo1.stderr);
    t.deepEqual((await getObject(c, 'ippools.crd.projectcalico.org', POOL))?.spec, HAND_MADE_POOL.spec, 'the rehearsal is undone');

    // Someone changes the pool before the real apply.
    const edit = await kubectl(c, ['patch', 'ippools.crd.projectcalico.org', POOL, '--type', 'merge', '-p', '{"spec":{"nat-outgoing":true}}']);
    t.is(edit.code, 0, edit.stderr);
    const changed = { ...HAND_MADE_POOL.spec as object, 'nat-outgoing': true };

    const second = await cli(c, apply);
    t.is(second.code, 0, second.stdout + second.stderr);
    const result = json<ApplyResult>(t, second);
    t.deepEqual(result.summary, { created: 13, overwritten: 1 });
    // The plan holds what it replaces, so the changed pool makes it another plan: another run, with a backup of its own.
    t.not(result.plan?.hash, json<ApplyResult>(t, first).plan?.hash);
    // What an operator restores by hand from the backup (the last image of an object wins when a List is applied).
    const backup = YAML.parse(await readFile(result.backup ?? '', 'utf8')) as { items: Obj[] };
    const images = backup.items.filter((o) => o.metadata.name === POOL);
    t.deepEqual(images[images.length - 1]?.spec, changed, `the backup's last image of the pool is the one the second apply replaced: ${JSON.stringify(images.map((o) => o.spec))}`);

    const undo2 = await cli(c, ['rollback', '--state', 'local', '--yes', '-o', 'json']);
    t.is(undo2.code, 0, undo2.stdout + undo2.stderr);
    t.deepEqual((await getObject(c, 'ippools.crd.projectcalico.org', POOL))?.spec, changed, 'rollback restores the pool as the second apply found it');
  } finally {
    await c.stop();
  }
});

test.serial('rollback: a later plan (made after the pool was changed by hand) is its own run; rolling it back names the earlier run still in place, and its command undoes that too', async (t) => {
  const c = await start(V133);
  try {
    const before = await snapshot(c, V133);
    const apply = ['apply', '--to', 'v2.5', ...V133.sourceArgs, '--yes', '-o', 'json'];
    const first = await cli(c, apply);
    t.is(first.code, 0, first.stdout + first.stderr);
    const label = await kubectl(c, ['label', 'ippools.crd.projectcalico.org', POOL, 'edited-by=hand']);
    t.is(label.code, 0, label.stderr);
    const second = await cli(c, apply);
    t.is(second.code, 0, second.stdout + second.stderr);
    const hashes = [first, second].map((r) => json<ApplyResult>(t, r).plan?.hash ?? '');
    t.not(hashes[1], hashes[0], 'the changed pool made another plan');

    const latest = await cli(c, ['rollback', '--yes']);
    t.is(latest.code, 0, latest.stdout + latest.stderr);
    const run = (hashes[0] ?? '').slice(0, 12);
    t.regex(latest.stdout, new RegExp(`another run still holds what a rollback would undo \\(newest first; undo them in this order\\):\\n {2}Secrets run-${run}-\\* in namespace calico-migrate on \\S+: 14 write\\(s\\) and 5 CRD\\(s\\): calico-migrate rollback --state target --run ${run}\\n`));
    // status says the same: the run it shows is rolled back, and the earlier one is still in place.
    const status = await cli(c, ['status', '-o', 'json']);
    t.is(status.code, 0, status.stderr);
    t.like(JSON.parse(status.stdout) as object, { status: { lastOutcome: 'rolled-back' }, others: [{ run, writes: 14, crds: 5, rollback: `calico-migrate rollback --state target --run ${run}` }] });
    // The earlier run's pool was changed since (by hand, then restored as the later run found it): kept, then forced.
    const earlier = await cli(c, ['rollback', '--state', 'target', '--run', run, '--yes']);
    t.is(earlier.code, 3, earlier.stdout + earlier.stderr);
    t.false(earlier.stdout.includes('another run'), 'nothing else is left to name');
    const forced = await cli(c, ['rollback', '--state', 'target', '--run', run, '--yes', '--force']);
    t.is(forced.code, 0, forced.stdout + forced.stderr);
    await untilCrds(c, 0);
    t.deepEqual(await snapshot(c, V133), before);
    const after = await cli(c, ['status']);
    t.false(after.stdout.includes('still hold'), after.stdout);
  } finally {
    await c.stop();
  }
});

/**
 * Generated sequences of what operators do around an upgrade: applies that complete, applies that
 * stop part-way (creating IPPools is refused until allowed again), and rollbacks, in any order.
 * After every rollback, and after a last one, the cluster is exactly as before the first apply:
 * whatever the history, one rollback undoes what is left of it.
 */
for (const [seed, state] of [[1, 'target'], [2, 'local'], [3, 'target'], [4, 'local'], [5, 'target'], [6, 'local']] as const) {
  test.serial(`rollback: a generated history of applies, part-way applies, edits by hand and rollbacks always rolls back to the cluster as it was (seed ${seed}, state ${state})`, async (t) => {
    const denyPools = ({ info }: AuthzAttributes): boolean | { allowed: boolean; reason: string } =>
      info.path !== '' && info.verb === 'create' && info.resource === 'ippools' ? { allowed: false, reason: 'denied by the change-freeze admission policy' } : true;
    const c = await startCluster({ gitVersion: 'v1.33.0', files: [KDD_FILES[2] ?? ''], tokens: { [TOKEN]: 'operator' }, policy: () => true });
    try {
      const before = await snapshot(c, V133);
      const random = seededRandom(seed);
      const history: string[] = [];
      let applied = false;
      /** The pool the tool wrote was changed by hand since: a rollback keeps it unless forced. */
      let edited = false;
      const rollback = async (): Promise<void> => {
        c.server.setPolicy(() => true);
        await rollBackEverything(t, (args) => cli(c, args), ['rollback', '--state', state], { history, applied, edited, keptKey: POOL_KEY });
        edited = false;
        await untilCrds(c, 0);
        t.deepEqual(await snapshot(c, V133), before, `after ${history.join(', ')}`);
      };
      for (let step = 0; step < 9; step++) {
        const pick = random();
        if (pick < 0.35) {
          c.server.setPolicy(() => true);
          const r = await cli(c, ['apply', '--state', state, '--to', 'v2.5', ...V133.sourceArgs, '--yes', '-o', 'json']);
          history.push(`apply: ${r.code}`);
          applied = true;
          t.is(r.code, 0, `${history.join(', ')}\n${r.stdout}${r.stderr}`);
        } else if (pick < 0.6) {
          c.server.setPolicy(denyPools);
          const r = await cli(c, ['apply', '--state', state, '--to', 'v2.5', ...V133.sourceArgs, '--yes', '-o', 'json']);
          history.push(`part-way apply: ${r.code}`);
          applied = true;
          t.true(r.code === 0 || r.code === 1, `${history.join(', ')}\n${r.stdout}${r.stderr}`);
        } else if (pick < 0.8) {
          // Someone labels the pool the tool wrote (when it is there and not edited already).
          const pool = await getObject(c, 'ippools.crd.projectcalico.org', POOL);
          if (pool?.metadata.annotations?.[TOOL] !== undefined && !edited) {
            const r = await kubectl(c, ['label', 'ippools.crd.projectcalico.org', POOL, `edited-at-step=${step}`]);
            t.is(r.code, 0, r.stderr);
            edited = true;
            history.push('edit');
          } else history.push('(no pool to edit)');
        } else {
          await rollback();
        }
      }
      await rollback();
      t.log(history.join(', '));
    } finally {
      await c.stop();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// 4. Stale plans
// ---------------------------------------------------------------------------------------------

test.serial('stale plan: a source record changed after the plan was made → apply --plan refuses (exit 3) naming it, writing nothing', async (t) => {
  const c = await start(V17);
  try {
    const plan = await cli(c, ['plan', '--to', 'v2.5', '--out', 'plan.json']);
    t.is(plan.code, 2, plan.stdout + plan.stderr);

    // Somebody turns masquerading off in the v2.4 pool (a new resourceVersion, as a real update makes).
    const tprs = YAML.parse(await readFile(KDD_FILES[0] ?? '', 'utf8')) as { items: Obj[] };
    const pool = tprs.items.find((o) => o.kind === 'IpPool');
    if (!pool) throw new Error('the fixture has no IpPool');
    const spec = pool.spec as { value: string };
    const value = JSON.parse(spec.value) as Record<string, unknown>;
    t.is(value['masquerade'], true);
    const { resourceVersion: _rv, ...metadata } = pool.metadata;
    void _rv;
    c.server.seed([{ ...pool, metadata, spec: { value: JSON.stringify({ ...value, masquerade: false }) } }]);
    c.server.clearRequests();

    const apply = await cli(c, ['apply', '--state', 'local', '--plan', 'plan.json', '--yes', '-o', 'json']);
    t.is(apply.code, 3, apply.stdout + apply.stderr);
    const result = json<ApplyResult>(t, apply);
    t.is(result.result, 'stale-plan');
    t.true((result.moved ?? []).some((m) => /source records changed since the plan was made: .*IpPool.*192-168-0-0-16/.test(m)), JSON.stringify(result.moved));
    t.deepEqual(writes(c.server), [], 'nothing is written, not even the lock');
  } finally {
    await c.stop();
  }
});

test.serial('stale plan: a planned object created by someone else after the plan was made → apply --plan refuses (exit 3) naming it, writing nothing', async (t) => {
  const c = await start(V17);
  try {
    const plan = await cli(c, ['plan', '--to', 'v2.5', '--out', 'plan.json']);
    t.is(plan.code, 2, plan.stdout + plan.stderr);

    c.server.seed([
      foreignCrd(V17, 'globalbgpconfigs', 'GlobalBGPConfig'),
      { apiVersion: 'crd.projectcalico.org/v1', kind: 'GlobalBGPConfig', metadata: { name: 'asnumber' }, spec: { name: 'AsNumber', value: '65000' } },
    ]);
    c.server.clearRequests();

    const apply = await cli(c, ['apply', '--state', 'local', '--plan', 'plan.json', '--yes', '-o', 'json']);
    t.is(apply.code, 3, apply.stdout + apply.stderr);
    const result = json<ApplyResult>(t, apply);
    t.is(result.result, 'stale-plan');
    t.true((result.moved ?? []).includes('GlobalBGPConfig/asnumber was created by someone else since the plan was made'), JSON.stringify(result.moved));
    t.deepEqual(writes(c.server), []);
  } finally {
    await c.stop();
  }
});

test.serial('stale plan: applying the same plan again after it was applied is not stale: nothing to do (exit 0), nothing written, objects hold what the plan writes', async (t) => {
  const c = await start(V17);
  try {
    const plan = await cli(c, ['plan', '--to', 'v2.5', '--out', 'plan.json']);
    t.is(plan.code, 2, plan.stdout + plan.stderr);
    const first = await cli(c, ['apply', '--state', 'local', '--plan', 'plan.json', '--yes', '-o', 'json']);
    t.is(first.code, 0, first.stdout + first.stderr);
    const hash = json<ApplyResult>(t, first).plan?.hash;

    c.server.clearRequests();
    const again = await cli(c, ['apply', '--state', 'local', '--plan', 'plan.json', '--yes', '-o', 'json']);
    t.is(again.code, 0, again.stdout + again.stderr);
    const result = json<ApplyResult>(t, again);
    t.is(result.result, 'nothing-to-do');
    t.is(result.moved, undefined);
    t.deepEqual(writes(c.server), []);

    const saved = JSON.parse(await readFile(`${c.dir}/plan.json`, 'utf8')) as { hash: string; entries: { key: string; kind: string; name: string; desired: Obj }[] };
    t.is(saved.hash, hash ?? '');
    t.is(saved.entries.length, 14);
    for (const e of saved.entries) {
      const live = await getObject(c, RESOURCE[e.kind] ?? e.kind, e.name);
      t.deepEqual(live?.spec, e.desired.spec, `${e.key} spec`);
      t.deepEqual(live?.metadata.labels, e.desired.metadata.labels, `${e.key} labels`);
      t.deepEqual(live?.metadata.annotations, { ...e.desired.metadata.annotations, [PLAN]: saved.hash }, `${e.key} annotations`);
    }
  } finally {
    await c.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// 5. The migration lock
// ---------------------------------------------------------------------------------------------

test.serial('lock: while someone else holds it, apply refuses (exit 3) naming holder and reason and writes no Calico object; status shows the holder; --lock-wait applies once it is released', async (t) => {
  const c = await start(V133);
  const client = clientOf(c);
  try {
    const held = await acquireLock(client, { holder: 'someone-else', reason: 'maintenance', ttlSeconds: 60, host: 'ops-laptop', pid: 4242 });

    const refused = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...V133.sourceArgs, '--yes', '-o', 'json']);
    t.is(refused.code, 3, refused.stdout + refused.stderr);
    const r = json<ApplyResult>(t, refused);
    t.regex(r.message ?? '', /held by "someone-else" \(on host ops-laptop, pid 4242\) for "maintenance"/);
    t.regex(r.message ?? '', /--force-unlock/);
    t.deepEqual(calicoWrites(c), [], 'no CRD and no Calico object is written');

    const status = await cli(c, ['status', '--state', 'local']);
    t.is(status.code, 0, status.stdout + status.stderr);
    t.regex(status.stdout, /^lock: +held by someone-else on ops-laptop for "maintenance" since /m);
    t.notRegex(status.stdout, /STALE/);

    c.server.clearRequests();
    const waiting = cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...V133.sourceArgs, '--yes', '--lock-wait', '10', '-o', 'json']);
    await new Promise((res) => setTimeout(res, 1000));
    const releasedAt = Date.now();
    t.is((await held.release()).outcome, 'released');
    const applied = await waiting;
    t.is(applied.code, 0, applied.stdout + applied.stderr);
    t.is(json<ApplyResult>(t, applied).result, 'applied');
    const calicoTimes = c.server.requests.filter((q) => q.method !== 'GET' && /projectcalico\.org|customresourcedefinitions/.test(q.path)).map((q) => Date.parse(q.time));
    t.true(calicoTimes.length > 0);
    t.true(calicoTimes.every((time) => time >= releasedAt - 5), 'nothing was written while the other holder had the lock');
    const after = json<StatusResult>(t, await cli(c, ['status', '--state', 'local', '-o', 'json']));
    t.is(after.lock, null, 'the apply released its lock');
  } finally {
    await c.stop();
  }
});

test.serial('lock: a stale lock is shown as STALE by status; apply --force-unlock removes it, applies, and journals the holder it removed', async (t) => {
  const c = await start(V133);
  try {
    // Taken two minutes ago with a 60 s lease and never renewed: its holder is gone.
    const stale = await acquireLock(clientOf(c), { holder: 'someone-else', reason: 'maintenance', ttlSeconds: 60, host: 'ops-laptop', pid: 4242, now: () => new Date(Date.now() - 120_000) });
    stale.stop();

    const status = await cli(c, ['status', '--state', 'local']);
    t.is(status.code, 0, status.stdout + status.stderr);
    t.regex(status.stdout, /^lock: +STALE, held by someone-else on ops-laptop for "maintenance" since .*; expired .*--force-unlock/m);

    const apply = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...V133.sourceArgs, '--yes', '--force-unlock', '-o', 'json']);
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    const result = json<ApplyResult>(t, apply);
    t.is(result.result, 'applied');
    const forced = (await journalLines(result.journal ?? '')).filter((l) => l.t === 'force-unlock');
    t.is(forced.length, 1);
    t.is(forced[0]?.removed?.holder, 'someone-else');
    t.is(forced[0]?.removed?.reason, 'maintenance');
    t.is(forced[0]?.automatic, false);

    const after = await cli(c, ['status', '--state', 'local']);
    t.regex(after.stdout, /^lock: +free$/m);
    t.regex(after.stdout, /the lock was forced 1 time\(s\)/);
  } finally {
    await c.stop();
  }
});

test.serial('lock: a lock left by a crashed run on this host (its pid is gone) is taken over automatically and journaled as such', async (t) => {
  const c = await start(V133);
  try {
    const pid = await deadPid();
    const left = await acquireLock(clientOf(c), { holder: 'crashed-run', reason: 'apply plan 0123456789ab (--to v2.5)', ttlSeconds: 60, host: hostname(), pid });
    left.stop();

    const apply = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...V133.sourceArgs, '--yes', '-o', 'json']);
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    const forced = (await journalLines(json<ApplyResult>(t, apply).journal ?? '')).filter((l) => l.t === 'force-unlock');
    t.deepEqual(forced.map((l) => [l.removed?.holder, l.automatic]), [['crashed-run', true]]);
  } finally {
    await c.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// 6. status after a failed apply
// ---------------------------------------------------------------------------------------------

test.serial('status: after an apply that failed part-way it says how many writes are done and how to resume; applying the plan again completes', async (t) => {
  const c = await startDenyingCreates('ippools');
  try {
    const apply = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...V133.sourceArgs, '--yes', '-o', 'json']);
    t.is(apply.code, 1, apply.stdout + apply.stderr);
    const failed = json<ApplyResult>(t, apply);
    t.is(failed.result, 'failed');
    t.regex(failed.message ?? '', /1 write\(s\) failed: IPPool\/192-168-0-0-16: 403/);
    t.deepEqual(failed.summary, { created: 13, failed: 1 });

    const text = await cli(c, ['status', '--state', 'local']);
    t.is(text.code, 0, text.stdout + text.stderr);
    t.regex(text.stdout, /^runs: +1; last: failed/m);
    t.regex(text.stdout, /^writes: +13 of 14 done, 1 failed, 1 left/m);
    t.regex(text.stdout, /^ {2}failed: IPPool\/192-168-0-0-16$/m);
    t.regex(text.stdout, /^next: +1 of 14 planned write\(s\) are not done: apply the plan \S+\.plan\.json again to resume, or undo with calico-migrate rollback --journal \S+\.journal$/m);
    const status = json<StatusResult>(t, await cli(c, ['status', '--state', 'local', '-o', 'json']));
    t.is(status.journal, failed.journal ?? '');
    t.deepEqual(status.status?.remaining, [POOL_KEY]);
    t.is(status.lock, null, 'the failed apply released the lock');

    c.server.setPolicy('allow-all');
    // The plan pins the source files by digest; the resumed apply reads the same files again.
    const resumed = await cli(c, ['apply', '--state', 'local', '--plan', status.status?.planFile ?? '', ...V133.sourceArgs, '--yes', '-o', 'json']);
    t.is(resumed.code, 0, resumed.stdout + resumed.stderr);
    const done = json<ApplyResult>(t, resumed);
    t.is(done.result, 'applied');
    t.deepEqual(done.summary, { created: 1 }, 'only the write that failed is made');
    t.is(done.journal, failed.journal, 'the resumed apply continues the same journal');

    const finalStatus = await cli(c, ['status', '--state', 'local']);
    t.regex(finalStatus.stdout, /^runs: +2; last: applied/m);
    t.regex(finalStatus.stdout, /^next: +every planned write is done and verified/m);
    const want = await converted();
    for (const o of want) {
      t.deepEqual((await getObject(c, RESOURCE[o.kind] ?? o.kind, o.metadata.name))?.spec, o.spec, `${o.kind}/${o.metadata.name}`);
    }
  } finally {
    await c.stop();
  }
});

test.serial('state in the target: the backup of an --overwrite apply is kept in a Secret of calico-migrate; rollback restores from the journal; no backup content appears in any output', async (t) => {
  const c = await start(V133);
  try {
    seedHandMadePool(c, V133);
    const outputs: string[] = [];
    const run = async (args: string[]) => {
      const r = await cli(c, args);
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    const apply = await run(['apply', '--to', 'v2.5', ...V133.sourceArgs, '--yes', '--overwrite', '-o', 'json']);
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    const result = json<ApplyResult>(t, apply);
    t.regex(result.backup ?? '', /^Secrets run-[0-9a-f]{12}-\* in namespace calico-migrate on /);
    const backups = c.server.state.list('v1', 'Secret', 'calico-migrate').filter((s) => String((s['metadata'] as { name: string }).name).includes('-backup-'));
    t.is(backups.length, 1);
    const saved = YAML.parse(Buffer.from(String((backups[0]?.['data'] as Record<string, string>)['content']), 'base64').toString('utf8')) as { items: Obj[] };
    t.deepEqual(saved.items.map((o) => [o.metadata.name, o.spec]), [[POOL, HAND_MADE_POOL.spec]], 'the hand-made pool as it was');
    await run(['status', '-o', 'json']);
    await run(['status', '--all']);
    const rollback = await run(['rollback', '--yes', '-o', 'json']);
    t.is(rollback.code, 0, rollback.stdout + rollback.stderr);
    t.deepEqual((await getObject(c, 'ippools.crd.projectcalico.org', POOL))?.spec, HAND_MADE_POOL.spec, 'restored');
    for (const o of outputs) t.false(o.includes('created by hand during the outage') || o.includes('platform-team'), 'no backup content in any output');
  } finally {
    await c.stop();
  }
});
