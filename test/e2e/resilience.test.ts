/**
 * Resilience end to end, against the Kubernetes API test server: throttling and transient server
 * errors during the write stage (429 and 503 with Retry-After, 500 without) are waited out and the
 * cluster ends exactly as after a fault-free apply; the real executable killed with SIGKILL in the
 * middle of its writes leaves a journal that `status` reads as interrupted, and a second apply
 * takes over the dead run's lock by itself, converges without creating anything twice, and
 * `rollback` then undoes both runs; the preflight permission check (SelfSubjectAccessReviews)
 * names the one missing grant and does not block when the review API itself is refused; and the
 * rules `calico-migrate rbac` prints are enough, on their own, for a whole apply and rollback.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import type { JournalRecord } from '../../src/apply/journal.js';
import { permissionsFor, type Permission } from '../../src/apply/permissions.js';
import type { PolicyRule, RequestLogEntry } from '../k8s-server/index.js';
import { REPO_ROOT, runCli } from '../_helpers/cli.js';
import { cli, ETCD_TYPICAL, KDD_FILES, startCluster, writes, type Cluster } from '../_helpers/cluster.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The collection and object paths of the v2.5 Calico resources. */
const CALICO_PATH = /^\/apis\/crd\.projectcalico\.org\//;
const PLAN_ANNOTATION = 'calico-migrate.projectcalico.org/plan';
const V25_KINDS = ['GlobalFelixConfig', 'GlobalBGPConfig', 'IPPool', 'BGPPeer', 'GlobalNetworkPolicy'] as const;

/** The etcd-typical cluster's Nodes as Kubernetes has them before the migration: no Calico annotations yet. */
const plainNodes = ['k8s-master', 'k8s-node-1', 'k8s-node-2'].map((name, i) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: { podCIDR: `192.168.${i}.0/24` } }));
/** etcd-typical uses Calico IPAM; these clusters are taken to have switched to host-local already. */
const ETCD_ARGS = ['--from-file', ETCD_TYPICAL, '--ignore-preflight', 'calico-ipam-in-use'];

interface ApplyJson {
  result: string;
  summary?: Record<string, number>;
  journal?: string;
  message?: string;
  entries?: { key: string; outcome: string }[];
}

interface Finding {
  severity: string;
  code: string;
  message: string;
  hint?: string;
}

interface PlanJson {
  result: string;
  exitCode: number;
  plan: { findings: Finding[]; summary: Record<string, number>; entries: { key: string; kind: string; action: string }[] };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const stringMap = (v: unknown): Record<string, string> => (isRecord(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string')) : {});
const metaOf = (o: Record<string, unknown>): Record<string, unknown> => (isRecord(o['metadata']) ? o['metadata'] : {});
const nameOf = (o: Record<string, unknown>): string => String(metaOf(o)['name'] ?? '');

/**
 * What a migration leaves on the cluster, without what differs between two clusters by
 * construction (server-set fields, and the plan hash, which covers the server's URL): every v2.5
 * object's labels, annotations and spec, and every Node's labels and annotations.
 */
function snapshot(c: Cluster): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kind of V25_KINDS) {
    for (const o of c.server.state.list('crd.projectcalico.org/v1', kind)) {
      const annotations = stringMap(metaOf(o)['annotations']);
      delete annotations[PLAN_ANNOTATION];
      out[`${kind}/${nameOf(o)}`] = { labels: stringMap(metaOf(o)['labels']), annotations, spec: o['spec'] };
    }
  }
  for (const n of c.server.state.list('v1', 'Node')) out[`Node/${nameOf(n)}`] = { labels: stringMap(metaOf(n)['labels']), annotations: stringMap(metaOf(n)['annotations']) };
  return out;
}

/** Milliseconds between two request-log entries. */
const gap = (a: RequestLogEntry, b: RequestLogEntry): number => Date.parse(b.time) - Date.parse(a.time);

/** The journal's records; a torn last line (a kill during an append) is left out, as readJournal does. */
async function journalLines(path: string): Promise<JournalRecord[]> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '' : Promise.reject(e)));
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const out: JournalRecord[] = [];
  lines.forEach((line, i) => {
    try {
      out.push(JSON.parse(line) as JournalRecord);
    } catch (e) {
      if (i !== lines.length - 1) throw e;
    }
  });
  return out;
}

