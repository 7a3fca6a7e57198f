/**
 * Calico's own client agrees with what the tool writes (calicoctl v3.31.0, built by `npm run peers`):
 * - the calicoctl form of every fixture goes through `calicoctl create -f` into a real etcd v3
 *   keyspace (DATASTORE_TYPE=etcdv3): Calico's validation accepts every object, `calicoctl get`
 *   returns them equal, and there is a v3 Node for every Calico host directory;
 * - the CRD form, written to the real kube-apiserver (by `apply` where the conversion has no errors,
 *   else as convert's List with kubectl), read back with `calicoctl get` (DATASTORE_TYPE=kubernetes)
 *   equals the converted objects, with the tool's CRDs and with Calico's own CRDs (structural
 *   schemas that prune unknown fields) installed first; the Node annotations read as Calico Nodes
 *   whose BGP section equals the calicoctl form's.
 * The only differences allowed are the defaults Calico fills in itself, each listed with why in
 * test/_helpers/calicoctl.ts.
 */
import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runCli } from '../_helpers/cli.js';
import { builtPeers } from '../_helpers/control-plane.js';
import { startEtcd, type EtcdServer } from '../_helpers/etcd.js';
import { assertCalicoctlReads, calicoctlGet, normalised, run, wipe, type Obj } from '../_helpers/calicoctl.js';
import { convertedItems } from '../_helpers/items.js';
import { fixtureNodes, installCalicoCrds, startRealCluster } from '../_helpers/real-cluster.js';
import { SCENARIOS, fromFileArgs, type Scenario } from '../_helpers/scenarios.js';

