/**
 * The etcd v3 road through the CLI, against a real etcd: the v2.4 data seeded into its etcd v2 API
 * is the source (as calico-upgrade reads it), and Calico v3's etcd v3 keyspace of the same server
 * the destination. plan writes nothing (exit 2); apply writes every object and the Calico IPAM keys
 * (exit 0); plan again has nothing to do; status shows the run; rollback restores the v3 keyspace
 * exactly. A live etcd v3
 * source in the destination's own keyspace is refused.
 */
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { etcdKeyOf } from '../../src/destination/etcdv3-layout.js';
import type { TargetObject } from '../../src/model/target.js';
import { REPO_ROOT, runCli } from '../_helpers/cli.js';
import { loadV3Dump, startEtcd, type EtcdServer } from '../_helpers/etcd.js';
import { convertedItems } from '../_helpers/items.js';
import { seededRandom } from '../_helpers/random.js';
import { rollBackEverything } from '../_helpers/rollback-chain.js';

const V2_DUMP = `${REPO_ROOT}/fixtures/sources/etcd-typical/etcd-v2.json`;
let etcd: EtcdServer | undefined;
let dir = '';
test.before(async () => {
  etcd = await startEtcd({ seedV2: JSON.parse(await readFile(V2_DUMP, 'utf8')) as unknown });
  dir = await mkdtemp(join(tmpdir(), 'calico-migrate-etcd-road-'));
});
test.after.always(async () => {
  await etcd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const target = (): string[] => ['--target-datastore-type', 'etcdv3', '--target-etcd-endpoints', etcd?.endpoint ?? ''];
const source = (): Record<string, string> => ({ DATASTORE_TYPE: 'etcdv2', ETCD_ENDPOINTS: etcd?.endpoint ?? '' });
/** The whole /calico/ prefix of the etcd v3 keyspace: Calico v3's resources and IPAM. */
async function v3Keyspace(): Promise<Record<string, string>> {
  const client = new Etcd3({ hosts: etcd?.endpoint ?? '' });
  try {
    return await client.getAll().prefix('/calico/').strings();
  } finally {
    client.close();
  }
}

test.serial('etcd v3 road: plan writes nothing; apply writes every converted object; plan again has nothing to do; status and rollback', async (t) => {
  const before = await v3Keyspace();
  const plan = await runCli(['plan', '--to', 'v3.0', '--form', 'calicoctl', ...target(), '--out', 'plan.json'], dir, source());
  t.is(plan.code, 2, plan.stdout + plan.stderr);
  t.regex(plan.stdout, /create 39, update 0, unchanged 0, conflict 0/);
  t.regex(plan.stdout, /IPAMBlock\/192\.168\.205\.0-26/);
  t.regex(plan.stderr, /destination settings:\n {2}datastoreType=etcdv3 {2}\[flag --target-datastore-type\]\n {2}etcdEndpoints=http:\/\/127\.0\.0\.1:\d+ {2}\[flag --target-etcd-endpoints\]/);
  t.deepEqual(await v3Keyspace(), before, 'plan writes nothing');

  const apply = await runCli(['apply', '--plan', 'plan.json', ...target(), '--yes', '-o', 'json'], dir, source());
  t.is(apply.code, 0, apply.stdout + apply.stderr);
  const result = JSON.parse(apply.stdout) as { result: string; summary: Record<string, number>; journal: string; nextSteps: string[] };
  t.is(result.result, 'applied');
  t.deepEqual(result.summary, { created: 39 });
  t.true(result.nextSteps.some((s) => s.includes('DATASTORE_TYPE=etcdv3')));
  const converted = await runCli(['convert', '--from-file', V2_DUMP, '--to', 'v3.0', '--form', 'calicoctl', '-o', 'json', '--ipam-out', 'ipam.jsonl'], dir);
  const expected = convertedItems<TargetObject>(converted.stdout);
  t.is(expected.length, 27);
  const stored = await v3Keyspace();
  for (const o of expected) {
    const value = stored[etcdKeyOf(o)];
    t.truthy(value, `${o.kind}/${o.metadata.name} is stored`);
    t.deepEqual((JSON.parse(value ?? '{}') as { spec?: unknown }).spec, o.spec ?? {}, `${o.kind}/${o.metadata.name} spec`);
  }
  // The IPAM keys, exactly as the offline conversion wrote them: 3 blocks, 6 handles, 3 affinities.
  const ipam = (await readFile(join(dir, 'ipam.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { key: string; value: string });
  t.is(ipam.length, 12);
  for (const { key, value } of ipam) t.is(stored[key], value, key);
  t.deepEqual(ipam.filter((k) => k.key.includes('/host/')).map((k) => k.key), [
    '/calico/ipam/v2/host/k8s-master/ipv4/block/192.168.116.0-26',
    '/calico/ipam/v2/host/k8s-node-1/ipv4/block/192.168.84.0-26',
    '/calico/ipam/v2/host/k8s-node-2/ipv4/block/192.168.205.0-26',
  ]);

  const again = await runCli(['plan', '--to', 'v3.0', '--form', 'calicoctl', ...target()], dir, source());
  t.is(again.code, 0, again.stdout + again.stderr);
  t.regex(again.stdout, /create 0, update 0, unchanged 39, conflict 0/);

  const status = await runCli(['status', ...target(), '-o', 'json'], dir, source());
  t.is(status.code, 0, status.stderr);
  t.like(JSON.parse(status.stdout) as object, { lock: null, status: { lastOutcome: 'applied', planned: 39 } });

  const rollback = await runCli(['rollback', ...target(), '--yes', '-o', 'json'], dir, source());
  t.is(rollback.code, 0, rollback.stdout + rollback.stderr);
  t.is((JSON.parse(rollback.stdout) as { result: string }).result, 'rolled-back');
  t.deepEqual(await v3Keyspace(), before, 'the whole /calico/ v3 keyspace is exactly as before');
});

test.serial('etcd v3 road: the form must fit the destination, --to v2.5 cannot go to etcd v3, and there is no server-side dry run', async (t) => {
  const crd = await runCli(['plan', '--to', 'v3.0', '--form', 'crd', ...target()], dir, source());
  t.is(crd.code, 1);
  t.regex(crd.stderr, /--form crd does not fit the destination, which stores the calicoctl form \(an etcd v3 datastore\)/);
  const v25 = await runCli(['plan', '--to', 'v2.5', ...target()], dir, source());
  t.is(v25.code, 1);
  t.regex(v25.stderr, /an etcd v3 datastore is Calico v3's: --to v2\.5 cannot be written there/);
  const dry = await runCli(['apply', '--to', 'v3.0', ...target(), '--dry-run', 'server'], dir, source());
  t.is(dry.code, 1);
  t.regex(dry.stderr, /an etcd v3 datastore has no server-side dry run: use calico-migrate plan/);
});

test.serial('etcd v3 road: Calico v3 data this tool did not write already in the keyspace blocks (a datastore in use?), unless --overwrite', async (t) => {
  const client = new Etcd3({ hosts: etcd?.endpoint ?? '' });
  const key = '/calico/resources/v3/projectcalico.org/ippools/in-use';
  try {
    await client.put(key).value(JSON.stringify({ kind: 'IPPool', apiVersion: 'projectcalico.org/v3', metadata: { name: 'in-use', uid: 'u', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { cidr: '10.200.0.0/16', ipipMode: 'Never' } }));
    const blocked = await runCli(['plan', '--to', 'v3.0', '--form', 'calicoctl', ...target()], dir, source());
    t.is(blocked.code, 3, blocked.stdout + blocked.stderr);
    t.regex(blocked.stdout, /error +destination-not-empty: the etcd v3 keyspace already holds 1 Calico v3 object\(s\) this tool did not write \(\/calico\/resources\/v3\/projectcalico\.org\/ippools\/in-use\): it may be a Calico v3 datastore in use/);
    const overwrite = await runCli(['plan', '--to', 'v3.0', '--form', 'calicoctl', ...target(), '--overwrite'], dir, source());
    t.is(overwrite.code, 2, overwrite.stdout + overwrite.stderr);
    t.regex(overwrite.stdout, /warning +destination-not-empty: .*--overwrite writes beside them/);
  } finally {
    await client.delete().key(key);
    client.close();
  }
});

test.serial('etcd v3 road: a kind this tool does not write (a later Calico\'s Tier) is someone else\'s data, not a read error', async (t) => {
  const client = new Etcd3({ hosts: etcd?.endpoint ?? '' });
  const tier = '/calico/resources/v3/projectcalico.org/tiers/default';
  try {
    await client.put(tier).value(JSON.stringify({ kind: 'Tier', apiVersion: 'projectcalico.org/v3', metadata: { name: 'default' }, spec: { order: 1000000 } }));
    const blocked = await runCli(['plan', '--to', 'v3.0', '--form', 'calicoctl', ...target()], dir, source());
    t.is(blocked.code, 3, blocked.stdout + blocked.stderr);
    t.regex(blocked.stdout, /error +destination-not-empty: the etcd v3 keyspace already holds 1 Calico v3 object\(s\) this tool did not write \(\/calico\/resources\/v3\/projectcalico\.org\/tiers\/default\)/);
  } finally {
    await client.delete().key(tier);
    client.close();
  }
});

test.serial('etcd v3 road: IPAM keys carry no annotations: one the plan does not write is someone else\'s (blocks), one it writes with other content is a conflict', async (t) => {
  const client = new Etcd3({ hosts: etcd?.endpoint ?? '' });
  const foreign = '/calico/ipam/v2/handle/k8s-pod-network.someone-elses';
  const planned = '/calico/ipam/v2/assignment/ipv4/block/192.168.84.0-26';
  try {
    await client.put(foreign).value('{"block":{"10.99.0.0/26":1}}');
    const blocked = await runCli(['plan', '--to', 'v3.0', '--form', 'calicoctl', ...target()], dir, source());
    t.is(blocked.code, 3, blocked.stdout + blocked.stderr);
    t.regex(blocked.stdout, /destination-not-empty: .*\(\/calico\/ipam\/v2\/handle\/k8s-pod-network\.someone-elses\)/);
    await client.delete().key(foreign);
    await client.put(planned).value('{"cidr":"192.168.84.0/26","affinity":"host:elsewhere","strictAffinity":false,"allocations":[],"unallocated":[],"attributes":[]}');
    const conflict = await runCli(['plan', '--to', 'v3.0', '--form', 'calicoctl', ...target()], dir, source());
    t.is(conflict.code, 3, conflict.stdout + conflict.stderr);
    t.regex(conflict.stdout, /conflict 1\b/);
    t.regex(conflict.stdout, /IPAMBlock\/192\.168\.84\.0-26/);
  } finally {
    await client.delete().key(foreign);
    await client.delete().key(planned);
    client.close();
  }
});

test.serial('etcd v3 road: the destination can be a second etcd: the source stays untouched, plan again has nothing to do, rollback empties the second keyspace', async (t) => {
  const second = await startEtcd({ enableV2: false });
  try {
    const other = ['--target-datastore-type', 'etcdv3', '--target-etcd-endpoints', second.endpoint];
    const sourceBefore = await v3Keyspace();
    const applied = await runCli(['apply', '--to', 'v3.0', ...other, '--yes', '-o', 'json'], dir, source());
    t.is(applied.code, 0, applied.stdout + applied.stderr);
    const result = JSON.parse(applied.stdout) as { summary: Record<string, number>; journal: string };
    t.deepEqual(result.summary, { created: 39 });
    const client = new Etcd3({ hosts: second.endpoint });
    try {
      const stored = await client.getAll().prefix('/calico/').strings();
      t.is(Object.keys(stored).filter((k) => k.startsWith('/calico/ipam/v2/')).length, 12, 'the IPAM keys are in the second etcd');
      t.is(Object.keys(stored).length, 39);
      t.deepEqual(await v3Keyspace(), sourceBefore, 'the source etcd\'s v3 keyspace is not written');
      const again = await runCli(['plan', '--to', 'v3.0', '--form', 'calicoctl', ...other], dir, source());
      t.is(again.code, 0, again.stdout + again.stderr);
      const rolled = await runCli(['rollback', ...other, '--yes'], dir, source());
      t.is(rolled.code, 0, rolled.stdout + rolled.stderr);
      t.deepEqual(await client.getAll().prefix('/calico/').strings(), {});
    } finally {
      client.close();
    }
  } finally {
    await second.stop();
  }
});

test.serial('etcd v3 road: applied, rolled back and applied again (a rehearsal), the second apply is undone completely too', async (t) => {
  const second = await startEtcd({ enableV2: false });
  try {
    const other = ['--target-datastore-type', 'etcdv3', '--target-etcd-endpoints', second.endpoint];
    const client = new Etcd3({ hosts: second.endpoint });
    try {
      for (const round of [1, 2]) {
        const applied = await runCli(['apply', '--to', 'v3.0', ...other, '--yes', '-o', 'json'], dir, source());
        t.is(applied.code, 0, applied.stdout + applied.stderr);
        t.deepEqual((JSON.parse(applied.stdout) as { summary: Record<string, number> }).summary, { created: 39 }, `apply ${round}`);
        const status = await runCli(['status', ...other, '-o', 'json'], dir, source());
        t.like(JSON.parse(status.stdout) as object, { status: { lastOutcome: 'applied', runs: round, undoable: 39 } }, `status after apply ${round}`);
        const rolled = await runCli(['rollback', ...other, '--yes', '-o', 'json'], dir, source());
        t.is(rolled.code, 0, rolled.stdout + rolled.stderr);
        t.is((JSON.parse(rolled.stdout) as { steps: unknown[] }).steps.length, 39, `rollback ${round} undoes the 39 writes`);
        t.deepEqual(await client.getAll().prefix('/calico/').strings(), {}, `empty after rollback ${round}`);
      }
    } finally {
      client.close();
    }
  } finally {
    await second.stop();
  }
});

/**
 * Generated histories on an etcd v3 destination: applies, edits by hand of a stored resource, and
 * rollbacks in any order. After every rollback (a kept object forced, the other runs it names
 * undone in turn) the destination's /calico/ keyspace is empty again, as before the first apply.
 */
for (const seed of [12, 14, 18, 40]) {
  test.serial(`etcd v3 road: a generated history of applies, edits by hand and rollbacks always rolls back to an empty keyspace (seed ${seed})`, async (t) => {
    const second = await startEtcd({ enableV2: false });
    const client = new Etcd3({ hosts: second.endpoint });
    try {
      const other = ['--target-datastore-type', 'etcdv3', '--target-etcd-endpoints', second.endpoint];
      const random = seededRandom(seed);
      const history: string[] = [];
      let applied = false;
      let edited = false;
      const rollback = async (): Promise<void> => {
        await rollBackEverything(t, (args) => runCli(args, dir, source()), ['rollback', ...other], { history, applied, edited });
        edited = false;
        t.deepEqual(await client.getAll().prefix('/calico/').keys(), [], `after ${history.join(', ')}`);
      };
      for (let step = 0; step < 8; step++) {
        const pick = random();
        if (pick < 0.45) {
          const r = await runCli(['apply', '--to', 'v3.0', ...other, '--yes', '-o', 'json'], dir, source());
          history.push(`apply: ${r.code}`);
          applied = true;
          t.is(r.code, 0, `${history.join(', ')}\n${r.stdout}${r.stderr}`);
        } else if (pick < 0.7) {
          // Someone edits a stored IP pool (when the tool has written one and it is not edited already).
          const keys = (await client.getAll().prefix('/calico/resources/v3/projectcalico.org/ippools/').keys()).sort();
          const key = keys[0];
          if (key !== undefined && !edited) {
            const value = JSON.parse((await client.get(key).string()) ?? '{}') as { metadata: { labels?: Record<string, string> } };
            value.metadata.labels = { ...value.metadata.labels, 'edited-at-step': String(step) };
            await client.put(key).value(JSON.stringify(value));
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
      client.close();
      await second.stop();
    }
  });
}

test.serial('etcd v3 road: a live etcd v3 source in the destination\'s own keyspace is refused, saying why', async (t) => {
  // The v1 keys copied into the v3 keyspace (as `etcdctl migrate` leaves them): the source and the destination share it.
  await loadV3Dump(etcd!, JSON.parse(await readFile(`${REPO_ROOT}/fixtures/sources/etcd-typical/etcd-v3.json`, 'utf8')) as unknown);
  const before = await v3Keyspace();
  const plan = await runCli(['plan', '--to', 'v3.0', ...target()], dir, { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: etcd?.endpoint ?? '' });
  t.is(plan.code, 3, plan.stdout + plan.stderr);
  t.regex(plan.stdout, /error +source-in-destination: the source is the etcd v3 keyspace of http:\/\/127\.0\.0\.1:\d+, which is also the destination/);
  t.deepEqual(await v3Keyspace(), before);
});

test.serial('etcd v3 road: a destination etcd nobody answers at is an error naming it, for plan, apply, status and rollback; never an internal error', async (t) => {
  // A port with nothing listening: a server started and stopped again.
  const gone = await startEtcd({ enableV2: false });
  await gone.stop();
  const nowhere = ['--target-datastore-type', 'etcdv3', '--target-etcd-endpoints', gone.endpoint];
  for (const args of [['plan', '--to', 'v3.0', '--from-file', V2_DUMP], ['apply', '--to', 'v3.0', '--from-file', V2_DUMP, '--yes'], ['status'], ['rollback', '--yes']]) {
    const r = await runCli([...args, ...nowhere], dir, {});
    t.is(r.code, 1, `${args[0]}: ${r.stdout}${r.stderr}`);
    t.true(r.stderr.includes(`no endpoint of the destination etcd answered (${gone.endpoint})`), `${args[0]}: ${r.stderr}`);
    t.notRegex(r.stderr, /internal error|This is a bug/, args[0]);
  }
});
