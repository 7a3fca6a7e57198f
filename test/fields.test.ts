/**
 * No field left behind, on every fixture, target and form: every leaf of every JSON value in the
 * source that belongs to a converted record is either carried into one of the objects the record
 * fed, or named in the report's `lost` list for that record.
 *
 * Independent of the steps, like the accounting test: the source values are read straight from the
 * dump files, and where each source field lands is this file's own table (from the data model,
 * §1.4, §2.2, §3.2 and §4.2). A field the table does not know must be reported as lost; a field the
 * table says is carried must be present in the target (non-empty values; `same` fields with the same
 * value). A leaf holding an empty value (false, "", null, [], {}) carries nothing a target default
 * would lose, so it only has to be known.
 */
import test from 'ava';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import type { Report } from '../src/model/report.js';
import { REPO_ROOT, runCli } from './_helpers/cli.js';
import { SCENARIOS, fromFileArgs } from './_helpers/scenarios.js';
import { convertedItems } from './_helpers/items.js';

type Json = Record<string, unknown>;
type Seg = string | number;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Source values, read without project code.

/** Origin → the JSON value whose leaves are checked (only values that are JSON objects or lists). */
async function sourceValues(files: readonly string[]): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  const etcd = (key: string, value: string) => {
    const t = value.trim();
    if (!t.startsWith('{') && !t.startsWith('[')) return;
    try {
      out.set(key, JSON.parse(t));
    } catch {
      // not JSON: the record is an error, and error records are not checked here
    }
  };
  const walkV2 = (node: unknown) => {
    if (!isObj(node)) return;
    if (node['dir'] === true) for (const c of Array.isArray(node['nodes']) ? node['nodes'] : []) walkV2(c);
    else if (typeof node['key'] === 'string' && typeof node['value'] === 'string') etcd(node['key'], node['value']);
  };
  const object = (o: unknown) => {
    if (!isObj(o)) return;
    if (Array.isArray(o['items'])) return o['items'].forEach(object);
    const meta = isObj(o['metadata']) ? o['metadata'] : {};
    const name = String(meta['name']);
    if (o['kind'] === 'Node' && o['apiVersion'] === 'v1') {
      for (const [k, v] of Object.entries(isObj(meta['annotations']) ? meta['annotations'] : {})) {
        if (typeof v === 'string') etcd(`Node/${name} annotation ${k}`, v);
      }
      return;
    }
    const origin = typeof meta['namespace'] === 'string' ? `${String(o['kind'])}/${meta['namespace']}/${name}` : `${String(o['kind'])}/${name}`;
    const spec = isObj(o['spec']) ? { ...o['spec'] } : undefined;
    if (!spec) return;
    // An IpPool TPR embeds the backend pool as JSON text in spec.value.
    if (o['kind'] === 'IpPool' && typeof spec['value'] === 'string') {
      try {
        spec['value'] = JSON.parse(spec['value']);
      } catch {
        return;
      }
    }
    out.set(origin, { spec });
  };
  for (const file of files) {
    const text = await readFile(join(REPO_ROOT, file), 'utf8');
    if (file.endsWith('.json')) {
      const doc: unknown = JSON.parse(text);
      if (!isObj(doc)) continue;
      if (isObj(doc['node'])) walkV2(doc['node']);
      else if (Array.isArray(doc['kvs'])) {
        for (const kv of doc['kvs']) if (isObj(kv)) etcd(Buffer.from(String(kv['key']), 'base64').toString(), Buffer.from(String(kv['value'] ?? ''), 'base64').toString());
      } else if (typeof doc['kind'] === 'string') object(doc);
      else for (const [k, v] of Object.entries(doc)) if (typeof v === 'string') etcd(k, v);
    } else {
      for (const d of YAML.parseAllDocuments(text)) object(d.toJS());
    }
  }
  return out;
}

