/**
 * The state stores against real servers (the API test server for Secrets, a real etcd for keys):
 * plans and backups larger than one object are split and read back whole; the journal is small
 * immutable chunks in order, and concurrent appends share chunks (group commit) without losing or
 * reordering a record.
 */
import test from 'ava';
import { Etcd3 } from 'etcd3';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Journal, readStoredJournal } from '../../src/apply/journal.js';
import { NAMESPACES, SECRETS } from '../../src/datastore/calico-resources.js';
import { KubeClient } from '../../src/datastore/kube-client.js';
import { resolveSettings } from '../../src/datastore/settings.js';
import { EtcdStateStore } from '../../src/state/etcd-store.js';
import { KubernetesStateStore } from '../../src/state/kubernetes-store.js';
import { packText, splitText, unpackText, wholeStream, type StateStore } from '../../src/state/types.js';
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

/** What a store test does to the stored plan behind the store's back. */
interface PlanAccess {
  /** Removes one part of the run's compressed plan, as a save cut short leaves it. */
  dropPart(run: string, part: number): Promise<void>;
  /** How many objects or keys hold the run's plan. */
  count(run: string): Promise<number>;
  /** Stores a plan as earlier builds did: uncompressed parts. */
  writeLegacy(run: string, parts: readonly string[]): Promise<void>;
}

/** Text that gzip cannot shrink much (base64 of hashes): its compressed stream needs several parts. */
function incompressible(bytes: number): string {
  let out = '{"k":"';
  for (let i = 0; out.length < bytes; i++) out += createHash('sha256').update(String(i)).digest('base64');
  return `${out}"}`;
}

test('packText and wholeStream: a compressed text in parts reads back whole, and parts of two streams are never mixed', async (t) => {
  const text = `${incompressible(40_000)}é€😀`;
  const packed = await packText(text, 8_000);
  t.true(packed.parts.length >= 4 && packed.parts.every((p) => p.length <= 8_000));
  t.is(await unpackText(packed.parts), text);
  const stored = (digest: string, parts: readonly Buffer[], keep: (i: number) => boolean) => parts.flatMap((bytes, index) => (keep(index) ? [{ digest, count: parts.length, index, bytes }] : []));
  // Another build's stream of the same text, cut short, beside this one's, whole: this one is read.
  const other = stored('000000000000', packed.parts, (i) => i !== 2);
  const mine = stored(packed.digest, packed.parts, () => true);
  t.is(await unpackText(wholeStream([...other, ...mine.reverse()]) ?? []), text);
  t.is(wholeStream(other), undefined, 'a stream with a part missing is not whole');
  t.is(wholeStream(mine.map((p) => ({ ...p, count: p.count + 1 }))), undefined, 'nor one short of the count its parts give');
  t.is(wholeStream([]), undefined);
});

async function exercise(t: import('ava').ExecutionContext, store: StateStore, sizeOf: () => Promise<number[]>, plans: PlanAccess): Promise<void> {
  const run = '0123456789ab';
  const big = incompressible(2_500_000);
  await store.savePlan(run, 'f'.repeat(64), big);
  t.is(await store.loadPlan(run), big, 'a plan larger than one object reads back whole');
  t.true((await plans.count(run)) >= 3, 'in several parts');
  // A save cut short (its parts are written several at a time) is completed by the next save.
  await plans.dropPart(run, 1);
  t.is(await store.loadPlan(run), undefined, 'a stream with a part missing is not read');
  await store.savePlan(run, 'f'.repeat(64), big);
  t.is(await store.loadPlan(run), big, 'the missing part is written again');

  // A plan repeats itself: 20,000 policy-like entries of JSON (about 4 MB) are kept compressed, in one part.
  const repetitive = JSON.stringify({ entries: Array.from({ length: 20_000 }, (_, i) => ({ action: 'create', key: `GlobalNetworkPolicy/ns-${i % 50}.policy-${i}`, desired: { spec: { selector: `app == 'app-${i % 300}'`, order: 1000, ingress: [{ action: 'allow', source: { selector: "role == 'frontend'" } }] } } })) });
  await store.savePlan('0000000000aa', 'a'.repeat(64), repetitive);
  t.is(await store.loadPlan('0000000000aa'), repetitive);
  t.is(await plans.count('0000000000aa'), 1, `${repetitive.length} bytes of plan in one part`);
  t.true((await store.forget('0000000000aa')) > 0);

  // Two saves of one plan at once (two machines resuming the same run): both succeed, one copy is kept.
  await Promise.all([store.savePlan('0000000000cc', 'c'.repeat(64), big), store.savePlan('0000000000cc', 'c'.repeat(64), big)]);
  t.is(await store.loadPlan('0000000000cc'), big);
  t.is(await plans.count('0000000000cc'), await plans.count(run));
  t.true((await store.forget('0000000000cc')) > 0);

  // A plan kept by an earlier build (uncompressed parts) is still read, and saving it again adds nothing.
  const old = `{"old":"${'z'.repeat(300_000)}"}`;
  await plans.writeLegacy('0000000000bb', [old.slice(0, 100_000), old.slice(100_000)]);
  t.is(await store.loadPlan('0000000000bb'), old);
  await store.savePlan('0000000000bb', 'b'.repeat(64), old);
  t.is(await plans.count('0000000000bb'), 2, 'no compressed copy added beside a whole uncompressed one');
  t.true((await store.forget('0000000000bb')) > 0);
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

/** A Kubernetes state store on a fresh API test server, for the length of `use`. */
async function withKubernetesStore(use: (store: KubernetesStateStore, client: KubeClient, c: Awaited<ReturnType<typeof startCluster>>) => Promise<void>): Promise<void> {
  const c = await startCluster({ gitVersion: 'v1.33.0' });
  try {
    const { settings } = resolveSettings({ flags: { datastoreType: 'kubernetes', kubeconfig: c.kubeconfig }, env: {} });
    const client = KubeClient.fromSettings(settings, {});
    await use(new KubernetesStateStore(client), client, c);
  } finally {
    await c.stop();
  }
}

test('state store (Kubernetes Secrets): split plan and backup, chunked journal, forget', async (t) => {
  await withKubernetesStore(async (store, client, c) => {
    const planSecrets = async (run: string) => (await client.list(SECRETS, { namespace: 'calico-migrate', labelSelector: `calico-migrate.projectcalico.org/run=${run},calico-migrate.projectcalico.org/part=plan` })).items;
    await exercise(
      t,
      store,
      async () => c.server.state.list('v1', 'Secret', 'calico-migrate').map((s) => Object.values((s['data'] as Record<string, string>) ?? {}).reduce((n, v) => n + Buffer.from(v, 'base64').length, 0)),
      {
        dropPart: async (run, part) => {
          const name = (await planSecrets(run)).find((s) => s.metadata.labels?.['calico-migrate.projectcalico.org/index'] === String(part))?.metadata.name;
          if (!name) throw new Error(`no plan part ${part}`);
          await client.delete(SECRETS, name, { namespace: 'calico-migrate' });
        },
        count: async (run) => (await planSecrets(run)).length,
        writeLegacy: async (run, parts) => {
          for (const [i, p] of parts.entries()) {
            await client.create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `run-${run}-plan-${String(i).padStart(3, '0')}`, namespace: 'calico-migrate', labels: { 'calico-migrate.projectcalico.org/run': run, 'calico-migrate.projectcalico.org/plan': 'b'.repeat(40), 'calico-migrate.projectcalico.org/part': 'plan' } }, type: 'Opaque', data: { content: Buffer.from(p).toString('base64') } });
          }
        },
      },
    );
    t.deepEqual(c.server.state.list('v1', 'Namespace').map((n) => (n['metadata'] as { name: string }).name).filter((n) => n === 'calico-migrate'), ['calico-migrate'], 'its own namespace, created');
  });
});

