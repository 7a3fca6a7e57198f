/**
 * State that outlives the runner (`--state target`): an apply's journal, plan and backup kept in
 * the target, so that a second machine (here: a second, empty working directory and home) sees the
 * run with status, resumes it with apply, and undoes it with rollback. On an etcd v3 destination
 * (keys under /calico-migrate/state/), against a real etcd.
 */
import test from 'ava';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { REPO_ROOT, runCli } from '../_helpers/cli.js';
import { etcdRequest, putV2, startEtcd, type EtcdServer } from '../_helpers/etcd.js';

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
  const client = new Etcd3({ hosts: etcd?.endpoint ?? '' });
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
  t.true(Object.keys(state).some((k) => k.includes('/plan/')), 'the plan is kept');

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
