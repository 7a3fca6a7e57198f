/**
 * The three flows end to end, against the Kubernetes API test server emulating Kubernetes 1.7.16
 * (ThirdPartyResources as the live source, CRDs in apiextensions v1beta1) and 1.33 (CRDs v1, the
 * v2.4 data from the bundled dumps): the pre-upgrade dry run (`plan`), the CI job (`apply --plan
 * --yes`, no terminal, JSON), the interactive migration (a terminal of streams answering the
 * prompt), then `plan` again says there is nothing to do. The objects the real kubectl reads back
 * equal `convert`'s output; Node annotations go onto existing Nodes and no Node is ever created.
 */
import test from 'ava';
import { PassThrough } from 'node:stream';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { runCli } from '../_helpers/cli.js';
import { cli, cliWithTerminal, ETCD_TYPICAL, KDD_FILES, kubectl, startCluster, writes, type Cluster } from '../_helpers/cluster.js';
import { assertClusterHolds } from '../_helpers/cluster-assert.js';

interface Obj { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> }; spec?: unknown }

/** What convert prints for the same source: the reference the cluster must hold afterwards. */
async function converted(to: string, files: readonly string[]): Promise<Obj[]> {
  const run = await runCli(['convert', ...files.flatMap((f) => ['--from-file', f]), '--to', to, '-o', 'json']);
  return (JSON.parse(run.stdout) as { items: Obj[] }).items;
}

const nodeNames = async (c: Cluster) => (JSON.parse((await kubectl(c, ['get', 'nodes', '-o', 'json'])).stdout) as { items: Obj[] }).items.map((n) => n.metadata.name).sort();

for (const version of ['v1.7.16', 'v1.33.0'] as const) {
  const tprs = version === 'v1.7.16';
  const sourceArgs = tprs ? [] : KDD_FILES.flatMap((f) => ['--from-file', f]);

  test.serial(`flows (${version}): dry run writes nothing and saves a plan; the CI job applies it without a terminal; plan again has nothing to do`, async (t) => {
    const c = await startCluster({ gitVersion: version, files: tprs ? KDD_FILES : [KDD_FILES[2] ?? ''] });
    try {
      const revision = c.server.state.revision;
      const plan = await cli(c, ['plan', '--to', 'v2.5', ...sourceArgs, '--out', 'plan.json']);
      t.is(plan.code, 2, plan.stderr + plan.stdout);
      t.regex(plan.stdout, /create 14, update 0, unchanged 0, conflict 0/);
      t.regex(plan.stdout, /^\+\+\+ desired\/IPPool\/192-168-0-0-16$/m);
      t.regex(plan.stdout, /changes pending/);
      t.deepEqual(writes(c.server), [], 'plan writes nothing');
      t.is(c.server.state.revision, revision);
      t.is((await stat(join(c.dir, 'plan.json'))).mode & 0o777, 0o600);

      const apply = await cli(c, ['apply', '--plan', 'plan.json', ...sourceArgs, '--yes', '-o', 'json']);
      t.is(apply.code, 0, apply.stderr + apply.stdout);
      const result = JSON.parse(apply.stdout) as { result: string; summary: Record<string, number>; journal: string; nextSteps: string[] };
      t.is(result.result, 'applied');
      t.deepEqual(result.summary, { created: 14 });
      t.true(result.nextSteps.some((s) => s.includes('rbac-kdd.yaml')));
      await assertClusterHolds(t, (args) => kubectl(c, args), await converted('v2.5', KDD_FILES));
      t.deepEqual(await nodeNames(c), ['k8s-master', 'k8s-node-1', 'k8s-node-2'], 'no Node was created');
      const crd = await kubectl(c, ['get', 'crd', 'ippools.crd.projectcalico.org', '-o', 'json']);
      t.is((JSON.parse(crd.stdout) as { apiVersion: string }).apiVersion, tprs ? 'apiextensions.k8s.io/v1beta1' : 'apiextensions.k8s.io/v1');
      // The run's state is in the cluster (Secrets in calico-migrate), so the CI runner may go: status finds it from anywhere.
      t.regex(result.journal, /^Secrets run-[0-9a-f]{12}-\* in namespace calico-migrate on https:\/\/127\.0\.0\.1:\d+$/);
      t.true(c.server.state.list('v1', 'Secret', 'calico-migrate').length > 0);
      const status = await cli(c, ['status', '-o', 'json']);
      t.like(JSON.parse(status.stdout) as object, { status: { lastOutcome: 'applied', planned: 14 } });

      c.server.clearRequests();
      const again = await cli(c, ['plan', '--to', 'v2.5', ...sourceArgs]);
      t.is(again.code, 0, again.stdout);
      t.regex(again.stdout, /create 0, update 0, unchanged 14, conflict 0/);
      const reapply = await cli(c, ['apply', '--to', 'v2.5', ...sourceArgs, '--yes']);
      t.is(reapply.code, 0, reapply.stdout);
      t.regex(reapply.stdout, /result: nothing-to-do/);
      t.deepEqual(writes(c.server), [], 'a second apply writes nothing');
    } finally {
      await c.stop();
    }
  });

  test.serial(`flows (${version}): interactive apply shows the diff when asked, then applies after confirmation`, async (t) => {
    const c = await startCluster({ gitVersion: version, files: tprs ? KDD_FILES : [KDD_FILES[2] ?? ''] });
    try {
      const input = new PassThrough();
      const output = new PassThrough();
      let screen = '';
      output.on('data', (d: Buffer) => (screen += d.toString()));
      const until = async (re: RegExp) => {
        for (let i = 0; i < 800 && !re.test(screen); i++) await new Promise((r) => setTimeout(r, 25));
        if (!re.test(screen)) throw new Error(`the terminal never showed ${re}: ${screen.slice(-400)}`);
      };
      const run = cliWithTerminal(c, ['apply', '--to', 'v2.5', ...sourceArgs], { input, output, isTTY: true }, { PAGER: '' });
      // The choices are Apply, Show the full diff, Cancel; Cancel is the default.
      await until(/Apply 14 change\(s\) to https:\/\/127\.0\.0\.1:\d+\?/);
      t.deepEqual(writes(c.server), [], 'nothing is written before the answer');
      t.regex(screen, /❯ Cancel/);
      screen = '';
      input.write('\u001b[A'); // up: Show the full diff
      input.write('\r');
      await until(/\+\+\+ desired\/GlobalNetworkPolicy\/restrict-redis/);
      await until(/Apply 14 change\(s\)/);
      input.write('\u001b[A'); // up: Show the full diff
      input.write('\u001b[A'); // up: Apply
      input.write('\r');
      const r = await run;
      t.is(r.code, 0, r.stdout + r.stderr);
      t.regex(r.stdout, /result: applied \(exit 0\)/);
      t.regex(screen, /✔ Apply 14 change\(s\) to .*Apply/);
      t.regex(screen, /Verify: all 14 objects read back as planned/);
      await assertClusterHolds(t, (args) => kubectl(c, args), await converted('v2.5', KDD_FILES));
    } finally {
      await c.stop();
    }
  });
}

