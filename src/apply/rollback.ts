/**
 * Rollback from a journal: restores exactly what the apply overwrote (its before-images) and
 * deletes exactly what it created; nothing else. Each undo is conditional: an object is only
 * deleted or restored while it still is what the apply left (this plan's annotation and the
 * resourceVersion the journal recorded, or the Node annotation values it set). Anything changed
 * since is kept and reported, unless `force`. A CRD the apply installed is deleted only when it no
 * longer holds any object, because deleting a CRD deletes its data. Re-running a rollback is safe:
 * undone keys are recorded in the journal and skipped.
 */
import { isNotFound, KubeApiError, type KubeClient, type KubeObject, type ResourceType } from '../datastore/kube-client.js';
import { CALICO_CRD_GROUP, CRDS_V1, CRDS_V1BETA1, NODES } from '../datastore/calico-resources.js';
import { NODE_KEYS_ANNOTATION, writtenByPlan } from '../plan/ownership.js';
import type { Journal, JournalRecord, NodeBefore } from './journal.js';

export interface RollbackStep {
  readonly key: string;
  readonly outcome: 'deleted' | 'restored' | 'already-gone' | 'kept' | 'failed';
  readonly detail?: string;
}

export interface RollbackOptions {
  readonly client: KubeClient;
  readonly records: readonly JournalRecord[];
  /** Where rollback records are appended (the same journal). */
  readonly journal: Journal;
  /** Undo even what was changed after the apply wrote it. */
  readonly force?: boolean;
  /** Checked before each undo: a reason to stop (the lock was lost) leaves the rest as it is. */
  readonly shouldStop?: () => string | undefined;
}

/** What the journal knows about one key: its first before-image, the last write that went through. */
interface Written {
  readonly key: string;
  readonly resource?: ResourceType;
  readonly before: KubeObject | NodeBefore | null;
  readonly after?: Readonly<Record<string, string>>;
  lastVersion?: string;
  /**
   * A `done` record says a write reached the server. Without one (the run died between intent and
   * answer) the write may or may not have happened: it is undone only if the live object shows it.
   */
  confirmed: boolean;
  /** Every attempt ended without a write (failed, or found unchanged): nothing to undo. */
  settled: boolean;
}

function isNodeBefore(b: KubeObject | NodeBefore | null): b is NodeBefore {
  return b !== null && !('metadata' in b);
}

const WRITTEN = new Set(['created', 'updated', 'overwritten', 'patched']);

/**
 * Keys the journal's runs wrote (or may have written: an intent with no answer), in the order first
 * written, excluding those already undone. A key whose attempts all failed or found the object
 * already as planned was never written, and is left alone.
 */
export function writtenKeys(records: readonly JournalRecord[]): Written[] {
  const byKey = new Map<string, Written>();
  const undone = new Set<string>();
  for (const r of records) {
    if (r.t === 'intent') {
      const w = byKey.get(r.key);
      if (!w) byKey.set(r.key, { key: r.key, ...(r.resource ? { resource: r.resource } : {}), before: r.before, ...(r.after ? { after: r.after } : {}), confirmed: false, settled: false });
      else if (!w.confirmed) w.settled = false;
    }
    const w = r.t === 'done' || r.t === 'failed' ? byKey.get(r.key) : undefined;
    if (w && r.t === 'done' && WRITTEN.has(r.outcome)) {
      w.lastVersion = r.resourceVersion;
      w.confirmed = true;
    } else if (w && !w.confirmed) w.settled = true;
    if (r.t === 'rollback' && ['deleted', 'restored', 'already-gone'].includes(r.outcome)) undone.add(r.key);
  }
  return [...byKey.values()].filter((w) => !undone.has(w.key) && !(w.settled && !w.confirmed));
}

function nameOf(key: string): { name: string; namespace?: string } {
  const parts = key.split('/');
  return parts.length === 3 ? { namespace: parts[1] ?? '', name: parts[2] ?? '' } : { name: parts[1] ?? '' };
}

/** The before-image as a body to write back: no server-set fields except the resourceVersion to replace. */
function restoreBody(before: KubeObject, resourceVersion: string | undefined): KubeObject {
  const { uid: _u, creationTimestamp: _c, generation: _g, resourceVersion: _r, selfLink: _s, ...metadata } = before.metadata;
  void [_u, _c, _g, _r, _s];
  return { ...before, metadata: { ...metadata, ...(resourceVersion ? { resourceVersion } : {}) } };
}

async function undoObject(o: RollbackOptions, w: Written, hashes: ReadonlySet<string>): Promise<RollbackStep> {
  const resource = w.resource;
  if (!resource) return { key: w.key, outcome: 'failed', detail: 'the journal does not say where it was written' };
  const { name, namespace } = nameOf(w.key);
  const live = await o.client.get(resource, name, namespace);
  const ours = live !== undefined && hashes.has(writtenByPlan(live) ?? '') && (w.lastVersion === undefined || live.metadata.resourceVersion === w.lastVersion);
  // An unanswered write is undone only if the object shows it happened; --force never reaches further.
  if (!w.confirmed && !ours) return { key: w.key, outcome: 'already-gone', detail: 'the write the apply was making when it stopped never reached the server' };
  if (w.before === null) {
    if (!live) return { key: w.key, outcome: 'already-gone' };
    if (!ours && !o.force) return { key: w.key, outcome: 'kept', detail: 'it changed after the apply created it (or another apply wrote it); rerun with --force to delete it anyway' };
    await o.client.delete(resource, name, { ...(namespace ? { namespace } : {}), ...(live.metadata.resourceVersion ? { resourceVersion: live.metadata.resourceVersion } : {}) });
    return { key: w.key, outcome: 'deleted' };
  }
  if (isNodeBefore(w.before)) return { key: w.key, outcome: 'failed', detail: 'a Node before-image for a Calico object' };
  if (!live && !o.force) return { key: w.key, outcome: 'kept', detail: 'it was deleted after the apply wrote it; rerun with --force to create it again from the backup' };
  if (live && !ours && !o.force) return { key: w.key, outcome: 'kept', detail: 'it changed after the apply wrote it; rerun with --force to restore the backup anyway' };
  if (!live) await o.client.create(resource, restoreBody(w.before, undefined));
  else await o.client.replace(resource, restoreBody(w.before, live.metadata.resourceVersion));
  return { key: w.key, outcome: 'restored' };
}

