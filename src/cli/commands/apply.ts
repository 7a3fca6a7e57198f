/**
 * `calico-migrate apply`: the migration itself. Stages: connect → read source → convert →
 * preflight → read target → plan → confirm → lock → backup → ensure CRDs → write → verify → unlock
 * → next steps. With `--plan`, the source and target are read again and planned again, and the
 * apply refuses (exit 3) when anything the plan pinned moved. It asks before writing on a terminal;
 * without one it needs `--yes` and never waits for input. Every write is journaled; a re-run of
 * an interrupted apply converges to the plan, and `rollback` undoes it.
 * Exit codes: 0 applied (or nothing to do), 1 error, 3 blocked (preflight, conflicts, stale plan, lock).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { ListrTask } from 'listr2';
import { ensureCrds, crdsNeeded } from '../../apply/crds.js';
import { Journal, readJournal } from '../../apply/journal.js';
import { journalStatus } from '../../apply/status.js';
import type { KubeObject } from '../../datastore/kube-client.js';
import { isRecord } from '../../input/dump.js';
import { acquireLock, forceUnlock, LockHeldError, type LockHandle, type LockInfo } from '../../apply/lock.js';
import { nextSteps } from '../../apply/next-steps.js';
import { verifyWritten } from '../../apply/verify.js';
import { writeEntries, type WriteResult } from '../../apply/write.js';
import { CalicoMigrateError, EXIT } from '../../errors.js';
import type { InputFormat } from '../../input/dump.js';
import type { TargetVersion } from '../../model/target.js';
import { serialize } from '../../output/serialize.js';
import { writesOf } from '../../plan/build.js';
import { planDiff } from '../../plan/diff.js';
import { readPlanFile, sameCluster, whatMoved } from '../../plan/file.js';
import { renderEntries, renderFindings, renderPlanHeader } from '../../plan/render.js';
import type { Plan } from '../../plan/types.js';
import { TOOL_VERSION } from '../../version.js';
import { confirmApply } from '../../ui/confirm.js';
import { canPrompt, progressMode, runStages } from '../../ui/progress.js';
import { resolvePath, writeFileAtomic, type CliIo } from '../io.js';
import { Migration } from '../migration.js';
import { colourAllowed } from './plan.js';
import { findJournal } from './state.js';
import YAML from 'yaml';

export interface ApplyOptions {
  readonly fromFile: readonly string[];
  readonly inputFormat?: InputFormat;
  readonly source: Readonly<Record<string, unknown>>;
  readonly to?: TargetVersion;
  readonly plan?: string;
  readonly yes: boolean;
  readonly dryRun: boolean;
  readonly overwrite: boolean;
  readonly concurrency: number;
  readonly output: 'text' | 'json';
  readonly journal?: string;
  readonly stateDir: string;
  readonly lockWaitSeconds: number;
  readonly lockTtlSeconds: number;
  readonly forceUnlock: boolean;
  readonly ignorePreflight: readonly string[];
  readonly diffContext: number;
}

export type ApplyVerdict = 'applied' | 'dry-run' | 'nothing-to-do' | 'blocked' | 'stale-plan' | 'cancelled' | 'failed';

interface ApplyReport {
  result: ApplyVerdict;
  exitCode: number;
  plan?: { hash: string; file?: string; target: string; server: string };
  journal?: string;
  backup?: string;
  summary?: Record<string, number>;
  entries?: WriteResult[];
  findings?: Plan['findings'];
  moved?: string[];
  verify?: { ok: boolean; differences: string[] };
  nextSteps?: string[];
  message?: string;
}

/** The plan's file stem in the state directory, and the journal and backup beside it. */
function statePaths(opts: ApplyOptions, io: CliIo, hash: string): { plan: string; journal: string; backup: string } {
  const planPath = opts.plan ? resolvePath(io.cwd, opts.plan) : join(resolvePath(io.cwd, opts.stateDir), `calico-migrate-${hash.slice(0, 12)}.plan.json`);
  const stem = join(dirname(planPath), basename(planPath).replace(/(\.plan)?\.json$/, ''));
  const journal = opts.journal ? resolvePath(io.cwd, opts.journal) : `${stem}.journal`;
  return { plan: planPath, journal, backup: journal.replace(/\.journal$/, '') + '.backup.yaml' };
}

