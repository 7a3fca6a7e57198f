/**
 * Reads the live state of everything a plan touches: every object of the kinds to be written (one
 * paginated list per kind, not one request per object) and, when Nodes are to be patched, the
 * Nodes. A kind whose CRD is absent or not yet serving has no objects: all of them are creates.
 */
import { isNotFound, resourceName, type KubeObject, type ResourceType } from '../datastore/kube-api.js';
import type { KubeClient } from '../datastore/kube-client.js';
import { CALICO_CRD_GROUP, CRDS_V1, NODES } from '../datastore/calico-resources.js';
import type { Desired } from './desired.js';
import { specSchemaOf, type StructuralSchema } from './schema.js';

export interface LiveTarget {
  /** Live objects by key (`Kind/name`), for the kinds the plan writes. */
  readonly objects: ReadonlyMap<string, KubeObject>;
  /** Live Nodes by name (only read when the plan patches Nodes). */
  readonly nodes: ReadonlyMap<string, KubeObject>;
  /** Resources (`plural.group`) the server does not serve yet: their CRDs are to be installed. */
  readonly unserved: ReadonlySet<string>;
  /**
   * The `spec` schema of each served Calico resource's CRD (apiextensions v1), by `plural.group`:
   * what the server defaults and prunes. Absent for a CRD that does neither (v1beta1, or none read).
   */
  readonly specSchemas: ReadonlyMap<string, StructuralSchema>;
}

const keyOf = (o: KubeObject, kind: string) => (o.metadata.namespace ? `${kind}/${o.metadata.namespace}/${o.metadata.name}` : `${kind}/${o.metadata.name}`);

export async function readTarget(client: KubeClient, desired: Desired): Promise<LiveTarget> {
  const resources = new Map<string, ResourceType>();
  for (const d of desired.objects) resources.set(resourceName(d.resource), d.resource);
  const objects = new Map<string, KubeObject>();
  const unserved = new Set<string>();
  const specSchemas = new Map<string, StructuralSchema>();
  for (const [name, resource] of resources) {
    try {
      const { items } = await client.list(resource);
      for (const o of items) objects.set(keyOf(o, resource.kind), o);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      unserved.add(name);
      continue;
    }
    // The CRD may be Calico's own, with defaults and pruning: the plan compares with what the server stores.
    if (resource.group === CALICO_CRD_GROUP) {
      const schema = specSchemaOf(await client.get(CRDS_V1, name), resource.version);
      if (schema) specSchemas.set(name, schema);
    }
  }
  const nodes = new Map<string, KubeObject>();
  if (desired.nodePatches.length > 0) for (const n of (await client.list(NODES)).items) nodes.set(n.metadata.name, n);
  return { objects, nodes, unserved, specSchemas };
}
