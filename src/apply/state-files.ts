/**
 * Where an apply keeps its state: the plan file in the state directory, and the journal and backup
 * beside it; finding the journal a command works on (`--journal`, or the newest in the state
 * directory); and the unfinished journal a re-run resumes.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { CalicoMigrateError } from '../errors.js';
import type { TargetVersion } from '../model/target.js';
import { sameCluster } from '../plan/file.js';
import type { Plan } from '../plan/types.js';
import { readJournal, type JournalRecord } from './journal.js';
import { journalStatus } from './status.js';

const under = (cwd: string, path: string): string => (isAbsolute(path) ? path : join(cwd, path));

/** `--journal` as given, or the newest journal in the state directory (none: undefined). */
export async function findJournal(journal: string | undefined, stateDir: string, cwd: string): Promise<string | undefined> {
  if (journal) return under(cwd, journal);
  return (await journalsIn(stateDir, cwd))[0];
}

/** The journals in the state directory, newest first (none, or no directory: empty). */
export async function journalsIn(stateDir: string, cwd: string): Promise<string[]> {
  const dir = under(cwd, stateDir);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.journal'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CalicoMigrateError('E_INPUT_READ', `${dir}: cannot list the state directory (${(e as Error).message})`, { cause: e });
  }
  const dated = await Promise.all(names.map(async (n) => ({ path: join(dir, n), mtime: (await stat(join(dir, n))).mtimeMs })));
  dated.sort((a, b) => b.mtime - a.mtime || (a.path < b.path ? -1 : 1));
  return dated.map((d) => d.path);
}

export interface StateOptions {
  readonly cwd: string;
  readonly stateDir: string;
  /** The saved plan applied, if any (its journal goes beside it). */
  readonly plan?: string;
  readonly journal?: string;
}

export interface StatePaths {
  readonly plan: string;
  readonly journal: string;
  readonly backup: string;
}

/** The plan's file stem in the state directory, and the journal and backup beside it. */
export function statePaths(o: StateOptions, hash: string): StatePaths {
  const planPath = o.plan ? under(o.cwd, o.plan) : join(under(o.cwd, o.stateDir), `calico-migrate-${hash.slice(0, 12)}.plan.json`);
  const stem = join(dirname(planPath), basename(planPath).replace(/(\.plan)?\.json$/, ''));
  const journal = o.journal ? under(o.cwd, o.journal) : `${stem}.journal`;
  return { plan: planPath, journal, backup: journal.replace(/\.journal$/, '') + '.backup.yaml' };
}

/**
 * Without --plan or --journal: the journal of an earlier apply to the same cluster and target that
 * did not finish (failed or interrupted), so that running the same command again resumes it in
 * the same journal and one rollback undoes every run. A cut-over that paused the v2.x agents and
 * wrote nothing yet is unfinished too: its pause is carried on, never mistaken for someone else's.
 */
export async function unfinishedJournal(o: StateOptions, cluster: Plan['cluster'], to: TargetVersion): Promise<string | undefined> {
  if (o.plan || o.journal) return undefined;
  const path = await findJournal(undefined, o.stateDir, o.cwd);
  if (!path) return undefined;
  return isUnfinished(await readJournal(path), cluster, to) ? path : undefined;
}

/** A run to resume: it failed or was interrupted, on this cluster and target, and left writes (or a pause) behind. */
export function isUnfinished(records: readonly JournalRecord[], cluster: Plan['cluster'], to: TargetVersion): boolean {
  const s = journalStatus(records);
  return (s.lastOutcome === 'failed' || s.lastOutcome === 'interrupted') && sameCluster({ server: s.server ?? '', id: s.cluster }, cluster) && s.target === to && (s.undoable > 0 || s.cutOver?.paused === true);
}
