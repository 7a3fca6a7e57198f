/**
 * The state stores against real servers (the API test server for Secrets, a real etcd for keys):
 * plans and backups larger than one object are split and read back whole; the journal is small
 * immutable chunks in order, and concurrent appends share chunks (group commit) without losing or
 * reordering a record.
 */
import test from 'ava';
import { Etcd3 } from 'etcd3';
import { Journal, readStoredJournal } from '../../src/apply/journal.js';
import { SECRETS } from '../../src/datastore/calico-resources.js';
import { KubeClient } from '../../src/datastore/kube-client.js';
import { resolveSettings } from '../../src/datastore/settings.js';
import { EtcdStateStore } from '../../src/state/etcd-store.js';
import { KubernetesStateStore } from '../../src/state/kubernetes-store.js';
import { splitText, type StateStore } from '../../src/state/types.js';
import { startCluster } from '../_helpers/cluster.js';
import { startEtcd } from '../_helpers/etcd.js';

test('splitText: parts of at most the given bytes, never inside a character, joined back whole', (t) => {
  const text = `${'a'.repeat(5)}é€😀${'b'.repeat(7)}`;
  for (const max of [4, 5, 6, 7, 100]) {
    const parts = splitText(text, max);
    t.is(parts.join(''), text);
    t.true(parts.every((p) => Buffer.byteLength(p) <= Math.max(max, 4)), `max ${max}: ${parts.map((p) => Buffer.byteLength(p)).join(',')}`);
  }
});

async function exercise(t: import('ava').ExecutionContext, store: StateStore, sizeOf: () => Promise<number[]>, dropPlanPart: (run: string, part: number) => Promise<void>): Promise<void> {
  const run = '0123456789ab';
  const big = `${'{"k":"'}${'x'.repeat(2_500_000)}"}`;
  await store.savePlan(run, 'f'.repeat(64), big);
  t.is(await store.loadPlan(run), big, 'a plan larger than one object reads back whole');
  // A save cut short (its parts are written several at a time) is completed by the next save.
  await dropPlanPart(run, 1);
  t.not(await store.loadPlan(run), big);
  await store.savePlan(run, 'f'.repeat(64), big);
  t.is(await store.loadPlan(run), big, 'the missing part is written again');
  await store.addBackup(run, 'f'.repeat(64), `first ${'y'.repeat(1_800_000)}`);
  await store.addBackup(run, 'f'.repeat(64), 'second');
  t.deepEqual((await store.loadBackup(run)).map((b) => b.slice(0, 6)), ['first ', 'second'], 'backup generations in order, each whole');
  t.is((await store.loadBackup(run))[0]?.length, 1_800_006);
  t.true((await sizeOf()).every((n) => n <= 1024 * 1024), 'every stored object is within the store\'s limit');

  // 200 writes, 4 at a time, each an intent and an outcome, as the apply's writers append them.
  const journal = Journal.remote(store, run, 'f'.repeat(64), 'test');
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < 200; i = next++) {
      await journal.append({ t: 'intent', key: `K/${i}`, action: 'create', before: null });
      await journal.append({ t: 'done', key: `K/${i}`, action: 'create', outcome: 'created', resourceVersion: String(i) });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await journal.close();
  const records = await readStoredJournal(store, run);
  t.is(records.length, 400, 'no record lost');
  for (let i = 0; i < 200; i++) {
    const intent = records.findIndex((r) => r.t === 'intent' && r.key === `K/${i}`);
    const done = records.findIndex((r) => r.t === 'done' && r.key === `K/${i}`);
    if (!(intent >= 0 && done > intent)) t.fail(`K/${i}: intent at ${intent}, done at ${done}`);
  }
  const info = (await store.runs()).find((r) => r.run === run);
  t.truthy(info);
  t.true((info?.chunks ?? 0) < 400, `concurrent appends share chunks: ${info?.chunks ?? 0} chunks for 400 records`);
  t.true((info?.chunks ?? 0) >= 100, 'and each chunk is small');

  // One batch of 3,000 intents of 1 KiB (about 3 MiB, as a batch of before-images can be): stored
  // before appendAll returns, as chunks within the store's limit, every record in order.
  const batch = Array.from({ length: 3000 }, (_, i) => ({ t: 'intent' as const, key: `B/${i}`, action: 'update' as const, before: { metadata: { name: `b${i}`, annotations: { pad: 'p'.repeat(1000) } } } }));
  const chunksBefore = info?.chunks ?? 0;
  await journal.appendAll(batch);
  const after = await readStoredJournal(store, run);
  t.deepEqual(after.slice(400).map((r) => (r.t === 'intent' ? r.key : r.t)), batch.map((b) => b.key));
  const chunks = ((await store.runs()).find((r) => r.run === run)?.chunks ?? 0) - chunksBefore;
  t.true(chunks >= Math.ceil((3000 * 1100) / store.maxJournalChunk) && chunks <= 8, `${chunks} chunks for the batch`);
  t.true((await sizeOf()).every((n) => n <= 1024 * 1024), 'every stored object is within the store\'s limit');
  t.true((await store.forget(run)) > 0);
  t.deepEqual(await store.runs(), []);
}