function leaves(v: unknown, path: Seg[] = [], out: [Seg[], unknown][] = []): [Seg[], unknown][] {
  if (Array.isArray(v) && v.length > 0) v.forEach((x, i) => leaves(x, [...path, i], out));
  else if (isObj(v) && Object.keys(v).length > 0) for (const [k, x] of Object.entries(v)) leaves(x, [...path, k], out);
  else if (path.length > 0) out.push([path, v]);
  return out;
}

/** Paths rendered as the report writes them: `a.b[0].c`. */
const render = (path: readonly Seg[]) => path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
const isEmpty = (v: unknown) => v === false || v === '' || v === null || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);

// ---------------------------------------------------------------------------------------------
// Where each source field lands. Patterns: `[]` any index, `*` any key; in targets `{key}` is the key
// the source `*` matched and `{value}` the leaf value; `|` separates alternatives; '' is the object.

interface Carry {
  readonly from: string;
  /** Target path pattern, or a predicate for a value the target implies without holding it. */
  readonly to: string | ((leaf: unknown, root: unknown) => boolean);
  /** The target holds the same value (strings compared case-insensitively). */
  readonly same?: boolean;
}

const c = (from: string, to: Carry['to'], same = false): Carry => ({ from, to, same });

type Target = 'v2.5' | 'v3.0-crd' | 'v3.0-calicoctl';

function backendRule(src: string, dst: string, v3: boolean): Carry[] {
  const tag = (side: string, not: boolean) => (v3 ? `${dst}.${side}.${not ? 'notSelector' : 'selector'}` : `${dst}.${side}.${not ? 'notTag' : 'tag'}|${dst}.${side}.${not ? 'notSelector' : 'selector'}`);
  const entity = (p: string, side: string): Carry[] => [
    c(`${src}.${p}_tag`, tag(side, false)),
    c(`${src}.${p}_net`, `${dst}.${side}.nets[]`),
    c(`${src}.${p}_nets[]`, `${dst}.${side}.nets[]`),
    c(`${src}.${p}_selector`, `${dst}.${side}.selector`),
    c(`${src}.${p}_ports[]`, `${dst}.${side}.ports[]`),
    c(`${src}.!${p}_tag`, tag(side, true)),
    c(`${src}.!${p}_net`, `${dst}.${side}.notNets[]`),
    c(`${src}.!${p}_nets[]`, `${dst}.${side}.notNets[]`),
    c(`${src}.!${p}_selector`, `${dst}.${side}.notSelector`),
    c(`${src}.!${p}_ports[]`, `${dst}.${side}.notPorts[]`),
  ];
  return [
    c(`${src}.action`, `${dst}.action`),
    c(`${src}.ip_version`, `${dst}.ipVersion`, true),
    c(`${src}.protocol`, `${dst}.protocol`, true),
    c(`${src}.!protocol`, `${dst}.notProtocol`, true),
    c(`${src}.icmp_type`, `${dst}.icmp.type`, true),
    c(`${src}.icmp_code`, `${dst}.icmp.code`, true),
    c(`${src}.!icmp_type`, `${dst}.notICMP.type`, true),
    c(`${src}.!icmp_code`, `${dst}.notICMP.code`, true),
    ...entity('src', 'source'),
    ...entity('dst', 'destination'),
  ];
}

