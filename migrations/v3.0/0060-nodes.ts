/**
 * Per-node data → v3. In the calicoctl form each host becomes a v3 Node (libcalico-go
 * `lib/upgrade/converters/node.go`): name normalised without a hash (two hosts landing on one name
 * are a clash), `bgp.ipv4Address`/`ipv6Address` with the mask of `network_v4`/`network_v6` (full mask
 * when none), `bgp.asNumber`, `bgp.ipv4IPIPTunnelAddr` from the per-host IpInIpTunnelAddr, and
 * `orchRefs`. As upstream, every host directory under /calico/v1/host is a Node, even one holding only
 * endpoints or per-host Felix keys (its spec is then empty). Upstream dropped the tunnel address of a
 * node without a BGP address and ignored hosts that exist only under /calico/bgp/v1/host; both are
 * kept here.
 *
 * In the CRD form nodes are Kubernetes Nodes: data from etcd becomes annotation patches
 * (`projectcalico.org/IPv4Address`, `IPv6Address`, `ASNumber`), and data already on Nodes stays.
 */
import { defineStep, OutputBuilder, type ItemOf } from '../../src/migrate/step.js';
import type { Issue } from '../../src/model/report.js';
import type { OutputForm, TargetObject } from '../../src/model/target.js';
import type { V1Item } from '../../src/model/v1.js';
import { normalizeName } from '../../src/names.js';
import { formatIp, formatCidr, type Cidr, type Ip } from '../../src/net.js';
import { compact } from '../../src/util.js';
import { v3Object } from './common.js';

const HANDLES = ['node-bgp-ip', 'node-bgp-network', 'node-as-number', 'node-ipv4-address', 'node-pod-cidr', 'node-tunnel-address', 'node-marker', 'node-unknown-annotation'] as const;
type NodeItem = ItemOf<(typeof HANDLES)[number]>;

/** What one host contributes, and the items behind each piece. */
interface HostData {
  readonly host: string;
  v4?: { address: string; fed: V1Item[] };
  v6?: { address: string; fed: V1Item[] };
  asn?: { value: number; item: V1Item };
  tunnel?: { value: string; item: V1Item };
  orchRefs?: { value: readonly { readonly nodeName?: string; readonly orchestrator: string }[]; item: V1Item };
  marker?: V1Item;
  /** Records of other steps in the host's directory (endpoints, per-host Felix keys) that make it a Node. */
  members?: V1Item[];
}

/** Item types stored under `/calico/v1/host/<host>/` that other steps convert, each making its host a Node. */
const MEMBER_TYPES: ReadonlySet<V1Item['type']> = new Set(['felix-host-config', 'host-endpoint', 'workload-endpoint']);

function withPrefix(ip: Ip, network: Cidr | undefined): string {
  return `${formatIp(ip)}/${network ? network.prefix : ip.family === 4 ? 32 : 128}`;
}

