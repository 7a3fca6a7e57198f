/**
 * The cut-over on the etcd v3 road, against a real etcd: the v2.4 data (etcd-typical) seeded into
 * its etcd v2 API is the source and the v1 ready flag; Calico v3's keyspace of the same server the
 * destination. apply --cut-over pauses the v2.x agents with a compare-and-swap on /calico/v1/Ready,
 * writes ClusterInformation datastoreReady false with the data and the IPAM, and gives the flag back
 * when it fails; complete hands the datastore to calico/node v3; abort gives the flag back and
 * leaves the v3 data; rollback removes it and gives the flag back.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { REPO_ROOT, runCli } from '../_helpers/cli.js';
import { etcdRequest, putV2, startEtcd, v2Leaves, type EtcdServer } from '../_helpers/etcd.js';

const V2_DUMP = `${REPO_ROOT}/fixtures/sources/etcd-typical/etcd-v2.json`;
const CLUSTER_INFO = '/calico/resources/v3/projectcalico.org/clusterinformations/default';
const POLICY = '/calico/v1/policy/tier/default/policy/redis-db-access';
let etcd: EtcdServer | undefined;
let dir = '';
let seed: unknown;

test.before(async () => {
  seed = JSON.parse(await readFile(V2_DUMP, 'utf8')) as unknown;
  etcd = await startEtcd({ seedV2: seed });
});
test.after.always(async () => {
  await etcd?.stop();
});
test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'calico-migrate-cut-over-'));
});
test.afterEach.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const target = (): string[] => ['--target-datastore-type', 'etcdv3', '--target-etcd-endpoints', etcd?.endpoint ?? ''];
const source = (): Record<string, string> => ({ DATASTORE_TYPE: 'etcdv2', ETCD_ENDPOINTS: etcd?.endpoint ?? '' });
const plan = (...more: string[]) => runCli(['plan', '--to', 'v3.0', '--form', 'calicoctl', ...target(), ...more], dir, source());
const apply = (...more: string[]) => runCli(['apply', '--to', 'v3.0', ...target(), '--yes', '-o', 'json', ...more], dir, source());

async function v3(prefix = '/calico/'): Promise<Record<string, string>> {
  const client = new Etcd3({ hosts: etcd?.endpoint ?? '' });
  try {
    return await client.getAll().prefix(prefix).strings();
  } finally {
    client.close();
  }
}

async function v1Ready(): Promise<string | undefined> {
  const r = await etcdRequest(etcd!, '/v2/keys/calico/v1/Ready');
  return r.status === 200 ? (JSON.parse(r.body) as { node: { value: string } }).node.value : undefined;
}

/** Back to the seeded v2 data, the flag true, and an empty v3 keyspace. */
async function reset(): Promise<void> {
  const client = new Etcd3({ hosts: etcd?.endpoint ?? '' });
  try {
    await client.delete().prefix('/calico/');
    await client.delete().prefix('/calico-migrate/');
  } finally {
    client.close();
  }
  // The v2 keys a test changes, back as seeded.
  await putV2(etcd!, POLICY, v2Leaves(seed).get(POLICY) ?? '');
  await etcdRequest(etcd!, '/v2/keys/calico/ipam/v2/handle/k8s-pod-network.late', { method: 'DELETE' });
  await putV2(etcd!, '/calico/v1/Ready', 'true');
}

const datastoreReady = async () => (JSON.parse((await v3())[CLUSTER_INFO] ?? '{}') as { spec?: { datastoreReady?: boolean } }).spec?.datastoreReady;

