/**
 * The apply engine: lock → backup → schema → write → verify → unlock over any destination, with
 * the journal around it. Target-agnostic (a `Destination` does the writing) and free of the CLI: it
 * takes its own options, reports progress through the stages it hands out (the UI runs them, with
 * listr2 or otherwise), and returns an outcome value; it never writes to a stream or picks an
 * exit code.
 *
 *   const run = startApply(input);
 *   try { for (const s of run.stages) await s.run(...); outcome = await run.finish(); }
 *   catch (e) { outcome = await run.finish(e); }
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import YAML from 'yaml';
import type { Destination } from '../destination/types.js';
import type { KubeObject } from '../datastore/kube-client.js';
import { CalicoMigrateError } from '../errors.js';
import { isRecord } from '../input/dump.js';
import type { TargetVersion } from '../model/target.js';
import { writeFileAtomic } from '../output/files.js';
import { serialize } from '../output/serialize.js';
import type { Desired } from '../plan/desired.js';
import { planText } from '../plan/file.js';
import type { LiveTarget } from '../plan/live.js';
import { isNodePatch, type Plan, type PlanEntry } from '../plan/types.js';
import { capped, withWrites, type Journal, type JournalRecord } from './journal.js';
import { LockHeldError, type LockHandle, type LockInfo } from './lock.js';
import { rollbackJournal, type RollbackStep } from './rollback.js';
import { describeResume, restoreFlag } from './cut-over.js';
import type { ReadyFlag } from '../datastore/ready-flag.js';
import type { StateStore } from '../state/types.js';
import type { WriteResult } from './write.js';

export interface ApplyEngineOptions {
  readonly to: TargetVersion;
  readonly dryRun: boolean;
  readonly overwrite: boolean;
  readonly concurrency: number;
  readonly lockTtlSeconds: number;
  readonly lockWaitSeconds: number;
  /** Remove the lock first, whoever holds it (journaled). */
  readonly forceUnlock: boolean;
}

export interface ApplyEngineInput {
  readonly plan: Plan;
  /** The hash the run is pinned to: the saved plan's when one was given, else the fresh plan's. */
  readonly hash: string;
  /** The saved plan file as given, if any; otherwise the plan is saved to `paths.plan` before the lock. */
  readonly planFile?: string;
  readonly paths: { readonly plan: string; readonly backup: string };
  /** The entries to write (creates, updates, and conflicts when overwriting), in apply order. */
  readonly writes: readonly PlanEntry[];
  readonly desired: Desired;
  readonly live: LiveTarget;
  readonly destination: Destination;
  /** Absent in a dry run: nothing is journaled. */
  readonly journal?: Journal;
  readonly options: ApplyEngineOptions;
  /** Whether a process id is alive on this host (a dead holder's lock is taken over). */
  readonly pidAlive?: (pid: number) => boolean;
  /** A cut-over (src/apply/cut-over.ts): pause the v2.x agents under the lock, then plan again from what is read then. */
  readonly cutOver?: CutOverInput;
  /** Keeps the plan and the backup in a state store in the target (run `runId`) instead of the files of `paths`. */
  readonly state?: { readonly store: StateStore; readonly runId: string };
}

/** What the writes are, planned again after the pause. */
export interface Replanned {
  readonly plan: Plan;
  readonly writes: readonly PlanEntry[];
  readonly desired: Desired;
  readonly live: LiveTarget;
  /** What changed in IPAM and workload endpoints since the plan, one line each. */
  readonly changes: readonly string[];
}

export interface CutOverInput {
  readonly flag: ReadyFlag;
  /** How long to let Felix notice the pause before reading again. */
  readonly settleMs: number;
  /** The pause an earlier run of this journal made and did not give back: a resumed cut-over keeps it. */
  readonly earlier?: { readonly before: string | null };
  /** Reads the source and the destination again and plans again; throws when something the plan pins moved. */
  readonly refresh: () => Promise<Replanned>;
}

/** One stage: `run` does it and returns the line that says how it went (empty: nothing to add); `progress` reports as it goes. */
export interface EngineStage {
  readonly title: string;
  /** Why the stage does not run (a dry run), if it does not. */
  readonly skip?: string;
  run(progress: (line: string) => void): Promise<string>;
}

export type ApplyVerdictOfEngine = 'applied' | 'dry-run' | 'blocked' | 'failed';