/**
 * Without --plan or --journal: the journal of an earlier apply to the same cluster and target that
 * did not finish (failed or interrupted), so that running the same command again resumes it in
 * the same journal and one rollback undoes every run.
 */
async function unfinishedJournal(opts: ApplyOptions, io: CliIo, cluster: Plan['cluster'], to: TargetVersion): Promise<string | undefined> {
  if (opts.plan || opts.journal) return undefined;
  const path = await findJournal(undefined, opts.stateDir, io);
  if (!path) return undefined;
  const s = journalStatus(await readJournal(path));
  return (s.lastOutcome === 'failed' || s.lastOutcome === 'interrupted') && sameCluster({ server: s.server ?? '', id: s.cluster }, cluster) && s.target === to && s.undoable > 0 ? path : undefined;
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
  const doc: unknown = YAML.parse(text);
  return isRecord(doc) && Array.isArray(doc['items']) ? (doc['items'] as KubeObject[]) : [];
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Counts of write outcomes. */
function tally(results: readonly WriteResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) out[r.outcome] = (out[r.outcome] ?? 0) + 1;
  return out;
}

function emit(report: ApplyReport, opts: ApplyOptions, io: CliIo, text: string[]): number {
  if (opts.output === 'json') io.stdout.write(serialize(report, 'json'));
  else io.stdout.write(`${[...text, `result: ${report.result}${report.message ? `: ${report.message}` : ''} (exit ${report.exitCode})`].join('\n')}\n`);
  return report.exitCode;
}

