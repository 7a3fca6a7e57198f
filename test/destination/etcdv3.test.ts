/**
 * The etcd v3 destination against a real etcd (the harness's, v3 keyspace): the apply engine
 * writes a whole conversion with conditional transactions, verify and plan-again find it as
 * planned, a concurrent writer is a lost race and is never overwritten, rollback under the lock
 * restores the keyspace exactly, and the lock is a key bound to a lease that expires with its holder.
 */
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { rollbackUnderLock, startApply, type ApplyOutcome } from '../../src/apply/engine.js';
import { Journal, readJournal } from '../../src/apply/journal.js';
import { LockHeldError } from '../../src/apply/lock.js';
import { convertDumps } from '../../src/convert.js';
import { EtcdV3Destination } from '../../src/destination/etcdv3.js';
import { decodeDump } from '../../src/input/dump.js';
import { buildEntries, writesOf } from '../../src/plan/build.js';
import { desiredForEtcd, type Desired } from '../../src/plan/desired.js';
import type { Plan } from '../../src/plan/types.js';
import { REPO_ROOT } from '../_helpers/cli.js';
import { startEtcd, type EtcdServer } from '../_helpers/etcd.js';

let etcd: EtcdServer | undefined;
test.before(async () => {
  etcd = await startEtcd({ enableV2: false });
});
test.after.always(async () => {
  await etcd?.stop();
});

async function desiredOf(file: string): Promise<Desired> {
  const path = join(REPO_ROOT, file);
  const r = convertDumps([decodeDump(path, await readFile(path, 'utf8'))], 'v3.0', 'calicoctl');
  return desiredForEtcd(r.objects, r.report, 'calico-migrate test');
}

/** The whole keyspace as key → value, for exact comparisons. */
async function keyspace(client: Etcd3): Promise<Record<string, string>> {
  return client.getAll().prefix('/').strings();
}

