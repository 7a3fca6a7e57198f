/**
 * The two forms of the migration lock object, a `coordination.k8s.io/v1` Lease (Kubernetes 1.14+)
 * or a ConfigMap for older clusters: which one a cluster gets, and how the lock's facts are written
 * into and read back from each. The locking protocol itself is in `lock.ts`.
 */
import { CONFIGMAPS, LEASES } from '../datastore/calico-resources.js';
import type { KubeClient, KubeObject, ResourceType } from '../datastore/kube-client.js';
import { isRecord } from '../input/dump.js';

export const LOCK_NAMESPACE = 'kube-system';
export const LEASE_LOCK_NAME = 'calico-migrate';
export const CONFIGMAP_LOCK_NAME = 'calico-migrate-lock';
const ANNOTATION_PREFIX = 'calico-migrate.projectcalico.org/';

/** The lock as `status` and error messages show it. Times are RFC 3339 (MicroTime for a Lease). */
export interface LockInfo {
  /** `EtcdKey`: a key bound to an etcd lease, in an etcd v3 destination. */
  readonly kind: 'Lease' | 'ConfigMap' | 'EtcdKey';
  readonly holder: string;
  readonly reason: string;
  readonly acquired: string;
  readonly renewed: string;
  readonly durationSeconds: number;
  readonly expires: string;
  /** Past its expiry: the holder stopped renewing (crashed, or lost the cluster); anyone may take it. */
  readonly stale: boolean;
  readonly host?: string;
  readonly pid?: number;
  readonly planHash?: string;
  readonly resourceVersion: string;
}

/** Which object is the lock on this cluster; also what RBAC rules and `status` must name. */
/** The Kubernetes forms of the lock object. */
export type KubeLockKind = 'Lease' | 'ConfigMap';

export interface LockTarget {
  readonly kind: KubeLockKind;
  readonly resource: ResourceType;
  readonly namespace: string;
  readonly name: string;
}

/** RFC 3339 with exactly six fractional digits, the only form a Lease's MicroTime fields accept. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** A Lease when the server serves `coordination.k8s.io/v1`, else the ConfigMap. */
export async function lockTarget(client: KubeClient): Promise<LockTarget> {
  const lease = (await client.groups()).get('coordination.k8s.io')?.includes('v1') === true;
  return lease
    ? { kind: 'Lease', resource: LEASES, namespace: LOCK_NAMESPACE, name: LEASE_LOCK_NAME }
    : { kind: 'ConfigMap', resource: CONFIGMAPS, namespace: LOCK_NAMESPACE, name: CONFIGMAP_LOCK_NAME };
}

/** `Lease kube-system/calico-migrate`: how messages name the lock object. */
export function describeKind(kind: LockInfo['kind']): string {
  if (kind === 'EtcdKey') return `etcd key ${ETCD_LOCK_KEY}`;
  return kind === 'Lease' ? `Lease ${LOCK_NAMESPACE}/${LEASE_LOCK_NAME}` : `ConfigMap ${LOCK_NAMESPACE}/${CONFIGMAP_LOCK_NAME}`;
}

/** The lock of an etcd v3 destination: outside Calico's keys, bound to an etcd lease. */
export const ETCD_LOCK_KEY = '/calico-migrate/lock';

/** The facts both object forms carry. */
export interface Facts {
  holder: string;
  reason: string;
  acquired: string;
  renewed: string;
  durationSeconds: number;
  host?: string;
  pid?: number;
  planHash?: string;
  transitions: number;
}

const str = (r: Record<string, unknown> | undefined, k: string): string | undefined => (typeof r?.[k] === 'string' ? r[k] : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

/** Where each fact lives: Lease annotations (the spec has no room for them) or ConfigMap data keys. */
const KEYS = {
  Lease: { reason: `${ANNOTATION_PREFIX}reason`, host: `${ANNOTATION_PREFIX}holder-host`, pid: `${ANNOTATION_PREFIX}holder-pid`, planHash: `${ANNOTATION_PREFIX}plan-hash` },
  ConfigMap: { reason: 'reason', host: 'host', pid: 'pid', planHash: 'planHash' },
} as const;

/** Missing or malformed fields read as empty or 0, so a damaged lock counts as stale, never as held forever. */
export function factsOf(kind: KubeLockKind, obj: KubeObject): Facts {
  const k = KEYS[kind];
  const annotations: Record<string, unknown> | undefined = obj.metadata.annotations;
  const extra = kind === 'Lease' ? annotations : isRecord(obj['data']) ? obj['data'] : undefined;
  // The holder and times: Lease spec fields, or ConfigMap data keys of the same meaning.
  const core = kind === 'Lease' ? (isRecord(obj['spec']) ? obj['spec'] : undefined) : extra;
  const acquired = str(core, 'acquireTime') ?? '';
  const host = str(extra, k.host);
  const pid = num(extra?.[k.pid]);
  const planHash = str(extra, k.planHash);
  return {
    holder: str(core, kind === 'Lease' ? 'holderIdentity' : 'holder') ?? '',
    reason: str(extra, k.reason) ?? '',
    acquired,
    renewed: str(core, 'renewTime') ?? acquired,
    durationSeconds: num(core?.['leaseDurationSeconds']) ?? 0,
    transitions: num(core?.['leaseTransitions']) ?? 0,
    ...(host ? { host } : {}),
    ...(pid !== undefined ? { pid } : {}),
    ...(planHash ? { planHash } : {}),
  };
}

/** The facts plus expiry and staleness as of `now`. */
export function infoOf(kind: KubeLockKind, obj: KubeObject, now: Date): LockInfo {
  const f = factsOf(kind, obj);
  const renewedMs = Date.parse(f.renewed);
  const expiresMs = (Number.isNaN(renewedMs) ? 0 : renewedMs) + f.durationSeconds * 1000;
  const { transitions: _t, ...shown } = f;
  return { kind, ...shown, expires: microTime(new Date(expiresMs)), stale: f.holder === '' || now.getTime() > expiresMs, resourceVersion: obj.metadata.resourceVersion ?? '' };
}

/** The object to create or PUT (conditional when `resourceVersion` is given). */
export function bodyOf(target: LockTarget, f: Facts, resourceVersion?: string): KubeObject {
  const metadata = { name: target.name, namespace: target.namespace, ...(resourceVersion ? { resourceVersion } : {}) };
  if (target.kind === 'Lease') {
    const k = KEYS.Lease;
    const annotations: Record<string, string> = { [k.reason]: f.reason };
    if (f.host) annotations[k.host] = f.host;
    if (f.pid !== undefined) annotations[k.pid] = String(f.pid);
    if (f.planHash) annotations[k.planHash] = f.planHash;
    const spec = { holderIdentity: f.holder, leaseDurationSeconds: f.durationSeconds, acquireTime: f.acquired, renewTime: f.renewed, leaseTransitions: f.transitions };
    return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { ...metadata, annotations }, spec };
  }
  const data: Record<string, string> = { holder: f.holder, reason: f.reason, acquireTime: f.acquired, renewTime: f.renewed, leaseDurationSeconds: String(f.durationSeconds) };
  if (f.host) data['host'] = f.host;
  if (f.pid !== undefined) data['pid'] = String(f.pid);
  if (f.planHash) data['planHash'] = f.planHash;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data };
}