export async function runApply(opts: ApplyOptions, io: CliIo): Promise<number> {
  const pinned = opts.plan ? await readPlanFile(resolvePath(io.cwd, opts.plan)) : undefined;
  if (pinned && opts.to && opts.to !== pinned.target) throw new CalicoMigrateError('E_USAGE', `--to ${opts.to} differs from the plan's target ${pinned.target}`);
  const to = pinned?.target ?? opts.to;
  if (!to) throw new CalicoMigrateError('E_USAGE', 'give --to v2.5|v3.0, or --plan PLAN.json');
  // A plan made from dumps is applied from the same dumps (paths as given to plan), unless others are named.
  const fromFile = opts.fromFile.length === 0 && pinned?.source.type === 'files' ? pinned.source.files.map((f) => f.path) : opts.fromFile;
  const m = new Migration({ fromFile, ...(opts.inputFormat ? { inputFormat: opts.inputFormat } : {}), source: opts.source, to, mode: opts.dryRun ? 'dry-run' : 'apply', overwrite: opts.overwrite, ignorePreflight: opts.ignorePreflight }, io);
  const mode = progressMode(io, opts.output);
  let moved: string[] = [];
  const stage = (title: string, run: () => Promise<string> | string): ListrTask<object> => ({
    title,
    task: async (_ctx, task) => {
      task.title = `${title}: ${await run()}`;
    },
  });
  await runStages([
    stage('Connect', () => m.connect()),
    stage('Read source', () => m.readSource()),
    stage('Convert', () => m.convert()),
    stage('Preflight', () => m.runPreflight()),
    stage('Read target', () => m.readTarget()),
    stage('Plan', async () => {
      const fresh = await m.makePlan();
      if (pinned) moved = whatMoved(pinned, fresh);
      return `${fresh.summary.create} create, ${fresh.summary.update} update, ${fresh.summary.unchanged} unchanged, ${fresh.summary.conflict} conflict${moved.length > 0 ? `; the plan is stale (${moved.length} change(s))` : ''}`;
    }),
  ], mode, io, {});
  const plan = m.plan;
  const client = m.client;
  const desired = m.desired;
  if (!plan || !client || !desired) throw new CalicoMigrateError('E_INTERNAL', 'the plan stages did not complete');
  const hash = pinned?.hash ?? plan.hash;
  const planInfo = { hash, ...(opts.plan ? { file: opts.plan } : {}), target: plan.target, server: plan.cluster.server };
  const header = [...renderPlanHeader({ ...plan, hash }), ...renderEntries(plan.entries, opts.overwrite)];

  if (moved.length > 0) {
    return emit({ result: 'stale-plan', exitCode: EXIT.blocked, plan: planInfo, moved, message: 'the source or the target changed since the plan was made; make a new plan' }, opts, io, [...header, '', 'the plan is stale:', ...moved.map((w) => `  ${w}`)]);
  }
  if (plan.findings.some((f) => f.severity === 'error')) {
    return emit({ result: 'blocked', exitCode: EXIT.blocked, plan: planInfo, findings: plan.findings, message: 'nothing was written' }, opts, io, [...header, '', 'preflight:', ...renderFindings(plan.findings)]);
  }
  const writes = writesOf(plan.entries, opts.overwrite);
  if (writes.length === 0) {
    return emit({ result: 'nothing-to-do', exitCode: EXIT.ok, plan: planInfo, findings: plan.findings, message: 'the cluster already holds everything this migration writes' }, opts, io, header);
  }
  if (opts.dryRun) {
    if ((m.version?.minor ?? 0) < 13) {
      throw new CalicoMigrateError('E_USAGE', `--dry-run=server needs Kubernetes 1.13 or later: ${plan.cluster.server} runs ${plan.cluster.gitVersion}, which ignores dryRun=All and would write for real; use calico-migrate plan, which writes nothing`);
    }
  }
  if (!opts.yes && !opts.dryRun) {
    if (!canPrompt(io)) {
      throw new CalicoMigrateError('E_USAGE', `refusing to write ${writes.length} change(s) without confirmation: there is no terminal to ask on; review them with \`calico-migrate plan\` and run again with --yes`);
    }
    if (opts.output === 'text') io.stdout.write(`${[...header, ...(plan.findings.length > 0 ? ['', 'preflight:', ...renderFindings(plan.findings)] : [])].join('\n')}\n`);
    const go = await confirmApply(`Apply ${writes.length} change(s) to ${plan.cluster.server}?`, async () => planDiff(plan.entries, m.target, { context: opts.diffContext, color: colourAllowed(io) }), io);
    if (!go) return emit({ result: 'cancelled', exitCode: EXIT.error, plan: planInfo, message: 'cancelled; nothing was written' }, opts, io, []);
  }

  const resumed = opts.dryRun ? undefined : await unfinishedJournal(opts, io, plan.cluster, to);
  const paths = statePaths(resumed ? { ...opts, journal: resumed } : opts, io, hash);
  if (!opts.dryRun) await mkdir(dirname(paths.journal), { recursive: true });
  const journal = opts.dryRun ? undefined : await Journal.open(paths.journal, `${hostname()}/${process.pid}/${Date.now().toString(36)}`);
  let lock: LockHandle | undefined;
  let lockLost: unknown;
  let results: WriteResult[] = [];
  let differences: string[] | undefined;
  const beforeImages = writes.filter((w) => w.action !== 'create');
  try {
    await runStages([
      {
        title: 'Lock',
        skip: () => (opts.dryRun ? 'dry run: nothing is written' : false),
        task: async (_c, task) => {
          if (!journal) return;
          if (!opts.plan) await writeFileAtomic(paths.plan, serialize(plan, 'json'), 0o600);
          // The run's intent first, so that status can say what was planned however the run ends.
          await journal.append({ t: 'begin', planHash: hash, ...(opts.plan ? { planFile: opts.plan } : { planFile: paths.plan }), target: to, server: plan.cluster.server, ...(plan.cluster.id ? { cluster: plan.cluster.id } : {}), overwrite: opts.overwrite, writes: writes.map((w) => ({ key: w.key, action: w.action })), backupFile: paths.backup });
          if (opts.forceUnlock) await journal.append({ t: 'force-unlock', removed: (await forceUnlock(client)) ?? null, automatic: false });
          const acquire = () => acquireLock(client, { holder: journal.run, reason: `apply plan ${hash.slice(0, 12)} (--to ${to})`, ttlSeconds: opts.lockTtlSeconds, planHash: hash, waitMs: opts.lockWaitSeconds * 1000 });
          try {
            lock = await acquire();
          } catch (e) {
            // The holder crashed on this very machine: its process is gone, so the lock is dead.
            const info: LockInfo | undefined = e instanceof LockHeldError ? e.info : undefined;
            if (!info || info.host !== hostname() || info.pid === undefined || info.pid === process.pid || pidAlive(info.pid)) throw e;
            await journal.append({ t: 'force-unlock', removed: (await forceUnlock(client)) ?? null, automatic: true });
            lock = await acquire();
          }
          lock.startRenewing(Math.max(1000, (opts.lockTtlSeconds * 1000) / 3), (err) => (lockLost = err));
          task.title = `Lock: held as ${journal.run} until done`;
        },
      },
      {
        title: 'Backup',
        skip: () => (opts.dryRun ? 'dry run: nothing is written' : false),
        task: async (_c, task) => {
          if (!journal) return;
          const images = beforeImages.map((e) => (e.kind === 'Node' ? { apiVersion: 'v1', kind: 'Node', metadata: { name: e.name, annotations: Object.fromEntries(Object.entries(e.liveAnnotations ?? {}).filter(([, v]) => v !== null)) } } : m.target?.objects.get(e.key))).filter((o) => o !== undefined);
          const previous = await previousBackup(paths.backup);
          const idOf = (o: { readonly kind?: string | undefined; readonly metadata: { readonly name: string; readonly namespace?: string | undefined } }) => `${o.kind ?? ''}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
          const have = new Set(previous.map(idOf));
          await writeFileAtomic(paths.backup, serialize({ apiVersion: 'v1', kind: 'List', items: [...previous, ...images.filter((o) => !have.has(idOf(o)))] }, 'yaml'), 0o600);
          task.title = `Backup: ${images.length} object(s) to be changed saved in ${paths.backup}`;
        },
      },
      {
        title: 'Ensure CRDs',
        task: async (_c, task) => {
          const crds = crdsNeeded(to, new Set(writes.filter((w) => w.kind !== 'Node').map((w) => w.kind)));
          const onCreated = async (name: string, apiVersion: string) => void (await journal?.append({ t: 'crd-created', name, apiVersion }));
          const r = await ensureCrds(client, to, { crds, dryRun: opts.dryRun, timeoutMs: 120_000, pollMs: 500, toolVersion: TOOL_VERSION, onCreated });
          task.title = `Ensure CRDs: ${r.created.length} ${opts.dryRun ? 'would be created' : 'created'}, ${r.alreadyPresent.length} present`;
        },
      },
      {
        title: 'Write',
        task: async (_c, task) => {
          results = await writeEntries({
            client,
            planHash: hash,
            entries: writes,
            live: m.target ?? { objects: new Map(), nodes: new Map(), unserved: new Set(), specSchemas: new Map() },
            overwrite: opts.overwrite,
            dryRun: opts.dryRun,
            concurrency: opts.concurrency,
            ...(journal ? { journal } : {}),
            shouldStop: () => (lockLost ? `the migration lock was lost (${lockLost instanceof Error ? lockLost.message : String(lockLost)})` : undefined),
            onResult: (r, done, total) => {
              task.output = `${done}/${total} ${r.outcome} ${r.key}${r.error ? `: ${r.error}` : ''}`;
            },
          });
          const failed = results.filter((r) => r.outcome === 'failed');
          task.title = `Write: ${Object.entries(tally(results)).map(([k, n]) => `${n} ${k}`).join(', ')}`;
          if (failed.length > 0 && !opts.dryRun) throw new CalicoMigrateError('E_TARGET_STATE', `${failed.length} write(s) failed: ${failed.slice(0, 3).map((f) => `${f.key}: ${f.error ?? ''}`).join('; ')}`);
        },
      },
      {
        title: 'Verify',
        skip: () => (opts.dryRun ? 'dry run: nothing was written' : false),
        task: async (_c, task) => {
          const found = await verifyWritten(client, desired);
          differences = found;
          await journal?.append({ t: 'verify', ok: found.length === 0, differences: found });
          if (found.length > 0) throw new CalicoMigrateError('E_TARGET_STATE', `read back, ${found.length} object(s) differ from the plan: ${found.slice(0, 3).join('; ')}`);
          task.title = `Verify: all ${plan.entries.length} objects read back as planned`;
        },
      },
      {
        title: 'Unlock',
        skip: () => (opts.dryRun ? 'dry run' : false),
        task: async () => {
          const l = lock;
          lock = undefined;
          if (l) await l.release();
        },
      },
    ], mode, io, {});
    await journal?.append({ t: 'end', outcome: 'applied' });
  } catch (e) {
    await journal?.append({ t: 'end', outcome: 'failed', message: e instanceof Error ? e.message : String(e) });
    const report: ApplyReport = { result: e instanceof LockHeldError ? 'blocked' : 'failed', exitCode: e instanceof LockHeldError ? EXIT.blocked : EXIT.error, plan: planInfo, ...(journal ? { journal: journal.path, backup: paths.backup } : {}), entries: results, summary: tally(results), ...(differences ? { verify: { ok: differences.length === 0, differences } } : {}), message: e instanceof Error ? e.message.replace(/\s*\n\s*/g, ' ') : String(e) };
    return emit(report, opts, io, [...header, '', ...results.filter((r) => r.outcome === 'failed').map((r) => `  failed     ${r.key}: ${r.error ?? ''}`), ...(journal ? [`journal: ${journal.path} (apply again to resume, or calico-migrate rollback --journal ${journal.path})`] : [])]);
  } finally {
    if (lock) {
      lock.stop();
      await lock.release().catch(() => undefined);
    }
    if (journal) await journal.close();
  }
  const steps = opts.dryRun ? [] : nextSteps(to, m.dumps?.some((d) => d.format === 'kubernetes') ?? false, journal ? journal.path : undefined);
  // A dry run the server rejected in part blocks the real apply, so it must not look like a pass.
  const rejected = results.filter((r) => r.outcome === 'failed').length;
  const report: ApplyReport = {
    result: opts.dryRun ? 'dry-run' : 'applied',
    exitCode: rejected > 0 ? EXIT.blocked : EXIT.ok,
    plan: planInfo,
    ...(journal ? { journal: journal.path, backup: paths.backup } : {}),
    summary: tally(results),
    entries: results,
    findings: plan.findings,
    ...(opts.dryRun ? {} : { verify: { ok: true, differences: [] } }),
    nextSteps: steps,
    ...(opts.dryRun ? { message: rejected > 0 ? `the server's dry run rejected ${rejected} write(s); nothing was written` : 'every write was sent with dryRun=All; nothing was written' } : {}),
  };
  return emit(report, opts, io, [
    ...renderPlanHeader({ ...plan, hash }),
    '',
    ...results.map((r) => `  ${r.outcome.padEnd(13)} ${r.key}${r.error ? `: ${r.error}` : ''}`),
    ...(steps.length > 0 ? ['', 'next steps:', ...steps.map((s, i) => `  ${i + 1}. ${s}`)] : []),
  ]);
}