/** A client, a destination and a scratch directory on the test's etcd, closed and removed afterwards. */
async function onEtcd(run: (c: { client: Etcd3; dest: EtcdV3Destination; dir: string }) => Promise<void>, options: { now?: () => Date } = {}): Promise<void> {
  const server = etcd!;
  const client = new Etcd3({ hosts: server.endpoint });
  const dest = new EtcdV3Destination(new Etcd3({ hosts: server.endpoint }), server.endpoint, options);
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-etcd-dest-'));
  try {
    await run({ client, dest, dir });
  } finally {
    dest.close();
    client.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The destination's write of planned entries, journaled in a file of `dir` that is closed afterwards. */
async function writeJournaled(dest: EtcdV3Destination, dir: string, file: string, planHash: string, entries: ReturnType<typeof buildEntries>, live: Awaited<ReturnType<EtcdV3Destination['readLive']>>) {
  const journal = await Journal.open(join(dir, file), 'test/run');
  try {
    return await dest.write({ planHash, entries: writesOf(entries, false), live, overwrite: false, dryRun: false, concurrency: 4, journal });
  } finally {
    await journal.close();
  }
}

async function apply(dest: EtcdV3Destination, desired: Desired, journalPath: string): Promise<ApplyOutcome> {
  const live = await dest.readLive(desired);
  const entries = buildEntries(desired, live);
  const plan = { target: 'v3.0', cluster: { server: dest.address, gitVersion: 'etcd', id: await dest.identity() }, entries, findings: [], hash: 'a'.repeat(64) } as unknown as Plan;
  const journal = await Journal.open(journalPath, 'test/1/run');
  const run = startApply({ plan, hash: plan.hash, planFile: 'plan.json', paths: { plan: `${journalPath}.plan.json`, backup: `${journalPath}.backup.yaml` }, writes: writesOf(entries, false), desired, live, destination: dest, journal, options: { to: 'v3.0', dryRun: false, overwrite: false, concurrency: 4, lockTtlSeconds: 10, lockWaitSeconds: 0, forceUnlock: false } });
  try {
    for (const s of run.stages) if (!s.skip) await s.run(() => undefined);
    return await run.finish();
  } catch (e) {
    return run.finish(e);
  }
}

test.serial('etcd v3 destination: the engine writes a whole conversion; verify passes; planning again finds everything unchanged; rollback restores the keyspace exactly', async (t) => {
  await onEtcd(async ({ client, dest, dir }) => {
    await client.delete().all();
    await client.put('/calico/resources/v3/projectcalico.org/ippools/unrelated').value(JSON.stringify({ kind: 'IPPool', apiVersion: 'projectcalico.org/v3', metadata: { name: 'unrelated' }, spec: { cidr: '10.99.0.0/16' } }));
    const before = await keyspace(client);
    const desired = await desiredOf('fixtures/sources/etcd-v26/etcd-v2.json');
    const outcome = await apply(dest, desired, join(dir, 'j.journal'));
    t.is(outcome.verdict, 'applied', outcome.message);
    t.is(outcome.results.filter((r) => r.outcome === 'created').length, desired.objects.length);
    t.deepEqual(await dest.verify(desired), []);
    t.true(buildEntries(desired, await dest.readLive(desired)).every((e) => e.action === 'unchanged'));
    const stored = JSON.parse((await client.get('/calico/resources/v3/projectcalico.org/globalnetworkpolicies/default.allow-dns').string()) ?? '{}') as { metadata: { name: string; uid: string; creationTimestamp: string; annotations: Record<string, string> } };
    t.is(stored.metadata.name, 'default.allow-dns');
    t.is(stored.metadata.creationTimestamp, '2026-12-05T12:00:00Z');
    t.regex(stored.metadata.uid, /^[0-9a-f-]{36}$/);
    t.is(stored.metadata.annotations['calico-migrate.projectcalico.org/plan'], 'a'.repeat(64));
    t.is(await client.get('/calico-migrate/lock').string(), null, 'the lock is released');

    const steps = await rollbackUnderLock({ destination: dest, records: await readJournal(join(dir, 'j.journal')), journal: await Journal.open(join(dir, 'j.journal'), 'test/2/rollback'), reason: 'rollback', force: false, forceUnlock: false, lockTtlSeconds: 10, lockWaitSeconds: 0 });
    t.true(steps.every((s) => s.outcome === 'deleted'), JSON.stringify(steps));
    t.deepEqual(await keyspace(client), before, 'the keyspace is exactly as before the apply');
  }, { now: () => new Date('2026-12-05T12:00:00Z') });
});

test.serial('etcd v3 destination: an object someone else writes between plan and write is a lost race: re-planned, never overwritten', async (t) => {
  await onEtcd(async ({ client, dest, dir }) => {
    await client.delete().all();
    const desired = await desiredOf('fixtures/sources/etcd-typical/etcd-v2.json');
    const live = await dest.readLive(desired);
    const entries = buildEntries(desired, live);
    // Another writer creates one of the planned objects after the plan was made.
    const theirs = JSON.stringify({ kind: 'IPPool', apiVersion: 'projectcalico.org/v3', metadata: { name: '192-168-0-0-16', uid: 'theirs' }, spec: { cidr: '192.168.0.0/16', ipipMode: 'Never' } });
    await client.put('/calico/resources/v3/projectcalico.org/ippools/192-168-0-0-16').value(theirs);
    const results = await writeJournaled(dest, dir, 'j.journal', 'b'.repeat(64), entries, live);
    const pool = results.find((r) => r.key === 'IPPool/192-168-0-0-16');
    t.is(pool?.outcome, 'failed');
    t.regex(pool?.error ?? '', /exists with different content and was not written by calico-migrate/);
    t.is(await client.get('/calico/resources/v3/projectcalico.org/ippools/192-168-0-0-16').string(), theirs, 'their object is untouched');
    t.true(results.filter((r) => r.key !== 'IPPool/192-168-0-0-16').every((r) => r.outcome === 'created'));
  });
});

/** A flat v2.4 dump of `n` policies: one GlobalNetworkPolicy each in the v3 form. */
function policies(n: number): Desired {
  const flat: Record<string, string> = {};
  for (let i = 0; i < n; i++) flat[`/calico/v1/policy/tier/default/policy/p-${String(i).padStart(4, '0')}`] = JSON.stringify({ order: i, selector: `app == 'a${i}'`, inbound_rules: [{ action: 'allow' }], outbound_rules: [] });
  const r = convertDumps([decodeDump('policies.json', JSON.stringify(flat))], 'v3.0', 'calicoctl');
  return desiredForEtcd(r.objects, r.report, 'calico-migrate test');
}

const revisionOf = async (client: Etcd3): Promise<number> => Number((await client.get('/none').exec()).header.revision);

test.serial('etcd v3 destination: writes go in transactions of up to 100 objects; a transaction whose condition fails writes nothing and its objects go one by one', async (t) => {
  await onEtcd(async ({ client, dest, dir }) => {
    await client.delete().all();
    const desired = policies(250);
    const write = (file: string, entries: ReturnType<typeof buildEntries>, live: Awaited<ReturnType<typeof dest.readLive>>) => writeJournaled(dest, dir, file, 'c'.repeat(64), entries, live);

    // 250 creates: three transactions (100, 100, 50), each one revision of the keyspace.
    let live = await dest.readLive(desired);
    let before = await revisionOf(client);
    let results = await write('a.journal', buildEntries(desired, live), live);
    t.is(results.length, 250);
    t.true(results.every((r) => r.outcome === 'created'));
    t.is(await revisionOf(client), before + 3);
    const written = await client.getAll().prefix('/calico/resources/v3/projectcalico.org/globalnetworkpolicies/').keys();
    t.is(written.length, 250);

    // Again on an empty keyspace, with one object of the second transaction created by someone else
    // after the plan: that transaction fails whole, its other 99 objects are written one by one, and
    // theirs is left as it is.
    await client.delete().all();
    live = await dest.readLive(desired);
    const entries = buildEntries(desired, live);
    const victim = entries[150]!;
    const key = written.find((k) => k.endsWith(`.${victim.name}`) || k.endsWith(`/${victim.name}`)) ?? '';
    t.not(key, '');
    const theirs = JSON.stringify({ kind: 'GlobalNetworkPolicy', apiVersion: 'projectcalico.org/v3', metadata: { name: key.slice(key.lastIndexOf('/') + 1), uid: 'theirs' }, spec: { selector: 'all()' } });
    await client.put(key).value(theirs);
    before = await revisionOf(client);
    results = await write('b.journal', entries, live);
    const lost = results.find((r) => r.key === victim.key);
    t.is(lost?.outcome, 'failed');
    t.regex(lost?.error ?? '', /exists with different content and was not written by calico-migrate/);
    t.is(await client.get(key).string(), theirs, 'their object is untouched');
    t.is(results.filter((r) => r.outcome === 'created').length, 249);
    t.is(await revisionOf(client), before + 2 + 99, 'two whole transactions, and 99 single writes');
    // Every write has its intent, and every created object its outcome, in the journal.
    const records = await readJournal(join(dir, 'b.journal'));
    t.is(records.filter((r) => r.t === 'intent').length, 250);
    t.is(records.filter((r) => r.t === 'done' && r.outcome === 'created').length, 249);
  });
});

test.serial('etcd v3 destination: the lock is one key bound to a lease: a second holder is refused, and a holder that stops renewing loses it when the lease expires', async (t) => {
  const server = etcd!;
  const a = new EtcdV3Destination(new Etcd3({ hosts: server.endpoint }), server.endpoint);
  const b = new EtcdV3Destination(new Etcd3({ hosts: server.endpoint }), server.endpoint);
  try {
    const held = await a.acquireLock({ holder: 'run-a', reason: 'apply plan x', ttlSeconds: 2, waitMs: 0 });
    t.like(await b.readLock(), { kind: 'EtcdKey', holder: 'run-a', reason: 'apply plan x', stale: false });
    const refused = await t.throwsAsync(() => b.acquireLock({ holder: 'run-b', reason: 'apply plan y', ttlSeconds: 2, waitMs: 0 }), { instanceOf: LockHeldError });
    t.is(await b.forceUnlock().then(() => 'removed'), 'removed');
    t.is(await b.readLock(), undefined, 'force-unlock removes the lock it read');
    await t.throwsAsync(() => held.renew(), { message: /lost the migration lock/ });
    const again = await a.acquireLock({ holder: 'run-a', reason: 'apply plan x', ttlSeconds: 2, waitMs: 0 });
    t.regex(refused?.message ?? '', /the migration lock \(etcd key \/calico-migrate\/lock\) is held by "run-a"/);
    await again.renew();
    again.stop();
    // Not renewed: the lease expires and etcd deletes the key.
    await new Promise((r) => setTimeout(r, 3500));
    t.is(await b.readLock(), undefined);
    const mine = await b.acquireLock({ holder: 'run-b', reason: 'apply plan y', ttlSeconds: 10, waitMs: 0 });
    await t.throwsAsync(() => again.renew(), { message: /lost the migration lock/ });
    const released = await again.release();
    t.is(released.outcome, 'taken', 'a lost lock is left to its new holder');
    t.like(released.outcome === 'taken' ? released.by : {}, { kind: 'EtcdKey', holder: 'run-b' });
    const shown = await b.readLock();
    const left = (Date.parse(shown?.expires ?? '') - Date.now()) / 1000;
    t.true(left > 5 && left <= 11, `the expiry comes from the lease's time to live (${left} s left of 10)`);
    t.deepEqual(await mine.release(), { outcome: 'released' });
    t.is(await a.readLock(), undefined);
  } finally {
    a.close();
    b.close();
  }
});
