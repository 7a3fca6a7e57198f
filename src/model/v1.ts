/**
 * The typed Calico v2.4 model: every source record, once parsed, becomes exactly one `V1Item`.
 * Items keep their origin so every later stage can account for them. The shapes follow the v1
 * backend model of libcalico-go v1.5 (etcd) and its Kubernetes-datastore equivalents; policies
 * and rules are held in the v1 *API* field naming, which both etcd values and SystemNetworkPolicy
 * specs convert into.
 */
import type { Cidr, Ip } from '../net.js';
import type { LostField } from './report.js';

/** Where a record was stored: the etcd keyspace, or Kubernetes objects (TPRs, Node fields). */
export type SourceStore = 'etcd' | 'kubernetes';

/** What every item carries: its origin (etcd key, `Kind/namespace/name`, or a Node field) and file. */
export interface ItemBase {
  readonly origin: string;
  readonly file: string;
  readonly store: SourceStore;
  /** Fields of the value that no Calico release this tool reads defines (set by the parser). */
  readonly unknownFields?: readonly LostField[];
}

/** A rule port: a number, a `"min:max"` range, or (v1 model of the v3 libraries only) a port name. */
export type V1Port = number | string;

/** A named port (not a number or a `min:max` range). */
export function isPortName(p: V1Port): p is string {
  return typeof p === 'string' && !/^\d+:\d+$/.test(p);
}

export interface V1EntityRule {
  readonly tag?: string;
  readonly nets?: readonly string[];
  readonly selector?: string;
  readonly ports?: readonly V1Port[];
  readonly notTag?: string;
  readonly notNets?: readonly string[];
  readonly notSelector?: string;
  readonly notPorts?: readonly V1Port[];
}

export interface V1IcmpFields {
  readonly type?: number;
  readonly code?: number;
}

export type V1Action = 'allow' | 'deny' | 'log' | 'pass';

export interface V1Rule {
  readonly action: V1Action;
  readonly ipVersion?: 4 | 6;
  readonly protocol?: number | string;
  readonly notProtocol?: number | string;
  readonly icmp?: V1IcmpFields;
  readonly notICMP?: V1IcmpFields;
  readonly source: V1EntityRule;
  readonly destination: V1EntityRule;
  /** Backend-only field (etcd); the v1 API and the CRD forms have no place for it. */
  readonly logPrefix?: string;
}

export interface V1PolicySpec {
  readonly order?: number;
  readonly selector: string;
  readonly ingress: readonly V1Rule[];
  readonly egress: readonly V1Rule[];
  readonly doNotTrack: boolean;
  readonly preDNAT: boolean;
  /** Only in v2.6-era data; v2.4 never writes it. */
  readonly types?: readonly ('ingress' | 'egress')[];
  readonly applyOnForward?: boolean;
}

export interface V1Pool {
  readonly cidr: Cidr;
  /** Tunnel interface name: `tunl0` when IPIP is on, empty when off. */
  readonly ipip: string;
  /** `''` (always, when enabled), `always` or `cross-subnet`. */
  readonly ipipMode: '' | 'always' | 'cross-subnet';
  readonly masquerade: boolean;
  /** Legacy pycalico flag; undefined when the value did not carry it. */
  readonly ipam?: boolean;
  readonly disabled: boolean;
}

/** An endpoint port (v1 model of the Calico v3 libraries; v2.x writers never stored one). */
export interface V1EndpointPort {
  readonly name?: string;
  /** A protocol name as stored (any case) or a number. */
  readonly protocol?: number | string;
  readonly port?: number;
}

export interface V1Nat {
  readonly intIp: string;
  readonly extIp: string;
}

/** A workload endpoint value (`/calico/v1/host/<h>/workload/<o>/<w>/endpoint/<e>`). */
export interface V1WorkloadEndpointValue {
  readonly state?: string;
  readonly name?: string;
  readonly activeInstanceId?: string;
  readonly mac?: string;
  readonly profileIds: readonly string[];
  readonly ipv4Nets: readonly string[];
  readonly ipv6Nets: readonly string[];
  readonly ipv4Nat: readonly V1Nat[];
  readonly ipv6Nat: readonly V1Nat[];
  readonly labels: Readonly<Record<string, string>>;
  readonly ipv4Gateway?: string;
  readonly ipv6Gateway?: string;
  readonly ports: readonly V1EndpointPort[];
}

/** A host endpoint value (`/calico/v1/host/<h>/endpoint/<id>`). */
export interface V1HostEndpointValue {
  readonly name?: string;
  readonly expectedIpv4Addrs: readonly string[];
  readonly expectedIpv6Addrs: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly profileIds: readonly string[];
  readonly ports: readonly V1EndpointPort[];
}

export type BgpGlobalName = 'AsNumber' | 'LogLevel' | 'NodeMeshEnabled';

