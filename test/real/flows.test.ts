/**
 * The three flows against the REAL kube-apiserver (built by `npm run peers`), for `--to v3.0`:
 * the pre-upgrade dry run (`plan`: nothing written, compared as whole-cluster snapshots), the CI job
 * (`apply --plan --yes -o json`), and plan again = nothing to do; from the dump fixtures and from a
 * live etcd v2 and v3. The interactive flow runs the real executable in a pseudo-terminal. For
 * `--to v2.5` (which ran on Kubernetes 1.7–1.9) one smoke test. Every object is read back with the
 * real kubectl and compared with `convert`'s output; the CRDs are `apiextensions.k8s.io/v1` and
 * Established.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT, runCli } from '../_helpers/cli.js';
import { clusterSnapshot } from '../_helpers/control-plane.js';
import { startEtcd, loadV3Dump, type EtcdServer } from '../_helpers/etcd.js';
import { convertedItems } from '../_helpers/items.js';
import { assertClusterHolds, calicoResource } from '../_helpers/cluster-assert.js';
import { fixtureNodes, startRealCluster, type RealCluster } from '../_helpers/real-cluster.js';

interface Obj { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> }; spec?: unknown; status?: unknown }

const S = `${REPO_ROOT}/fixtures/sources`;
const KDD = [`${S}/kdd-typical/tprs.yaml`, `${S}/kdd-typical/systemnetworkpolicies.yaml`, `${S}/kdd-typical/nodes.yaml`];
const ETCD_V2 = `${S}/etcd-typical/etcd-v2.json`;
const ETCD_V3 = `${S}/etcd-typical/etcd-v3.json`;
const fromFiles = (files: readonly string[]): string[] => files.flatMap((f) => ['--from-file', f]);
/** etcd-typical's hosts still use Calico IPAM; these flows are about the Kubernetes side, so that blocker is acknowledged. */
const IGNORE_IPAM = ['--ignore-preflight', 'calico-ipam-in-use'];

/** What convert prints for the same source: what the cluster must hold afterwards. */
async function converted(to: string, args: readonly string[]): Promise<Obj[]> {
  const run = await runCli(['convert', ...args, '--to', to, '-o', 'json']);
  return convertedItems<Obj>(run.stdout);
}

/** The Calico CRDs: apiextensions.k8s.io/v1, Established. */
async function assertCrdsEstablished(t: ExecutionContext, c: RealCluster, kinds: readonly string[]): Promise<void> {
  for (const kind of kinds) {
    const r = await c.kubectl(['get', 'crd', calicoResource(kind), '-o', 'json']);
    t.is(r.code, 0, r.stderr);
    const crd = JSON.parse(r.stdout) as { apiVersion: string; status: { conditions: { type: string; status: string }[] } };
    t.is(crd.apiVersion, 'apiextensions.k8s.io/v1');
    t.true(crd.status.conditions.some((x) => x.type === 'Established' && x.status === 'True'), `${kind} CRD is Established`);
  }
}

/** Node annotations the etcd source's BGP data becomes (v3.0 CRD form). */
async function nodeAnnotations(c: RealCluster): Promise<Record<string, Record<string, string>>> {
  const r = await c.kubectl(['get', 'nodes', '-o', 'json']);
  const out: Record<string, Record<string, string>> = {};
  for (const n of (JSON.parse(r.stdout) as { items: Obj[] }).items) {
    out[n.metadata.name] = Object.fromEntries(Object.entries(n.metadata.annotations ?? {}).filter(([k]) => k.startsWith('projectcalico.org/')));
  }
  return out;
}

interface Source { readonly name: string; readonly etcd: boolean; readonly args: readonly string[]; readonly env: () => Record<string, string>; readonly offline: readonly string[]; readonly extra: readonly string[]; readonly creates: number; readonly nodePatches: number }

/**
 * One whole dry run → CI job → plan again, on its own cluster: the dry run changes nothing on the
 * server (every listable object compared before and after), the job writes exactly the converted
 * objects, and a second plan and apply find nothing to do and change nothing.
 */
