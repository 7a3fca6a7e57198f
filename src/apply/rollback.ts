/**
 * Rollback from a journal: restores exactly what the apply overwrote (its before-images) and
 * deletes exactly what it created; nothing else. Each undo is conditional: an object is only
 * deleted or restored while it still is what the apply left (this plan's annotation and the
 * resourceVersion the journal recorded, or the Node annotation values it set). Anything changed
 * since is kept and reported, unless `force`. A CRD the apply installed is deleted only when it no
 * longer holds any object, because deleting a CRD deletes its data. Re-running a rollback is safe:
 * undone keys are recorded in the journal and skipped.
 */
import type { KubeObject, ResourceType } from '../datastore/kube-client.js';
import type { Destination } from '../destination/types.js';
import type { Journal, JournalRecord, NodeBefore } from './journal.js';

export interface RollbackStep {
  readonly key: string;
  readonly outcome: 'deleted' | 'restored' | 'already-gone' | 'kept' | 'failed';
  readonly detail?: string;
}

export interface RollbackOptions {
  /** Where the apply wrote: it undoes each write conditionally, and removes the schema it installed. */
  readonly destination: Destination;
  readonly records: readonly JournalRecord[];
  /** Where rollback records are appended (the same journal). */
  readonly journal: Journal;
  /** Undo even what was changed after the apply wrote it. */
  readonly force?: boolean;
  /** Checked before each undo: a reason to stop (the lock was lost) leaves the rest as it is. */
  readonly shouldStop?: () => string | undefined;
}

/** What the journal knows about one key: its first before-image, the last write that went through. */
export interface Written {
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

/** The name and namespace in a plan key (`Kind/name` or `Kind/namespace/name`). */
export function keyNames(key: string): { name: string; namespace?: string } {
  const parts = key.split('/');
  return parts.length === 3 ? { namespace: parts[1] ?? '', name: parts[2] ?? '' } : { name: parts[1] ?? '' };
}

export function isNodeBefore(b: KubeObject | NodeBefore | null): b is NodeBefore {
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
      await record(await o.destination.undo(w, { planHashes: hashes, force: o.force === true }));
    } catch (e) {
      await record({ key: w.key, outcome: 'failed', detail: e instanceof Error ? e.message : String(e) });
    }
  }
  if (!o.shouldStop?.()) for (const s of await o.destination.removeSchema(o.records)) await record(s);
  const incomplete = steps.filter((s) => s.outcome === 'kept' || s.outcome === 'failed');
  await o.journal.append({ t: 'rollback-end', outcome: incomplete.length > 0 ? 'incomplete' : 'rolled-back', ...(incomplete.length > 0 ? { message: `${incomplete.length} object(s) kept or failed` } : {}) });
  return steps;
}