/** Parsed items, discriminated by `type`. */
export type V1Item = ItemBase &
  (
    | { readonly type: 'felix-global-config'; readonly name: string; readonly value: string }
    | { readonly type: 'felix-host-config'; readonly host: string; readonly name: string; readonly value: string }
    | { readonly type: 'bgp-global-config'; readonly name: BgpGlobalName; readonly storedName: string; readonly value: string; readonly asNumber?: number; readonly meshEnabled?: boolean }
    | { readonly type: 'bgp-unknown-global-config'; readonly name: string; readonly value: string }
    | { readonly type: 'bgp-host-loglevel'; readonly host: string; readonly value: string }
    | { readonly type: 'node-bgp-ip'; readonly host: string; readonly family: 4 | 6; readonly ip?: Ip }
    | { readonly type: 'node-bgp-network'; readonly host: string; readonly family: 4 | 6; readonly network?: Cidr }
    | { readonly type: 'node-as-number'; readonly host: string; readonly asNumber: number; readonly raw: string }
    /** KDD `projectcalico.org/IPv4Address`: host address with its prefix length. */
    | { readonly type: 'node-ipv4-address'; readonly host: string; readonly address: Cidr }
    | { readonly type: 'node-pod-cidr'; readonly host: string; readonly cidr: Cidr }
    /** Per-host Felix key IpInIpTunnelAddr: written by calico/node, a property of the node in v3. */
    | { readonly type: 'node-tunnel-address'; readonly host: string; readonly name: string; readonly value: string; readonly ip?: Ip }
    | { readonly type: 'node-marker'; readonly host: string; readonly field: 'metadata' | 'bird_ip' | 'orchestrator_refs'; readonly value: string; readonly orchRefs?: readonly { readonly orchestrator: string; readonly nodeName?: string }[] }
    | { readonly type: 'node-unknown-annotation'; readonly host: string; readonly key: string; readonly value: string }
    | { readonly type: 'bgp-global-peer'; readonly ip: Ip; readonly asNumber: number; readonly asRaw: string; readonly storedName?: string }
    | { readonly type: 'bgp-node-peer'; readonly node: string; readonly ip: Ip; readonly asNumber: number; readonly asRaw: string; readonly storedName?: string }
    | { readonly type: 'ip-pool'; readonly pool: V1Pool; readonly storedName?: string }
    | { readonly type: 'policy'; readonly name: string; readonly tier: string; readonly kind: 'etcd-policy' | 'system-network-policy'; readonly spec: V1PolicySpec; readonly annotations?: Readonly<Record<string, string>> }
    | { readonly type: 'tier-metadata'; readonly tier: string; readonly value: string }
    | { readonly type: 'profile-part'; readonly profile: string; readonly part: 'tags' | 'labels' | 'rules'; readonly value: unknown }
    | { readonly type: 'host-endpoint'; readonly host: string; readonly endpoint: string; readonly value: V1HostEndpointValue }
    | { readonly type: 'workload-endpoint'; readonly host: string; readonly orchestrator: string; readonly workload: string; readonly endpoint: string; readonly value: V1WorkloadEndpointValue }
    | { readonly type: 'ipam-block'; readonly cidr: Cidr; readonly affinityHost?: string; readonly allocated: number; readonly block: V1IpamBlock }
    | { readonly type: 'ipam-handle'; readonly handle: string; readonly blocks: Readonly<Record<string, number>>; readonly value: Readonly<Record<string, unknown>> }
    | { readonly type: 'ipam-affinity'; readonly host: string; readonly cidr: Cidr; readonly state?: string }
    | { readonly type: 'ipam-config'; readonly value: string }
    | { readonly type: 'custom-bgp-filter'; readonly family: 4 | 6; readonly name: string; readonly value: string }
    | { readonly type: 'status'; readonly host?: string }
    | { readonly type: 'ready-flag'; readonly value: string }
    | { readonly type: 'openstack-runtime' }
    | { readonly type: 'route-reflector'; readonly value: string }
    | { readonly type: 'tpr-definition'; readonly name: string }
    | { readonly type: 'unrelated-object'; readonly kind: string }
    /** A Calico TPR instance outside kube-system, where Calico v2.4 never looked. */
    | { readonly type: 'tpr-outside-kube-system'; readonly kind: string; readonly namespace: string }
    | { readonly type: 'unknown-key'; readonly value: string }
    /** A Calico v3 resource key (`/calico/resources/v3/...`): left by an earlier or partial upgrade. */
    | { readonly type: 'calico-v3-data' }
  );

export type V1ItemType = V1Item['type'];

/** An IPAM allocation block as stored (libcalico-go `AllocationBlock`), checked by the parser. */
export interface V1IpamBlock {
  /** The stored JSON object as it is (unknown fields included); `hostAffinity` is the legacy spelling of `affinity`. */
  readonly value: Readonly<Record<string, unknown>>;
  /** Per ordinal: the index into `attributes` of its allocation, or null when free. */
  readonly allocations: readonly (number | null)[];
  /** Per attribute: the handle its allocations were made with, if any. */
  readonly handles: readonly (string | undefined)[];
}

/** The parsed v2.4 data: items in origin order. */
export interface V1Snapshot {
  readonly version: 'v2.4';
  readonly items: readonly V1Item[];
}

/** Every item type, for the registry check that each is handled by exactly one step. */
export const V1_ITEM_TYPES = [
  'felix-global-config', 'felix-host-config', 'bgp-global-config', 'bgp-unknown-global-config', 'bgp-host-loglevel',
  'node-bgp-ip', 'node-bgp-network', 'node-as-number', 'node-ipv4-address', 'node-pod-cidr', 'node-tunnel-address', 'node-marker',
  'node-unknown-annotation', 'bgp-global-peer', 'bgp-node-peer', 'ip-pool', 'policy', 'tier-metadata', 'profile-part',
  'host-endpoint', 'workload-endpoint', 'ipam-block', 'ipam-handle', 'ipam-affinity', 'ipam-config', 'custom-bgp-filter',
  'status', 'ready-flag', 'openstack-runtime', 'route-reflector', 'tpr-definition', 'unrelated-object', 'tpr-outside-kube-system', 'unknown-key', 'calico-v3-data',
] as const satisfies readonly V1ItemType[];

/** Compile-time check that V1_ITEM_TYPES lists every item type. */
type MissingItemTypes = Exclude<V1ItemType, (typeof V1_ITEM_TYPES)[number]>;
const everyItemTypeListed: [MissingItemTypes] extends [never] ? true : MissingItemTypes = true;
void everyItemTypeListed;
