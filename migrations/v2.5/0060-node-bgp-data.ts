/**
 * Per-node BGP data. From etcd it becomes annotations on the Kubernetes Node, where the v2.5
 * Kubernetes datastore keeps it (libcalico-go v1.6 `resources/node.go`, `nodebgppeer.go`,
 * `nodebgpconfig.go`): `projectcalico.org/IPv4Address` (address with the mask of `network_v4`),
 * `projectcalico.org/ASNumber`, `peer.bgp.projectcalico.org/<ip-name>` (IPv6 names expanded from
 * v2.5 on) and `config.bgp.projectcalico.org/loglevel`. The output carries these as `kind: Node`
 * items with only a name and annotations: patches for existing Nodes, never Nodes to create.
 *
 * The v2.x Kubernetes datastore has no IPv6 address annotation, so an IPv6 BGP address is
 * reported with the calico-node setting to use instead. Data read from Node objects in a v2.4
 * Kubernetes datastore is already in this form and stays where it is.
 */
import { defineStep, OutputBuilder, type ItemOf } from '../../src/migrate/step.js';
import type { TargetObject } from '../../src/model/target.js';
import { ipToNameV25 } from '../../src/names.js';
import { formatIp, maskCidr, formatCidr, type Cidr, type Ip } from '../../src/net.js';
import type { V1Item } from '../../src/model/v1.js';

const HANDLES = ['node-bgp-ip', 'node-bgp-network', 'node-as-number', 'node-ipv4-address', 'node-pod-cidr', 'node-tunnel-address', 'node-marker', 'node-unknown-annotation', 'bgp-node-peer', 'bgp-host-loglevel'] as const;
type NodeItem = ItemOf<(typeof HANDLES)[number]>;

function hostOf(item: NodeItem): string {
  return item.type === 'bgp-node-peer' ? item.node : item.host;
}

function contains(network: Cidr, ip: Ip): boolean {
  return formatCidr(maskCidr({ ip, prefix: network.prefix })) === formatCidr(maskCidr(network));
}

/** Patch under construction for one host: annotations and the items that fed them. */
interface Patch {
  readonly annotations: Record<string, string>;
  readonly fed: V1Item[];
}