/** The etcd-typical cluster's Nodes as Kubernetes has them before the migration: no Calico annotations yet. */
const plainNodes = ['k8s-master', 'k8s-node-1', 'k8s-node-2'].map((name, i) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: { podCIDR: `192.168.${i}.0/24` } }));

test.serial('flows: from etcd, Node annotations are patched onto the existing Nodes (merge patch with a resourceVersion precondition), never created', async (t) => {
  const c = await startCluster({ gitVersion: 'v1.33.0', datastore: 'etcdv2' });
  try {
    c.server.seed(plainNodes);
    // etcd-typical uses Calico IPAM; this cluster is taken to have switched to host-local already.
    const args = ['apply', '--to', 'v2.5', '--from-file', ETCD_TYPICAL, '--yes', '--ignore-preflight', 'calico-ipam-in-use', '-o', 'json'];
    const r = await cli(c, args);
    t.is(r.code, 0, r.stdout + r.stderr);
    const nodes = (JSON.parse((await kubectl(c, ['get', 'nodes', '-o', 'json'])).stdout) as { items: Obj[] }).items;
    t.deepEqual(nodes.map((n) => n.metadata.name).sort(), ['k8s-master', 'k8s-node-1', 'k8s-node-2']);
    const node2 = nodes.find((n) => n.metadata.name === 'k8s-node-2');
    t.is(node2?.metadata.annotations?.['projectcalico.org/ASNumber'], '64513');
    t.is(node2?.metadata.annotations?.['projectcalico.org/IPv4Address'], '10.0.1.12/24');
    const patches = c.server.requests.filter((q) => q.method === 'PATCH' && q.path.startsWith('/api/v1/nodes/'));
    t.is(patches.length, 3);
    t.true(patches.every((q) => q.contentType === 'application/merge-patch+json'));
    t.deepEqual(JSON.parse(node2?.metadata.annotations?.['calico-migrate.projectcalico.org/node-annotations'] ?? '[]'), ['projectcalico.org/ASNumber', 'projectcalico.org/IPv4Address']);
    t.false(c.server.requests.some((q) => q.method === 'POST' && q.path === '/api/v1/nodes'), 'no Node is created');
  } finally {
    await c.stop();
  }
});