async function flows(t: ExecutionContext, source: Source): Promise<void> {
  const c = await startRealCluster({ nodes: await fixtureNodes({ calicoAnnotations: !source.etcd }) });
  try {
    const before = await clusterSnapshot(c.cp);
    const plan = await c.cli(['plan', '--to', 'v3.0', ...source.args, ...source.extra, '--out', 'plan.json'], source.env());
    t.is(plan.code, 2, plan.stdout + plan.stderr);
    t.regex(plan.stdout, new RegExp(`create ${source.creates}, update ${source.nodePatches}, unchanged 0, conflict 0`));
    t.regex(plan.stdout, /changes pending/);
    t.deepEqual(await clusterSnapshot(c.cp), before, 'the dry run changed nothing on the server');

    const apply = await c.cli(['apply', '--plan', 'plan.json', ...source.args, ...source.extra, '--yes', '-o', 'json'], source.env());
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    const result = JSON.parse(apply.stdout) as { result: string; summary: Record<string, number>; verify: unknown };
    t.is(result.result, 'applied');
    const expected = await converted('v3.0', source.offline);
    await assertClusterHolds(t, (args) => c.kubectl(args), expected);
    await assertCrdsEstablished(t, c, [...new Set(expected.map((o) => o.kind))]);

    const afterApply = await clusterSnapshot(c.cp);
    const again = await c.cli(['plan', '--to', 'v3.0', ...source.args, ...source.extra], source.env());
    t.is(again.code, 0, again.stdout + again.stderr);
    t.regex(again.stdout, new RegExp(`create 0, update 0, unchanged ${source.creates + source.nodePatches}, conflict 0`));
    const reapply = await c.cli(['apply', '--to', 'v3.0', ...source.args, ...source.extra, '--yes', '-o', 'json'], source.env());
    t.is(reapply.code, 0, reapply.stdout + reapply.stderr);
    t.is((JSON.parse(reapply.stdout) as { result: string }).result, 'nothing-to-do');
    t.deepEqual(await clusterSnapshot(c.cp), afterApply, 'plan again and apply again changed nothing');
  } finally {
    await c.stop();
  }
}

test.serial('real flows (v3.0): Kubernetes-datastore dumps: dry run writes nothing; the CI job applies the plan; plan again has nothing to do', async (t) => {
  await flows(t, { name: 'kdd', etcd: false, args: fromFiles(KDD), env: () => ({}), offline: fromFiles(KDD), extra: [], creates: 9, nodePatches: 0 });
});

test.serial('real flows (v3.0): etcd v2 dump: dry run writes nothing; the CI job applies the plan (objects and Node patches); plan again has nothing to do', async (t) => {
  await flows(t, { name: 'etcd-dump', etcd: true, args: fromFiles([ETCD_V2]), env: () => ({}), offline: fromFiles([ETCD_V2]), extra: IGNORE_IPAM, creates: 14, nodePatches: 3 });
});

let etcdV2: EtcdServer | undefined;
let etcdV3: EtcdServer | undefined;
test.before(async () => {
  [etcdV2, etcdV3] = await Promise.all([
    startEtcd({ seedV2: JSON.parse(await readFile(ETCD_V2, 'utf8')) as unknown }),
    startEtcd({ enableV2: false }),
  ]);
  await loadV3Dump(etcdV3, JSON.parse(await readFile(ETCD_V3, 'utf8')) as unknown);
});
test.after.always(async () => {
  await Promise.all([etcdV2?.stop(), etcdV3?.stop()]);
});

test.serial('real flows (v3.0): live etcd v2 source: dry run, CI job, plan again', async (t) => {
  await flows(t, { name: 'etcd-v2-live', etcd: true, args: [], env: () => ({ DATASTORE_TYPE: 'etcdv2', ETCD_ENDPOINTS: etcdV2?.endpoint ?? '' }), offline: fromFiles([ETCD_V2]), extra: IGNORE_IPAM, creates: 14, nodePatches: 3 });
});

test.serial('real flows (v3.0): live etcd v3 source: dry run, CI job, plan again', async (t) => {
  await flows(t, { name: 'etcd-v3-live', etcd: true, args: [], env: () => ({ DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: etcdV3?.endpoint ?? '' }), offline: fromFiles([ETCD_V3]), extra: IGNORE_IPAM, creates: 14, nodePatches: 3 });
});

