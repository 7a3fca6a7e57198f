/** Kubernetes-level checks every written object must pass, whatever the target. */
import type { TargetObject } from './model/target.js';
import { isDns1123Subdomain, isQualifiedName } from './names.js';

const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** Kubernetes-level checks every written object must pass (the API server would refuse it otherwise). */
export function validateKubernetesObject(o: TargetObject): string[] {
  const problems: string[] = [];
  if (!isDns1123Subdomain(o.metadata.name)) {
    problems.push(`metadata.name ${JSON.stringify(o.metadata.name)} is not a valid Kubernetes name (lowercase letters, digits, '-' and '.', at most 253 characters)`);
  }
  const annotations = o.metadata.annotations ?? {};
  for (const key of Object.keys(annotations)) {
    if (!isQualifiedName(key)) problems.push(`annotation key ${JSON.stringify(key)} is not a valid qualified name`);
  }
  const size = Object.entries(annotations).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > MAX_ANNOTATIONS_BYTES) problems.push(`annotations total ${size} bytes, more than Kubernetes allows (${MAX_ANNOTATIONS_BYTES})`);
  return problems;
}
