/**
 * `calico-migrate forget RUN`: removes the state of one run kept in the target (its journal chunks,
 * plan and backup). A run that is unfinished (failed or interrupted: it can still be resumed or
 * undone) only with --force, which says what is then lost; never another run's state.
 * Exit codes: 0 removed, 1 error, 3 refused.
 */
import { readStoredJournal } from '../../apply/journal.js';
import { journalStatus } from '../../apply/status.js';
import { CalicoMigrateError, EXIT } from '../../errors.js';
import { serialize } from '../../output/serialize.js';
import type { CliIo } from '../io.js';
import { withStore } from '../run-state.js';

export interface ForgetOptions {
  readonly run: string;
  readonly force: boolean;
  readonly output: 'text' | 'json';
  readonly source: Readonly<Record<string, unknown>>;
  readonly destination: Readonly<Record<string, unknown>>;
}

export async function runForget(opts: ForgetOptions, io: CliIo): Promise<number> {
  return withStore('target', opts.source, opts.destination, io, async (store) => {
    if (!store) throw new CalicoMigrateError('E_INTERNAL', 'no state store');
    const emit = (result: string, exitCode: number, message: string) => {
      io.stdout.write(opts.output === 'json' ? serialize({ result, exitCode, run: opts.run, message }, 'json') : `${message}\nresult: ${result} (exit ${exitCode})\n`);
      return exitCode;
    };
    if (!(await store.runs()).some((r) => r.run === opts.run)) throw new CalicoMigrateError('E_USAGE', `no run ${opts.run} in ${store.describe()}; calico-migrate status --state target --all lists the runs kept there`);
    const s = journalStatus(await readStoredJournal(store, opts.run));
    const unfinished = s.lastOutcome === 'failed' || s.lastOutcome === 'interrupted' || s.lastOutcome === 'rollback-incomplete';
    if (unfinished && !opts.force) {
      return emit('refused', EXIT.blocked, `run ${opts.run} is unfinished (${s.lastOutcome}: ${s.remaining.length} of ${s.planned} write(s) left, ${s.undoable} a rollback would undo): forgetting it means it can no longer be resumed or rolled back; finish or roll it back first, or forget it with --force`);
    }
    const removed = await store.forget(opts.run);
    return emit('forgotten', EXIT.ok, `run ${opts.run}: ${removed} object(s) of its state removed from ${store.describe(opts.run)}${unfinished ? '; it can no longer be resumed or rolled back' : ''}`);
  });
}
