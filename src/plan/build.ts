/**
 * Desired against live, object by object: create, update, unchanged, conflict, or (for a Node
 * patch whose Node does not exist) missing. Pure. An object with the same content is unchanged
 * whoever wrote it; a different one is updated only when this tool wrote it, and is a conflict
 * otherwise. A Node is only ever patched: a Calico host without a Kubernetes Node of that name is a
 * blocker naming both, never a new Node.
 */
import type { KubeObject } from '../datastore/kube-client.js';
import type { Desired, DesiredNodePatch, DesiredObject } from './desired.js';
import type { LiveTarget } from './live.js';
import { isOwned, nodeKeysWritten, sameContent } from './ownership.js';
import { prunedPaths, withDefaults, type StructuralSchema } from './schema.js';
import { isNodePatch, type PlanEntry, type PlanSummary } from './types.js';
import { sameJson } from '../output/order.js';
import { resourceName } from '../datastore/kube-api.js';

/** What the CRD's schema does to the desired spec: the stored spec when defaults change it, and what it prunes. */
interface Storage {
  readonly storedSpec?: unknown;
  readonly pruned?: readonly string[];
}

function storageOf(d: DesiredObject, schema: StructuralSchema | undefined): Storage {
  if (!schema) return {};
  const spec = d.object['spec'] ?? {};
  const stored = withDefaults(schema, spec);
  const pruned = prunedPaths(schema, spec, 'spec');
  const changed = !sameJson(stored, spec);
  return { ...(changed ? { storedSpec: stored } : {}), ...(pruned.length > 0 ? { pruned } : {}) };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Built field by field, in one order: an object spread puts every later field on V8's slow path. */
function objectEntry(d: DesiredObject, live: KubeObject | undefined, storage: Storage): PlanEntry {
  const metadata = d.object.metadata;
  const e = { key: d.key, kind: d.resource.kind, name: metadata.name } as Mutable<PlanEntry>;
  if (metadata.namespace) e.namespace = metadata.namespace;
  e.resource = d.resource;
  e.desired = d.object;
  e.origins = d.origins;
  if (storage.storedSpec !== undefined) e.storedSpec = storage.storedSpec;
  if (storage.pruned !== undefined) e.pruned = storage.pruned;
  if (!live) {
    e.action = 'create';
    e.resourceVersion = '';
    e.owned = false;
    return e;
  }
  const owned = isOwned(live);
  const expected = storage.storedSpec === undefined ? d.object : { ...d.object, spec: storage.storedSpec };
  e.action = sameContent(expected, live) ? 'unchanged' : owned ? 'update' : 'conflict';
  e.resourceVersion = live.metadata.resourceVersion ?? '';
  e.owned = owned;
  if (e.action === 'conflict') e.reason = `${d.key} exists with different content and was not written by calico-migrate; apply with --overwrite to replace it (it is backed up first)`;
  return e;
}

/** Nodes whose names look like the one a Calico host was expected to have. */
function lookalikes(name: string, nodes: ReadonlyMap<string, KubeObject>): string[] {
  const short = (n: string) => n.toLowerCase().split('.')[0] ?? n;
  return [...nodes.keys()].filter((n) => n !== name && (n.toLowerCase() === name.toLowerCase() || short(n) === short(name))).sort();
}

function nodeEntry(p: DesiredNodePatch, nodes: ReadonlyMap<string, KubeObject>): PlanEntry {
  const desired: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: p.node, annotations: p.annotations } };
  const base = { key: p.key, kind: 'Node', name: p.node, desired, origins: p.origins };
  const live = nodes.get(p.node);
  if (!live) {
    const similar = lookalikes(p.node, nodes);
    return {
      ...base,
      action: 'missing',
      resourceVersion: '',
      owned: false,
      reason: `the Calico host data for ${p.node} (from ${p.origins.slice(0, 3).join(', ')}${p.origins.length > 3 ? ', …' : ''}) would go on Kubernetes Node ${p.node}, which does not exist; no Node is ever created${similar.length > 0 ? `. Nodes with a similar name: ${similar.join(', ')}` : ''}`,
    };
  }
  const current = live.metadata.annotations ?? {};
  const liveAnnotations: Record<string, string | null> = Object.fromEntries(Object.keys(p.annotations).map((k) => [k, current[k] ?? null]));
  const ours = new Set(nodeKeysWritten(live));
  const differing = Object.keys(p.annotations).filter((k) => liveAnnotations[k] !== p.annotations[k]);
  const resourceVersion = live.metadata.resourceVersion ?? '';
  const owned = ours.size > 0;
  if (differing.length === 0) return { ...base, action: 'unchanged', resourceVersion, liveAnnotations, owned };
  const foreign = differing.filter((k) => liveAnnotations[k] !== null && !ours.has(k));
  if (foreign.length > 0) {
    const what = foreign.map((k) => `${k} is ${JSON.stringify(liveAnnotations[k])}, the conversion says ${JSON.stringify(p.annotations[k])}`).join('; ');
    return { ...base, action: 'conflict', resourceVersion, liveAnnotations, owned, reason: `Node ${p.node} already has annotations this tool did not set: ${what}; apply with --overwrite to replace them (they are backed up first)` };
  }
  return { ...base, action: 'update', resourceVersion, liveAnnotations, owned };
}

/** The plan's entries, in apply order: the Calico objects, then the Node patches. */
export function buildEntries(desired: Desired, live: LiveTarget): PlanEntry[] {
  return [...desired.objects.map((d) => objectEntry(d, live.objects.get(d.key), storageOf(d, live.specSchemas.get(resourceName(d.resource))))), ...desired.nodePatches.map((p) => nodeEntry(p, live.nodes))];
}

export function summarize(entries: readonly PlanEntry[]): PlanSummary {
  const n = (a: PlanEntry['action']) => entries.filter((e) => e.action === a).length;
  return { create: n('create'), update: n('update'), unchanged: n('unchanged'), conflict: n('conflict'), missing: n('missing') };
}

/** Entries that write something: creates, updates, and conflicts when overwriting. */
export function writesOf(entries: readonly PlanEntry[], overwrite: boolean): PlanEntry[] {
  return entries.filter((e) => e.action === 'create' || e.action === 'update' || (overwrite && e.action === 'conflict'));
}

/** One entry planned again against a fresh read of its live object (after a 409, or to verify). */
export function replan(entry: PlanEntry, live: KubeObject | undefined): PlanEntry {
  if (isNodePatch(entry)) {
    const nodes = new Map<string, KubeObject>(live ? [[entry.name, live]] : []);
    return nodeEntry({ key: entry.key, node: entry.name, annotations: entry.desired.metadata.annotations ?? {}, origins: entry.origins }, nodes);
  }
  if (!entry.resource) throw new Error(`${entry.key} has no resource`);
  const storage = { ...(entry.storedSpec !== undefined ? { storedSpec: entry.storedSpec } : {}), ...(entry.pruned ? { pruned: entry.pruned } : {}) };
  return objectEntry({ key: entry.key, resource: entry.resource, object: entry.desired, origins: entry.origins }, live, storage);
}