function apiRule(src: string, dst: string, v3: boolean): Carry[] {
  const tag = (side: string, not: boolean) => (v3 ? `${dst}.${side}.${not ? 'notSelector' : 'selector'}` : `${dst}.${side}.${not ? 'notTag' : 'tag'}|${dst}.${side}.${not ? 'notSelector' : 'selector'}`);
  const entity = (side: string): Carry[] => [
    c(`${src}.${side}.tag`, tag(side, false)),
    c(`${src}.${side}.net`, `${dst}.${side}.nets[]`),
    c(`${src}.${side}.nets[]`, `${dst}.${side}.nets[]`),
    c(`${src}.${side}.selector`, `${dst}.${side}.selector`),
    c(`${src}.${side}.ports[]`, `${dst}.${side}.ports[]`),
    c(`${src}.${side}.notTag`, tag(side, true)),
    c(`${src}.${side}.notNet`, `${dst}.${side}.notNets[]`),
    c(`${src}.${side}.notNets[]`, `${dst}.${side}.notNets[]`),
    c(`${src}.${side}.notSelector`, `${dst}.${side}.notSelector`),
    c(`${src}.${side}.notPorts[]`, `${dst}.${side}.notPorts[]`),
  ];
  return [
    c(`${src}.action`, `${dst}.action`),
    c(`${src}.ipVersion`, `${dst}.ipVersion`, true),
    c(`${src}.protocol`, `${dst}.protocol`, true),
    c(`${src}.notProtocol`, `${dst}.notProtocol`, true),
    c(`${src}.icmp.type`, `${dst}.icmp.type`, true),
    c(`${src}.icmp.code`, `${dst}.icmp.code`, true),
    c(`${src}.notICMP.type`, `${dst}.notICMP.type`, true),
    c(`${src}.notICMP.code`, `${dst}.notICMP.code`, true),
    ...entity('source'),
    ...entity('destination'),
  ];
}

function etcdPolicy(t: Target): Carry[] {
  const v3 = t !== 'v2.5';
  return [
    c('order', 'spec.order', true),
    c('selector', 'spec.selector'),
    c('untracked', 'spec.doNotTrack', true),
    c('pre_dnat', 'spec.preDNAT', true),
    c('annotations.*', 'metadata.annotations.{key}', true),
    c('types[]', 'spec.types[]', true),
    // v2.x has no applyOnForward: false is what v2.x does anyway.
    c('apply_on_forward', v3 ? 'spec.applyOnForward' : (v) => v === false, v3),
    ...backendRule('inbound_rules[]', 'spec.ingress[]', v3),
    ...backendRule('outbound_rules[]', 'spec.egress[]', v3),
  ];
}

function snp(t: Target): Carry[] {
  const v3 = t !== 'v2.5';
  return [
    c('spec.order', 'spec.order', true),
    c('spec.selector', 'spec.selector'),
    c('spec.doNotTrack', 'spec.doNotTrack', true),
    c('spec.preDNAT', 'spec.preDNAT', true),
    c('spec.types[]', 'spec.types[]', true),
    c('spec.applyOnForward', v3 ? 'spec.applyOnForward' : (v) => v === false, v3),
    ...apiRule('spec.ingress[]', 'spec.ingress[]', v3),
    ...apiRule('spec.egress[]', 'spec.egress[]', v3),
  ];
}

/** `ipam` is implied when it agrees with `disabled` (libcalico-go recomputes it as !disabled). */
const ipamImplied = (prefix: string) => (leaf: unknown, root: unknown) => {
  const pool = prefix === '' ? root : isObj(root) && isObj(root['spec']) ? root['spec']['value'] : undefined;
  return isObj(pool) && leaf === !(pool['disabled'] === true);
};

function pool(t: Target, prefix: string): Carry[] {
  const p = (f: string) => (prefix === '' ? f : `${prefix}.${f}`);
  const v3 = t !== 'v2.5';
  return [
    c(p('cidr'), 'spec.cidr'),
    c(p('ipip'), v3 ? 'spec.ipipMode' : 'spec.ipip.enabled'),
    c(p('ipip_mode'), v3 ? 'spec.ipipMode' : 'spec.ipip.mode'),
    c(p('masquerade'), v3 ? 'spec.natOutgoing' : 'spec.nat-outgoing', true),
    c(p('disabled'), 'spec.disabled', true),
    c(p('ipam'), ipamImplied(prefix)),
  ];
}

