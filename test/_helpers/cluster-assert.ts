/** Checks shared by the end-to-end suites against the emulated and the real API server. */
import type { ExecutionContext } from 'ava';

export interface ClusterObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown };
  spec?: unknown;
}

export type Kubectl = (args: readonly string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

/** `<plural>.crd.projectcalico.org` of a Calico kind (IPPool → ippools, GlobalNetworkPolicy → globalnetworkpolicies). */
export function calicoResource(kind: string): string {
  const lower = kind.toLowerCase();
  return `${lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`}.crd.projectcalico.org`;
}

/** Parses a command's JSON output, failing the test with the output when it is not JSON. */
export function jsonOutput<T>(t: ExecutionContext, run: { stdout: string; stderr: string }): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    t.fail(`not JSON:\n${run.stdout}\n${run.stderr}`);
    throw new Error('unreachable');
  }
}

/**
 * Reads every expected object back with the real kubectl: the same spec, labels and annotations,
 * and this tool's ownership annotation.
 */
export async function assertClusterHolds(t: ExecutionContext, kubectl: Kubectl, expected: readonly ClusterObject[]): Promise<void> {
  for (const kind of [...new Set(expected.map((o) => o.kind))]) {
    const r = await kubectl(['get', calicoResource(kind), '-o', 'json']);
    t.is(r.code, 0, r.stderr);
    const live = new Map((JSON.parse(r.stdout) as { items: ClusterObject[] }).items.map((o) => [o.metadata.name, o]));
    for (const o of expected.filter((x) => x.kind === kind)) {
      const l = live.get(o.metadata.name);
      t.truthy(l, `${kind}/${o.metadata.name} is on the cluster`);
      t.deepEqual(l?.spec, o.spec, `${kind}/${o.metadata.name} spec`);
      t.deepEqual(l?.metadata.labels, o.metadata.labels, `${kind}/${o.metadata.name} labels`);
      for (const [k, v] of Object.entries(o.metadata.annotations ?? {})) t.is(l?.metadata.annotations?.[k], v);
      t.regex(l?.metadata.annotations?.['calico-migrate.projectcalico.org/written-by'] ?? '', /^calico-migrate \d/);
    }
  }
}