test.serial('cut-over: plan says what the pause freezes; apply pauses the v2.x agents and writes ClusterInformation not ready; complete hands over; plan then leaves calico/node v3\'s data alone; rollback refuses unless --force', async (t) => {
  await reset();
  const before = await v3();
  const planned = await plan('--cut-over');
  t.is(planned.code, 2, planned.stdout + planned.stderr);
  t.regex(planned.stdout, /create 40, update 0, unchanged 0, conflict 0/, '39 objects and IPAM keys, and the ClusterInformation');
  t.regex(planned.stdout, /warning +pause-partial-on-v2\.4: on Calico v2\.4 the pause \(\/calico\/v1\/Ready=false\) stops only Felix/);
  t.is(await v1Ready(), 'true', 'plan pauses nothing');

  const applied = await apply('--cut-over', '--pause-settle', '0');
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  const result = JSON.parse(applied.stdout) as { summary: Record<string, number>; cutOver: { changes: string[]; flag: string }; nextSteps: string[]; journal: string };
  t.deepEqual(result.summary, { created: 40 });
  t.deepEqual(result.cutOver.changes, []);
  t.regex(result.cutOver.flag, /\/calico\/v1\/Ready false$/);
  t.regex(result.nextSteps[0] ?? '', /roll out calico\/node v3 .*its Felix waits, because ClusterInformation default says datastoreReady: false/);
  t.regex(result.nextSteps[1] ?? '', /calico-migrate complete/);
  t.is(await v1Ready(), 'false', 'the v2.x agents are paused');
  t.false(await datastoreReady());

  const status = await runCli(['status', ...target(), '-o', 'json'], dir, source());
  t.like(JSON.parse(status.stdout) as object, { datastore: 'pending', status: { lastOutcome: 'applied', cutOver: { paused: true, completed: false, before: 'true' } } });
  t.regex((JSON.parse(status.stdout) as { next: string }).next, /roll out calico\/node v3, then calico-migrate complete/);

  const complete = await runCli(['complete', ...target()], dir, source());
  t.is(complete.code, 0, complete.stdout + complete.stderr);
  t.true(await datastoreReady());
  t.is(await v1Ready(), 'false', 'complete leaves the v1 flag paused');

  // calico/node v3 at work: a new block for a new node, an allocation in a copied block, its ClusterInformation.
  const client = new Etcd3({ hosts: etcd?.endpoint ?? '' });
  try {
    await client.put('/calico/ipam/v2/assignment/ipv4/block/192.168.7.0-26').value('{"cidr":"192.168.7.0/26","affinity":"host:k8s-node-3","strictAffinity":false,"allocations":[0],"unallocated":[],"attributes":[{"handle_id":"k8s-pod-network.new","secondary":null}]}');
    await client.put('/calico/ipam/v2/handle/k8s-pod-network.new').value('{"block":{"192.168.7.0/26":1}}');
    const b = '/calico/ipam/v2/assignment/ipv4/block/192.168.84.0-26';
    const block = JSON.parse((await client.get(b).string()) ?? '{}') as { allocations: (number | null)[]; attributes: unknown[] };
    block.allocations[5] = block.attributes.length;
    block.attributes.push({ handle_id: 'k8s-pod-network.other', secondary: null });
    await client.put(b).value(JSON.stringify(block));
  } finally {
    client.close();
  }
  const again = await plan();
  t.is(again.code, 0, again.stdout + again.stderr);
  t.regex(again.stdout, /info +handed-over: the cut-over is complete/);
  t.notRegex(again.stdout, /destination-not-empty|conflict: /);

  const reCut = await plan('--cut-over');
  t.is(reCut.code, 3);
  t.regex(reCut.stdout, /error +cut-over-complete/);

  const refused = await runCli(['rollback', ...target(), '--yes'], dir, source());
  t.is(refused.code, 1, refused.stdout + refused.stderr);
  t.regex(refused.stderr, /would delete live IPAM .* hand the same addresses out twice/);

  // Forced: what the apply wrote goes (the blocks calico/node v3 changed are kept), the flag comes back.
  const forced = await runCli(['rollback', ...target(), '--yes', '--force'], dir, source());
  t.is(forced.code, 0, forced.stdout + forced.stderr);
  t.regex(forced.stderr, /\/calico\/v1\/Ready restored to "true": the v2\.x agents resume/);
  t.is(await v1Ready(), 'true');
  const after = await v3();
  t.is(after['/calico/ipam/v2/handle/k8s-pod-network.new'], '{"block":{"192.168.7.0/26":1}}', 'what calico/node v3 created is not the apply\'s to delete');
  t.is(Object.keys(after).filter((k) => !k.includes('192.168.7.0') && !k.includes('k8s-pod-network.new')).length, Object.keys(before).length);
});

