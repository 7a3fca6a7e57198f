/** Target-side objects: what the converter writes (Kubernetes objects, CRD instances or Node patches). */

export interface TargetMetadata {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface TargetObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: TargetMetadata;
  readonly spec?: Readonly<Record<string, unknown>>;
}

/** The versions `convert --to` accepts. */
export type TargetVersion = 'v2.5' | 'v3.0';
export const TARGET_VERSIONS: readonly TargetVersion[] = ['v2.5', 'v3.0'];

/**
 * How target objects are written: `crd` is what the Kubernetes datastore stores
 * (`crd.projectcalico.org/v1`); `calicoctl` is `projectcalico.org/v3` resources for
 * `calicoctl apply` (v3 only), including the kinds only an etcd datastore holds.
 */
export type OutputForm = 'crd' | 'calicoctl';
export const OUTPUT_FORMS: readonly OutputForm[] = ['crd', 'calicoctl'];

/** The forms each target version can be written in. */
export const FORMS_OF: Readonly<Record<TargetVersion, readonly OutputForm[]>> = { 'v2.5': ['crd'], 'v3.0': ['crd', 'calicoctl'] };

/** Stable identity of a target object: `Kind/name`, or `Kind/namespace/name` when namespaced. */
export function objectId(o: Pick<TargetObject, 'kind' | 'metadata'>): string {
  return o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`;
}