export interface ApplyOutcome {
  readonly verdict: ApplyVerdictOfEngine;
  readonly results: readonly WriteResult[];
  /** What verify found, when it ran. */
  readonly differences?: readonly string[];
  /** Why the run failed or was blocked (one line). */
  readonly message?: string;
  /** Writes a server-side dry run rejected (they block the real apply). */
  readonly rejected: number;
  /** A cut-over: what changed since the plan (read after the pause), and where the v1 flag was left. */
  readonly cutOver?: { readonly changes: readonly string[]; readonly flag: string };
}

export interface ApplyRun {
  readonly stages: readonly EngineStage[];
  /** Ends the run after the stages (with the error that stopped them, if one did): journal, lock, outcome. */
  finish(error?: unknown): Promise<ApplyOutcome>;
}

function defaultPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Counts of write outcomes. */
export function tally(results: readonly WriteResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) out[r.outcome] = (out[r.outcome] ?? 0) + 1;
  return out;
}

/** The objects an earlier run of the same journal already backed up (the first image of each is the one to keep). */
async function previousBackup(path: string): Promise<KubeObject[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return listItems(text);
}

/** The items of a backup List (YAML). */
function listItems(text: string): KubeObject[] {
  const doc: unknown = YAML.parse(text);
  return isRecord(doc) && Array.isArray(doc['items']) ? (doc['items'] as KubeObject[]) : [];
}

/** The before-images of what the writes change: live objects, and the Calico annotations of Nodes. */
function beforeImages(writes: readonly PlanEntry[], live: LiveTarget): KubeObject[] {
  return writes
    .filter((w) => w.action !== 'create')
    .map((e) => (isNodePatch(e) ? { apiVersion: 'v1', kind: 'Node', metadata: { name: e.name, annotations: Object.fromEntries(Object.entries(e.liveAnnotations ?? {}).filter(([, v]) => v !== null)) as Record<string, string> } } : live.objects.get(e.key)))
    .filter((o): o is KubeObject => o !== undefined);
}

