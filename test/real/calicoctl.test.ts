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
 * The only differences allowed are the defaults Calico fills in itself, each listed below with why.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT, runCli } from '../_helpers/cli.js';
import { builtPeers } from '../_helpers/control-plane.js';
import { startEtcd, v3Call, type EtcdServer } from '../_helpers/etcd.js';
import { convertedItems } from '../_helpers/items.js';
import { fixtureNodes, installCalicoCrds, startRealCluster } from '../_helpers/real-cluster.js';
import { SCENARIOS, fromFileArgs, type Scenario } from '../_helpers/scenarios.js';

interface Meta { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown }
interface Obj { apiVersion: string; kind: string; metadata: Meta; spec?: Record<string, unknown> }

/**
 * What Calico v3.31 fills in by itself, as `calicoctl get` shows it. A field is left out of the
 * comparison only when the converted object does not set it and Calico's value is exactly this one.
 */
const CALICO_DEFAULTS: readonly { kind: string; field: string; value: unknown; reason: string }[] = [
  { kind: 'IPPool', field: 'blockSize', value: 26, reason: 'IPv4 default block size (/26); the v2.x pool had none to carry' },
  { kind: 'IPPool', field: 'blockSize', value: 122, reason: 'IPv6 default block size (/122)' },
  { kind: 'IPPool', field: 'nodeSelector', value: 'all()', reason: 'pools apply to every node unless selected (added in Calico v3.0 with this default)' },
  { kind: 'IPPool', field: 'vxlanMode', value: 'Never', reason: 'VXLAN arrived in Calico v3.7; Never is its default' },
  { kind: 'IPPool', field: 'allowedUses', value: ['Workload', 'Tunnel'], reason: 'allowedUses arrived in v3.20; this is its default' },
  { kind: 'IPPool', field: 'assignmentMode', value: 'Automatic', reason: 'assignmentMode arrived in v3.29; this is its default' },
  { kind: 'FelixConfiguration', field: 'bpfLogLevel', value: '', reason: 'Calico 3.31 writes the empty BPF log level on every FelixConfiguration it reads or creates' },
  { kind: 'FelixConfiguration', field: 'bpfConnectTimeLoadBalancing', value: 'TCP', reason: 'eBPF dataplane default (v3.28+), set when calicoctl creates the object' },
  { kind: 'FelixConfiguration', field: 'bpfHostNetworkedNATWithoutCTLB', value: 'Enabled', reason: 'eBPF dataplane default (v3.28+), set when calicoctl creates the object' },
  { kind: 'FelixConfiguration', field: 'floatingIPs', value: 'Disabled', reason: 'OpenStack floating IPs default (v3.26+), set when calicoctl creates the object' },
  { kind: 'GlobalNetworkPolicy', field: 'tier', value: 'default', reason: 'policy tiers (open source since v3.28): a policy without one is in the default tier' },
  { kind: 'BGPConfiguration', field: 'serviceLoadBalancerAggregation', value: 'Enabled', reason: "a default in Calico's own BGPConfiguration CRD schema (v3.29+), which the API server fills in" },
  { kind: 'WorkloadEndpoint', field: 'ports[].hostPort', value: 0, reason: 'Calico 3.31 added host ports to endpoint ports without omitempty: calicoctl prints the zero value' },
  { kind: 'WorkloadEndpoint', field: 'ports[].hostIP', value: '', reason: 'likewise for the host IP of an endpoint port' },
];

