/**
 * `calico-migrate apply`: the migration itself. Stages: connect → read source → convert →
 * preflight → read target → plan → confirm → lock → backup → ensure CRDs → write → verify → unlock
 * → next steps. With `--plan`, the source and target are read again and planned again, and the
 * apply refuses (exit 3) when anything the plan pinned moved. It asks before writing on a terminal;
 * without one it needs `--yes` and never waits for input. Every write is journaled; a re-run of
 * an interrupted apply converges to the plan, and `rollback` undoes it.
 * Exit codes: 0 applied (or nothing to do), 1 error, 3 blocked (preflight, conflicts, stale plan, lock).
 */
import { startApply, type ApplyOutcome, type EngineStage } from '../../apply/engine.js';
import { pinnedPart } from '../../apply/cut-over.js';
import { afterWriting, beforeWriting, cancelled, planLines, type RenderedReport } from '../../apply/report.js';
import { statePaths } from '../../apply/state-files.js';
import { openApplyState, type StateChoice } from '../run-state.js';
import { CalicoMigrateError } from '../../errors.js';
import type { InputFormat } from '../../input/dump.js';
import type { TargetVersion } from '../../model/target.js';
import { serialize } from '../../output/serialize.js';
import { writesOf } from '../../plan/build.js';
import { readPlanFile, whatMoved } from '../../plan/file.js';
import { renderFindings } from '../../plan/render.js';
import type { Plan } from '../../plan/types.js';
import { canPrompt, listrTask, progressMode, runStages, type StageTimings } from '../../ui/progress.js';
import { colourAllowed, resolvePath, type CliIo } from '../io.js';
import { Migration } from '../migration.js';

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
  /** Destination flags (`--target-datastore-type`, …). */
  readonly destination?: Readonly<Record<string, unknown>>;
  /** Pause the v2.x agents while writing (etcd v3 destination); a saved plan made with --cut-over implies it. */
  readonly cutOver?: boolean;
  /** Seconds to let Felix notice the pause before reading again. */
  readonly pauseSettleSeconds?: number;
  /** Where the run's state is kept: local files, or the target (Secrets, or etcd keys). */
  readonly state?: StateChoice;
}

function emit(r: RenderedReport, opts: ApplyOptions, io: CliIo, timings?: StageTimings): number {
  const { report } = r;
  // Seconds per stage, for whoever measures a run (they are the only part of the result that varies).
  if (opts.output === 'json') io.stdout.write(serialize(timings ? { ...report, timings } : report, 'json'));
  else io.stdout.write(`${[...r.lines, `result: ${report.result}${report.message ? `: ${report.message}` : ''} (exit ${report.exitCode})`].join('\n')}\n`);
  return report.exitCode;
}

export async function runApply(opts: ApplyOptions, io: CliIo): Promise<number> {
  const pinned = opts.plan ? await readPlanFile(resolvePath(io.cwd, opts.plan)) : undefined;
  if (pinned && opts.to && opts.to !== pinned.target) throw new CalicoMigrateError('E_USAGE', `--to ${opts.to} differs from the plan's target ${pinned.target}`);
  const to = pinned?.target ?? opts.to;
  if (!to) throw new CalicoMigrateError('E_USAGE', 'give --to v2.5|v3.0, or --plan PLAN.json');
  // A plan made from dumps is applied from the same dumps (paths as given to plan), unless others are named.
  const fromFile = opts.fromFile.length === 0 && pinned?.source.type === 'files' ? pinned.source.files.map((f) => f.path) : opts.fromFile;
  const cutOver = opts.cutOver === true || pinned?.cutOver === true;
  const m = new Migration({ fromFile, ...(opts.inputFormat ? { inputFormat: opts.inputFormat } : {}), source: opts.source, to, mode: opts.dryRun ? 'dry-run' : 'apply', overwrite: opts.overwrite, ignorePreflight: opts.ignorePreflight, ...(opts.destination ? { destination: opts.destination } : {}), cutOver, ...(opts.state ? { state: opts.state } : {}) }, io);
  try {
    return await applyWith(m, opts, io, pinned, to);
  } finally {
    m.close();
  }
}

