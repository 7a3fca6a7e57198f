/**
 * `calico-migrate complete` and `calico-migrate abort`: the two ends of a cut-over
 * (src/apply/cut-over.ts). `complete`, run once calico/node v3 is rolled out, sets ClusterInformation
 * `datastoreReady: true` under the migration lock; calico/node v3 owns the datastore from then on.
 * `abort` gives the v1 ready flag back to what it was before the pause (only while it is still the
 * pause's `false`) and leaves the v3 data, which `rollback` removes.
 * Exit codes: 0 done (or already done), 1 error, 3 refused or left as someone else set it.
 */
import { hostname } from 'node:os';
import { completedIn, cutOverState, describeResume, pauseOf } from '../../apply/cut-over.js';
import { appendTo, resumePause } from '../pause.js';
import { journalStatus } from '../../apply/status.js';
import { findRun, withStore, type FoundRun, type StateChoice } from '../run-state.js';
import type { StateStore } from '../../state/types.js';
import { EtcdV3Destination } from '../../destination/etcdv3.js';
import { CalicoMigrateError, EXIT } from '../../errors.js';
import { PLAN_ANNOTATION } from '../../plan/ownership.js';
import { serialize } from '../../output/serialize.js';
import { resolveDestination } from '../destination.js';
import type { CliIo } from '../io.js';

export interface CutOverCliOptions {
  readonly journal?: string;
  readonly stateDir: string;
  readonly output: 'text' | 'json';
  readonly source: Readonly<Record<string, unknown>>;
  readonly destination: Readonly<Record<string, unknown>>;
  readonly lockWaitSeconds: number;
  readonly lockTtlSeconds: number;
  readonly forceUnlock: boolean;
  readonly force: boolean;
  readonly state?: StateChoice;
  readonly run?: string;
}

function emit(io: CliIo, opts: CutOverCliOptions, result: string, exitCode: number, lines: readonly string[], extra: Record<string, unknown> = {}): number {
  if (opts.output === 'json') io.stdout.write(serialize({ result, exitCode, ...extra, messages: lines }, 'json'));
  else io.stdout.write(`${[...lines, `result: ${result} (exit ${exitCode})`].join('\n')}\n`);
  return exitCode;
}

/** The run a cut-over command works on (`--journal`, or `--state target` and `--run`). */
function findFor(opts: CutOverCliOptions, io: CliIo, store: StateStore | undefined): Promise<FoundRun | undefined> {
  return findRun({ choice: opts.state ?? 'local', ...(store ? { store } : {}), ...(opts.run ? { run: opts.run } : {}), ...(opts.journal ? { journal: opts.journal } : {}), stateDir: opts.stateDir, cwd: io.cwd });
}

async function openEtcd(opts: CutOverCliOptions, io: CliIo, command: string): Promise<EtcdV3Destination> {
  const settings = await resolveDestination(opts.destination, io);
  if (settings.settings.datastoreType !== 'etcdv3') throw new CalicoMigrateError('E_USAGE', `${command} is for a cut-over to an etcd v3 datastore: give --target-datastore-type etcdv3 and --target-etcd-endpoints`);
  return EtcdV3Destination.open(settings.settings);
}

/** Runs `body` under the migration lock of the etcd v3 destination, so that no apply or rollback runs meanwhile. */
async function underLock<T>(etcd: EtcdV3Destination, opts: CutOverCliOptions, reason: string, body: () => Promise<T>): Promise<T> {
  if (opts.forceUnlock) await etcd.forceUnlock();
  const lock = await etcd.acquireLock({ holder: `${hostname()}/${process.pid}`, reason, ttlSeconds: opts.lockTtlSeconds, waitMs: opts.lockWaitSeconds * 1000 });
  try {
    return await body();
  } finally {
    await lock.release().catch(() => undefined);
  }
}

export async function runComplete(opts: CutOverCliOptions, io: CliIo): Promise<number> {
  return withStore(opts.state, opts.source, opts.destination, io, async (store) => complete(opts, io, await findFor(opts, io, store)));
}

