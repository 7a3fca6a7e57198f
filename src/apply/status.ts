/**
 * What a journal says about the applies it recorded: the runs, how the last one ended, and what is
 * left to do. Pure; `status` adds the lock from the cluster.
 */
import { plannedWrites, type JournalRecord } from './journal.js';
import { undid, writtenKeys } from './rollback.js';
import { completedIn, pauseOf } from './cut-over.js';

export interface JournalStatus {
  readonly planHash?: string;
  readonly planFile?: string;
  readonly target?: string;
  readonly server?: string;
  /** The uid of kube-system on the cluster the apply wrote to. */
  readonly cluster?: string;
  readonly runs: number;
  /** How the last run ended; `interrupted` when it has no end record (killed, or still running). */
  readonly lastOutcome: 'applied' | 'failed' | 'interrupted' | 'rolled-back' | 'rollback-incomplete' | 'none';
  readonly lastMessage?: string;
  readonly lastTime?: string;
  readonly planned: number;
  readonly done: readonly string[];
  readonly failed: readonly string[];
  /** Planned writes with no completed write in any run. */
  readonly remaining: readonly string[];
  /** Writes a rollback would undo now. */
  readonly undoable: number;
  readonly forcedUnlocks: number;
  /** A cut-over's journal: the pause (and whether it was given back), and whether `complete` ran. */
  readonly cutOver?: { readonly flag: string; readonly before: string | null; readonly paused: boolean; readonly completed: boolean };
}

export function journalStatus(records: readonly JournalRecord[]): JournalStatus {
  const begins = records.filter((r): r is Extract<JournalRecord, { t: 'begin' }> => r.t === 'begin');
  const last = begins[begins.length - 1];
  // A cut-over plans again after its pause: the writes of the last plan are the ones to do.
  const at = records.findLastIndex((r) => r.t === 'begin' || r.t === 'replan');
  const planned = new Set(plannedWrites(records, at).map((w) => w.key));
  const done = new Set<string>();
  const failed = new Set<string>();
  for (const r of records) {
    if (r.t === 'done') {
      done.add(r.key);
      failed.delete(r.key);
    }
    if (r.t === 'failed' && !done.has(r.key)) failed.add(r.key);
    // Undone by a rollback: a write after it (the plan applied again) is what counts.
    if (undid(r)) {
      done.delete(r.key);
      failed.delete(r.key);
    }
  }
  const tail = [...records].reverse().find((r) => r.t === 'end' || r.t === 'rollback-end' || r.t === 'begin');
  const lastOutcome: JournalStatus['lastOutcome'] =
    tail === undefined ? 'none' : tail.t === 'end' ? (tail.outcome === 'nothing-to-do' ? 'applied' : tail.outcome) : tail.t === 'rollback-end' ? (tail.outcome === 'rolled-back' ? 'rolled-back' : 'rollback-incomplete') : 'interrupted';
  const message = tail && (tail.t === 'end' || tail.t === 'rollback-end') ? tail.message : undefined;
  return {
    ...(last ? { planHash: last.planHash, target: last.target, server: last.server, ...(last.cluster ? { cluster: last.cluster } : {}), ...(last.planFile ? { planFile: last.planFile } : {}) } : {}),
    runs: begins.length,
    lastOutcome,
    ...(message ? { lastMessage: message } : {}),
    ...(records.length > 0 ? { lastTime: records[records.length - 1]?.time ?? '' } : {}),
    planned: planned.size,
    done: [...done].filter((k) => planned.has(k)).sort(),
    failed: [...failed].sort(),
    remaining: [...planned].filter((k) => !done.has(k)).sort(),
    undoable: writtenKeys(records).length,
    forcedUnlocks: records.filter((r) => r.t === 'force-unlock').length,
    ...cutOverOf(records),
  };
}

function cutOverOf(records: readonly JournalRecord[]): Pick<JournalStatus, 'cutOver'> {
  // The last pause: the one still open, or the latest given back (a cut-over rehearsed, aborted and run again pauses again).
  const last = records.findLast((r): r is Extract<JournalRecord, { t: 'pause' }> => r.t === 'pause');
  if (!last) return {};
  return { cutOver: { flag: last.flag, before: last.before, paused: pauseOf(records) !== undefined, completed: completedIn(records) } };
}

/** The next thing to do, in words. */
/** `which` names the run in the commands suggested: `--journal FILE`, or `--run RUN` for one kept in the target. */
export function whatIsLeft(s: JournalStatus, which: string): string {
  switch (s.lastOutcome) {
    case 'none':
      return 'nothing has been applied with this journal';
    case 'rolled-back':
      return 'the apply was rolled back; plan again when ready';
    case 'rollback-incomplete':
      return `the rollback left objects in place (changed since the apply); see the journal, then rerun rollback (with --force to undo them anyway)`;
    case 'applied':
      if (s.cutOver?.paused && !s.cutOver.completed && s.remaining.length === 0) return `the v3 data is written and the v2.x agents are paused: roll out calico/node v3, then calico-migrate complete (or calico-migrate abort ${which} to give the v2.x agents their datastore back)`;
      return s.remaining.length === 0 ? 'every planned write is done and verified; go on with the next steps (RBAC, then the calico/node rollout)' : `${s.remaining.length} planned write(s) are not done; apply the plan again`;
    case 'failed':
    case 'interrupted':
      return `${s.remaining.length} of ${s.planned} planned write(s) are not done${s.lastOutcome === 'interrupted' ? ' (the last run ended without a record: killed, or still running)' : ''}: apply the plan${s.planFile ? ` ${s.planFile}` : ''} again to resume, or undo with calico-migrate rollback ${which}`;
  }
}
