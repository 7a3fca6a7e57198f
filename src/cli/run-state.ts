/**
 * Which state a command works on: local files (`--state local`: the plan, journal and backup in
 * the state directory) or the target's state store (`--state target`: Secrets in the
 * `calico-migrate` namespace, or keys under `/calico-migrate/state/` in an etcd v3 destination).
 * apply opens (or resumes) a run's journal here; status, rollback, abort and complete find a run
 * here, with no local file needed.
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { pauseOf } from '../apply/cut-over.js';
import { Journal, readJournal, readStoredJournal, type JournalRecord } from '../apply/journal.js';
import { findJournal, isUnfinished, journalsIn, statePaths, unfinishedJournal, type StatePaths } from '../apply/state-files.js';
import { installedCrds, writtenKeys } from '../apply/rollback.js';
import { sameCluster } from '../plan/file.js';
import { journalStatus } from '../apply/status.js';
import { CalicoMigrateError } from '../errors.js';
import type { TargetVersion } from '../model/target.js';
import type { Plan } from '../plan/types.js';
import { KubernetesStateStore } from '../state/kubernetes-store.js';
import { runIdOf, type RunInfo, type StateStore } from '../state/types.js';
import { resolveDestination } from './destination.js';
import type { CliIo } from './io.js';
import { resolveSource } from './source.js';

export type StateChoice = 'local' | 'target';

/** A writer id for journal records: this host, process and start. */
export function writerId(): string {
  return `${hostname()}/${process.pid}/${Date.now().toString(36)}`;
}

/** The state store of the destination the settings name (and a closer for its connection). */
export async function openStore(source: Readonly<Record<string, unknown>>, destination: Readonly<Record<string, unknown>>, io: CliIo): Promise<{ store: StateStore; close: () => void }> {
  const d = await resolveDestination(destination, io);
  if (d.settings.datastoreType === 'etcdv3') {
    const { EtcdV3Destination } = await import('../destination/etcdv3.js');
    const etcd = await EtcdV3Destination.open(d.settings);
    return { store: etcd.stateStore(), close: () => etcd.close() };
  }
  const resolved = await resolveSource(source, io);
  const { KubeClient } = await import('../datastore/kube-client.js');
  return { store: new KubernetesStateStore(KubeClient.fromSettings(resolved.settings, io.env ?? process.env)), close: () => undefined };
}

/** Runs `body` with the target's state store open (none with `--state local`), closing it after. */
export async function withStore<T>(choice: StateChoice | undefined, source: Readonly<Record<string, unknown>>, destination: Readonly<Record<string, unknown>>, io: CliIo, body: (store: StateStore | undefined) => Promise<T>): Promise<T> {
  const kept = choice === 'target' ? await openStore(source, destination, io) : undefined;
  try {
    return await body(kept?.store);
  } finally {
    kept?.close();
  }
}

/** What apply writes its state to: the journal, and where the plan and backup go. */
export interface ApplyState {
  readonly journal: Journal;
  readonly paths: StatePaths;
  readonly store?: { readonly store: StateStore; readonly runId: string };
  /** The pause an earlier run of this state made and did not give back (a resumed cut-over). */
  readonly earlier?: { readonly flag: string; readonly before: string | null };
}

/**
 * Opens the state of an apply: an unfinished run of the same cluster and target is resumed (same
 * journal, so that one rollback undoes every run); otherwise the plan's own run.
 */
export async function openApplyState(o: { choice: StateChoice; store?: StateStore; cwd: string; stateDir: string; plan?: string; journal?: string }, plan: Plan, hash: string, to: TargetVersion): Promise<ApplyState> {
  const local = { cwd: o.cwd, stateDir: o.stateDir, ...(o.plan ? { plan: o.plan } : {}), ...(o.journal ? { journal: o.journal } : {}) };
  if (o.choice === 'target' && o.store) {
    const store = o.store;
    let runId = runIdOf(hash);
    let earlier: ApplyState['earlier'];
    const resumable = (await readRuns(store)).find((k) => isUnfinished(k.records, plan.cluster, to));
    if (resumable) {
      runId = resumable.r.run;
      earlier = pauseOf(resumable.records);
    }
    return { journal: Journal.remote(store, runId, hash, writerId()), paths: statePaths(local, hash), store: { store, runId }, ...(earlier ? { earlier } : {}) };
  }
  const resumed = await unfinishedJournal(local, plan.cluster, to);
  const paths = statePaths(resumed ? { ...local, journal: resumed } : local, hash);
  await mkdir(dirname(paths.journal), { recursive: true });
  const earlier = resumed ? pauseOf(await readJournal(resumed)) : undefined;
  return { journal: await Journal.open(paths.journal, writerId()), paths, ...(earlier ? { earlier } : {}) };
}

/** How commands name a found run: `--run RUN` for one kept in the target, `--journal FILE` for a local one. */
export function runRef(found: FoundRun): string {
  return found.run ? `--run ${found.run}` : `--journal ${found.location}`;
}

/** A run kept in a state store, with its journal's records. */
export interface KeptRun {
  readonly r: RunInfo;
  readonly records: JournalRecord[];
}

