/**
 * How Calico v3 keeps its resources in an etcd v3 keyspace, as the v3.0 backend wrote them (and as
 * calico-upgrade wrote them, through the backend): one key per object,
 * `/calico/resources/v3/projectcalico.org/<plural>/[<namespace>/]<name>`, holding the whole v3
 * resource as JSON without `resourceVersion` (the key's mod revision is that). Policies are stored
 * under `default.<name>`; later releases read that back under the plain name. Sources and what later
 * releases add: docs/etcdv3-destination.md. Pure: the uid and creation time are given by the writer.
 */
import { CalicoMigrateError } from '../errors.js';
import type { TargetObject } from '../model/target.js';
import { IPAM_API_VERSION, IPAM_KINDS, IPAM_PREFIX, ipamKeyOf, ipamValueOf, isIpamObject, parseIpamStored } from '../v3/ipam.js';

export const RESOURCES_PREFIX = '/calico/resources/v3/projectcalico.org/';
export const V3_API_VERSION = 'projectcalico.org/v3';

/** The plural of each kind this tool writes, and whether it is namespaced. */
const KINDS: Readonly<Record<string, { readonly plural: string; readonly namespaced: boolean }>> = {
  BGPConfiguration: { plural: 'bgpconfigurations', namespaced: false },
  BGPPeer: { plural: 'bgppeers', namespaced: false },
  ClusterInformation: { plural: 'clusterinformations', namespaced: false },
  FelixConfiguration: { plural: 'felixconfigurations', namespaced: false },
  GlobalNetworkPolicy: { plural: 'globalnetworkpolicies', namespaced: false },
  HostEndpoint: { plural: 'hostendpoints', namespaced: false },
  IPPool: { plural: 'ippools', namespaced: false },
  NetworkPolicy: { plural: 'networkpolicies', namespaced: true },
  Node: { plural: 'nodes', namespaced: false },
  Profile: { plural: 'profiles', namespaced: false },
  WorkloadEndpoint: { plural: 'workloadendpoints', namespaced: true },
};
const KIND_OF_PLURAL = new Map(Object.entries(KINDS).map(([kind, k]) => [k.plural, kind]));

const POLICY_KINDS: ReadonlySet<string> = new Set(['GlobalNetworkPolicy', 'NetworkPolicy']);
const TIER_PREFIX = 'default.';

export function kindInfo(kind: string): { readonly plural: string; readonly namespaced: boolean } {
  const k = KINDS[kind];
  if (!k) throw new CalicoMigrateError('E_USAGE', `${kind} is not a Calico v3 resource this tool writes to etcd`);
  return k;
}

/** The name a policy is stored under: `default.<name>` (Kubernetes policies, `knp.`, stay as they are). */
export function storageName(kind: string, name: string): string {
  return POLICY_KINDS.has(kind) && !name.startsWith('knp.') ? `${TIER_PREFIX}${name}` : name;
}

/** The name a stored policy reads back under (the storage prefix taken off). */
export function nameFromStorage(kind: string, stored: string): string {
  return POLICY_KINDS.has(kind) && stored.startsWith(TIER_PREFIX) ? stored.slice(TIER_PREFIX.length) : stored;
}

/** The key prefix of a kind (every object of it, all namespaces). */
export function kindPrefix(kind: string): string {
  if (kind === 'IPAMBlock') return `${IPAM_PREFIX}assignment/`;
  if (kind === 'IPAMHandle') return `${IPAM_PREFIX}handle/`;
  if (kind === 'BlockAffinity') return `${IPAM_PREFIX}host/`;
  return `${RESOURCES_PREFIX}${kindInfo(kind).plural}/`;
}

/** The prefixes this tool reads and writes: the resources, and Calico IPAM. */
export const DATASTORE_PREFIXES = [RESOURCES_PREFIX, IPAM_PREFIX] as const;

/** The apiVersion of a kind written to etcd: Calico's v3 API, or this tool's name for IPAM keys. */
export function apiVersionOfKind(kind: string): string {
  return (IPAM_KINDS as readonly string[]).includes(kind) ? IPAM_API_VERSION : V3_API_VERSION;
}

/** The etcd key of a calicoctl-form object (a Calico IPAM object's under /calico/ipam/v2/, src/v3/ipam.ts). */
export function etcdKeyOf(o: Pick<TargetObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  if (isIpamObject(o)) return ipamKeyOf(o);
  if (o.apiVersion !== V3_API_VERSION) throw new CalicoMigrateError('E_USAGE', `only ${V3_API_VERSION} objects (the calicoctl form) go to an etcd v3 datastore, not ${o.apiVersion} ${o.kind}`);
  const k = kindInfo(o.kind);
  const name = storageName(o.kind, o.metadata.name);
  if (!k.namespaced) return `${RESOURCES_PREFIX}${k.plural}/${name}`;
  if (!o.metadata.namespace) throw new CalicoMigrateError('E_USAGE', `${o.kind}/${o.metadata.name} has no namespace`);
  return `${RESOURCES_PREFIX}${k.plural}/${o.metadata.namespace}/${name}`;
}

