/**
 * Calico's calicoctl in the tests: running it, reading every object of a kind, and comparing what it
 * shows with the tool's converted objects, allowing only the defaults Calico fills in itself (each
 * listed with why). Shared by the calicoctl and etcd v3 layout suites.
 */
import type { ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import YAML from 'yaml';
import { v3Call, type EtcdServer } from './etcd.js';

export interface Meta { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown }
export interface Obj { apiVersion: string; kind: string; metadata: Meta; spec?: Record<string, unknown> }

/**
 * What Calico v3.31 fills in by itself, as `calicoctl get` shows it. A field is left out of the
 * comparison only when the converted object does not set it and Calico's value is exactly this one.
 */
export const CALICO_DEFAULTS: readonly { kind: string; field: string; value: unknown; reason: string }[] = [
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
export const CALICO_LABELS: readonly { kind: string; key: string; value: string; reason: string }[] = [
  { kind: 'GlobalNetworkPolicy', key: 'projectcalico.org/tier', value: 'default', reason: 'Calico labels every policy with its tier' },
];
/** Metadata the datastore sets on every object. */
const SERVER_METADATA = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields'];

export function normalised(live: Obj, ours: Obj): Obj {
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

export function run(cmd: string, args: readonly string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
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
export async function calicoctlGet(t: ExecutionContext, calicoctl: string, env: Record<string, string>, kind: string): Promise<Obj[]> {
  const r = await run(calicoctl, ['get', kind, '-o', 'yaml', ...(NAMESPACED.has(kind) ? ['--all-namespaces'] : [])], env);
  t.is(r.code, 0, `calicoctl get ${kind}: ${r.stderr}`);
  return ((YAML.parse(r.stdout) as { items?: Obj[] } | null)?.items ?? []);
}

/** Every converted object is read back by calicoctl, equal but for the listed defaults. */
export async function assertCalicoctlReads(t: ExecutionContext, calicoctl: string, env: Record<string, string>, expected: readonly Obj[], label: string): Promise<void> {
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

/** Empties the etcd v3 keyspace (each fixture starts from nothing). */
export async function wipe(server: EtcdServer): Promise<void> {
  await v3Call(server, '/v3/kv/deleterange', { key: Buffer.from('\0').toString('base64'), range_end: Buffer.from('\0').toString('base64') });
}
