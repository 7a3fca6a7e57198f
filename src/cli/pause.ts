/**
 * Giving the v1 ready flag back after a cut-over's pause, for rollback (and the journal append that
 * abort and complete share): through the source settings, recorded in the run's journal.
 */
import { describeResume, pauseOf, restoreFlag } from '../apply/cut-over.js';
import type { JournalEntry, JournalRecord } from '../apply/journal.js';
import { openReadyFlag } from '../datastore/ready-flag.js';
import type { CliIo } from './io.js';
import { runRef, type FoundRun } from './run-state.js';
import { resolveSource } from './source.js';

/** Appends one record to a run's journal (local file or state store). */
export async function appendTo(found: FoundRun, entry: JournalEntry): Promise<void> {
  const journal = await found.open();
  try {
    await journal.append(entry);
  } finally {
    await journal.close();
  }
}

/**
 * Gives the v1 flag back as the run's journal recorded it before the pause, through the source
 * settings, and records that in the journal. `mismatch` names the flag the settings point at when
 * it is not the one paused (and `force` is not given): then nothing is touched.
 */
export async function resumePause(found: FoundRun, pause: { readonly flag: string; readonly before: string | null }, source: Readonly<Record<string, unknown>>, io: CliIo, reason: string, force = false): Promise<{ readonly mismatch: string } | { readonly resume: Extract<JournalEntry, { t: 'resume' }> }> {
  const flag = await openReadyFlag((await resolveSource(source, io)).settings);
  try {
    if (flag.address !== pause.flag && !force) return { mismatch: flag.address };
    const resume = await restoreFlag(flag, pause.before, reason);
    await appendTo(found, resume);
    return { resume };
  } finally {
    flag.close();
  }
}

/**
 * After a rollback of a cut-over: the v1 flag given back (the v2.x agents resume), through the
 * source settings; one line saying what happened, or what to do when it could not be done.
 */
export async function giveBackPause(records: readonly JournalRecord[], found: FoundRun, source: Readonly<Record<string, unknown>>, io: CliIo): Promise<{ line: string; ok: boolean } | undefined> {
  const pause = pauseOf(records);
  if (!pause) return undefined;
  try {
    const r = await resumePause(found, pause, source, io, 'rollback');
    if ('mismatch' in r) return { line: `the journal paused ${pause.flag}, but the source settings name ${r.mismatch}: the flag was not touched; run calico-migrate abort ${runRef(found)} with the source settings of that etcd`, ok: false };
    return { line: describeResume(r.resume, pause.before), ok: r.resume.outcome !== 'moved' };
  } catch (e) {
    return { line: `${pause.flag} is still false (${e instanceof Error ? e.message : String(e)}): run calico-migrate abort ${runRef(found)} with the source settings (DATASTORE_TYPE, ETCD_ENDPOINTS) to give the v2.x agents their datastore back`, ok: false };
  }
}
