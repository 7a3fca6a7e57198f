/** Object construction and naming shared by the v3.0 steps. */
import type { OutputForm, TargetObject } from '../../src/model/target.js';
import { compact } from '../../src/util.js';

/** Storage API of the Kubernetes datastore, and the API calicoctl reads. */
export const CRD_API_VERSION = 'crd.projectcalico.org/v1';
export const V3_API_VERSION = 'projectcalico.org/v3';

export interface V3Meta {
  readonly namespace?: string | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
}

function nonEmpty(m: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> | undefined {
  return m && Object.keys(m).length > 0 ? m : undefined;
}

/**
 * A v3 resource in the requested form. In the `crd` form GlobalNetworkPolicy objects are stored as
 * `default.<name>` (the tier prefix clientv3 adds; libcalico-go `clientv3/globalnetworkpolicy.go`).
 */
export function v3Object(form: OutputForm, kind: string, name: string, spec: Readonly<Record<string, unknown>>, meta: V3Meta = {}): TargetObject {
  const storedName = form === 'crd' && kind === 'GlobalNetworkPolicy' ? `default.${name}` : name;
  return {
    apiVersion: form === 'crd' ? CRD_API_VERSION : V3_API_VERSION,
    kind,
    metadata: compact({ name: storedName, namespace: meta.namespace, labels: nonEmpty(meta.labels), annotations: nonEmpty(meta.annotations) }),
    spec,
  };
}

/** Plural noun with count, for messages. */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