test.serial('real flows (v3.0): the etcd source\'s BGP data lands on the existing Nodes as Calico annotations, and no Node is created', async (t) => {
  const c = await startRealCluster({ nodes: await fixtureNodes({ calicoAnnotations: false }) });
  try {
    const apply = await c.cli(['apply', '--to', 'v3.0', ...fromFiles([ETCD_V2]), ...IGNORE_IPAM, '--yes', '-o', 'json']);
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    const script = await readFile(`${REPO_ROOT}/fixtures/golden/etcd-typical/v3.0-crd-node-patches.sh`, 'utf8');
    const annotations = await nodeAnnotations(c);
    t.deepEqual(Object.keys(annotations).sort(), ['k8s-master', 'k8s-node-1', 'k8s-node-2']);
    for (const m of script.matchAll(/^kubectl patch node '([^']+)' --type merge -p '(.*)'$/gm)) {
      const want = (JSON.parse(m[2] ?? '{}') as { metadata: { annotations: Record<string, string> } }).metadata.annotations;
      for (const [k, v] of Object.entries(want)) t.is(annotations[m[1] ?? '']?.[k], v, `${m[1]} ${k}`);
    }
  } finally {
    await c.stop();
  }
});

test.serial('real flows (v2.5 smoke): plan and apply --to v2.5 from the Kubernetes-datastore dumps on a current server', async (t) => {
  const c = await startRealCluster({ nodes: await fixtureNodes() });
  try {
    const plan = await c.cli(['plan', '--to', 'v2.5', ...fromFiles(KDD)]);
    t.is(plan.code, 2, plan.stdout + plan.stderr);
    t.regex(plan.stdout, /create 14, update 0, unchanged 0, conflict 0/);
    const apply = await c.cli(['apply', '--to', 'v2.5', ...fromFiles(KDD), '--yes', '-o', 'json']);
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    t.deepEqual((JSON.parse(apply.stdout) as { summary: unknown }).summary, { created: 14 });
    await assertClusterHolds(t, (args) => c.kubectl(args), await converted('v2.5', fromFiles(KDD)));
  } finally {
    await c.stop();
  }
});

/** Single quotes for sh. */
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const plain = (s: string): string => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\u001b\][^\u0007]*\u0007/g, '');

test.serial('real flows (v3.0): the interactive apply in a real pseudo-terminal: nothing is written before the answer; Apply writes; verify passes', async (t) => {
  const c = await startRealCluster({ nodes: await fixtureNodes() });
  try {
    const before = await clusterSnapshot(c.cp);
    const command = `stty cols 120 rows 40; exec ${quote(process.execPath)} ${quote(join(REPO_ROOT, 'bin/calico-migrate.js'))} apply --to v3.0 ${fromFiles(KDD).map(quote).join(' ')}`;
    const env = { KUBECONFIG: c.kubeconfig, DATASTORE_TYPE: 'kubernetes', PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: c.dir, TERM: 'xterm-256color', PAGER: '', NO_COLOR: '1' };
    const child = spawn('/usr/bin/script', ['-qfec', command, '/dev/null'], { cwd: c.dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => (screen += d.toString()));
    child.stderr.on('data', (d: Buffer) => (screen += d.toString()));
    let exit: { code: number | null } | undefined;
    const exited = new Promise<{ code: number | null }>((resolve) => child.on('exit', (code) => resolve((exit = { code }))));
    const until = async (re: RegExp, ms: number): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!re.test(plain(screen))) {
        if (exit || Date.now() > deadline) throw new Error(`the terminal never showed ${re}: ${plain(screen).slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    try {
      await until(/Apply 9 change\(s\) to https:\/\/127\.0\.0\.1:\d+\?/, 60_000);
      t.deepEqual(await clusterSnapshot(c.cp), before, 'nothing is written before the answer');
      child.stdin.write('\u001b[A\u001b[A\r');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const ended = await exited.finally(() => clearTimeout(timer));
      t.is(ended.code, 0, plain(screen).slice(-2000));
    } finally {
      if (!exit) child.kill('SIGKILL');
      child.stdin.end();
    }
    t.regex(plain(screen), /Verify: all 9 objects read back as planned/);
    t.regex(plain(screen), /result: applied \(exit 0\)/);
    await assertClusterHolds(t, (args) => c.kubectl(args), await converted('v3.0', fromFiles(KDD)));
  } finally {
    await c.stop();
  }
});