/** Polls `check` every 20 ms until it holds; throws with `what` (and why, if `abort` says so) otherwise. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, abort?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    const why = abort?.();
    if (why) throw new Error(`${what}: ${why}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** One allow rule per permission, for `user`, as an RBAC authorizer would apply a Role or ClusterRole. */
function rulesFor(user: string, perms: readonly Permission[]): PolicyRule[] {
  return perms.map((p) => ({ users: [user], verbs: [p.verb], apiGroups: [p.group], resources: [p.resource], ...(p.namespace === undefined ? {} : { namespaces: [p.namespace] }) }));
}

/** Every plan entry is on the cluster once, as the plan wrote it (the plan hash on it). */
function assertAllPresent(t: ExecutionContext, c: Cluster, keys: readonly string[], hash: string): void {
  for (const kind of V25_KINDS) {
    const names = c.server.state.list('crd.projectcalico.org/v1', kind).map(nameOf).sort();
    t.deepEqual(names, keys.filter((k) => k.startsWith(`${kind}/`)).map((k) => k.slice(kind.length + 1)).sort(), `${kind} objects on the cluster`);
    for (const o of c.server.state.list('crd.projectcalico.org/v1', kind)) t.is(stringMap(metaOf(o)['annotations'])[PLAN_ANNOTATION], hash, `${kind}/${nameOf(o)} carries the plan hash`);
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Throttling and transient errors during the write stage
// ---------------------------------------------------------------------------------------------

test.serial('resilience: a storm of 429s on the creates and 503s on the Node patches (Retry-After: 1) are waited out; the cluster ends as after a fault-free apply', async (t) => {
  const [c, reference] = await Promise.all([startCluster({ gitVersion: 'v1.33.0', datastore: 'etcdv2' }), startCluster({ gitVersion: 'v1.33.0', datastore: 'etcdv2' })]);
  try {
    c.server.seed(plainNodes);
    reference.server.seed(plainNodes);
    const throttled = c.server.injectFault({ method: 'POST', path: CALICO_PATH, times: 6, action: { type: 'error', status: 429, retryAfterSeconds: 1 } });
    const unavailable = c.server.injectFault({ method: 'PATCH', path: /^\/api\/v1\/nodes\//, times: 2, action: { type: 'error', status: 503, retryAfterSeconds: 1 } });
    const started = Date.now();
    const r = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...ETCD_ARGS, '--yes', '--concurrency', '4', '-o', 'json']);
    const elapsed = Date.now() - started;
    t.is(r.code, 0, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout) as ApplyJson;
    t.is(result.result, 'applied', result.message);
    t.deepEqual(result.summary, { created: 18, patched: 3 });
    t.is(throttled.hits, 6);
    t.is(unavailable.hits, 2);
    t.true(elapsed < 25_000, `the Retry-After waits are short (took ${elapsed} ms)`);

    const log = c.server.requests;
    const calicoPosts = log.filter((q) => q.method === 'POST' && CALICO_PATH.test(q.path));
    const answered429 = calicoPosts.filter((q) => q.status === 429);
    t.is(answered429.length, 6);
    t.true(answered429.every((q) => q.fault === 'error 429'));
    // Each throttled create is sent again on the same path and then created.
    for (const q of answered429) t.true(log.slice(log.indexOf(q) + 1).some((l) => l.method === 'POST' && l.path === q.path && l.status === 201), `${q.path}: 429, then 201`);
    // The first four creates (one kind, four in flight) were all throttled: nothing went through before Retry-After had passed.
    const first429 = answered429[0];
    const first201 = calicoPosts.find((q) => q.status === 201);
    t.truthy(first429 && first201);
    if (first429 && first201) t.true(gap(first429, first201) >= 990, `the first create went through ${gap(first429, first201)} ms after the first 429`);
    t.is(calicoPosts.filter((q) => q.status === 201).length, 18, 'every object created exactly once');
    t.false(log.some((q) => q.status === 409), 'a throttled create never reached the store, so no retry met AlreadyExists');

    // The Node patches: the same Node's path answered 503, then (at least Retry-After later) 200.
    const answered503 = log.filter((q) => q.method === 'PATCH' && q.status === 503);
    t.is(answered503.length, 2);
    for (const q of answered503) {
      const next = log.slice(log.indexOf(q) + 1).find((l) => l.path === q.path && l.method === 'PATCH');
      t.is(next?.status, 200, `${q.path}: 503, then 200`);
      if (next) t.true(gap(q, next) >= 990, `${q.path} was patched again ${gap(q, next)} ms after the 503`);
    }
    t.is(log.filter((q) => q.method === 'PATCH' && q.path.startsWith('/api/v1/nodes/') && q.status === 200).length, 3);

    // Read back: nothing left to do, and the same state a fault-free apply leaves.
    const plan = await cli(c, ['plan', '--to', 'v2.5', ...ETCD_ARGS]);
    t.is(plan.code, 0, plan.stdout + plan.stderr);
    t.regex(plan.stdout, /create 0, update 0, unchanged 21, conflict 0/);
    const clean = await cli(reference, ['apply', '--state', 'local', '--to', 'v2.5', ...ETCD_ARGS, '--yes', '-o', 'json']);
    t.is(clean.code, 0, clean.stdout + clean.stderr);
    t.false(reference.server.requests.some((q) => q.fault !== undefined));
    const expected = snapshot(reference);
    t.is(Object.keys(expected).length, 21);
    t.deepEqual(snapshot(c), expected);
  } finally {
    await Promise.all([c.stop(), reference.stop()]);
  }
});

test.serial('resilience: a 500 InternalError without Retry-After, twice on one create, is retried after a doubling backoff (250 ms, 500 ms)', async (t) => {
  const c = await startCluster({ gitVersion: 'v1.7.16', files: KDD_FILES });
  try {
    const fault = c.server.injectFault({ method: 'POST', path: CALICO_PATH, times: 2, action: { type: 'error', status: 500 } });
    // One write at a time, so both errors hit the same create.
    const r = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', '--yes', '--concurrency', '1', '-o', 'json']);
    t.is(r.code, 0, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout) as ApplyJson;
    t.is(result.result, 'applied', result.message);
    t.deepEqual(result.summary, { created: 14 });
    t.is(fault.hits, 2);
    const posts = c.server.requests.filter((q) => q.method === 'POST' && CALICO_PATH.test(q.path));
    const [a, b, d] = posts;
    t.deepEqual(posts.slice(0, 3).map((q) => [q.path, q.status]), [
      ['/apis/crd.projectcalico.org/v1/globalfelixconfigs', 500],
      ['/apis/crd.projectcalico.org/v1/globalfelixconfigs', 500],
      ['/apis/crd.projectcalico.org/v1/globalfelixconfigs', 201],
    ]);
    if (a && b && d) {
      t.true(gap(a, b) >= 240 && gap(a, b) < 2000, `first retry after ${gap(a, b)} ms (250 ms backoff)`);
      t.true(gap(b, d) >= 490 && gap(b, d) < 3000, `second retry after ${gap(b, d)} ms (500 ms backoff)`);
    }
    t.is(posts.filter((q) => q.status === 201).length, 14);
    const plan = await cli(c, ['plan', '--to', 'v2.5']);
    t.is(plan.code, 0, plan.stdout + plan.stderr);
    t.regex(plan.stdout, /create 0, update 0, unchanged 14, conflict 0/);
  } finally {
    await c.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// 2. SIGKILL in the middle of the write stage, then apply again
// ---------------------------------------------------------------------------------------------

test.serial('resilience: the executable killed (SIGKILL) in the middle of its writes; status says interrupted; apply again takes over the dead run\'s lock, converges without creating anything twice; rollback undoes both runs', async (t) => {
  const c = await startCluster({ gitVersion: 'v1.7.16', files: KDD_FILES });
  try {
    const made = await cli(c, ['plan', '--to', 'v2.5', '--out', 'plan.json', '-o', 'json']);
    t.is(made.code, 2, made.stdout + made.stderr);
    const planned = (JSON.parse(made.stdout) as PlanJson).plan.entries;
    const keys = planned.map((e) => e.key);
    t.is(keys.length, 14);
    const hash = (JSON.parse(await readFile(join(c.dir, 'plan.json'), 'utf8')) as { hash: string }).hash;

    // Slow creates, so that the kill lands with some done and some not.
    const slow = c.server.injectFault({ method: 'POST', path: CALICO_PATH, times: Infinity, action: { type: 'latency', ms: 300 } });
    const env = { ...c.env, PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: c.dir, NO_COLOR: '1' };
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/calico-migrate.js'), 'apply', '--state', 'local', '--plan', 'plan.json', '--yes'], { cwd: c.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve((exit = { code, signal }))));
    const journalPath = join(c.dir, 'plan.journal');
    const doneCount = async () => (await journalLines(journalPath)).filter((r) => r.t === 'done').length;
    try {
      await until('the journal holds three done records', async () => (await doneCount()) >= 3, 40_000, () => (exit ? `the apply exited first (${JSON.stringify(exit)}): ${output.slice(-800)}` : undefined));
    } finally {
      child.kill('SIGKILL');
    }
    const ended = await exited;
    t.is(ended.signal, 'SIGKILL', output);
    const childPid = child.pid;
    slow.clear();
    // The creates in flight at the kill still reach the store: let them land.
    await sleep(500);

    const first = await journalLines(journalPath);
    const begin = first.find((r) => r.t === 'begin');
    t.truthy(begin, 'the killed run journaled its begin');
    const killedRun = begin?.run ?? '';
    t.regex(killedRun, new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${childPid ?? 0}/`));
    t.false(first.some((r) => r.t === 'end'), 'the killed run has no end record');
    const doneBefore = new Set(first.flatMap((r) => (r.t === 'done' ? [r.key] : [])));
    t.true(doneBefore.size >= 3 && doneBefore.size < 14, `${doneBefore.size} writes done before the kill`);

    // status: interrupted, with the writes that are left.
    const status = await cli(c, ['status', '--state', 'local']);
    t.is(status.code, 0, status.stdout + status.stderr);
    t.regex(status.stdout, /runs: +1; last: interrupted/);
    t.true(status.stdout.includes(`writes:   ${doneBefore.size} of 14 done, 0 failed, ${14 - doneBefore.size} left`), status.stdout);
    t.regex(status.stdout, new RegExp(`${14 - doneBefore.size} of 14 planned write\\(s\\) are not done \\(the last run ended without a record: killed, or still running\\): apply the plan plan\\.json again to resume`));
    t.regex(status.stdout, /lock: +held by /, 'the dead run still holds the lock');
    const statusJson = JSON.parse((await cli(c, ['status', '--state', 'local', '-o', 'json'])).stdout) as { status: { lastOutcome: string; remaining: string[]; done: string[] }; lock: { holder: string; pid?: number; stale: boolean } | null };
    t.is(statusJson.status.lastOutcome, 'interrupted');
    t.deepEqual(statusJson.status.remaining, keys.filter((k) => !doneBefore.has(k)).sort());
    t.is(statusJson.lock?.holder, killedRun);
    t.is(statusJson.lock?.pid, childPid);
    t.is(statusJson.lock?.stale, false, 'the lock is still fresh (TTL 60 s): only the dead pid lets it be taken over');
    t.deepEqual(c.server.state.list('v1', 'ConfigMap', 'kube-system').map(nameOf).filter((n) => n === 'calico-migrate-lock'), ['calico-migrate-lock'], 'the lock object (a ConfigMap on 1.7) is left behind');

    // Apply the same plan again, without --force-unlock.
    const again = await cli(c, ['apply', '--state', 'local', '--plan', 'plan.json', '--yes', '-o', 'json']);
    t.is(again.code, 0, again.stdout + again.stderr);
    const result = JSON.parse(again.stdout) as ApplyJson;
    t.is(result.result, 'applied', result.message);
    t.is(result.journal, journalPath);
    const all = await journalLines(journalPath);
    const runs = [...new Set(all.filter((r) => r.t === 'begin').map((r) => r.run))];
    t.is(runs.length, 2);
    const secondRun = runs[1] ?? '';
    const unlock = all.find((r) => r.t === 'force-unlock');
    t.truthy(unlock, 'the second run journaled taking over the lock');
    if (unlock?.t === 'force-unlock') {
      t.is(unlock.automatic, true);
      t.is(unlock.run, secondRun);
      t.is(unlock.removed?.holder, killedRun);
      t.is(unlock.removed?.pid, childPid);
      t.is(unlock.removed?.host, hostname());
    }
    t.false(all.some((r) => r.t === 'end' && r.run === killedRun), 'the killed run still has no end record');
    t.true(all.some((r) => r.t === 'end' && r.run === secondRun && r.outcome === 'applied'));
    t.true(all.some((r) => r.t === 'verify' && r.run === secondRun && r.ok));
    const doneEither = new Set(all.flatMap((r) => (r.t === 'done' ? [r.key] : [])));
    // What the killed run wrote without journaling it (in flight at the kill) is found as written and left alone.
    const createdAgain = (result.entries ?? []).filter((e) => e.outcome === 'created').map((e) => e.key);
    t.true(createdAgain.every((k) => !doneBefore.has(k)), 'nothing the first run finished is written again');
    // Begun by the killed run (intent journaled) but not journaled as done: the create may or may not have reached
    // the store before the kill. Those that did are found on the cluster and left alone; the rest are created now.
    const inFlight = new Set(first.flatMap((r) => (r.t === 'intent' && !doneBefore.has(r.key) ? [r.key] : [])));
    t.log(`done before the kill: ${doneBefore.size}; begun, not done: ${[...inFlight].join(', ')}; created by the second run: ${createdAgain.length}`);
    t.true(inFlight.size <= 4, 'at most --concurrency (4) writes were in flight');
    t.true(keys.filter((k) => !doneBefore.has(k) && !inFlight.has(k)).every((k) => createdAgain.includes(k)), 'every write the killed run never began is done by the second run');
    t.true(createdAgain.every((k) => keys.includes(k) && !doneBefore.has(k)));
    t.true(keys.every((k) => doneEither.has(k) || inFlight.has(k)), 'every write is journaled as done, or was in flight at the kill and found written');

    // Every planned object exists exactly once with the desired content; nothing was created twice.
    assertAllPresent(t, c, keys, hash);
    const plan = await cli(c, ['plan', '--to', 'v2.5']);
    t.is(plan.code, 0, plan.stdout + plan.stderr);
    t.regex(plan.stdout, /create 0, update 0, unchanged 14, conflict 0/);
    // A create is a POST to the collection, so the log cannot name the object; but the server answers 201 only for
    // a new name (409 AlreadyExists otherwise), so per kind the creates that went through are the distinct objects
    // created. The creates in flight at the kill went through too, their answer never sent (no status logged).
    const creates = c.server.requests.filter((q) => q.method === 'POST' && CALICO_PATH.test(q.path));
    t.deepEqual(creates.filter((q) => q.status !== 201 && q.status !== undefined).map((q) => `${q.path} ${q.status ?? ''}`), [], 'no create was refused (no 409: nothing was sent twice)');
    t.true(creates.filter((q) => q.status === undefined).length <= inFlight.size, 'only creates in flight at the kill went unanswered');
    for (const kind of V25_KINDS) {
      const plural = { GlobalFelixConfig: 'globalfelixconfigs', GlobalBGPConfig: 'globalbgpconfigs', IPPool: 'ippools', BGPPeer: 'bgppeers', GlobalNetworkPolicy: 'globalnetworkpolicies' }[kind];
      t.is(creates.filter((q) => q.path === `/apis/crd.projectcalico.org/v1/${plural}`).length, keys.filter((k) => k.startsWith(`${kind}/`)).length, `${kind}: one create per object across both runs`);
    }
    t.false(c.server.requests.some((q) => q.method === 'DELETE' && CALICO_PATH.test(q.path)), 'nothing was deleted and re-created');

    // Rollback undoes both runs' writes: every object is gone, and so are the CRDs the first run installed.
    const calicoCrds = () => c.server.state.list('apiextensions.k8s.io/v1beta1', 'CustomResourceDefinition').map(nameOf).filter((n) => n.endsWith('.crd.projectcalico.org'));
    t.is(calicoCrds().length, 5, 'the first run installed the five v2.5 CRDs');
    t.is(all.filter((r) => r.t === 'crd-created' && r.run === killedRun).length, 5);
    const rollback = await cli(c, ['rollback', '--state', 'local', '--yes', '-o', 'json']);
    t.is(rollback.code, 0, rollback.stdout + rollback.stderr);
    const steps = (JSON.parse(rollback.stdout) as { result: string; steps: { key: string; outcome: string }[] }).steps;
    t.deepEqual(steps.filter((s) => !s.key.startsWith('CustomResourceDefinition/')).map((s) => `${s.outcome} ${s.key}`).sort(), keys.map((k) => `deleted ${k}`).sort());
    for (const kind of V25_KINDS) t.deepEqual(c.server.state.list('crd.projectcalico.org/v1', kind).map(nameOf), [], `no ${kind} left`);
    await until('the CRDs the first run installed are gone', async () => calicoCrds().length === 0, 5_000);
    t.deepEqual(c.server.state.list('v1', 'ConfigMap', 'kube-system').map(nameOf).filter((n) => n === 'calico-migrate-lock'), [], 'the lock is released');
  } finally {
    await c.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// 3. The permission check (SelfSubjectAccessReview)
// ---------------------------------------------------------------------------------------------

const OPERATOR = 'migration-operator';
const OPERATOR_TOKEN = 'migration-operator-token';

/** A v1.33 cluster with the etcd-typical Nodes, where the operator authenticates as a user outside system:masters. */
async function operatorCluster(policy: NonNullable<Parameters<typeof startCluster>[0]>['policy']): Promise<Cluster> {
  const c = await startCluster({ gitVersion: 'v1.33.0', datastore: 'etcdv2', tokens: { [OPERATOR_TOKEN]: { user: OPERATOR, groups: ['migration-operators'] } }, ...(policy ? { policy } : {}) });
  await writeFile(c.kubeconfig, c.server.kubeconfig({ token: OPERATOR_TOKEN }), { mode: 0o600 });
  c.server.seed(plainNodes);
  return c;
}

test.serial('resilience: an operator allowed everything but `patch nodes` can plan (read only), but apply is blocked (exit 3) by exactly one permission-denied finding naming it, and nothing is written', async (t) => {
  const perms = permissionsFor({ source: 'files', target: 'v2.5', mode: 'apply', lockResource: 'leases', daemonSetGroup: 'apps' });
  const granted = perms.filter((p) => !(p.verb === 'patch' && p.group === '' && p.resource === 'nodes'));
  t.is(granted.length, perms.length - 1);
  const c = await operatorCluster({ rules: rulesFor(OPERATOR, granted) });
  try {
    // plan sends no write, so it needs no write permission.
    const r = await cli(c, ['plan', '--to', 'v2.5', ...ETCD_ARGS, '-o', 'json']);
    t.is(r.code, 2, r.stdout + r.stderr);
    const plan = JSON.parse(r.stdout) as PlanJson;
    t.deepEqual(plan.plan.findings.filter((f) => f.severity === 'error').map((f) => f.code), [], 'plan is not blocked');
    t.true(c.server.requests.every((q) => q.user === OPERATOR), 'every request ran as the operator');
    t.false(c.server.requests.some((q) => q.status === 403), 'the plan needed nothing beyond the granted permissions');

    const apply = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...ETCD_ARGS, '--yes', '-o', 'json']);
    t.is(apply.code, 3, apply.stdout + apply.stderr);
    const result = JSON.parse(apply.stdout) as ApplyJson & { findings: { severity: string; code: string; message: string; hint?: string }[] };
    t.is(result.result, 'blocked');
    const denied = result.findings.filter((f) => f.code === 'permission-denied');
    t.is(denied.length, 1, JSON.stringify(result.findings, null, 1));
    t.regex(denied[0]?.message ?? '', /^not allowed to patch nodes \(cluster-wide\): /);
    t.regex(denied[0]?.hint ?? '', /`calico-migrate rbac --to v2\.5` prints a ClusterRole/);
    t.deepEqual(result.findings.filter((f) => f.severity === 'error').map((f) => f.code), ['permission-denied'], 'nothing else blocks');
    const reviews = c.server.requests.filter((q) => q.path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    t.true(reviews.length > 0 && reviews.every((q) => q.status === 201));

    const text = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...ETCD_ARGS, '--yes']);
    t.is(text.code, 3);
    t.regex(text.stdout, /error +permission-denied: not allowed to patch nodes \(cluster-wide\)/);
    t.deepEqual(writes(c.server), [], 'nothing was written');
  } finally {
    await c.stop();
  }
});

test.serial('resilience: when the SelfSubjectAccessReview API itself answers 403, plan warns access-check-unavailable and does not block on it', async (t) => {
  // Everything is allowed except creating SelfSubjectAccessReviews.
  const c = await operatorCluster(({ info }) => (info.resource === 'selfsubjectaccessreviews' ? { allowed: false, reason: 'access reviews are disabled here' } : true));
  try {
    const r = await cli(c, ['plan', '--to', 'v2.5', ...ETCD_ARGS, '-o', 'json']);
    t.is(r.code, 2, r.stdout + r.stderr);
    const plan = JSON.parse(r.stdout) as PlanJson;
    t.is(plan.result, 'changes-pending');
    const unavailable = plan.plan.findings.filter((f) => f.code === 'access-check-unavailable');
    t.is(unavailable.length, 1);
    t.is(unavailable[0]?.severity, 'warning');
    t.regex(unavailable[0]?.message ?? '', /cannot check permissions in advance: the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ refused to create a SelfSubjectAccessReview \(HTTP 403: .*User "migration-operator" cannot create resource "selfsubjectaccessreviews".*\); the run will stop at the first request it is not allowed to make/);
    t.deepEqual(plan.plan.findings.filter((f) => f.severity === 'error'), []);
    t.false(plan.plan.findings.some((f) => f.code === 'permission-denied'));
    const reviews = c.server.requests.filter((q) => q.path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    t.true(reviews.length >= 1 && reviews.length <= 4, `stops asking after the first refusals (${reviews.length} reviews)`);
    t.true(reviews.every((q) => q.status === 403));

    const apply = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', ...ETCD_ARGS, '--yes', '-o', 'json']);
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    t.deepEqual((JSON.parse(apply.stdout) as ApplyJson).summary, { created: 18, patched: 3 });
  } finally {
    await c.stop();
  }
});

// ---------------------------------------------------------------------------------------------
// 4. The rbac command's output is enough
// ---------------------------------------------------------------------------------------------

const SA_USER = 'system:serviceaccount:kube-system:calico-migrate';
const SA_TOKEN = 'calico-migrate-sa-token';

interface RbacDoc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] }[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
}

/** The manifest `calico-migrate rbac` prints, as the test server's allow rules: each Role's rules for the subjects bound to it. */
async function rbacRules(t: ExecutionContext, mode: 'apply' | 'rollback'): Promise<PolicyRule[]> {
  const r = await runCli(['rbac', '--to', 'v2.5', '--source', 'kubernetes', '--kubernetes-version', '1.7', '--mode', mode]);
  t.is(r.code, 0, r.stderr);
  const docs = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS() as RbacDoc);
  const out: PolicyRule[] = [];
  for (const role of docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role')) {
    const users = docs
      .filter((b) => b.roleRef?.kind === role.kind && b.roleRef.name === role.metadata.name && (role.kind === 'ClusterRole' || b.metadata.namespace === role.metadata.namespace))
      .flatMap((b) => (b.subjects ?? []).map((s) => `system:serviceaccount:${s.namespace}:${s.name}`));
    for (const rule of role.rules ?? []) {
      out.push({
        users, verbs: rule.verbs, apiGroups: rule.apiGroups, resources: rule.resources,
        ...(rule.resourceNames ? { names: rule.resourceNames } : {}),
        ...(role.kind === 'Role' && role.metadata.namespace ? { namespaces: [role.metadata.namespace] } : {}),
      });
    }
  }
  t.true(out.length >= 7);
  t.true(out.every((rule) => rule.users?.length === 1 && rule.users[0] === SA_USER));
  return out;
}

test.serial('resilience: the rules `calico-migrate rbac` prints are enough: the ServiceAccount applies the v1.7 TPR source (exit 0) and rolls it back with the rollback rules', async (t) => {
  const applyRules = await rbacRules(t, 'apply');
  const rollbackRules = await rbacRules(t, 'rollback');
  const c = await startCluster({
    gitVersion: 'v1.7.16',
    files: KDD_FILES,
    tokens: { [SA_TOKEN]: { user: SA_USER, groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] } },
    policy: { rules: applyRules },
  });
  try {
    await writeFile(c.kubeconfig, c.server.kubeconfig({ token: SA_TOKEN }), { mode: 0o600 });
    const apply = await cli(c, ['apply', '--state', 'local', '--to', 'v2.5', '--yes', '-o', 'json']);
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    const result = JSON.parse(apply.stdout) as ApplyJson;
    t.is(result.result, 'applied', result.message);
    t.deepEqual(result.summary, { created: 14 });
    t.true(c.server.requests.every((q) => q.user === SA_USER), 'every request ran as the ServiceAccount');
    t.deepEqual(c.server.requests.filter((q) => q.status === 403).map((q) => `${q.method} ${q.path}`), [], 'nothing was refused');
    const plan = await cli(c, ['plan', '--to', 'v2.5']);
    t.is(plan.code, 0, plan.stdout + plan.stderr);
    t.regex(plan.stdout, /create 0, update 0, unchanged 14, conflict 0/);

    c.server.setPolicy({ rules: rollbackRules });
    c.server.clearRequests();
    const rollback = await cli(c, ['rollback', '--state', 'local', '--yes', '-o', 'json']);
    const forbidden = c.server.requests.filter((q) => q.status === 403).map((q) => `${q.method} ${q.path}`);
    t.deepEqual(forbidden, [], 'nothing the rollback did was refused');
    t.is(rollback.code, 0, rollback.stdout + rollback.stderr);
    const out = JSON.parse(rollback.stdout) as { result: string; steps: { key: string; outcome: string; detail?: string }[] };
    t.is(out.result, 'rolled-back', JSON.stringify(out.steps.filter((s) => s.outcome !== 'deleted'), null, 1));
    for (const kind of V25_KINDS) t.deepEqual(c.server.state.list('crd.projectcalico.org/v1', kind).map(nameOf), [], `no ${kind} left`);
  } finally {
    await c.stop();
  }
});