test('state store (Kubernetes Secrets): split plan and backup, chunked journal, forget', async (t) => {
  const c = await startCluster({ gitVersion: 'v1.33.0' });
  try {
    const { settings } = resolveSettings({ flags: { datastoreType: 'kubernetes', kubeconfig: c.kubeconfig }, env: {} });
    const client = KubeClient.fromSettings(settings, {});
    const store = new KubernetesStateStore(client);
    await exercise(
      t,
      store,
      async () => c.server.state.list('v1', 'Secret', 'calico-migrate').map((s) => Object.values((s['data'] as Record<string, string>) ?? {}).reduce((n, v) => n + Buffer.from(v, 'base64').length, 0)),
      (run, part) => client.delete(SECRETS, `run-${run}-plan-${String(part).padStart(3, '0')}`, { namespace: 'calico-migrate' }),
    );
    t.deepEqual(c.server.state.list('v1', 'Namespace').map((n) => (n['metadata'] as { name: string }).name).filter((n) => n === 'calico-migrate'), ['calico-migrate'], 'its own namespace, created');
  } finally {
    await c.stop();
  }
});

test('state store (etcd v3 keys): split plan and backup, chunked journal, forget', async (t) => {
  const etcd = await startEtcd({ enableV2: false });
  const client = new Etcd3({ hosts: etcd.endpoint });
  try {
    const store = new EtcdStateStore(client, etcd.endpoint);
    const sizes = async () => Promise.all((await client.getAll().prefix('/calico-migrate/state/').keys()).map(async (k) => Buffer.byteLength((await client.get(k).string()) ?? '')));
    await exercise(t, store, sizes, async (run, part) => {
      await client.delete().key(`/calico-migrate/state/${run}/plan/${String(part).padStart(4, '0')}`);
    });
  } finally {
    client.close();
    await etcd.stop();
  }
});

test('state store (etcd v3 keys): a journal of 20,000 writes stays a sequence of small chunks, every record in order', async (t) => {
  const etcd = await startEtcd({ enableV2: false });
  const client = new Etcd3({ hosts: etcd.endpoint });
  try {
    const store = new EtcdStateStore(client, etcd.endpoint);
    const run = 'abcdef012345';
    const journal = Journal.remote(store, run, 'e'.repeat(64), 'test');
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < 20_000; i = next++) {
        await journal.append({ t: 'intent', key: `GlobalNetworkPolicy/p-${i}`, action: 'create', before: null });
        await journal.append({ t: 'done', key: `GlobalNetworkPolicy/p-${i}`, action: 'create', outcome: 'created', resourceVersion: String(i) });
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: 16 }, worker));
    await journal.close();
    const keys = await client.getAll().prefix(`/calico-migrate/state/${run}/journal/`).keys();
    const sizes = await Promise.all(keys.slice(0, 200).map(async (k) => Buffer.byteLength((await client.get(k).string()) ?? '')));
    t.log(`${keys.length} chunks for 40,000 records in ${Date.now() - started} ms; largest of the first 200: ${Math.max(...sizes)} bytes`);
    t.true(keys.length < 40_000, 'appends that wait together share a chunk');
    t.true(sizes.every((n) => n < 16 * 1024), 'every chunk is small: nothing is ever rewritten or grown');
    const records = await readStoredJournal(store, run);
    t.is(records.length, 40_000);
    const seen = new Set<string>();
    for (const r of records) {
      if (r.t === 'done' && !seen.has(r.key)) t.fail(`${r.key}: done before its intent`);
      if (r.t === 'intent') seen.add(r.key);
    }
  } finally {
    client.close();
    await etcd.stop();
  }
});