export const step = defineStep({
  id: '0060-node-bgp-data',
  target: 'v2.5',
  summary: 'Per-node BGP address, AS number, node-scoped peers and BIRD log level from etcd become annotation patches on Kubernetes Nodes.',
  handles: HANDLES,
  transform(items) {
    const out = new OutputBuilder();
    const patches = new Map<string, Patch>();
    const patchFor = (host: string): Patch => {
      const p = patches.get(host) ?? { annotations: {}, fed: [] };
      patches.set(host, p);
      return p;
    };
    const annotate = (item: V1Item, host: string, key: string, value: string) => {
      const p = patchFor(host);
      p.annotations[key] = value;
      p.fed.push(item);
    };

    const kdd = items.filter((i) => i.store === 'kubernetes');
    for (const item of kdd) {
      if (item.type === 'node-unknown-annotation') {
        out.skipped(item, 'unknown-annotation', `annotation ${item.key} is not one Calico v2.4 defines; it stays on the Node untouched`, { severity: 'warning' });
      } else {
        out.skipped(item, 'kept-in-place', `Calico v2.5 reads this from the Node as it is; nothing to write`);
      }
    }

    const etcd = items.filter((i) => i.store === 'etcd');
    const networks = new Map<string, ItemOf<'node-bgp-network'>>();
    for (const item of etcd) if (item.type === 'node-bgp-network') networks.set(`${item.host}/${item.family}`, item);
    const usedNetworks = new Set<string>();

    for (const item of etcd) {
      const host = hostOf(item);
      switch (item.type) {
        case 'node-bgp-ip': {
          const network = networks.get(`${host}/${item.family}`);
          if (!item.ip) {
            out.skipped(item, 'empty-address', `no IPv${item.family} BGP address is set for ${host}`);
          } else if (item.family === 6) {
            out.skipped(item, 'no-ipv6-annotation', `the v2.x Kubernetes datastore has no place for ${host}'s IPv6 BGP address ${formatIp(item.ip)}`, {
              severity: 'warning',
              hint: `set IP6=${formatIp(item.ip)} (or IP6=autodetect) in the calico-node environment on ${host}`,
            });
            if (network) {
              usedNetworks.add(network.origin);
              out.skipped(network, 'no-ipv6-annotation', `network of ${host}'s IPv6 BGP address, which the v2.x Kubernetes datastore has no place for`);
            }
          } else {
            let prefix = 32;
            if (network?.network) {
              usedNetworks.add(network.origin);
              prefix = network.network.prefix;
              if (!contains(network.network, item.ip)) {
                out.issue(item, 'warning', 'address-outside-network', `${host}'s address ${formatIp(item.ip)} is not inside its network_v4 ${formatCidr(network.network)}; the prefix length /${prefix} is used`);
              }
            }
            annotate(item, host, 'projectcalico.org/IPv4Address', `${formatIp(item.ip)}/${prefix}`);
            if (network?.network) patchFor(host).fed.push(network);
          }
          break;
        }
        case 'node-as-number':
          annotate(item, host, 'projectcalico.org/ASNumber', String(item.asNumber));
          break;
        case 'bgp-node-peer':
          annotate(item, host, `peer.bgp.projectcalico.org/${ipToNameV25(item.ip)}`, JSON.stringify({ ip: formatIp(item.ip), as_num: String(item.asNumber) }));
          break;
        case 'bgp-host-loglevel':
          annotate(item, host, 'config.bgp.projectcalico.org/loglevel', item.value.trim().toLowerCase());
          break;
        case 'node-tunnel-address':
          out.skipped(item, 'derived-tunnel-address', `the Kubernetes datastore derives the IPIP tunnel address of ${host} from the Node's spec.podCIDR; ${item.value} is not carried over`, {
            severity: 'info',
            hint: 'make sure every Node has spec.podCIDR (kube-controller-manager --allocate-node-cidrs) before calico-node v2.5 starts',
          });
          break;
        case 'node-marker':
          out.skipped(
            item,
            item.field === 'metadata' ? 'node-marker' : item.field === 'bird_ip' ? 'derived-bird-ip' : 'derived-orchestrator-refs',
            item.field === 'metadata'
              ? `marks ${host} as a Calico node; in the Kubernetes datastore the Kubernetes Node takes its place`
              : item.field === 'bird_ip'
                ? `copy of ${host}'s BGP IPv4 address written by libcalico-go; the address itself is migrated`
                : `orchestrator references of ${host}; the Kubernetes datastore derives them from the Node`,
          );
          break;
        default:
          break; // networks below; kubernetes-only types cannot come from etcd
      }
    }
    for (const item of etcd) {
      if (item.type !== 'node-bgp-network') continue;
      if (usedNetworks.has(item.origin)) continue;
      out.skipped(item, 'network-without-address', item.network ? `${item.host} has network ${formatCidr(item.network)} but no IPv${item.family} address to apply it to` : `no IPv${item.family} network is set for ${item.host}`);
    }

    for (const [host, patch] of [...patches].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const object: TargetObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: host, annotations: patch.annotations } };
      const id = out.emit(object, patch.fed);
      for (const item of patch.fed) out.converted(item, [id]);
    }
    if (patches.size > 0) {
      out.issue(undefined, 'info', 'node-patches', `${patches.size} Node annotation patch(es) for existing Kubernetes Nodes, named by the Calico host name: convert writes them as kubectl patch commands (--node-patches), never as Node objects; calico-migrate apply patches the Nodes itself`, 'each Calico host name must equal its Kubernetes Node name: a patch for a Node that does not exist fails instead of creating one');
    }
    return out.build();
  },
});