const ENDPOINT_PORTS: Carry[] = [c('ports[].name', 'spec.ports[].name', true), c('ports[].protocol', 'spec.ports[].protocol', true), c('ports[].port', 'spec.ports[].port', true)];

const HOST_ENDPOINT: Carry[] = [
  c('name', 'spec.interfaceName', true),
  c('expected_ipv4_addrs[]', 'spec.expectedIPs[]'),
  c('expected_ipv6_addrs[]', 'spec.expectedIPs[]'),
  c('labels.*', 'metadata.labels.{key}', true),
  c('profile_ids[]', 'spec.profiles[]'),
  ...ENDPOINT_PORTS,
];

const WORKLOAD_ENDPOINT: Carry[] = [
  c('state', (v) => v === 'active'),
  c('name', 'spec.interfaceName', true),
  c('active_instance_id', 'spec.containerID', true),
  c('mac', 'spec.mac', true),
  c('profile_ids[]', 'spec.profiles[]'),
  c('ipv4_nets[]', 'spec.ipNetworks[]'),
  c('ipv6_nets[]', 'spec.ipNetworks[]'),
  c('ipv4_nat[].int_ip', 'spec.ipNATs[].internalIP'),
  c('ipv4_nat[].ext_ip', 'spec.ipNATs[].externalIP'),
  c('ipv6_nat[].int_ip', 'spec.ipNATs[].internalIP'),
  c('ipv6_nat[].ext_ip', 'spec.ipNATs[].externalIP'),
  // calico/k8s_ns is renamed projectcalico.org/namespace (data model §4.2).
  c('labels.*', 'metadata.labels.{key}|metadata.labels.<projectcalico.org/namespace>'),
  c('ipv4_gateway', 'spec.ipv4Gateway', true),
  c('ipv6_gateway', 'spec.ipv6Gateway', true),
  ...ENDPOINT_PORTS,
];

