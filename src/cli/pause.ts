/**
 * Giving the v1 ready flag back after a cut-over's pause, for rollback (and the journal append that
 * abort and complete share): through the source settings, recorded in the run's journal.
 */
import { describeResume, pauseOf, restoreFlag } from '../apply/cut-over.js';
import type { JournalEntry, JournalRecord } from '../apply/journal.js';
import { openReadyFlag } from '../datastore/ready-flag.js';
import type { CliIo } from './io.js';
import type { FoundRun } from './run-state.js';
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
 * After a rollback of a cut-over: the v1 flag given back (the v2.x agents resume), through the
 * source settings; one line saying what happened, or what to do when it could not be done.
 */
export async function giveBackPause(records: readonly JournalRecord[], found: FoundRun, source: Readonly<Record<string, unknown>>, io: CliIo): Promise<{ line: string; ok: boolean } | undefined> {
  const path = found.location;
  const pause = pauseOf(records);
  if (!pause) return undefined;
  try {
    const flag = await openReadyFlag((await resolveSource(source, io)).settings);
    try {
      if (flag.address !== pause.flag) return { line: `the journal paused ${pause.flag}, but the source settings name ${flag.address}: the flag was not touched; run calico-migrate abort --journal ${path} with the source settings of that etcd`, ok: false };
      const r = await restoreFlag(flag, pause.before, 'rollback');
      await appendTo(found, r);
      return { line: describeResume(r, pause.before), ok: r.outcome !== 'moved' };
    } finally {
      flag.close();
    }
  } catch (e) {
    return { line: `${pause.flag} is still false (${e instanceof Error ? e.message : String(e)}): run calico-migrate abort --journal ${path} with the source settings (DATASTORE_TYPE, ETCD_ENDPOINTS) to give the v2.x agents their datastore back`, ok: false };
  }
}