/** Every run kept in a store, each journal read once. */
export async function readRuns(store: StateStore): Promise<KeptRun[]> {
  return Promise.all((await store.runs()).map(async (r) => ({ r, records: await readStoredJournal(store, r.run) })));
}

/** A run found for status, rollback, abort and complete: its records, where they are, and how to append to them. */
export interface FoundRun {
  readonly location: string;
  /** The run id, for a run kept in the target. */
  readonly run?: string;
  readonly records: JournalRecord[];
  /** Opens the run's journal for appending (rollback, abort and complete record what they did). */
  open(): Promise<Journal>;
}

/**
 * The run a command works on. Local: `--journal`, or the newest journal in the state directory.
 * Target: `--run RUN`, or the unfinished run (failed or interrupted), or else the latest one.
 */
export async function findRun(o: { choice: StateChoice; store?: StateStore; run?: string; journal?: string; stateDir: string; cwd: string; runs?: readonly KeptRun[] }): Promise<FoundRun | undefined> {
  if (o.choice === 'target' && o.store) {
    const store = o.store;
    const withRecords = [...(o.runs ?? (await readRuns(store)))];
    if (o.run && !withRecords.some((x) => x.r.run === o.run)) throw new CalicoMigrateError('E_USAGE', `no run ${o.run} in ${store.describe()}; calico-migrate status --all lists the runs kept there`);
    const lastTime = (x: { records: JournalRecord[] }) => x.records[x.records.length - 1]?.time ?? '';
    const pick = o.run
      ? withRecords.find((x) => x.r.run === o.run)
      : (withRecords.filter((x) => ['failed', 'interrupted'].includes(journalStatus(x.records).lastOutcome)).sort((a, b) => (lastTime(b) < lastTime(a) ? -1 : 1))[0] ?? withRecords.sort((a, b) => (lastTime(b) < lastTime(a) ? -1 : 1))[0]);
    if (!pick) return undefined;
    const planHash = pick.r.planHash;
    return { location: store.describe(pick.r.run), run: pick.r.run, records: pick.records, open: async () => Journal.remote(store, pick.r.run, planHash, writerId()) };
  }
  const path = await findJournal(o.journal, o.stateDir, o.cwd);
  if (!path) return undefined;
  return { location: path, records: await readJournal(path), open: () => Journal.open(path, writerId()) };
}

/** Another run, on the same cluster, that still holds writes (or CRDs) a rollback would undo. */
export interface OtherRun {
  readonly location: string;
  /** The run's id, when it is kept in the target. */
  readonly run?: string;
  /** The run's journal, when it is kept locally. */
  readonly journal?: string;
  readonly writes: number;
  readonly crds: number;
  /** The command that rolls it back. */
  readonly rollback: string;
}

/**
 * One rollback undoes one run: the latest (or the one named). Another run whose writes are still in
 * place (a plan made after the cluster changed, say) is listed, newest first, with the command that
 * undoes it, so that nothing a migration wrote is left behind unmentioned. Local journals of other
 * clusters in the same state directory are not listed.
 */
export async function otherRuns(o: { choice: StateChoice; store?: StateStore; runs?: readonly KeptRun[]; stateDir: string; cwd: string }, found: FoundRun): Promise<OtherRun[]> {
  const state = o.choice;
  const here = journalStatus(found.records);
  const store = o.choice === 'target' ? o.store : undefined;
  const candidates: { location: string; run?: string; journal?: string; records: readonly JournalRecord[] }[] = store
    ? (o.runs ?? (await readRuns(store))).filter((x) => x.r.run !== found.run).map((x) => ({ location: store.describe(x.r.run), run: x.r.run, records: x.records }))
    : await Promise.all((await journalsIn(o.stateDir, o.cwd)).filter((p) => p !== found.location).map(async (p) => ({ location: p, journal: p, records: await readJournal(p) })));
  return candidates
    .filter((x) => {
      const s = journalStatus(x.records);
      return sameCluster({ server: s.server ?? '', id: s.cluster }, { server: here.server ?? '', id: here.cluster });
    })
    .map((x) => ({ ...x, writes: writtenKeys(x.records).length, crds: installedCrds(x.records).length, last: x.records[x.records.length - 1]?.time ?? '' }))
    .filter((x) => x.writes > 0 || x.crds > 0)
    .sort((a, b) => (a.last > b.last ? -1 : a.last < b.last ? 1 : a.location < b.location ? -1 : 1))
    .map((x) => ({
      location: x.location,
      ...(x.run ? { run: x.run } : {}),
      ...(x.journal ? { journal: x.journal } : {}),
      writes: x.writes,
      crds: x.crds,
      rollback: `calico-migrate rollback --state ${state} ${x.run ? `--run ${x.run}` : `--journal ${x.journal ?? ''}`}`,
    }));
}

export function othersText(others: readonly OtherRun[]): string {
  if (others.length === 0) return '';
  const what = (o: OtherRun) => `${o.writes} write(s)${o.crds > 0 ? ` and ${o.crds} CRD(s)` : ''}`;
  return `${others.length === 1 ? 'another run still holds' : `${others.length} other runs still hold`} what a rollback would undo (newest first; undo them in this order):\n${others.map((o) => `  ${o.location}: ${what(o)}: ${o.rollback}`).join('\n')}\n`;
}
