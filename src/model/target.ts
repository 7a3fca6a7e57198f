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
export type TargetVersion = 'v2.5';
export const TARGET_VERSIONS: readonly TargetVersion[] = ['v2.5'];

/** Stable identity of a target object: `Kind/name`, or `Kind/namespace/name` when namespaced. */
export function objectId(o: Pick<TargetObject, 'kind' | 'metadata'>): string {
  return o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`;
}