async function complete(opts: CutOverCliOptions, io: CliIo, found: FoundRun | undefined): Promise<number> {
  if (found) {
    const left = journalStatus(found.records).remaining.length;
    if (left > 0 && !opts.force) return emit(io, opts, 'refused', EXIT.blocked, [`${found.location}: ${left} planned write(s) are not done; apply again to finish them before completing (or --force)`]);
  }
  const etcd = await openEtcd(opts, io, 'complete');
  try {
    return await underLock(etcd, opts, 'complete the cut-over', async () => {
      const info = await etcd.readClusterInformation();
      const state = cutOverState(info);
      if (state === 'complete') return emit(io, opts, 'already-complete', EXIT.ok, ['ClusterInformation default already says datastoreReady: true']);
      if (state === 'none' || !info) return emit(io, opts, 'refused', EXIT.blocked, [`no cut-over to complete in ${etcd.address}: ClusterInformation default is absent (apply --cut-over writes it)`]);
      if (state === 'foreign') return emit(io, opts, 'refused', EXIT.blocked, [`ClusterInformation default in ${etcd.address} was not written by calico-migrate; this is not its cut-over to complete`]);
      await etcd.setDatastoreReady(info, info.metadata.annotations?.[PLAN_ANNOTATION] ?? '');
      if (found) await appendTo(found, { t: 'cut-over-complete' });
      return emit(io, opts, 'complete', EXIT.ok, [
        `ClusterInformation default in ${etcd.address}: datastoreReady true; calico/node v3 starts Felix`,
        'calico/node v3 owns ClusterInformation, Nodes and Calico IPAM from now on: plan reports them as handed over, and rollback refuses (it would delete live IPAM) unless --force',
        'the v1 ready flag stays false: the v2.x datastore is no longer in use; keep it (or a dump of it) until the cluster has run on v3 for a while',
      ]);
    });
  } finally {
    etcd.close();
  }
}


export async function runAbort(opts: CutOverCliOptions, io: CliIo): Promise<number> {
  return withStore(opts.state, opts.source, opts.destination, io, async (store) => abort(opts, io, await findFor(opts, io, store)));
}

async function abort(opts: CutOverCliOptions, io: CliIo, found: FoundRun | undefined): Promise<number> {
  if (!found) throw new CalicoMigrateError('E_USAGE', `no journal found in ${opts.stateDir}; give --journal FILE (the apply printed its path), or --state target: it holds what the v1 flag was before the pause`);
  const pause = pauseOf(found.records);
  if (!pause) return emit(io, opts, 'nothing-to-do', EXIT.ok, [`${found.location} holds no pause that was not given back`]);
  if (completedIn(found.records) && !opts.force) {
    return emit(io, opts, 'refused', EXIT.blocked, ['the cut-over was completed: calico/node v3 runs on the v3 datastore; resuming the v2.x agents beside it would run two control planes over one network. Roll calico/node back to v2.x first, then abort with --force']);
  }
  const etcd = await openEtcd(opts, io, 'abort');
  try {
    // Under the destination's lock: never while an apply of the cut-over is writing.
    return await underLock(etcd, opts, 'abort the cut-over', async () => {
      const r = await resumePause(found, pause, opts.source, io, 'abort', opts.force);
      if ('mismatch' in r) return emit(io, opts, 'refused', EXIT.blocked, [`the journal paused ${pause.flag}, but the source settings name ${r.mismatch}; point DATASTORE_TYPE and ETCD_ENDPOINTS at the same etcd (or --force)`]);
      const lines = [describeResume(r.resume, pause.before), 'the v3 data stays where the apply wrote it; calico-migrate rollback removes it'];
      return emit(io, opts, r.resume.outcome === 'moved' ? 'left-as-is' : 'aborted', r.resume.outcome === 'moved' ? EXIT.blocked : EXIT.ok, lines, { flag: r.resume });
    });
  } finally {
    etcd.close();
  }
}
