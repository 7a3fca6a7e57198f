/**
 * `calico-migrate status`: who holds the migration lock (and whether it is stale), how the last
 * apply recorded in the journal ended, and what is left to do.
 */
import { findRun, openStore, otherRuns, othersText, readRuns, runRef, type OtherRun, type StateChoice } from '../run-state.js';
import type { LockInfo } from '../../apply/lock.js';
import { journalStatus, whatIsLeft, type JournalStatus } from '../../apply/status.js';
import { kubernetesDestination } from '../../destination/kubernetes.js';
import { CalicoMigrateError, EXIT } from '../../errors.js';
import { serialize } from '../../output/serialize.js';
import type { CliIo } from '../io.js';
import { resolveSource } from '../source.js';
import { resolveDestination } from '../destination.js';
import { cutOverState, type CutOverState } from '../../apply/cut-over.js';

export interface StatusOptions {
  readonly journal?: string;
  readonly stateDir: string;
  readonly output: 'text' | 'json';
  readonly source: Readonly<Record<string, unknown>>;
  /** Destination flags (`--target-datastore-type`, …): whose lock to show. */
  readonly destination?: Readonly<Record<string, unknown>>;
  /** Local journal files, or the runs kept in the target. */
  readonly state?: StateChoice;
  /** The run to show (state in the target); default: the unfinished one, or else the latest. */
  readonly run?: string;
  /** List every run kept in the target. */
  readonly all?: boolean;
}

const DATASTORE_STATE: Readonly<Record<CutOverState, string>> = {
  none: 'no ClusterInformation',
  pending: 'ClusterInformation datastoreReady false: calico/node v3 waits for calico-migrate complete',
  complete: 'ClusterInformation datastoreReady true: calico/node v3 owns Nodes, IPAM and ClusterInformation',
  foreign: 'ClusterInformation not written by this tool',
};

function describeLock(l: LockInfo | undefined, error: string | undefined): string {
  if (error) return `lock:     cannot be read (${error})`;
  if (!l) return 'lock:     free';
  return `lock:     ${l.stale ? 'STALE, ' : ''}held by ${l.holder}${l.host ? ` on ${l.host}` : ''} for ${JSON.stringify(l.reason)} since ${l.acquired}; ${l.stale ? 'expired' : 'expires'} ${l.expires}${l.stale ? ' (the holder stopped renewing it: if it is dead, apply with --force-unlock)' : ''}`;
}

export async function runStatus(opts: StatusOptions, io: CliIo): Promise<number> {
  let lock: LockInfo | undefined;
  let lockError: string | undefined;
  let cutOver: CutOverState | undefined;
  try {
    const destination = await resolveDestination(opts.destination ?? {}, io);
    if (destination.settings.datastoreType === 'etcdv3') {
      const { EtcdV3Destination } = await import('../../destination/etcdv3.js');
      const etcd = await EtcdV3Destination.open(destination.settings);
      try {
        lock = await etcd.readLock();
        cutOver = cutOverState(await etcd.readClusterInformation());
      } finally {
        etcd.close();
      }
    } else {
      const resolved = await resolveSource(opts.source, io);
      const { KubeClient } = await import('../../datastore/kube-client.js');
      const client = KubeClient.fromSettings(resolved.settings, io.env ?? process.env);
      lock = await kubernetesDestination(client, client.server).readLock();
    }
  } catch (e) {
    lockError = e instanceof Error ? e.message.replace(/\s*\n\s*/g, ' ') : String(e);
  }
  const target = opts.state === 'target' ? await openStore(opts.source, opts.destination ?? {}, io) : undefined;
  let runs: { run: string; status: JournalStatus }[] | undefined;
  let found: Awaited<ReturnType<typeof findRun>>;
  let others: OtherRun[] = [];
  try {
    const kept = target ? await readRuns(target.store) : undefined;
    const where = { choice: opts.state ?? 'local', ...(target ? { store: target.store } : {}), ...(kept ? { runs: kept } : {}), stateDir: opts.stateDir, cwd: io.cwd };
    found = await findRun({ ...where, ...(opts.run ? { run: opts.run } : {}), ...(opts.journal ? { journal: opts.journal } : {}) });
    // Other runs on this cluster whose writes are still in place: rolling back this one leaves them.
    if (found) others = await otherRuns(where, found);
    if (opts.all && kept) runs = kept.map((k) => ({ run: k.r.run, status: journalStatus(k.records) }));
  } catch (e) {
    if (!target || e instanceof CalicoMigrateError) throw e;
    throw new CalicoMigrateError('E_TARGET_UNREACHABLE', `the runs kept in ${target.store.describe()} cannot be read (${e instanceof Error ? e.message : String(e)}); --state local reads the journal files in --state-dir instead`, { cause: e });
  } finally {
    target?.close();
  }
  const path = found?.location;
  const journal: JournalStatus | undefined = found ? journalStatus(found.records) : undefined;
  const left = journal && found ? whatIsLeft(journal, runRef(found)) : target ? `no run is kept in ${target.store.describe()}` : 'no journal found: nothing has been applied from here (give --journal or --state-dir, or --state target)';
  if (opts.output === 'json') {
    io.stdout.write(serialize({ lock: lock ?? null, ...(lockError ? { lockError } : {}), ...(cutOver ? { datastore: cutOver } : {}), journal: path ?? null, status: journal ?? null, next: left, ...(runs ? { runs } : {}), ...(others.length > 0 ? { others } : {}) }, 'json'));
    return EXIT.ok;
  }
  const lines = [describeLock(lock, lockError)];
  if (journal && path) {
    lines.push(`journal:  ${path}`);
    if (journal.planHash) lines.push(`plan:     ${journal.planHash.slice(0, 12)}${journal.planFile ? ` (${journal.planFile})` : ''}, --to ${journal.target ?? '?'} on ${journal.server ?? '?'}`);
    lines.push(`runs:     ${journal.runs}; last: ${journal.lastOutcome}${journal.lastTime ? ` at ${journal.lastTime}` : ''}${journal.lastMessage ? ` (${journal.lastMessage})` : ''}`);
    lines.push(`writes:   ${journal.done.length} of ${journal.planned} done, ${journal.failed.length} failed, ${journal.remaining.length} left; ${journal.undoable} a rollback would undo${journal.forcedUnlocks > 0 ? `; the lock was forced ${journal.forcedUnlocks} time(s)` : ''}`);
    for (const k of journal.failed.slice(0, 10)) lines.push(`  failed: ${k}`);
    const c = journal.cutOver;
    if (c) lines.push(`cut-over: ${c.completed ? 'complete' : c.paused ? `v2.x agents paused (${c.flag} false; it was ${c.before ?? 'absent'})` : `pause given back (${c.flag})`}`);
  }
  if (cutOver && cutOver !== 'none') lines.push(`v3 datastore: ${DATASTORE_STATE[cutOver]}`);
  lines.push(`next:     ${left}`);
  for (const r of runs ?? []) lines.push(`run ${r.run}: plan ${r.status.planHash?.slice(0, 12) ?? '?'}, ${r.status.lastOutcome}${r.status.lastTime ? ` at ${r.status.lastTime}` : ''}, ${r.status.done.length} of ${r.status.planned} done`);
  io.stdout.write(`${lines.join('\n')}\n${othersText(others)}`);
  return EXIT.ok;
}