async function undoNode(o: RollbackOptions, w: Written, before: NodeBefore): Promise<RollbackStep> {
  const { name } = nameOf(w.key);
  const live = await o.client.get(NODES, name);
  if (!live) return { key: w.key, outcome: 'already-gone', detail: 'the Node no longer exists' };
  const current = live.metadata.annotations ?? {};
  const keys = Object.keys(before.annotations);
  if (keys.every((k) => (current[k] ?? null) === before.annotations[k])) return { key: w.key, outcome: 'already-gone', detail: 'the annotations already hold their earlier values' };
  const untouched = w.after !== undefined && keys.every((k) => (current[k] ?? null) === (w.after?.[k] ?? null));
  if (!untouched && !w.confirmed) return { key: w.key, outcome: 'already-gone', detail: 'the patch the apply was making when it stopped never reached the Node' };
  if (!untouched && !o.force) return { key: w.key, outcome: 'kept', detail: 'its annotations changed after the apply set them; rerun with --force to restore them anyway' };
  await o.client.mergePatch(NODES, name, { metadata: { resourceVersion: live.metadata.resourceVersion, annotations: { ...before.annotations, [NODE_KEYS_ANNOTATION]: before.nodeKeys } } });
  return { key: w.key, outcome: 'restored' };
}

/** Deletes the CRDs the journal's runs installed, when they hold nothing any more. */
async function removeCrds(o: RollbackOptions): Promise<RollbackStep[]> {
  const steps: RollbackStep[] = [];
  const undone = new Set(o.records.flatMap((r) => (r.t === 'rollback' && (r.outcome === 'deleted' || r.outcome === 'already-gone') ? [r.key] : [])));
  const created = o.records.filter((r): r is Extract<JournalRecord, { t: 'crd-created' }> => r.t === 'crd-created' && !undone.has(`CustomResourceDefinition/${r.name}`));
  for (const r of [...created].reverse()) {
    const crdType = r.apiVersion.endsWith('v1beta1') ? CRDS_V1BETA1 : CRDS_V1;
    const key = `CustomResourceDefinition/${r.name}`;
    const plural = r.name.slice(0, r.name.length - CALICO_CRD_GROUP.length - 1);
    try {
      if (!(await o.client.get(crdType, r.name))) {
        steps.push({ key, outcome: 'already-gone' });
        continue;
      }
      const held = await o.client.list({ group: CALICO_CRD_GROUP, version: 'v1', plural, kind: '', namespaced: false }).then((l) => l.items.length, (e: unknown) => (isNotFound(e) ? 0 : Promise.reject(e)));
      if (held > 0) {
        steps.push({ key, outcome: 'kept', detail: `it holds ${held} object(s) the apply did not create; deleting it would delete them` });
        continue;
      }
      await o.client.delete(crdType, r.name);
      steps.push({ key, outcome: 'deleted' });
    } catch (e) {
      steps.push({ key, outcome: 'failed', detail: e instanceof Error ? e.message : String(e) });
    }
  }
  return steps;
}

/** Undoes the journal's writes, newest first, then the CRDs it installed. */
export async function rollbackJournal(o: RollbackOptions, onStep?: (s: RollbackStep) => void): Promise<RollbackStep[]> {
  const hashes = new Set(o.records.flatMap((r) => (r.t === 'begin' ? [r.planHash] : [])));
  const steps: RollbackStep[] = [];
  const record = async (s: RollbackStep) => {
    steps.push(s);
    onStep?.(s);
    await o.journal.append({ t: 'rollback', key: s.key, outcome: s.outcome, ...(s.detail ? { detail: s.detail } : {}) });
  };
  for (const w of writtenKeys(o.records).reverse()) {
    const stop = o.shouldStop?.();
    if (stop) {
      await record({ key: w.key, outcome: 'failed', detail: `not undone: ${stop}` });
      continue;
    }
    try {
      await record(isNodeBefore(w.before) ? await undoNode(o, w, w.before) : await undoObject(o, w, hashes));
    } catch (e) {
      await record({ key: w.key, outcome: 'failed', detail: e instanceof KubeApiError ? e.message : e instanceof Error ? e.message : String(e) });
    }
  }
  if (!o.shouldStop?.()) for (const s of await removeCrds(o)) await record(s);
  const incomplete = steps.filter((s) => s.outcome === 'kept' || s.outcome === 'failed');
  await o.journal.append({ t: 'rollback-end', outcome: incomplete.length > 0 ? 'incomplete' : 'rolled-back', ...(incomplete.length > 0 ? { message: `${incomplete.length} object(s) kept or failed` } : {}) });
  return steps;
}