test.serial('flows: a Calico host without a Kubernetes Node of that name blocks the plan, naming both; nothing is written', async (t) => {
  const nodes = YAML.parseAllDocuments(await readFile(KDD_FILES[2] ?? '', 'utf8')).map((d) => d.toJS() as { items?: Obj[] });
  const renamed = { apiVersion: 'v1', kind: 'List', items: (nodes[0]?.items ?? []).map((n) => (n.metadata.name === 'k8s-node-2' ? { ...n, metadata: { ...n.metadata, name: 'k8s-node-2.example.com' } } : n)) };
  const c = await startCluster({ gitVersion: 'v1.33.0', datastore: 'etcdv2' });
  try {
    c.server.seed([renamed]);
    const r = await cli(c, ['plan', '--to', 'v2.5', '--from-file', ETCD_TYPICAL, '--ignore-preflight', 'calico-ipam-in-use']);
    t.is(r.code, 3, r.stdout);
    t.regex(r.stdout, /node-missing: the Calico host data for k8s-node-2 .* would go on Kubernetes Node k8s-node-2, which does not exist; no Node is ever created\. Nodes with a similar name: k8s-node-2\.example\.com/);
    const apply = await cli(c, ['apply', '--to', 'v2.5', '--from-file', ETCD_TYPICAL, '--ignore-preflight', 'calico-ipam-in-use', '--yes']);
    t.is(apply.code, 3);
    t.deepEqual(writes(c.server), []);
  } finally {
    await c.stop();
  }
});

test.serial('flows: without a terminal and without --yes, apply refuses at once with a hint (exit 1), writing nothing', async (t) => {
  const c = await startCluster({ gitVersion: 'v1.7.16', files: KDD_FILES });
  try {
    const r = await cli(c, ['apply', '--to', 'v2.5']);
    t.is(r.code, 1);
    t.regex(r.stderr, /refusing to write 14 change\(s\) without confirmation: there is no terminal to ask on; .*--yes/);
    t.deepEqual(writes(c.server), []);
    const ci = await cliWithTerminal(c, ['apply', '--to', 'v2.5'], { input: new PassThrough(), output: new PassThrough(), isTTY: true }, { CI: 'true' });
    t.is(ci.code, 1, 'CI=true never prompts, even on a terminal');
  } finally {
    await c.stop();
  }
});

test.serial('flows: --dry-run=server sends every write with dryRun=All and persists nothing', async (t) => {
  const c = await startCluster({ gitVersion: 'v1.33.0', files: [KDD_FILES[2] ?? ''] });
  try {
    const revision = c.server.state.revision;
    const r = await cli(c, ['apply', '--to', 'v2.5', ...KDD_FILES.flatMap((f) => ['--from-file', f]), '--dry-run', 'server', '-o', 'json']);
    t.is(r.code, 0, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout) as { result: string; entries: { outcome: string }[] };
    t.is(result.result, 'dry-run');
    const w = writes(c.server);
    t.true(w.length > 0);
    t.true(w.every((x) => x.includes('dryRun=All')), w.join('\n'));
    t.is(c.server.state.revision, revision, 'nothing persisted');
  } finally {
    await c.stop();
  }
});

test.serial('flows: plan diffs are coloured only on a terminal, and CALICO_MIGRATE_EXTERNAL_DIFF runs the given program on LIVE and DESIRED directories', async (t) => {
  const c = await startCluster({ gitVersion: 'v1.33.0', files: [KDD_FILES[2] ?? ''] });
  try {
    const args = ['plan', '--to', 'v2.5', ...KDD_FILES.flatMap((f) => ['--from-file', f])];
    const plain = await cli(c, args);
    t.false(plain.stdout.includes('\u001b['), 'no escape codes without a terminal');
    const tty = await cliWithTerminal(c, args, { input: new PassThrough(), output: new PassThrough(), isTTY: true });
    t.regex(tty.stdout, /\u001b\[32m\+  cidr: 192\.168\.0\.0\/16\u001b\[0m/);
    const noColor = await cliWithTerminal(c, args, { input: new PassThrough(), output: new PassThrough(), isTTY: true }, { NO_COLOR: '1' });
    t.false(noColor.stdout.includes('\u001b[32m'));
    const external = await cli(c, args, { CALICO_MIGRATE_EXTERNAL_DIFF: 'diff -r -u -N' });
    t.is(external.code, 2, external.stderr);
    t.regex(external.stdout, /^\+\+\+ \S+\/DESIRED\/IPPool\.192-168-0-0-16\.yaml/m);
    t.regex(external.stdout, /^\+  cidr: 192\.168\.0\.0\/16$/m);
  } finally {
    await c.stop();
  }
});
