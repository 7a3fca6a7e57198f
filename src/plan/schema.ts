/**
 * What a CRD's structural schema does to an object the tool writes, as the kube-apiserver does it
 * (apiextensions.k8s.io/v1): defaults fill in absent fields, and fields the schema does not know are
 * pruned. Calico's own CRD manifests have both (e.g. BGPConfiguration
 * `serviceLoadBalancerAggregation: Enabled` since v3.29), so on a cluster where the Calico manifest
 * was applied first the stored object is not byte for byte what was sent. The plan compares the
 * live object with the desired one *as the server would store it*, and a field the server would
 * prune is a loss the plan must refuse. Pure: no I/O.
 *
 * Covered: `properties`, `additionalProperties` (a schema or `true`), `items`,
 * `x-kubernetes-preserve-unknown-fields`, `default`. Not covered (Calico's CRDs use neither for
 * pruning): `allOf`/`anyOf`/`oneOf` (they never prune), `x-kubernetes-embedded-resource`.
 */

export interface StructuralSchema {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, StructuralSchema>>;
  readonly additionalProperties?: StructuralSchema | boolean;
  readonly items?: StructuralSchema;
  readonly default?: unknown;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** `value` with the schema's defaults applied to every absent property, at every level (a new value). */
export function withDefaults(schema: StructuralSchema | undefined, value: unknown): unknown {
  if (!schema) return value;
  if (Array.isArray(value)) return schema.items ? value.map((v) => withDefaults(schema.items, v)) : value;
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const sub = schema.properties?.[k] ?? (isRecord(schema.additionalProperties) ? schema.additionalProperties : undefined);
    out[k] = withDefaults(sub, v);
  }
  for (const [k, sub] of Object.entries(schema.properties ?? {})) {
    if (out[k] === undefined && sub.default !== undefined) out[k] = withDefaults(sub, clone(sub.default));
  }
  return out;
}

/** The paths (`spec.a.b`, `spec.list[0].c`) of the fields the server would prune from `value`. */
export function prunedPaths(schema: StructuralSchema | undefined, value: unknown, path: string): string[] {
  if (!schema) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => prunedPaths(schema.items, v, `${path}[${i}]`));
  if (!isRecord(value)) return [];
  // Preserving unknown fields keeps the unknown keys of this level; known properties still prune below.
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const sub = schema.properties?.[k];
    if (sub) out.push(...prunedPaths(sub, v, `${path}.${k}`));
    else if (preserve || schema.additionalProperties === true) continue;
    else if (isRecord(schema.additionalProperties)) out.push(...prunedPaths(schema.additionalProperties, v, `${path}.${k}`));
    else out.push(`${path}.${k}`);
  }
  return out;
}

/**
 * The schema of `spec` in a CRD object as read from the server: the served storage version's
 * `openAPIV3Schema` (apiextensions v1). Undefined for a v1beta1 CRD, whose server (before 1.16)
 * neither defaults nor, without `preserveUnknownFields: false`, prunes.
 */
export function specSchemaOf(crd: unknown, version = 'v1'): StructuralSchema | undefined {
  if (!isRecord(crd) || crd['apiVersion'] !== 'apiextensions.k8s.io/v1') return undefined;
  const spec = crd['spec'];
  // A CRD created through v1beta1 may still preserve unknown fields: it neither prunes nor defaults.
  if (isRecord(spec) && spec['preserveUnknownFields'] === true) return undefined;
  const versions = isRecord(spec) && Array.isArray(spec['versions']) ? (spec['versions'] as unknown[]) : [];
  const v = versions.find((x) => isRecord(x) && x['name'] === version);
  const schema = isRecord(v) && isRecord(v['schema']) ? v['schema']['openAPIV3Schema'] : undefined;
  if (!isRecord(schema)) return undefined;
  const props = schema['properties'];
  const specSchema = isRecord(props) ? props['spec'] : undefined;
  // A root that preserves unknown fields and says nothing of spec keeps spec as it is.
  if (!isRecord(specSchema)) return schema['x-kubernetes-preserve-unknown-fields'] === true ? { 'x-kubernetes-preserve-unknown-fields': true } : { type: 'object' };
  return specSchema as StructuralSchema;
}
