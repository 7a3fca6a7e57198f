/**
 * State that outlives the runner (`--state target`): an apply's journal, plan and backup kept in
 * the target, so that a second machine (here: a second, empty working directory and home) sees the
 * run with status, resumes it with apply, and undoes it with rollback. On an etcd v3 destination
 * (keys under /calico-migrate/state/), against a real etcd; and on a cluster (Secrets in namespace
 * calico-migrate), the API test server, with the real executable killed mid-write.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Etcd3 } from 'etcd3';
import { REPO_ROOT, runCli } from '../_helpers/cli.js';
import { etcdRequest, putV2, startEtcd, type EtcdServer } from '../_helpers/etcd.js';
import { KDD_FILES, startCluster, type Cluster } from '../_helpers/cluster.js';

const V2_DUMP = `${REPO_ROOT}/fixtures/sources/etcd-typical/etcd-v2.json`;
const HUGE = '/calico/ipam/v2/assignment/ipv4/block/192.168.9.0-26';
let etcd: EtcdServer | undefined;
const dirs: string[] = [];

test.before(async () => {
  etcd = await startEtcd({ seedV2: JSON.parse(await readFile(V2_DUMP, 'utf8')) as unknown });
});
test.after.always(async () => {
  await etcd?.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function machine(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'calico-migrate-machine-'));
  dirs.push(d);
  return d;
}

const target = (): string[] => ['--target-datastore-type', 'etcdv3', '--target-etcd-endpoints', etcd?.endpoint ?? '', '--state', 'target'];
const source = (): Record<string, string> => ({ DATASTORE_TYPE: 'etcdv2', ETCD_ENDPOINTS: etcd?.endpoint ?? '' });

async function keyspace(prefix: string): Promise<Record<string, string>> {
  const client = new Etcd3({ hosts: etcd?.endpoint ?? '', grpcOptions: { 'grpc.max_receive_message_length': -1 } });
  try {
    return await client.getAll().prefix(prefix).strings();
  } finally {
    client.close();
  }
}

test.serial('state in the target (etcd v3): an apply that fails part-way on one machine is seen, resumed without writing anything twice, and rolled back exactly from another', async (t) => {
  const before = await keyspace('/calico/');
  // A block too large for an etcd request: its write fails after the resources are written.
  await putV2(etcd!, HUGE, JSON.stringify({ cidr: '192.168.9.0/26', affinity: 'host:k8s-node-1', strictAffinity: false, allocations: [null], unallocated: [0], attributes: [{ handle_id: null, secondary: { note: 'x'.repeat(2_000_000) } }] }));
  const first = await machine();
  const failed = await runCli(['apply', '--to', 'v3.0', ...target(), '--yes', '-o', 'json'], first, source());
  t.is(failed.code, 1, failed.stdout + failed.stderr);
  const out = JSON.parse(failed.stdout) as { result: string; summary: Record<string, number>; journal: string };
  t.is(out.result, 'failed');
  t.regex(out.journal, /^etcd keys \/calico-migrate\/state\/[0-9a-f]{12}\/… on http:\/\/127\.0\.0\.1:\d+$/);
  t.deepEqual(await readdir(first), [], 'nothing is kept on the machine that ran it');
  const state = await keyspace('/calico-migrate/state/');
  const chunks = Object.keys(state).filter((k) => k.includes('/journal/'));
  t.true(chunks.length >= 2, 'the journal is a sequence of chunks');
  t.true(Object.values(state).every((v) => Buffer.byteLength(v) < 1024 * 1024), 'every key is below the request limit');
  t.true(Object.keys(state).some((k) => k.includes('/plan.gz/')), 'the plan is kept (compressed)');

  // A second machine: nothing local. status tells the truth.
  const second = await machine();
  const status = await runCli(['status', ...target(), '-o', 'json'], second, source());
  t.is(status.code, 0, status.stderr);
  const s = JSON.parse(status.stdout) as { status: { lastOutcome: string; done: string[]; failed: string[]; remaining: string[]; planned: number } };
  t.is(s.status.lastOutcome, 'failed');
  t.deepEqual(s.status.failed, ['IPAMBlock/192.168.9.0-26']);
  t.is(s.status.done.length + s.status.remaining.length, s.status.planned);
  const done = s.status.done.length;
  t.true(done >= 39);

  // The block is fixed at the source; apply again from the second machine resumes the same run.
  await putV2(etcd!, HUGE, JSON.stringify({ cidr: '192.168.9.0/26', affinity: 'host:k8s-node-1', strictAffinity: false, allocations: [null], unallocated: [0], attributes: [] }));
  const resumed = await runCli(['apply', '--to', 'v3.0', ...target(), '--yes', '-o', 'json'], second, source());
  t.is(resumed.code, 0, resumed.stdout + resumed.stderr);
  const r = JSON.parse(resumed.stdout) as { summary: Record<string, number>; journal: string };
  t.is(r.journal, out.journal, 'the same run');
  t.deepEqual(r.summary, { created: 1 }, 'only the block is written: nothing the first machine wrote is written twice');
  await etcdRequest(etcd!, `/v2/keys${HUGE}`, { method: 'DELETE' });
  const all = await runCli(['status', ...target(), '--all', '-o', 'json'], second, source());
  t.is((JSON.parse(all.stdout) as { runs: unknown[] }).runs.length, 1);

  // Rolled back from a third machine: the whole /calico/ v3 keyspace as before.
  const third = await machine();
  const rolled = await runCli(['rollback', ...target(), '--yes', '-o', 'json'], third, source());
  t.is(rolled.code, 0, rolled.stdout + rolled.stderr);
  t.deepEqual(await keyspace('/calico/'), before);
  t.false(rolled.stdout.includes('xxxxxxxx'), 'no backup content in the output');

  // forget: the state goes; an unknown run is refused.
  const run = /state\/([0-9a-f]{12})\//.exec(out.journal)?.[1] ?? '';
  const forgot = await runCli(['forget', run, ...target().slice(0, 4)], third, source());
  t.is(forgot.code, 0, forgot.stdout + forgot.stderr);
  t.deepEqual(await keyspace('/calico-migrate/state/'), {});
  const unknown = await runCli(['forget', run, ...target().slice(0, 4)], third, source());
  t.is(unknown.code, 1);
});

test.serial('state in the target (etcd v3): forget refuses an unfinished run unless --force, saying what is lost', async (t) => {
  await putV2(etcd!, HUGE, JSON.stringify({ cidr: '192.168.9.0/26', affinity: 'host:k8s-node-1', strictAffinity: false, allocations: [null], unallocated: [0], attributes: [{ handle_id: null, secondary: { note: 'y'.repeat(2_000_000) } }] }));
  const dir = await machine();
  try {
    const failed = await runCli(['apply', '--to', 'v3.0', ...target(), '--yes', '-o', 'json'], dir, source());
    t.is(failed.code, 1);
    const run = /state\/([0-9a-f]{12})\//.exec((JSON.parse(failed.stdout) as { journal: string }).journal)?.[1] ?? '';
    const refused = await runCli(['forget', run, ...target().slice(0, 4)], dir, source());
    t.is(refused.code, 3);
    t.regex(refused.stdout, /is unfinished \(failed: 1 of \d+ write\(s\) left, \d+ a rollback would undo\): forgetting it means it can no longer be resumed or rolled back/);
    const rolled = await runCli(['rollback', ...target(), '--yes'], dir, source());
    t.is(rolled.code, 0, rolled.stdout + rolled.stderr);
    const forgot = await runCli(['forget', run, ...target().slice(0, 4)], dir, source());
    t.is(forgot.code, 0, forgot.stdout);
  } finally {
    await etcdRequest(etcd!, `/v2/keys${HUGE}`, { method: 'DELETE' });
  }
});

// ---------------------------------------------------------------------------------------------
// Kubernetes target: Secrets in namespace calico-migrate (the API test server emulating 1.7.16).

function nameOf(o: Record<string, unknown>): string {
  return String((o['metadata'] as { name?: string } | undefined)?.name ?? '');
}

/** The journal records kept in the cluster's Secrets, in chunk order. */
function secretRecords(c: Cluster): { chunks: number; records: { t: string; key?: string }[] } {
  const chunks = c.server.state.list('v1', 'Secret', 'calico-migrate').filter((s) => nameOf(s).includes('-journal-')).sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : 1));
  // Each chunk's lines are gzip-compressed (data["records.gz"]).
  const records = chunks.flatMap((s) => gunzipSync(Buffer.from(String((s['data'] as Record<string, string>)['records.gz'] ?? ''), 'base64')).toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { t: string; key?: string }));
  return { chunks: chunks.length, records };
}