/** Gathers etcd items per host; items that carry nothing for v3 are accounted here and then. */
function collect(items: readonly NodeItem[], out: OutputBuilder, form: OutputForm): Map<string, HostData> {
  const hosts = new Map<string, HostData>();
  const hostFor = (h: string) => {
    const d = hosts.get(h) ?? { host: h };
    hosts.set(h, d);
    return d;
  };
  const networks = new Map<string, ItemOf<'node-bgp-network'>>();
  for (const i of items) if (i.type === 'node-bgp-network') networks.set(`${i.host}/${i.family}`, i);
  const used = new Set<string>();
  for (const item of items) {
    const d = hostFor(item.host);
    switch (item.type) {
      case 'node-bgp-ip': {
        if (!item.ip) {
          out.skipped(item, 'empty-address', `no IPv${item.family} BGP address is set for ${item.host}`);
          break;
        }
        const net = networks.get(`${item.host}/${item.family}`);
        if (net?.network) used.add(net.origin);
        const fed: V1Item[] = net?.network ? [item, net] : [item];
        const entry = { address: withPrefix(item.ip, net?.network), fed };
        if (item.family === 4) d.v4 = entry;
        else d.v6 = entry;
        break;
      }
      case 'node-ipv4-address':
        d.v4 = { address: formatCidr(item.address), fed: [item] };
        break;
      case 'node-as-number':
        d.asn = { value: item.asNumber, item };
        break;
      case 'node-tunnel-address':
        if (form === 'crd') {
          out.skipped(item, 'derived-tunnel-address', `the Kubernetes datastore derives the IPIP tunnel address of ${item.host} from the Node's spec.podCIDR; ${item.value} is not carried over`);
        } else if (!item.ip || item.ip.family !== 4) {
          out.failed(item, 'invalid-value', `IpInIpTunnelAddr ${JSON.stringify(item.value)} is not an IPv4 address`);
        } else {
          d.tunnel = { value: formatIp(item.ip), item };
        }
        break;
      case 'node-marker':
        if (item.field === 'bird_ip') {
          out.skipped(item, 'derived-bird-ip', `copy of ${item.host}'s BGP IPv4 address written by libcalico-go; the address itself is migrated`);
        } else if (item.field === 'orchestrator_refs' && form === 'calicoctl') {
          d.orchRefs = { value: [...(item.orchRefs ?? [])], item };
        } else if (item.field === 'orchestrator_refs') {
          out.skipped(item, 'derived-orchestrator-refs', `orchestrator references of ${item.host}; the Kubernetes datastore derives them from the Node`);
        } else if (form === 'calicoctl') {
          d.marker = item;
        } else {
          out.skipped(item, 'node-marker', `marks ${item.host} as a Calico node; in the Kubernetes datastore the Kubernetes Node takes its place`);
        }
        break;
      case 'node-pod-cidr':
        out.skipped(item, 'kept-in-place', 'Calico v3 reads the pod CIDR from the Kubernetes Node as it is');
        break;
      case 'node-unknown-annotation':
        out.skipped(item, 'unknown-annotation', `annotation ${item.key} is not one Calico v2.4 defines; it stays on the Node untouched`, { severity: 'warning' });
        break;
      case 'node-bgp-network':
        break;
    }
  }
  for (const n of networks.values()) {
    if (!used.has(n.origin)) out.skipped(n, 'network-without-address', n.network ? `${n.host} has network ${formatCidr(n.network)} but no IPv${n.family} address to apply it to` : `no IPv${n.family} network is set for ${n.host}`);
  }
  return hosts;
}

/** The v3 Node of the calicoctl form. */
function calicoctlNode(d: HostData, name: string, out: OutputBuilder): Built | undefined {
  const fed: V1Item[] = [...(d.v4?.fed ?? []), ...(d.v6?.fed ?? []), ...(d.tunnel ? [d.tunnel.item] : []), ...(d.orchRefs ? [d.orchRefs.item] : []), ...(d.marker ? [d.marker] : [])];
  const hasAddress = d.v4 !== undefined || d.v6 !== undefined || d.tunnel !== undefined;
  if (d.asn && !hasAddress) {
    out.skipped(d.asn.item, 'as-number-without-address', `${d.host} has an AS number but no BGP address; a v3 Node's BGP section needs an address`, { severity: 'warning', hint: `set IP (or IP6) on calico-node for ${d.host}, or drop the AS number` });
  } else if (d.asn) {
    fed.push(d.asn.item);
  }
  const members = d.members ?? [];
  if (fed.length === 0 && members.length === 0) return undefined;
  const bgp = hasAddress ? compact({ asNumber: d.asn?.value, ipv4Address: d.v4?.address, ipv6Address: d.v6?.address, ipv4IPIPTunnelAddr: d.tunnel?.value }) : undefined;
  return { object: v3Object('calicoctl', 'Node', name, compact({ bgp, orchRefs: d.orchRefs?.value })), fed, members };
}

/** A Node (or Node patch) to write: the items this step converts into it, and member records of other steps. */
interface Built {
  readonly object: TargetObject;
  readonly fed: V1Item[];
  readonly members: readonly V1Item[];
}