test.serial('cut-over: abort gives the v1 flag back and leaves the v3 data; rollback then restores the v3 keyspace exactly', async (t) => {
  await reset();
  const before = await v3();
  const applied = await apply('--cut-over', '--pause-settle', '0');
  t.is(applied.code, 0, applied.stdout + applied.stderr);
  t.regex((JSON.parse(applied.stdout) as { journal: string }).journal, /^etcd keys \/calico-migrate\/state\/[0-9a-f]{12}\//, 'the run is kept in the destination etcd');
  const written = await v3();
  const aborted = await runCli(['abort', ...target()], dir, source());
  t.is(aborted.code, 0, aborted.stdout + aborted.stderr);
  t.regex(aborted.stdout, /restored to "true": the v2\.x agents resume/);
  t.is(await v1Ready(), 'true');
  t.deepEqual(await v3(), written, 'abort leaves the v3 data');
  const again = await runCli(['abort', ...target()], dir, source());
  t.is(again.code, 0);
  t.regex(again.stdout, /holds no pause that was not given back/);
  const rolled = await runCli(['rollback', ...target(), '--yes'], dir, source());
  t.is(rolled.code, 0, rolled.stdout + rolled.stderr);
  t.deepEqual(await v3(), before, 'the whole /calico/ v3 keyspace is as before');
  t.is(await v1Ready(), 'true');
});

test.serial('cut-over: a change to a policy while the agents are paused stops the apply before any write and gives the flag back', async (t) => {
  await reset();
  const before = await v3();
  const running = apply('--cut-over', '--pause-settle', '2');
  for (let i = 0; i < 100 && (await v1Ready()) !== 'false'; i++) await new Promise((r) => setTimeout(r, 50));
  t.is(await v1Ready(), 'false', 'paused while it waits');
  await putV2(etcd!, POLICY, '{"order":101,"inbound_rules":[],"outbound_rules":[],"selector":"all()"}');
  const r = await running;
  t.is(r.code, 1, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as { result: string; message: string; cutOver: { flag: string } };
  t.is(out.result, 'failed');
  t.regex(out.message, /what the plan pins moved before the pause took hold, so nothing was written: source records changed since the plan was made: \/calico\/v1\/policy\/tier\/default\/policy\/redis-db-access/);
  t.regex(out.cutOver.flag, /restored to "true"/);
  t.is(await v1Ready(), 'true');
  t.deepEqual(await v3(), before, 'nothing written');
});

test.serial('cut-over: IPAM that changes while the agents are paused is read again, listed and written as it is then', async (t) => {
  await reset();
  const running = apply('--cut-over', '--pause-settle', '2');
  for (let i = 0; i < 100 && (await v1Ready()) !== 'false'; i++) await new Promise((r) => setTimeout(r, 50));
  // The CNI plugin of v2.4 does not honour the pause: a pod started now gets an address.
  await putV2(etcd!, '/calico/ipam/v2/handle/k8s-pod-network.late', '{"block":{"192.168.84.0/26":1}}');
  const r = await running;
  t.is(r.code, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as { summary: Record<string, number>; cutOver: { changes: string[] } };
  t.deepEqual(out.cutOver.changes, ['added    /calico/ipam/v2/handle/k8s-pod-network.late']);
  t.deepEqual(out.summary, { created: 41 });
  t.is((await v3())['/calico/ipam/v2/handle/k8s-pod-network.late'], '{"block":{"192.168.84.0/26":1}}');
  t.is(await v1Ready(), 'false');
});

test.serial('cut-over: a flag someone else already set to false is not this apply\'s pause: refused, and left as it is', async (t) => {
  await reset();
  await putV2(etcd!, '/calico/v1/Ready', 'false');
  const before = await v3();
  const r = await apply('--cut-over', '--pause-settle', '0');
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex((JSON.parse(r.stdout) as { message: string }).message, /is already false: someone else paused the v2\.x agents/);
  t.is(await v1Ready(), 'false');
  t.deepEqual(await v3(), before);
});

test.serial('cut-over: refused from dump files, and for a Kubernetes destination', async (t) => {
  const files = await runCli(['plan', '--to', 'v3.0', '--form', 'calicoctl', '--from-file', V2_DUMP, ...target(), '--cut-over'], dir, {});
  t.is(files.code, 1);
  t.regex(files.stderr, /--cut-over pauses the v2\.x agents through the live etcd they run on/);
  const kube = await runCli(['plan', '--to', 'v3.0', '--from-file', V2_DUMP, '--cut-over'], dir, { KUBECONFIG: '/nonexistent' });
  t.is(kube.code, 1);
  t.regex(kube.stderr, /--cut-over is for the etcd v3 destination/);
});

test.serial('cut-over: the executable killed (SIGKILL) while the agents are paused; status says so; the same apply again carries on with its own pause and converges; rollback gives the flag back', async (t) => {
  await reset();
  const before = await v3();
  const env = { ...source(), PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1' };
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/calico-migrate.js'), 'apply', '--to', 'v3.0', ...target(), '--cut-over', '--pause-settle', '30', '--yes'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  try {
    for (let i = 0; i < 400 && (await v1Ready()) !== 'false'; i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    child.kill('SIGKILL');
  }
  t.is(await exited, 'SIGKILL', output);
  t.is(await v1Ready(), 'false', 'the killed run left the agents paused');
  t.deepEqual(await v3(), before, 'nothing was written before the kill');

  const status = await runCli(['status', ...target(), '-o', 'json'], dir, source());
  t.like(JSON.parse(status.stdout) as object, { status: { lastOutcome: 'interrupted', cutOver: { paused: true, before: 'true' } } });

  const again = await apply('--cut-over', '--pause-settle', '0');
  t.is(again.code, 0, again.stdout + again.stderr);
  t.deepEqual((JSON.parse(again.stdout) as { summary: Record<string, number> }).summary, { created: 40 });
  t.is(await v1Ready(), 'false');
  const rolled = await runCli(['rollback', ...target(), '--yes'], dir, source());
  t.is(rolled.code, 0, rolled.stdout + rolled.stderr);
  t.is(await v1Ready(), 'true', 'the pause the killed run made is given back');
  t.deepEqual(await v3(), before);
});

test.serial('cut-over: a write that fails mid-apply (a block too large for an etcd request) ends the apply failed with the flag given back; rollback undoes the writes made', async (t) => {
  await reset();
  const before = await v3();
  const running = apply('--cut-over', '--pause-settle', '2');
  for (let i = 0; i < 100 && (await v1Ready()) !== 'false'; i++) await new Promise((r) => setTimeout(r, 50));
  // A block allocated during the pause whose value exceeds etcd's 1.5 MiB request limit: the v3 put of it fails.
  const huge = { cidr: '192.168.9.0/26', affinity: 'host:k8s-node-1', strictAffinity: false, allocations: [0], unallocated: [], attributes: [{ handle_id: 'k8s-pod-network.huge', secondary: { note: 'x'.repeat(2_000_000) } }] };
  await putV2(etcd!, '/calico/ipam/v2/assignment/ipv4/block/192.168.9.0-26', JSON.stringify(huge));
  await putV2(etcd!, '/calico/ipam/v2/handle/k8s-pod-network.huge', '{"block":{"192.168.9.0/26":1}}');
  try {
    const r = await running;
    t.is(r.code, 1, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as { result: string; message: string; summary: Record<string, number>; cutOver: { flag: string; changes: string[] }; journal: string };
    t.is(out.result, 'failed');
    t.regex(out.message, /1 write\(s\) failed: IPAMBlock\/192\.168\.9\.0-26: .*too large/);
    t.true((out.summary['created'] ?? 0) > 30, 'the writes before it were made');
    t.regex(out.cutOver.flag, /restored to "true": the v2\.x agents resume/);
    t.true(out.cutOver.changes.includes('added    /calico/ipam/v2/assignment/ipv4/block/192.168.9.0-26'));
    t.is(await v1Ready(), 'true', 'the v2.x agents have their datastore back');
    const rolled = await runCli(['rollback', ...target(), '--yes'], dir, source());
    t.is(rolled.code, 0, rolled.stdout + rolled.stderr);
    t.deepEqual(await v3(), before);
  } finally {
    await etcdRequest(etcd!, '/v2/keys/calico/ipam/v2/assignment/ipv4/block/192.168.9.0-26', { method: 'DELETE' });
    await etcdRequest(etcd!, '/v2/keys/calico/ipam/v2/handle/k8s-pod-network.huge', { method: 'DELETE' });
  }
});