test.serial('state in the target (Kubernetes): the executable killed mid-write; from an empty directory status tells the truth, apply resumes without creating anything twice, rollback leaves no Calico object', async (t) => {
  const c = await startCluster({ gitVersion: 'v1.7.16', files: KDD_FILES });
  try {
    const home = await machine();
    const slow = c.server.injectFault({ method: 'POST', path: /^\/apis\/crd\.projectcalico\.org\//, times: Infinity, action: { type: 'latency', ms: 300 } });
    const env = { ...c.env, PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, NO_COLOR: '1' };
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/calico-migrate.js'), 'apply', '--to', 'v2.5', '--state', 'target', '--yes'], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
    try {
      for (let i = 0; i < 2000 && secretRecords(c).records.filter((r) => r.t === 'done').length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      child.kill('SIGKILL');
    }
    t.is(await exited, 'SIGKILL', output);
    slow.clear();
    await new Promise((r) => setTimeout(r, 500));
    const kept = secretRecords(c);
    const doneBefore = new Set(kept.records.flatMap((r) => (r.t === 'done' && r.key ? [r.key] : [])));
    t.true(doneBefore.size >= 3 && doneBefore.size < 14, `${doneBefore.size} writes done before the kill`);
    t.true(kept.chunks > 3, 'the journal is many small chunks, never one growing object');
    t.deepEqual(await readdir(home), [], 'no state on the machine that ran it');
    t.true(c.server.state.list('v1', 'Secret', 'calico-migrate').some((s) => nameOf(s).includes('-plan-')), 'the plan is kept');

    const second = await machine();
    const status = await runCli(['status', '--state', 'target', '-o', 'json'], second, c.env);
    t.is(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as { status: { lastOutcome: string; done: string[]; remaining: string[] } };
    t.is(s.status.lastOutcome, 'interrupted');
    t.deepEqual(new Set(s.status.done), doneBefore);
    t.is(s.status.remaining.length, 14 - doneBefore.size);

    // What the killed run created (some of it in flight at the kill, unanswered) is on the server now.
    const existing = ['GlobalFelixConfig', 'GlobalBGPConfig', 'IPPool', 'BGPPeer', 'GlobalNetworkPolicy'].reduce((n, kind) => n + c.server.state.list('crd.projectcalico.org/v1', kind).length, 0);
    const again = await runCli(['apply', '--to', 'v2.5', '--state', 'target', '--yes', '-o', 'json'], second, c.env);
    t.is(again.code, 0, again.stdout + again.stderr);
    t.deepEqual((JSON.parse(again.stdout) as { summary: Record<string, number> }).summary, existing === 14 ? {} : { created: 14 - existing }, 'the resumed run creates only what is missing');
    t.deepEqual(c.server.requests.filter((q) => q.method === 'POST' && /^\/apis\/crd\.projectcalico\.org\//.test(q.path) && q.status === 409), [], 'it never tries to create what exists');
    const runs = new Set(c.server.state.list('v1', 'Secret', 'calico-migrate').map((x) => (x['metadata'] as { labels?: Record<string, string> }).labels?.['calico-migrate.projectcalico.org/run']));
    t.is(runs.size, 1, 'the second apply resumed the same run');
    t.is(secretRecords(c).records.filter((r) => r.t === 'begin').length, 2, 'both applies are in its journal');

    const third = await machine();
    const rolled = await runCli(['rollback', '--state', 'target', '--yes', '-o', 'json'], third, c.env);
    t.is(rolled.code, 0, rolled.stdout + rolled.stderr);
    for (const kind of ['GlobalFelixConfig', 'GlobalBGPConfig', 'IPPool', 'BGPPeer', 'GlobalNetworkPolicy']) t.deepEqual(c.server.state.list('crd.projectcalico.org/v1', kind), [], `${kind}: none left`);
    const after = await runCli(['status', '--state', 'target', '-o', 'json'], third, c.env);
    t.is((JSON.parse(after.stdout) as { status: { lastOutcome: string } }).status.lastOutcome, 'rolled-back');
  } finally {
    await c.stop();
  }
});

const POLICIES = 3000;

test.serial('state in the target (etcd v3): the executable killed mid-write; from empty directories status, resume (nothing created twice) and an exact rollback', async (t) => {
  const before = await keyspace('/calico/');
  const first = await machine();
  const keys: Record<string, string> = { '/calico/v1/config/LogSeverityScreen': 'Info' };
  // Enough policies that the kill lands while they are being written: an etcd destination writes
  // them in transactions of 100, so 300 would all be written in a few milliseconds.
  for (let i = 0; i < POLICIES; i++) keys[`/calico/v1/policy/tier/default/policy/p-${String(i).padStart(4, '0')}`] = JSON.stringify({ order: i, selector: `app == 'a${i}'`, inbound_rules: [], outbound_rules: [] });
  const file = join(await machine(), 'many.json');
  await writeFile(file, JSON.stringify(keys));
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: first, NO_COLOR: '1' };
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/calico-migrate.js'), 'apply', '--to', 'v3.0', '--from-file', file, ...target(), '--yes', '--concurrency', '1'], { cwd: first, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
  const journal = async () =>
    Object.entries(await keyspace('/calico-migrate/state/'))
      .filter(([k]) => k.includes('/journal/'))
      .map(([, v]) => v)
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { t: string; key?: string });
  const written = async () => Object.keys(await keyspace('/calico/resources/v3/projectcalico.org/globalnetworkpolicies/'));
  try {
    // Killed once some objects are written: inside the journal batch whose intents were stored first.
    // Polled by count over one kept connection, so that the poll itself is quick.
    const poll = new Etcd3({ hosts: etcd?.endpoint ?? '' });
    try {
      for (let i = 0; i < 2000 && (await poll.getAll().prefix('/calico/resources/v3/projectcalico.org/globalnetworkpolicies/').count()) < 20; i++) await new Promise((r) => setTimeout(r, 5));
    } finally {
      poll.close();
    }
  } finally {
    child.kill('SIGKILL');
  }
  t.is(await exited, 'SIGKILL', output.slice(-1500));
  const present = await written();
  t.log(`${present.length} of ${POLICIES} policies written before the kill`);
  t.true(present.length >= 20 && present.length < POLICIES, `${present.length} policies written before the kill`);
  // Never a write before its intent: every object in the keyspace has its intent in the journal.
  const killed = await journal();
  const intents = killed.filter((r) => r.t === 'intent').map((r) => r.key ?? '');
  for (const key of present) {
    // Stored as default.p-0001 (the tier's prefix), planned as GlobalNetworkPolicy/p-0001.
    const policy = /p-\d{4}$/.exec(key)?.[0] ?? key;
    t.true(intents.includes(`GlobalNetworkPolicy/${policy}`), `${key} was written without a stored intent`);
  }
  // Killed between a batch's intents and its outcomes: some stored intents have no outcome yet.
  const dones = killed.filter((r) => r.t === 'done').length;
  t.true(dones < intents.length, `${intents.length} intents and ${dones} outcomes stored before the kill`);
  t.true(dones < POLICIES + 1, 'the run was killed before it recorded every outcome');
  t.deepEqual(await readdir(first), []);

  const second = await machine();
  const status = await runCli(['status', ...target(), '-o', 'json'], second, {});
  t.like(JSON.parse(status.stdout) as object, { status: { lastOutcome: 'interrupted', planned: POLICIES + 1 } });
  const resumed = await runCli(['apply', '--to', 'v3.0', '--from-file', file, ...target(), '--yes', '-o', 'json'], second, {});
  t.is(resumed.code, 0, resumed.stdout.slice(0, 1500) + resumed.stderr);
  const records = Object.values(await keyspace('/calico-migrate/state/')).join('').split('\n').filter((l) => l.includes('"t":"done"')).map((l) => JSON.parse(l) as { key: string; outcome: string });
  const created = records.filter((r) => r.outcome === 'created').map((r) => r.key);
  t.is(new Set(created).size, created.length, 'no object was created twice');
  t.is(Object.keys(await keyspace('/calico/resources/v3/projectcalico.org/globalnetworkpolicies/')).length, POLICIES);

  const rolled = await runCli(['rollback', ...target(), '--yes', '-o', 'json'], await machine(), {});
  t.is(rolled.code, 0, rolled.stdout.slice(0, 1500) + rolled.stderr);
  t.deepEqual(await keyspace('/calico/'), before, 'the whole /calico/ keyspace as before');
});