/** The table for one record, chosen by its origin alone. */
function carried(origin: string, t: Target): Carry[] | undefined {
  const v3 = t !== 'v2.5';
  if (/^\/calico\/v1\/policy\/tier\/[^/]+\/policy\//.test(origin)) return etcdPolicy(t);
  if (/^\/calico\/v1\/policy\/profile\/[^/]+\/rules$/.test(origin)) return [...backendRule('inbound_rules[]', 'spec.ingress[]', true), ...backendRule('outbound_rules[]', 'spec.egress[]', true)];
  // A namespace profile's `k8s_ns/label/<k>` keys become the controller's `pcns.<k>` (calicoctl form).
  if (/^\/calico\/v1\/policy\/profile\/[^/]+\/labels$/.test(origin)) return [c('*', 'spec.labelsToApply.{key}|spec.labelsToApply.{nskey}', true)];
  if (/^\/calico\/v1\/policy\/profile\/[^/]+\/tags$/.test(origin)) return [c('[]', 'spec.labelsToApply.{value}')];
  if (/^\/calico\/v1\/ipam\/v[46]\/pool\//.test(origin)) return pool(t, '');
  if (/^\/calico\/bgp\/v1\/global\/peer_v[46]\//.test(origin)) return [c('ip', 'spec.peerIP'), c('as_num', 'spec.asNumber')];
  if (/^\/calico\/bgp\/v1\/host\/[^/]+\/peer_v[46]\//.test(origin)) return v3 ? [c('ip', 'spec.peerIP'), c('as_num', 'spec.asNumber')] : [c('ip', 'metadata.annotations.*'), c('as_num', 'metadata.annotations.*')];
  if (/^\/calico\/bgp\/v1\/global\/node_mesh$/.test(origin)) return [c('enabled', v3 ? 'spec.nodeToNodeMeshEnabled' : 'spec.value')];
  if (/^\/calico\/v1\/host\/[^/]+\/endpoint\//.test(origin)) return HOST_ENDPOINT;
  if (/^\/calico\/v1\/host\/[^/]+\/workload\//.test(origin)) return WORKLOAD_ENDPOINT;
  if (/^\/calico\/v1\/host\/[^/]+\/orchestrator_refs$/.test(origin)) return [c('[].orchestrator', 'spec.orchRefs[].orchestrator', true), c('[].nodeName', 'spec.orchRefs[].nodeName', true)];
  if (/^\/calico\/v1\/host\/[^/]+\/metadata$/.test(origin)) return [];
  if (/^Node\/[^ ]+ annotation peer\.bgp\.projectcalico\.org\//.test(origin)) return [c('ip', 'spec.peerIP'), c('as_num', 'spec.asNumber')];
  if (/^SystemNetworkPolicy\//.test(origin)) return snp(t);
  if (/^IpPool\//.test(origin)) return [...pool(t, 'spec.value')];
  if (/^GlobalBgpPeer\//.test(origin)) return [c('spec.asNumber', 'spec.asNumber')];
  if (/^GlobalConfig\//.test(origin)) return v3 ? [c('spec.name', ''), c('spec.value', 'spec.*|metadata.annotations.*')] : [c('spec.name', 'spec.name', true), c('spec.value', 'spec.value', true)];
  // Calico IPAM (calicoctl form only): the block and handle values are copied, the affinity's host renamed.
  if (/^\/calico\/ipam\/v2\/assignment\//.test(origin)) {
    return [c('cidr', 'spec.cidr', true), c('affinity', 'spec.affinity'), c('hostAffinity', 'spec.affinity'), c('strictAffinity', 'spec.strictAffinity', true), c('allocations[]', 'spec.allocations[]', true), c('unallocated[]', 'spec.unallocated[]', true), c('attributes[].handle_id', 'spec.attributes[].handle_id', true), c('attributes[].secondary', 'spec.attributes[].secondary'), c('attributes[].secondary.*', 'spec.attributes[].secondary.{key}', true)];
  }
  if (/^\/calico\/ipam\/v2\/handle\//.test(origin)) return [c('block.*', 'spec.block.{key}', true)];
  if (/^\/calico\/ipam\/v2\/host\//.test(origin)) return [c('state', 'spec.state', true)];
  if (/^GlobalBgpConfig\//.test(origin)) return v3 ? [c('spec.name', ''), c('spec.value', 'spec.*|metadata.annotations.*')] : [c('spec.name', 'spec.name'), c('spec.value', 'spec.value')];
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Matching.

/** Pattern segments: split at dots, except inside `<…>` (a literal key that holds dots, such as a label key). */
const parsePattern = (p: string): string[] => [...p.replace(/\[\]/g, '.[]').matchAll(/<[^>]*>|[^.]+/g)].map((m) => m[0].replace(/^<(.*)>$/, '$1'));

/** Matches a source path against a pattern; returns the keys the `*` segments matched. */
function match(path: readonly Seg[], pattern: readonly string[]): string[] | undefined {
  if (path.length !== pattern.length) return undefined;
  const keys: string[] = [];
  for (let i = 0; i < path.length; i++) {
    const s = path[i];
    const p = pattern[i];
    if (p === '[]' ? typeof s !== 'number' : p === '*' ? typeof s !== 'string' : p !== s) return undefined;
    if (p === '*') keys.push(String(s));
  }
  return keys;
}

/** Values at a target pattern (`[]` any index, `*` any key), for one object. */
function valuesAt(o: unknown, pattern: readonly string[]): unknown[] {
  if (pattern.length === 0) return [o];
  const [head, ...rest] = pattern;
  if (head === '[]') return Array.isArray(o) ? o.flatMap((x) => valuesAt(x, rest)) : [];
  if (head === '*') return isObj(o) ? Object.values(o).flatMap((x) => valuesAt(x, rest)) : [];
  return isObj(o) && head !== undefined && Object.hasOwn(o, head) ? valuesAt(o[head], rest) : [];
}

const norm = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : JSON.stringify(v));

function targetSegments(to: string, keys: readonly string[], leaf: unknown): string[] {
  // Keys are substituted after splitting: label keys contain dots and slashes.
  const subst: Readonly<Record<string, string>> = {
    '\u0000KEY': keys[0] ?? '',
    '\u0000NSKEY': (keys[0] ?? '').replace(/^k8s_ns\/label\//, 'pcns.'),
    '\u0000VALUE': String(leaf),
  };
  return parsePattern(to.replace('{key}', '\u0000KEY').replace('{nskey}', '\u0000NSKEY').replace('{value}', '\u0000VALUE')).map((s) => subst[s] ?? s);
}

interface ListItem { kind: string; metadata: { name: string; namespace?: string } }
const idOf = (o: ListItem) => (o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`);

/** Problems with one record: each source leaf neither carried nor reported. */
function checkRecord(origin: string, root: unknown, lostPaths: readonly string[], table: readonly Carry[], targets: readonly unknown[]): string[] {
  const problems: string[] = [];
  for (const [path, leaf] of leaves(root)) {
    const at = render(path);
    if (lostPaths.some((l) => at === l || at.startsWith(`${l}.`) || at.startsWith(`${l}[`))) continue;
    // An empty list or map is a leaf; it is known when some pattern starts with its path.
    const known = (e: Carry) => match(path, parsePattern(e.from)) ?? (isEmpty(leaf) && match(path, parsePattern(e.from).slice(0, path.length)) ? [] : undefined);
    const entry = table.map((e) => ({ e, keys: known(e) })).find((x) => x.keys !== undefined);
    if (!entry || !entry.keys) {
      problems.push(`${origin}: ${at} = ${JSON.stringify(leaf)} is neither carried nor named in the report`);
      continue;
    }
    const { e, keys } = entry;
    if (typeof e.to === 'function') {
      if (!e.to(leaf, root)) problems.push(`${origin}: ${at} = ${JSON.stringify(leaf)} is not what the target implies, and the report does not name it`);
      continue;
    }
    if (isEmpty(leaf)) continue;
    const to = e.to;
    // A `{value}` target is a key whose presence carries the value (a tag becomes a labelsToApply key).
    const found = to.split('|').flatMap((alt) => targets.flatMap((t) => valuesAt(t, targetSegments(alt, keys, leaf)))).filter((v) => v !== undefined && (to.includes('{value}') || !isEmpty(v)));
    if (found.length === 0) problems.push(`${origin}: ${at} = ${JSON.stringify(leaf)} should be carried to ${to}, which is absent`);
    else if (e.same && !found.some((v) => norm(v) === norm(leaf))) problems.push(`${origin}: ${at} = ${JSON.stringify(leaf)} should be carried to ${to} unchanged, found ${JSON.stringify(found)}`);
  }
  return problems;
}

const TARGETS: readonly { name: Target; args: readonly string[] }[] = [
  { name: 'v2.5', args: ['--to', 'v2.5'] },
  { name: 'v3.0-crd', args: ['--to', 'v3.0', '--form', 'crd'] },
  { name: 'v3.0-calicoctl', args: ['--to', 'v3.0', '--form', 'calicoctl'] },
];

for (const scenario of SCENARIOS) {
  for (const target of TARGETS) {
    test(`no field left behind: every source field of ${scenario.name} is carried or reported (${target.args.join(' ')})`, async (t) => {
      const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-fields-'));
      const reportPath = join(dir, 'report.json');
      const patchPath = join(dir, 'node-patches.sh');
      const ipamPath = join(dir, 'ipam.jsonl');
      const ipamArgs = target.name === 'v3.0-calicoctl' ? ['--ipam-out', ipamPath] : [];
      const run = await runCli(['convert', ...fromFileArgs(scenario.files), ...target.args, '-o', 'json', '--report', reportPath, '--node-patches', patchPath, ...ipamArgs]);
      t.not(run.code, 1, run.stderr);
      const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
      const objects = new Map<string, unknown>(convertedItems<ListItem>(run.stdout).map((o) => [idOf(o), o]));
      // Calico IPAM keys come as `{"key","value"}` lines: the object id from the key, the value as its spec.
      for (const line of ipamArgs.length > 0 ? (await readFile(ipamPath, 'utf8')).split('\n').filter((l) => l !== '') : []) {
        const kv = JSON.parse(line) as { key: string; value: string };
        const m = /^\/calico\/ipam\/v2\/(?:assignment\/ipv[46]\/block\/(?<block>[^/]+)|handle\/(?<handle>[^/]+)|host\/(?<node>[^/]+)\/ipv[46]\/block\/(?<affinity>[^/]+))$/.exec(kv.key)?.groups ?? {};
        const id = m['block'] ? `IPAMBlock/${m['block']}` : m['handle'] ? `IPAMHandle/${m['handle']}` : `BlockAffinity/${m['node'] ?? ''}/${m['affinity'] ?? ''}`;
        objects.set(id, { spec: JSON.parse(kv.value) as unknown });
      }
      // Node annotation patches come as `kubectl patch node '<name>' --type merge -p '<json>'` commands.
      for (const m of (await readFile(patchPath, 'utf8').catch(() => '')).matchAll(/^kubectl patch node '([^']+)' --type merge -p '(.*)'$/gm)) {
        objects.set(`Node/${m[1] ?? ''}`, JSON.parse((m[2] ?? '{}').replace(/'\\''/g, "'")));
      }
      const values = await sourceValues(scenario.files);
      const problems: string[] = [];
      let checked = 0;
      for (const r of report.records) {
        if (r.disposition !== 'converted' && r.disposition !== 'converted-with-loss') continue;
        const root = values.get(r.origin);
        if (root === undefined) continue;
        const table = carried(r.origin, target.name);
        if (!table) {
          problems.push(`${r.origin}: a converted record with a JSON value of a kind this test has no table for`);
          continue;
        }
        const lost = (r.lost ?? []).map((l) => l.path);
        t.is(r.disposition === 'converted-with-loss', lost.length > 0, `${r.origin}: converted-with-loss exactly when fields are lost`);
        problems.push(...checkRecord(r.origin, root, lost, table, (r.targets ?? []).map((id) => objects.get(id))));
        checked++;
      }
      t.deepEqual(problems, []);
      t.log(`${checked} converted records with JSON values checked`);
    });
  }
}

test('no field left behind: the check itself catches a dropped field and accepts a reported one', (t) => {
  const hep = { name: 'eth3', ports: [{ name: 'my-port', protocol: 'tcp', port: 5 }] };
  const withPorts = { spec: { interfaceName: 'eth3', ports: [{ name: 'my-port', protocol: 'TCP', port: 5 }] } };
  const withoutPorts = { spec: { interfaceName: 'eth3' } };
  t.deepEqual(checkRecord('hep', hep, [], HOST_ENDPOINT, [withPorts]), []);
  t.deepEqual(checkRecord('hep', hep, [], HOST_ENDPOINT, [withoutPorts]), [
    'hep: ports[0].name = "my-port" should be carried to spec.ports[].name, which is absent',
    'hep: ports[0].protocol = "tcp" should be carried to spec.ports[].protocol, which is absent',
    'hep: ports[0].port = 5 should be carried to spec.ports[].port, which is absent',
  ]);
  t.deepEqual(checkRecord('hep', hep, ['ports'], HOST_ENDPOINT, [withoutPorts]), []);
  t.deepEqual(checkRecord('hep', { ...hep, color: 'blue' }, [], HOST_ENDPOINT, [withPorts]), ['hep: color = "blue" is neither carried nor named in the report']);
});