/** Removes `field` (`a` or `list[].a`) from `spec` where `ours` does not set it and the value is exactly `value`. */
function dropDefault(spec: Record<string, unknown>, ours: Record<string, unknown>, field: string, value: unknown): void {
  const same = (v: unknown) => JSON.stringify(v) === JSON.stringify(value);
  const m = /^(\w+)\[\]\.(\w+)$/.exec(field);
  if (!m) {
    if (!(field in ours) && same(spec[field])) delete spec[field];
    return;
  }
  const [, list = '', key = ''] = m;
  const items = spec[list];
  const mine = ours[list];
  if (!Array.isArray(items) || !Array.isArray(mine)) return;
  spec[list] = items.map((item: unknown, i) => {
    const o = mine[i] as Record<string, unknown> | undefined;
    if (typeof item !== 'object' || item === null || (o && key in o) || !same((item as Record<string, unknown>)[key])) return item;
    const { [key]: _dropped, ...rest } = item as Record<string, unknown>;
    return rest;
  });
}
/** Labels Calico adds, likewise only when the converted object has none of that key. */
const CALICO_LABELS: readonly { kind: string; key: string; value: string; reason: string }[] = [
  { kind: 'GlobalNetworkPolicy', key: 'projectcalico.org/tier', value: 'default', reason: 'Calico labels every policy with its tier' },
];
/** Metadata the datastore sets on every object. */
const SERVER_METADATA = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields'];

function normalised(live: Obj, ours: Obj): Obj {
  const spec = { ...(live.spec ?? {}) };
  for (const d of CALICO_DEFAULTS) if (d.kind === live.kind) dropDefault(spec, ours.spec ?? {}, d.field, d.value);
  const metadata: Meta = { ...live.metadata };
  for (const f of SERVER_METADATA) delete metadata[f];
  if (metadata.labels) {
    const labels = { ...metadata.labels };
    for (const l of CALICO_LABELS) if (l.kind === live.kind && !(l.key in (ours.metadata.labels ?? {})) && labels[l.key] === l.value) delete labels[l.key];
    if (Object.keys(labels).length > 0) metadata.labels = labels;
    else delete metadata.labels;
  }
  // Applied objects carry the tool's ownership annotations besides the converted ones.
  if (metadata.annotations) {
    const kept = Object.fromEntries(Object.entries(metadata.annotations).filter(([k]) => !k.startsWith('calico-migrate.projectcalico.org/') || k in (ours.metadata.annotations ?? {})));
    if (Object.keys(kept).length > 0) metadata.annotations = kept;
    else delete metadata.annotations;
  }
  return { apiVersion: ours.apiVersion, kind: live.kind, metadata, spec };
}

function run(cmd: string, args: readonly string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

const NAMESPACED = new Set(['WorkloadEndpoint', 'NetworkPolicy', 'NetworkSet']);

/** `calicoctl get <kind> -o yaml` as a list of objects. */
async function calicoctlGet(t: ExecutionContext, calicoctl: string, env: Record<string, string>, kind: string): Promise<Obj[]> {
  const r = await run(calicoctl, ['get', kind, '-o', 'yaml', ...(NAMESPACED.has(kind) ? ['--all-namespaces'] : [])], env);
  t.is(r.code, 0, `calicoctl get ${kind}: ${r.stderr}`);
  return ((YAML.parse(r.stdout) as { items?: Obj[] } | null)?.items ?? []);
}

/** Every converted object is read back by calicoctl, equal but for the listed defaults. */
async function assertCalicoctlReads(t: ExecutionContext, calicoctl: string, env: Record<string, string>, expected: readonly Obj[], label: string): Promise<void> {
  for (const kind of [...new Set(expected.map((o) => o.kind))]) {
    const live = await calicoctlGet(t, calicoctl, env, kind);
    for (const o of expected.filter((x) => x.kind === kind)) {
      const l = live.find((x) => x.metadata.name === o.metadata.name && (x.metadata.namespace ?? '') === (o.metadata.namespace ?? ''));
      if (!l) {
        t.fail(`${label}: calicoctl does not show ${kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
        continue;
      }
      t.deepEqual(normalised(l, o), { apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata, spec: o.spec ?? {} }, `${label}: ${kind}/${o.metadata.name}`);
    }
  }
}

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

/** Empties the etcd v3 keyspace (each fixture starts from nothing). */
async function wipe(server: EtcdServer): Promise<void> {
  await v3Call(server, '/v3/kv/deleterange', { key: Buffer.from('\0').toString('base64'), range_end: Buffer.from('\0').toString('base64') });
}

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