/** The host directories of an etcd dump, read from its keys without project code. */
async function hostDirectories(s: Scenario): Promise<string[]> {
  const text = (await Promise.all(s.files.map((f) => readFile(join(REPO_ROOT, f), 'utf8')))).join('\n');
  return [...new Set([...text.matchAll(/\/calico\/v1\/host\/([^/"]+)\//g)].map((m) => m[1] ?? ''))].sort();
}

// ---------------------------------------------------------------------------------------------
// The calicoctl form into etcd v3
// ---------------------------------------------------------------------------------------------

let etcd: EtcdServer | undefined;
test.before(async () => {
  etcd = await startEtcd({ enableV2: false });
});
test.after.always(async () => {
  await etcd?.stop();
});


for (const scenario of SCENARIOS) {
  test.serial(`calicoctl (etcdv3): the calicoctl form of ${scenario.name} is accepted whole by calicoctl create -f, and calicoctl get returns every object equal`, async (t) => {
    const peers = builtPeers();
    const server = etcd!;
    await wipe(server);
    const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-calicoctl-'));
    try {
      const converted = await runCli(['convert', ...fromFileArgs(scenario.files), '--to', 'v3.0', '--form', 'calicoctl']);
      t.not(converted.code, 1, converted.stderr);
      const file = join(dir, 'calicoctl.yaml');
      await writeFile(file, converted.stdout);
      const objects = convertedItems<Obj>(converted.stdout);
      const env = { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: server.endpoint, HOME: dir };
      const created = await run(peers.calicoctl, ['create', '-f', file], env);
      t.is(created.code, 0, `calicoctl create -f refused the calicoctl form of ${scenario.name}:\n${created.stdout}${created.stderr}`);
      t.regex(created.stdout, new RegExp(`Successfully created ${objects.length} resource\\(s\\)`));
      await assertCalicoctlReads(t, peers.calicoctl, env, objects, scenario.name);

      if (scenario.files.every((f) => f.endsWith('.json'))) {
        // A v3 Node for every Calico host directory, under its normalised name (the renames list
        // it), except where two directories clash on one name (both are then reported as errors).
        await runCli(['convert', ...fromFileArgs(scenario.files), '--to', 'v3.0', '--form', 'calicoctl', '--report', join(dir, 'report.json')]);
        const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as { renames: { kind: string; from: string; to: string }[]; records: { origin: string; code?: string }[] };
        const renamed = new Map(report.renames.filter((r) => r.kind === 'Node').map((r) => [r.from, r.to]));
        const clashing = new Set(report.records.filter((r) => r.code === 'name-clash').map((r) => /^\/calico\/v1\/host\/([^/]+)\//.exec(r.origin)?.[1]).filter((h): h is string => h !== undefined));
        const nodes = new Set((await calicoctlGet(t, peers.calicoctl, env, 'Node')).map((n) => n.metadata.name));
        for (const host of await hostDirectories(scenario)) {
          if (clashing.has(host)) continue;
          const name = renamed.get(host) ?? host;
          t.true(nodes.has(name), `${scenario.name}: calicoctl get nodes shows ${name} for host directory ${host}`);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The CRD form on the real kube-apiserver, read by calicoctl in Kubernetes-datastore mode
// ---------------------------------------------------------------------------------------------

/** The Node names a scenario's CRD-form patches target (from its golden patch script), with pod CIDRs. */
async function patchedNodes(s: Scenario): Promise<string[]> {
  const script = await readFile(join(REPO_ROOT, `fixtures/golden/${s.name}/v3.0-crd-node-patches.sh`), 'utf8').catch(() => '');
  return [...script.matchAll(/^kubectl patch node '([^']+)'/gm)].map((m) => m[1] ?? '');
}

async function nodesFor(s: Scenario): Promise<Parameters<typeof startRealCluster>[0]> {
  if (s.name === 'kdd-typical') return { nodes: await fixtureNodes() };
  const typical = await fixtureNodes({ calicoAnnotations: false });
  const names = await patchedNodes(s);
  return { nodes: names.map((n) => typical.find((x) => x.metadata.name === n) ?? { metadata: { name: n }, spec: { podCIDR: '192.168.9.0/24' } }) };
}


/** Scenarios whose v3.0 conversion has no errors, so that `apply` may write them. */
const APPLIES: ReadonlySet<string> = new Set(['kdd-typical', 'etcd-typical', 'etcd-v26']);

for (const calicoCrds of [false, true]) {
  // kubectl cannot make the tool's CRDs, so a List written with kubectl goes onto Calico's own.
  for (const scenario of SCENARIOS.filter((x) => calicoCrds || APPLIES.has(x.name))) {
    const how = APPLIES.has(scenario.name) ? 'apply' : 'kubectl create of the converted List';
    const crds = calicoCrds ? "Calico's own CRDs installed first" : "the tool's CRDs";
    test.serial(`calicoctl (kubernetes): the CRD form of ${scenario.name} written by ${how}, with ${crds}, reads back through calicoctl equal to the converted objects`, async (t) => {
      const peers = builtPeers();
      const c = await startRealCluster(await nodesFor(scenario));
      try {
        if (calicoCrds) await installCalicoCrds(t, c);
        const args = fromFileArgs(scenario.files.map((f) => join(REPO_ROOT, f)));
        const convert = await runCli(['convert', ...args, '--to', 'v3.0', '-o', 'json']);
        const expected = convertedItems<Obj>(convert.stdout);
        if (APPLIES.has(scenario.name)) {
          const apply = await c.cli(['apply', '--to', 'v3.0', ...args, '--ignore-preflight', 'calico-ipam-in-use', '--yes', '-o', 'json']);
          t.is(apply.code, 0, apply.stdout + apply.stderr);
        } else {
          const file = join(c.dir, 'list.json');
          await writeFile(file, convert.stdout);
          const created = await c.kubectl(['create', '-f', file]);
          t.is(created.code, 0, created.stderr);
        }
        // Every written spec survives the CRD's schema unchanged (Calico's prune unknown fields).
        for (const o of expected) {
          const r = await c.kubectl(['get', `${o.kind.toLowerCase().replace(/y$/, 'ie')}s.crd.projectcalico.org`, o.metadata.name, '-o', 'json']);
          t.is(r.code, 0, r.stderr);
          const stored = JSON.parse(r.stdout) as Obj;
          t.deepEqual(normalised(stored, o).spec, o.spec ?? {}, `${o.kind}/${o.metadata.name} spec as stored`);
        }
        const env = { DATASTORE_TYPE: 'kubernetes', KUBECONFIG: c.kubeconfig, HOME: c.dir };
        // calicoctl reads the CRD form as projectcalico.org/v3 objects of the same names.
        await assertCalicoctlReads(t, peers.calicoctl, env, expected.map((o) => ({ ...o, apiVersion: 'projectcalico.org/v3' })), scenario.name);
        // The Node annotations read as Calico Nodes whose BGP section is the calicoctl form's.
        const patched = await patchedNodes(scenario);
        if (APPLIES.has(scenario.name) && patched.length > 0) {
          const v3 = convertedItems<Obj>((await runCli(['convert', ...args, '--to', 'v3.0', '--form', 'calicoctl', '-o', 'json'])).stdout).filter((o) => o.kind === 'Node');
          const live = await calicoctlGet(t, peers.calicoctl, env, 'Node');
          for (const name of patched) {
            const want = v3.find((n) => n.metadata.name === name)?.spec?.['bgp'] as Record<string, unknown> | undefined;
            const { ipv4IPIPTunnelAddr: _derived, ...bgp } = want ?? {};
            t.deepEqual(live.find((n) => n.metadata.name === name)?.spec?.['bgp'], bgp, `Node/${name} bgp as calicoctl reads the annotations`);
          }
        }
      } finally {
        await c.stop();
      }
    });
  }
}