/** The annotation patch of the CRD form (etcd data only). */
function crdPatch(d: HostData, name: string): Built | undefined {
  const annotations: Record<string, string> = {};
  const fed: V1Item[] = [];
  if (d.v4) {
    annotations['projectcalico.org/IPv4Address'] = d.v4.address;
    fed.push(...d.v4.fed);
  }
  if (d.v6) {
    annotations['projectcalico.org/IPv6Address'] = d.v6.address;
    fed.push(...d.v6.fed);
  }
  if (d.asn) {
    annotations['projectcalico.org/ASNumber'] = String(d.asn.value);
    fed.push(d.asn.item);
  }
  if (fed.length === 0) return undefined;
  return { object: { apiVersion: 'v1', kind: 'Node', metadata: { name, annotations } }, fed, members: [] };
}

/**
 * calico-upgrade lists nodes from the host directories (`/calico/v1/host/<name>`), so a host with only
 * endpoints or per-host Felix keys (a bare-metal Felix host) is a Node too. The records themselves
 * are converted by their own steps, which name the Node among their targets; a Node that no
 * converted record names is not written.
 */
function addHostDirectories(all: readonly V1Item[], hosts: Map<string, HostData>): void {
  for (const item of all) {
    if (item.store !== 'etcd' || !MEMBER_TYPES.has(item.type) || !('host' in item)) continue;
    const d = hosts.get(item.host) ?? { host: item.host };
    hosts.set(item.host, d);
    (d.members ??= []).push(item);
  }
}

/**
 * Why the Node of a host directory is written when none of the host's records converts (its
 * endpoints were invalid, or filtered as OpenStack's): calico-upgrade makes a Node for every host
 * directory it lists, and calico/node v3 on that host expects it.
 */
function hostDirectoryIssue(host: string, name: string): Omit<Issue, 'targets'> {
  return {
    severity: 'info',
    code: 'host-directory-node',
    origin: `/calico/v1/host/${host}`,
    message: `Node/${name} is written for the Calico host directory ${host} although none of its records converts, as calico-upgrade does: calico/node v3 on ${host} expects its Node`,
  };
}

export const step = defineStep({
  id: '0060-nodes',
  target: 'v3.0',
  summary: 'Per-node BGP data becomes v3 Nodes (calicoctl form) or annotation patches on Kubernetes Nodes (CRD form).',
  handles: HANDLES,
  transform(items, { form, snapshot }) {
    const out = new OutputBuilder();
    const inPlace = form === 'crd' ? items.filter((i) => i.store === 'kubernetes' && (i.type === 'node-ipv4-address' || i.type === 'node-as-number')) : [];
    for (const item of inPlace) out.skipped(item, 'kept-in-place', 'Calico v3 reads this annotation from the Node as it is; nothing to write');
    const hosts = collect(items.filter((i) => !inPlace.includes(i)), out, form);
    if (form === 'calicoctl') addHostDirectories(snapshot.items, hosts);
    let patches = 0;
    for (const [host, d] of [...hosts].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const name = normalizeName(host);
      const built = form === 'calicoctl' ? calicoctlNode(d, name, out) : crdPatch(d, name);
      if (!built) continue;
      const standalone = form === 'calicoctl' && built.members.length > 0 ? hostDirectoryIssue(host, name) : undefined;
      const id = out.emit(built.object, [...built.fed, ...built.members], standalone ? { standalone } : {});
      const first = built.fed[0] ?? built.members[0];
      if (first) out.rename(first, 'Node', host, name);
      for (const item of built.fed) out.converted(item, [id]);
      if (form === 'crd') patches++;
    }
    if (patches > 0) {
      out.issue(undefined, 'info', 'node-patches', `${patches} Node annotation patch(es) for existing Kubernetes Nodes, named by the Calico host name: convert writes them as kubectl patch commands (--node-patches), never as Node objects; calico-migrate apply patches the Nodes itself`, 'each Calico host name must equal its Kubernetes Node name: a patch for a Node that does not exist fails instead of creating one');
    }
    return out.build();
  },
});