test('state store (Kubernetes Secrets): journal chunks are kept gzip-compressed; chunks an earlier build kept uncompressed are still read, before the new ones', async (t) => {
  await withKubernetesStore(async (store, client) => {
    const run = '00000000abcd';
    const line = (i: number) => `${JSON.stringify({ t: 'intent', key: `GlobalNetworkPolicy/ns-0.policy-${i}`, action: 'create', before: null })}\n`;
    // A run begun by an earlier build: its first chunk as that build kept it (data.records, plain).
    await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'calico-migrate' } });
    await client.create(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `run-${run}-journal-000000`, namespace: 'calico-migrate', labels: { 'calico-migrate.projectcalico.org/run': run, 'calico-migrate.projectcalico.org/plan': 'e'.repeat(40), 'calico-migrate.projectcalico.org/part': 'journal' } },
      type: 'Opaque',
      data: { records: Buffer.from(line(0) + line(1)).toString('base64') },
    });
    const lines = Array.from({ length: 2000 }, (_, i) => line(i + 2));
    await store.appendJournal(run, 'e'.repeat(64), lines);
    t.deepEqual(await store.readJournalLines(run), [line(0), line(1), ...lines], 'the earlier chunk first, every line once, in order');
    const chunks = (await client.list(SECRETS, { namespace: 'calico-migrate', labelSelector: `calico-migrate.projectcalico.org/run=${run}` })).items;
    const added = chunks.find((s) => s.metadata.name === `run-${run}-journal-000001`);
    const data = (added?.['data'] ?? {}) as Record<string, string>;
    t.deepEqual(Object.keys(data), ['records.gz']);
    const stored = Buffer.from(data['records.gz'] ?? '', 'base64');
    t.is(gunzipSync(stored).toString('utf8'), lines.join(''), 'gunzip gives the lines back');
    t.true(stored.length * 10 < lines.join('').length, `${stored.length} bytes kept for ${lines.join('').length} bytes of lines`);
    t.deepEqual((await store.runs()).find((r) => r.run === run)?.chunks, 2);
  });
});

test('state store (etcd v3 keys): split plan and backup, chunked journal, forget', async (t) => {
  const etcd = await startEtcd({ enableV2: false });
  const client = new Etcd3({ hosts: etcd.endpoint });
  try {
    const store = new EtcdStateStore(client, etcd.endpoint);
    const sizes = async () => Promise.all((await client.getAll().prefix('/calico-migrate/state/').keys()).map(async (k) => (await client.get(k).buffer())?.length ?? 0));
    const planKeys = async (run: string) => (await client.getAll().prefix(`/calico-migrate/state/${run}/`).keys()).filter((k) => /\/plan(\.gz)?\//.test(k));
    await exercise(t, store, sizes, {
      dropPart: async (run, part) => {
        const key = (await planKeys(run)).find((k) => k.endsWith(`/${String(part).padStart(4, '0')}`));
        if (!key) throw new Error(`no plan part ${part}`);
        await client.delete().key(key);
      },
      count: async (run) => (await planKeys(run)).length,
      writeLegacy: async (run, parts) => {
        for (const [i, p] of parts.entries()) await client.put(`/calico-migrate/state/${run}/plan/${String(i).padStart(4, '0')}`).value(p);
      },
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
