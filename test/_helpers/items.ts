/** Builds v2.4 items through the real decoder and parser, from inline etcd keys or Kubernetes objects. */
import YAML from 'yaml';
import { decodeDump } from '../../src/input/dump.js';
import { register, type Step, type StepOutput } from '../../src/migrate/step.js';
import type { OutputForm } from '../../src/model/target.js';
import type { V1ItemType, V1Snapshot } from '../../src/model/v1.js';
import type { ParseResult } from '../../src/parse/index.js';
import { parseDumps } from '../../src/parse/index.js';

export function parseFlat(keys: Readonly<Record<string, string>>): ParseResult {
  return parseDumps([decodeDump('test.json', JSON.stringify(keys))]);
}

export function parseObjects(...objects: readonly unknown[]): ParseResult {
  return parseDumps([decodeDump('test.json', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }))]);
}

/** Runs one step on a snapshot and returns its output; parse failures fail the helper loudly. */
export function runStep<T extends V1ItemType>(step: Step<T>, parsed: ParseResult, form: OutputForm = 'crd'): StepOutput {
  if (parsed.failures.length > 0) throw new Error(`test input did not parse: ${JSON.stringify(parsed.failures)}`);
  const snapshot: V1Snapshot = parsed.snapshot;
  return register(step).run(snapshot.items, { snapshot, form });
}

export function tpr(kind: string, name: string, spec: unknown, apiVersion = 'projectcalico.org/v1'): unknown {
  return { apiVersion, kind, metadata: { name, namespace: 'kube-system' }, spec };
}

export function node(name: string, annotations: Record<string, string>, podCIDR?: string): unknown {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, annotations }, spec: podCIDR ? { podCIDR } : {} };
}

/** An etcd IPAM block key with its value: `allocations` as Calico IPAM stores them (null = free). */
export function block(cidr: string, host: string, allocations: (number | null)[], handles: readonly (string | null)[] = []): Record<string, string> {
  // One attribute per index an allocation uses, each with its handle (none unless given).
  const count = Math.max(handles.length, ...allocations.map((a) => (a === null ? 0 : a + 1)));
  const attributes = Array.from({ length: count }, (_, i) => ({ handle_id: handles[i] ?? null, secondary: null }));
  return {
    [`/calico/ipam/v2/assignment/ipv4/block/${cidr.replace('/', '-')}`]: JSON.stringify({ cidr, affinity: `host:${host}`, strictAffinity: false, allocations, unallocated: [], attributes }),
  };
}

/**
 * The objects `convert` printed: a `List`'s items (v2.5 and the v3 CRD form), the JSON array of the
 * calicoctl form, or its YAML documents.
 */
export function convertedItems<T = Record<string, unknown>>(stdout: string): T[] {
  const trimmed = stdout.trimStart();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as T[];
  if (trimmed.startsWith('{')) return (JSON.parse(trimmed) as { items: T[] }).items;
  const docs = YAML.parseAllDocuments(stdout, { version: '1.1' }).map((d) => d.toJS() as unknown);
  if (docs.length === 1 && isList(docs[0])) return docs[0].items as T[];
  return docs.filter((d) => d !== null) as T[];
}

function isList(x: unknown): x is { items: unknown[] } {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'List' && Array.isArray((x as { items?: unknown }).items);
}
