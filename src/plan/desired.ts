/**
 * What a conversion asks to be written on the cluster: each Calico object with the resource it
 * goes to and the ownership annotations, and each Node annotation patch. Pure.
 */
import type { KubeObject, ResourceType } from '../datastore/kube-client.js';
import { resourceOf } from '../datastore/calico-resources.js';
import { CalicoMigrateError } from '../errors.js';
import { isConverted, type Report } from '../model/report.js';
import { objectId, type TargetObject, type TargetVersion } from '../model/target.js';
import { ownershipAnnotations } from './ownership.js';
import { kindInfo } from '../destination/etcdv3-layout.js';
import { IPAM_API_VERSION, isIpamObject } from '../v3/ipam.js';

export interface DesiredObject {
  readonly key: string;
  readonly resource: ResourceType;
  /** The object to write, with ownership annotations (the plan hash is added at write time). */
  readonly object: KubeObject;
  readonly origins: readonly string[];
}

export interface DesiredNodePatch {
  readonly key: string;
  /** The Kubernetes Node to patch; never created. */
  readonly node: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly origins: readonly string[];
}

export interface Desired {
  /** In apply order (the conversion's order: configuration, pools, peers, policies, then the rest). */
  readonly objects: readonly DesiredObject[];
  readonly nodePatches: readonly DesiredNodePatch[];
}

/** Which source records fed each target object, from the report's converted records. */
export function originsByTarget(report: Report): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of report.records) {
    if (!isConverted(r.disposition)) continue;
    for (const t of r.targets ?? []) {
      const list = out.get(t);
      if (list) list.push(r.origin);
      else out.set(t, [r.origin]);
    }
  }
  return out;
}

/** The object to write: the converted one with this tool's ownership annotations. */
function owned(o: TargetObject, tool: string, from: readonly string[]): KubeObject {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: o.metadata.name,
      ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
      ...(o.metadata.labels ? { labels: { ...o.metadata.labels } } : {}),
      annotations: { ...(o.metadata.annotations ?? {}), ...ownershipAnnotations(tool, from) },
    },
    spec: o.spec ?? {},
  };
}

/** The writes a conversion asks for. Only the CRD form can be written to a cluster. */
export function desiredFrom(objects: readonly TargetObject[], report: Report, to: TargetVersion, tool: string): Desired {
  if (report.form !== 'crd') throw new CalicoMigrateError('E_USAGE', `only the crd form can be applied to a cluster (this conversion is the ${report.form} form)`);
  const origins = originsByTarget(report);
  const out: DesiredObject[] = [];
  const nodePatches: DesiredNodePatch[] = [];
  for (const o of objects) {
    const key = objectId(o);
    const from = origins.get(key) ?? [];
    if (o.apiVersion === 'v1' && o.kind === 'Node') {
      nodePatches.push({ key, node: o.metadata.name, annotations: { ...(o.metadata.annotations ?? {}) }, origins: from });
      continue;
    }
    const resource = resourceOf(o, to);
    if (!resource) throw new CalicoMigrateError('E_INTERNAL', `no resource is known for ${o.apiVersion} ${o.kind}; this is a bug`);
    const object = owned(o, tool, from);
    out.push({ key, resource, object, origins: from });
  }
  return { objects: out, nodePatches };
}

/**
 * The writes of a calicoctl-form conversion to an etcd v3 datastore: every object (Nodes too: in
 * etcd they are Calico objects, not Kubernetes Nodes), under its Calico v3 resource, with the same
 * ownership annotations as on a cluster; Calico IPAM keys as they are.
 */
export function desiredForEtcd(objects: readonly TargetObject[], report: Report, tool: string): Desired {
  if (report.form !== 'calicoctl') throw new CalicoMigrateError('E_USAGE', `only the calicoctl form can be applied to an etcd v3 datastore (this conversion is the ${report.form} form)`);
  const origins = originsByTarget(report);
  const out: DesiredObject[] = [];
  for (const o of objects) {
    const key = objectId(o);
    const from = origins.get(key) ?? [];
    if (isIpamObject(o)) {
      // IPAM keys hold Calico's own JSON, with no room for annotations: the journal alone says what this tool wrote.
      const resource: ResourceType = { group: IPAM_API_VERSION.split('/')[0] ?? '', version: 'v2', plural: `${o.kind.toLowerCase()}s`, kind: o.kind, namespaced: o.kind === 'BlockAffinity' };
      out.push({ key, resource, object: { apiVersion: o.apiVersion, kind: o.kind, metadata: { ...o.metadata }, spec: o.spec ?? {} }, origins: from });
      continue;
    }
    const k = kindInfo(o.kind);
    const resource: ResourceType = { group: 'projectcalico.org', version: 'v3', plural: k.plural, kind: o.kind, namespaced: k.namespaced };
    const object = owned(o, tool, from);
    out.push({ key, resource, object, origins: from });
  }
  return { objects: out, nodePatches: [] };
}
