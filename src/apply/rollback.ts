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
import { mapLimit } from '../util.js';
import type { Journal, JournalEntry, JournalRecord, NodeBefore } from './journal.js';

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
  /** Undos in flight at once within one kind (default 8). */
  readonly concurrency?: number;
}

/** Undos whose outcomes are journaled together (a re-run skips what is recorded, and finds the rest already undone). */
const ROLLBACK_BATCH = 500;

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

/** Rollback outcomes after which a write no longer needs undoing. */
const UNDONE: ReadonlySet<string> = new Set(['deleted', 'restored', 'already-gone']);

/** A rollback record that undid its key's write: what the journal says before it about that key is over. */
export function undid(r: JournalRecord): r is Extract<JournalRecord, { t: 'rollback' }> {
  return r.t === 'rollback' && UNDONE.has(r.outcome);
}

/**
 * Keys the journal's runs wrote (or may have written: an intent with no answer), in the order first
 * written, excluding those already undone. A key whose attempts all failed or found the object
 * already as planned was never written, and is left alone. The journal is read in order: a
 * rollback that undid a key ends its history, and a later apply that writes it again (a rehearsal
 * rolled back, then applied for real) starts a new one, with the before-image of that apply.
 */
export function writtenKeys(records: readonly JournalRecord[]): Written[] {
  const byKey = new Map<string, Written>();
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
    if (undid(r)) byKey.delete(r.key);
  }
  return [...byKey.values()].filter((w) => !(w.settled && !w.confirmed));
}

/**
 * The CRDs the journal's runs installed that no later rollback removed (deleted, or found gone),
 * in the order installed: like writes, read in journal order, so a CRD installed again after a
 * rollback removed it is the next rollback's to remove.
 */
export function installedCrds(records: readonly JournalRecord[]): Extract<JournalRecord, { t: 'crd-created' }>[] {
  const byName = new Map<string, Extract<JournalRecord, { t: 'crd-created' }>>();
  for (const r of records) {
    if (r.t === 'crd-created') {
      byName.delete(r.name);
      byName.set(r.name, r);
    } else if (undid(r) && r.key.startsWith(CRD_KEY_PREFIX)) {
      byName.delete(r.key.slice(CRD_KEY_PREFIX.length));
    }
  }
  return [...byName.values()];
}

/** How a rollback record names a CRD. */
export const CRD_KEY_PREFIX = 'CustomResourceDefinition/';

/**
 * Undoes the journal's writes, newest first, kind by kind (a bounded number at a time within one
 * kind), then the CRDs it installed. Outcomes are journaled a batch at a time: a rollback killed
 * before a batch's records are stored undoes those keys again when re-run, and finds them undone.
 */
export async function rollbackJournal(o: RollbackOptions, onStep?: (s: RollbackStep) => void): Promise<RollbackStep[]> {
  const hashes = new Set(o.records.flatMap((r) => (r.t === 'begin' ? [r.planHash] : [])));
  const steps: RollbackStep[] = [];
  const entry = (s: RollbackStep): JournalEntry => ({ t: 'rollback', key: s.key, outcome: s.outcome, ...(s.detail ? { detail: s.detail } : {}) });
  const undoOne = async (w: Written): Promise<RollbackStep> => {
    const stop = o.shouldStop?.();
    if (stop) return { key: w.key, outcome: 'failed', detail: `not undone: ${stop}` };
    try {
      return await o.destination.undo(w, { planHashes: hashes, force: o.force === true });
    } catch (e) {
      return { key: w.key, outcome: 'failed', detail: e instanceof Error ? e.message : String(e) };
    }
  };
  const groups: Written[][] = [];
  for (const w of writtenKeys(o.records).reverse()) {
    const last = groups[groups.length - 1];
    const kind = w.key.slice(0, w.key.indexOf('/'));
    if (last && last[0]?.key.startsWith(`${kind}/`) && last.length < ROLLBACK_BATCH) last.push(w);
    else groups.push([w]);
  }
  for (const group of groups) {
    const done = await mapLimit(group, o.concurrency ?? 8, async (w) => {
      const s = await undoOne(w);
      onStep?.(s);
      return s;
    });
    const batch = done.filter((s): s is RollbackStep => s !== undefined);
    for (const s of batch) steps.push(s);
    await o.journal.appendAll(batch.map(entry));
  }
  if (!o.shouldStop?.()) {
    const schema = await o.destination.removeSchema(o.records);
    for (const s of schema) {
      steps.push(s);
      onStep?.(s);
    }
    await o.journal.appendAll(schema.map(entry));
  }
  const incomplete = steps.filter((s) => s.outcome === 'kept' || s.outcome === 'failed');
  await o.journal.append({ t: 'rollback-end', outcome: incomplete.length > 0 ? 'incomplete' : 'rolled-back', ...(incomplete.length > 0 ? { message: `${incomplete.length} object(s) kept or failed` } : {}) });
  return steps;
}