/** What the writer stamps on a new object, as the v3 client did on create. */
export interface CreationStamp {
  readonly uid: string;
  /** RFC 3339, seconds, UTC (Kubernetes `metav1.Time`). */
  readonly creationTimestamp: string;
}

/** The JSON value of a calicoctl-form object as Calico v3's etcd backend stores it. */
export function etcdValueOf(o: TargetObject, stamp: CreationStamp): string {
  if (isIpamObject(o)) return ipamValueOf(o);
  etcdKeyOf(o);
  const m = o.metadata;
  const metadata = {
    name: storageName(o.kind, m.name),
    ...(m.namespace ? { namespace: m.namespace } : {}),
    uid: stamp.uid,
    creationTimestamp: stamp.creationTimestamp,
    ...(m.labels && Object.keys(m.labels).length > 0 ? { labels: m.labels } : {}),
    ...(m.annotations && Object.keys(m.annotations).length > 0 ? { annotations: m.annotations } : {}),
  };
  return JSON.stringify({ kind: o.kind, apiVersion: V3_API_VERSION, metadata, spec: o.spec ?? {} });
}

/** A stored object as read: the resource under its read-back name, with its uid and creation time. */
export interface StoredObject {
  readonly object: TargetObject;
  readonly uid?: string;
  readonly creationTimestamp?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses one stored key and value. Throws, naming the key, for a key outside the layout or a value
 * that is not a v3 resource of the kind its key says.
 */
export function parseStored(key: string, value: string): StoredObject {
  if (key.startsWith(IPAM_PREFIX)) {
    const object = parseIpamStored(key, value);
    if (!object) throw new CalicoMigrateError('E_TARGET_STATE', `${key}: not an IPAM block, handle or host affinity`);
    return { object };
  }
  if (!key.startsWith(RESOURCES_PREFIX)) throw new CalicoMigrateError('E_TARGET_STATE', `${key}: not under ${RESOURCES_PREFIX}`);
  const [plural = '', ...rest] = key.slice(RESOURCES_PREFIX.length).split('/');
  const kind = KIND_OF_PLURAL.get(plural);
  if (!kind) throw new CalicoMigrateError('E_TARGET_STATE', `${key}: ${plural} is not a kind this tool reads`);
  const namespaced = kindInfo(kind).namespaced;
  if (rest.length !== (namespaced ? 2 : 1)) throw new CalicoMigrateError('E_TARGET_STATE', `${key}: a ${kind} key has ${namespaced ? 'a namespace and a name' : 'one name'} after ${plural}/`);
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch (e) {
    throw new CalicoMigrateError('E_TARGET_STATE', `${key}: the value is not JSON (${(e as Error).message})`);
  }
  if (!isRecord(doc) || doc['kind'] !== kind || !isRecord(doc['metadata'])) throw new CalicoMigrateError('E_TARGET_STATE', `${key}: the value is not a ${kind}`);
  const meta = doc['metadata'];
  const stored = typeof meta['name'] === 'string' ? meta['name'] : '';
  const keyName = rest[rest.length - 1] ?? '';
  if (stored !== keyName) throw new CalicoMigrateError('E_TARGET_STATE', `${key}: the value names ${JSON.stringify(stored)}, the key ${JSON.stringify(keyName)}`);
  const labels = isRecord(meta['labels']) ? (meta['labels'] as Record<string, string>) : undefined;
  const annotations = isRecord(meta['annotations']) ? (meta['annotations'] as Record<string, string>) : undefined;
  const object: TargetObject = {
    apiVersion: V3_API_VERSION,
    kind,
    metadata: {
      name: nameFromStorage(kind, stored),
      ...(namespaced ? { namespace: rest[0] ?? '' } : {}),
      ...(labels ? { labels } : {}),
      ...(annotations ? { annotations } : {}),
    },
    spec: isRecord(doc['spec']) ? doc['spec'] : {},
  };
  return {
    object,
    ...(typeof meta['uid'] === 'string' ? { uid: meta['uid'] } : {}),
    ...(typeof meta['creationTimestamp'] === 'string' ? { creationTimestamp: meta['creationTimestamp'] } : {}),
  };
}