const idOf = (o: { readonly kind?: string | undefined; readonly metadata: { readonly name: string; readonly namespace?: string | undefined } }) => `${o.kind ?? ''}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export function startApply(input: ApplyEngineInput): ApplyRun {
  const { hash, destination, journal, options: o, cutOver } = input;
  // What is written: the plan's, until a cut-over plans again after its pause.
  let { plan, writes, desired, live } = input;
  let pause: { before: string | null } | undefined;
  let cutOverReport: ApplyOutcome['cutOver'];
  const pidAlive = input.pidAlive ?? defaultPidAlive;
  const dry = o.dryRun ? 'dry run: nothing is written' : undefined;
  let lock: LockHandle | undefined;
  let lockLost: unknown;
  let results: WriteResult[] = [];
  let differences: string[] | undefined;

  const lockStage: EngineStage = {
    title: 'Lock',
    ...(dry ? { skip: dry } : {}),
    run: async () => {
      if (!journal) return '';
      if (input.state) await input.state.store.savePlan(input.state.runId, hash, planText(plan, true));
      else if (!input.planFile) await writeFileAtomic(input.paths.plan, planText(plan), 0o600);
      // The run's intent first, so that status can say what was planned however the run ends.
      await journal.appendAll(withWrites({ t: 'begin', planHash: hash, planFile: input.planFile ?? input.paths.plan, target: o.to, server: plan.cluster.server, ...(plan.cluster.id ? { cluster: plan.cluster.id } : {}), overwrite: o.overwrite, writes: [], backupFile: input.paths.backup }, writes));
      if (o.forceUnlock) await journal.append({ t: 'force-unlock', removed: (await destination.forceUnlock()) ?? null, automatic: false });
      const acquire = () => destination.acquireLock({ holder: journal.run, reason: `apply plan ${hash.slice(0, 12)} (--to ${o.to})`, ttlSeconds: o.lockTtlSeconds, planHash: hash, waitMs: o.lockWaitSeconds * 1000 });
      try {
        lock = await acquire();
      } catch (e) {
        // The holder crashed on this very machine: its process is gone, so the lock is dead.
        const info: LockInfo | undefined = e instanceof LockHeldError ? e.info : undefined;
        if (!info || info.host !== hostname() || info.pid === undefined || info.pid === process.pid || pidAlive(info.pid)) throw e;
        await journal.append({ t: 'force-unlock', removed: (await destination.forceUnlock()) ?? null, automatic: true });
        lock = await acquire();
      }
      lock.startRenewing(Math.max(1000, (o.lockTtlSeconds * 1000) / 3), (err) => (lockLost = err));
      return `held as ${journal.run} until done`;
    },
  };

  const pauseStage: EngineStage = {
    title: 'Pause v2 agents',
    ...(dry ? { skip: dry } : {}),
    run: async (progress) => {
      if (!cutOver || !journal) return '';
      const { flag } = cutOver;
      const now = await flag.read();
      if (now === 'false') {
        // Only a pause this journal made is carried on; anyone else's is not this apply's to give back.
        if (!cutOver.earlier) throw new CalicoMigrateError('E_TARGET_STATE', `${flag.address} is already false: someone else paused the v2.x agents (another upgrade?); this apply does not take over a pause it did not make`);
        pause = cutOver.earlier;
      } else {
        await journal.append({ t: 'pause', flag: flag.address, before: now ?? null });
        pause = { before: now ?? null };
        await flag.swap(now, 'false');
        if (cutOver.settleMs > 0) {
          progress(`${flag.address} is false; waiting ${cutOver.settleMs / 1000} s for Felix to stop`);
          await new Promise((r) => setTimeout(r, cutOver.settleMs));
        }
      }
      const again = await cutOver.refresh();
      ({ plan, writes, desired, live } = again);
      const changes = capped(again.changes);
      await journal.appendAll(withWrites({ t: 'replan', writes: [], changes: changes.list, ...(changes.omitted ? { omitted: changes.omitted } : {}) }, writes));
      cutOverReport = { changes: again.changes, flag: `${flag.address} false` };
      for (const c of again.changes.slice(0, 20)) progress(c);
      return `${flag.address} false (was ${pause.before === null ? 'absent' : pause.before}); read again: ${again.changes.length} IPAM/endpoint change(s) since the plan, ${writes.length} write(s)`;
    },
  };

  const backupStage: EngineStage = {
    title: 'Backup',
    ...(dry ? { skip: dry } : {}),
    run: async () => {
      if (!journal) return '';
      const images = beforeImages(writes, live);
      if (input.state) {
        // Kept in the target: a new part with what earlier parts of this run do not hold (the first image of each is the one to keep).
        const { store, runId } = input.state;
        const have = new Set((await store.loadBackup(runId)).flatMap(listItems).map(idOf));
        const fresh = images.filter((x) => !have.has(idOf(x)));
        if (fresh.length > 0) await store.addBackup(runId, hash, serialize({ apiVersion: 'v1', kind: 'List', items: fresh }, 'yaml'));
        return `${images.length} object(s) to be changed saved in ${store.describe(runId)}`;
      }
      const previous = await previousBackup(input.paths.backup);
      const have = new Set(previous.map(idOf));
      await writeFileAtomic(input.paths.backup, serialize({ apiVersion: 'v1', kind: 'List', items: [...previous, ...images.filter((x) => !have.has(idOf(x)))] }, 'yaml'), 0o600);
      return `${images.length} object(s) to be changed saved in ${input.paths.backup}`;
    },
  };

  const schemaStage: EngineStage = {
    title: 'Ensure CRDs',
    run: async () => {
      const kinds = new Set(writes.filter((w) => !isNodePatch(w)).map((w) => w.kind));
      const onCreated = async (name: string, apiVersion: string) => void (await journal?.append({ t: 'crd-created', name, apiVersion }));
      const r = await destination.ensureSchema(kinds, { dryRun: o.dryRun, onCreated });
      return `${r.created.length} ${o.dryRun ? 'would be created' : 'created'}, ${r.alreadyPresent.length} present`;
    },
  };

  const writeStage: EngineStage = {
    title: 'Write',
    run: async (progress) => {
      results = await destination.write({
        planHash: hash,
        entries: writes,
        live,
        overwrite: o.overwrite,
        dryRun: o.dryRun,
        concurrency: o.concurrency,
        ...(journal ? { journal } : {}),
        shouldStop: () => (lockLost ? `the migration lock was lost (${lockLost instanceof Error ? lockLost.message : String(lockLost)})` : undefined),
        onResult: (r, done, total) => progress(`${done}/${total} ${r.outcome} ${r.key}${r.error ? `: ${r.error}` : ''}`),
      });
      const failed = results.filter((r) => r.outcome === 'failed');
      const counts = Object.entries(tally(results)).map(([k, n]) => `${n} ${k}`).join(', ');
      if (failed.length > 0 && !o.dryRun) {
        progress(counts);
        throw new CalicoMigrateError('E_TARGET_STATE', `${failed.length} write(s) failed: ${failed.slice(0, 3).map((f) => `${f.key}: ${f.error ?? ''}`).join('; ')}`);
      }
      return counts;
    },
  };

  const verifyStage: EngineStage = {
    title: 'Verify',
    ...(o.dryRun ? { skip: 'dry run: nothing was written' } : {}),
    run: async () => {
      const found = await destination.verify(desired);
      differences = found;
      const kept = capped(found);
      await journal?.append({ t: 'verify', ok: found.length === 0, differences: kept.list, ...(kept.omitted ? { omitted: kept.omitted } : {}) });
      if (found.length > 0) throw new CalicoMigrateError('E_TARGET_STATE', `read back, ${found.length} object(s) differ from the plan: ${found.slice(0, 3).join('; ')}`);
      return `all ${plan.entries.length} objects read back as planned`;
    },
  };

  const unlockStage: EngineStage = {
    title: 'Unlock',
    ...(o.dryRun ? { skip: 'dry run' } : {}),
    run: async () => {
      const l = lock;
      lock = undefined;
      if (l) await l.release();
      return '';
    },
  };

  return {
    stages: [lockStage, ...(cutOver ? [pauseStage] : []), backupStage, schemaStage, writeStage, verifyStage, unlockStage],
    finish: async (error?: unknown) => {
      try {
        if (error === undefined) {
          await journal?.append({ t: 'end', outcome: 'applied' });
          const rejected = results.filter((r) => r.outcome === 'failed').length;
          return { verdict: o.dryRun ? 'dry-run' : 'applied', results, rejected, ...(o.dryRun ? {} : { differences: [] }), ...(cutOverReport ? { cutOver: cutOverReport } : {}) };
        }
        let message = error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : String(error);
        // A failed cut-over gives the v2.x agents back their datastore (never a flag someone else moved).
        if (cutOver && pause && journal) {
          try {
            const resumed = await restoreFlag(cutOver.flag, pause.before, `the apply failed: ${message}`);
            await journal.append(resumed);
            cutOverReport = { changes: cutOverReport?.changes ?? [], flag: describeResume(resumed, pause.before) };
          } catch (e) {
            cutOverReport = { changes: cutOverReport?.changes ?? [], flag: `${cutOver.flag.address} could NOT be restored (${e instanceof Error ? e.message : String(e)}): the v2.x agents stay paused; run calico-migrate abort` };
          }
          message += `; ${cutOverReport.flag}`;
        }
        await journal?.append({ t: 'end', outcome: 'failed', message: error instanceof Error ? error.message : String(error) });
        return { verdict: error instanceof LockHeldError ? 'blocked' : 'failed', results, rejected: 0, message, ...(differences ? { differences } : {}), ...(cutOverReport ? { cutOver: cutOverReport } : {}) };
      } finally {
        if (lock) {
          await lock.stop();
          await lock.release().catch(() => undefined);
        }
        if (journal) await journal.close();
      }
    },
  };
}

export interface RollbackEngineInput {
  readonly destination: Destination;
  /** The journal's records as read; undo records are appended to `journal`, the same file. */
  readonly records: readonly JournalRecord[];
  readonly journal: Journal;
  readonly reason: string;
  /** Undo even what changed after the apply wrote it. */
  readonly force: boolean;
  /** Remove the lock first, whoever holds it (journaled). */
  readonly forceUnlock: boolean;
  readonly lockTtlSeconds: number;
  readonly lockWaitSeconds: number;
  readonly onStep?: (step: RollbackStep) => void;
}

/**
 * Rollback under the migration lock: the journal's writes undone newest first, then the schema the
 * apply installed; a lost lock stops the remaining undos. Throws LockHeldError when the lock is
 * held. The lock is released and the journal closed whatever happens.
 */
export async function rollbackUnderLock(input: RollbackEngineInput): Promise<RollbackStep[]> {
  const { destination, journal } = input;
  let lock: LockHandle | undefined;
  try {
    if (input.forceUnlock) await journal.append({ t: 'force-unlock', removed: (await destination.forceUnlock()) ?? null, automatic: false });
    lock = await destination.acquireLock({ holder: journal.run, reason: input.reason, ttlSeconds: input.lockTtlSeconds, waitMs: input.lockWaitSeconds * 1000 });
    let lost: string | undefined;
    lock.startRenewing(Math.max(1000, (input.lockTtlSeconds * 1000) / 3), (err) => (lost = `the migration lock was lost (${err instanceof Error ? err.message : String(err)})`));
    return await rollbackJournal({ destination, records: input.records, journal, force: input.force, shouldStop: () => lost }, input.onStep);
  } finally {
    if (lock) {
      await lock.stop();
      await lock.release().catch(() => undefined);
    }
    await journal.close();
  }
}