async function applyWith(m: Migration, opts: ApplyOptions, io: CliIo, pinned: Plan | undefined, to: TargetVersion): Promise<number> {
  const mode = progressMode(io, opts.output);
  const timings: StageTimings = {};
  let moved: string[] = [];
  const stage = (title: string, run: () => Promise<string> | string): EngineStage => ({ title, run: async () => run() });
  await runStages([
    stage('Connect', () => m.connect()),
    stage('Read source', () => m.readSource()),
    stage('Convert', () => m.convert()),
    stage('Preflight', () => m.runPreflight()),
    stage('Read target', () => m.readTarget()),
    stage('Plan', async () => {
      const fresh = await m.makePlan();
      // A cut-over pins IPAM and endpoints only after its pause (the engine reads them again then).
      if (pinned) moved = m.options.cutOver ? whatMoved(pinnedPart(pinned), pinnedPart(fresh)) : whatMoved(pinned, fresh);
      return `${fresh.summary.create} create, ${fresh.summary.update} update, ${fresh.summary.unchanged} unchanged, ${fresh.summary.conflict} conflict${moved.length > 0 ? `; the plan is stale (${moved.length} change(s))` : ''}`;
    }),
  ].map((s) => listrTask(s, timings)), mode, io, {});
  const { plan, desired, target: live } = m;
  if (!plan || !desired || !live) throw new CalicoMigrateError('E_INTERNAL', 'the plan stages did not complete');
  const ref = { hash: pinned?.hash ?? plan.hash, ...(opts.plan ? { file: opts.plan } : {}), overwrite: opts.overwrite };
  const writes = writesOf(plan.entries, opts.overwrite);
  const stop = beforeWriting(plan, ref, moved, writes.length);
  if (stop) return emit(stop, opts, io);
  const refusal = opts.dryRun ? m.dryRunRefusal() : undefined;
  if (refusal) throw new CalicoMigrateError('E_USAGE', refusal);
  if (!opts.yes && !opts.dryRun) {
    if (!canPrompt(io)) {
      throw new CalicoMigrateError('E_USAGE', `refusing to write ${writes.length} change(s) without confirmation: there is no terminal to ask on; review them with \`calico-migrate plan\` and run again with --yes`);
    }
    if (opts.output === 'text') io.stdout.write(`${[...planLines(plan, ref), ...(plan.findings.length > 0 ? ['', 'preflight:', ...renderFindings(plan.findings)] : [])].join('\n')}\n`);
    // The prompt and the diff behind it load only when a person is asked.
    const [{ confirmApply }, { planDiff }] = await Promise.all([import('../../ui/confirm.js'), import('../../plan/diff.js')]);
    const go = await confirmApply(`Apply ${writes.length} change(s) to ${plan.cluster.server}?`, async () => planDiff(plan.entries, live, { context: opts.diffContext, color: colourAllowed(io) }), io);
    if (!go) return emit(cancelled(plan, ref), opts, io);
  }

  const state = opts.dryRun ? undefined : await openApplyState({ choice: opts.state ?? 'local', ...(opts.state === 'target' ? { store: m.stateStore() } : {}), cwd: io.cwd, stateDir: opts.stateDir, ...(opts.plan ? { plan: opts.plan } : {}), ...(opts.journal ? { journal: opts.journal } : {}) }, plan, ref.hash, to);
  const { journal, earlier } = state ?? {};
  const paths = state?.paths ?? statePaths({ cwd: io.cwd, stateDir: opts.stateDir }, ref.hash);
  const run = startApply({
    plan,
    hash: ref.hash,
    ...(opts.plan ? { planFile: opts.plan } : {}),
    paths,
    writes,
    desired,
    live,
    destination: m.destination(),
    ...(journal ? { journal } : {}),
    ...(state?.store ? { state: state.store } : {}),
    ...(m.readyFlag ? { cutOver: { flag: m.readyFlag, settleMs: (opts.pauseSettleSeconds ?? 15) * 1000, ...(earlier ? { earlier } : {}), refresh: () => m.replan(pinned ?? plan) } } : {}),
    options: { to, dryRun: opts.dryRun, overwrite: opts.overwrite, concurrency: opts.concurrency, lockTtlSeconds: opts.lockTtlSeconds, lockWaitSeconds: opts.lockWaitSeconds, forceUnlock: opts.forceUnlock },
  });
  let outcome: ApplyOutcome;
  try {
    await runStages(run.stages.map((s) => listrTask(s, timings)), mode, io, {});
    outcome = await run.finish();
  } catch (e) {
    outcome = await run.finish(e);
  }
  const wrote = outcome.verdict === 'applied';
  const kept = state?.store;
  const steps = !wrote ? [] : kept ? [...m.nextSteps(undefined), `the run's state (journal, plan, backup) is kept in ${kept.store.describe(kept.runId)} until forgotten: from any machine, calico-migrate status --state target shows it, rollback --state target undoes it, forget ${kept.runId} --state target removes it`] : m.nextSteps(journal?.path);
  return emit(afterWriting(plan, ref, outcome, { dryRun: opts.dryRun, ...(journal ? { journal: journal.path, backup: kept ? kept.store.describe(kept.runId) : paths.backup } : {}), nextSteps: steps }), opts, io, timings);
}
