/**
 * `calico-migrate apply`: the migration itself. Stages: connect → read source → convert →
 * preflight → read target → plan → confirm → lock → backup → ensure CRDs → write → verify → unlock
 * → next steps. With `--plan`, the source and target are read again and planned again, and the
 * apply refuses (exit 3) when anything the plan pinned moved. It asks before writing on a terminal;
 * without one it needs `--yes` and never waits for input. Every write is journaled; a re-run of
 * an interrupted apply converges to the plan, and `rollback` undoes it.
 * Exit codes: 0 applied (or nothing to do), 1 error, 3 blocked (preflight, conflicts, stale plan, lock).
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { startApply, tally, type ApplyOutcome, type EngineStage } from '../../apply/engine.js';
import { Journal, readJournal } from '../../apply/journal.js';
import { journalStatus } from '../../apply/status.js';
import { nextSteps } from '../../apply/next-steps.js';
import type { WriteResult } from '../../apply/write.js';
import { CalicoMigrateError, EXIT } from '../../errors.js';
import type { InputFormat } from '../../input/dump.js';
import type { TargetVersion } from '../../model/target.js';
import { serialize } from '../../output/serialize.js';
import { writesOf } from '../../plan/build.js';
import { planDiff } from '../../plan/diff.js';
import { readPlanFile, sameCluster, whatMoved } from '../../plan/file.js';
import { renderEntries, renderFindings, renderPlanHeader } from '../../plan/render.js';
import type { Plan } from '../../plan/types.js';
import { confirmApply } from '../../ui/confirm.js';
import { canPrompt, listrTask, progressMode, runStages } from '../../ui/progress.js';
import { resolvePath, type CliIo } from '../io.js';
import { Migration } from '../migration.js';
import { colourAllowed } from './plan.js';
import { findJournal } from './state.js';

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

function emit(report: ApplyReport, opts: ApplyOptions, io: CliIo, text: string[]): number {
  if (opts.output === 'json') io.stdout.write(serialize(report, 'json'));
  else io.stdout.write(`${[...text, `result: ${report.result}${report.message ? `: ${report.message}` : ''} (exit ${report.exitCode})`].join('\n')}\n`);
  return report.exitCode;
}

/** What to do after an apply to an etcd v3 datastore. */
function etcdNextSteps(endpoints: string, journal: string | undefined): string[] {
  return [
    `roll out calico/node v3 (and calicoctl v3) with DATASTORE_TYPE=etcdv3 and ETCD_ENDPOINTS=${endpoints}`,
    `check the objects with calicoctl get (DATASTORE_TYPE=etcdv3 ETCD_ENDPOINTS=${endpoints})`,
    ...(journal ? [`to undo this apply: calico-migrate rollback --journal ${journal} --target-datastore-type etcdv3 --target-etcd-endpoints ${endpoints}`] : []),
  ];
}

export async function runApply(opts: ApplyOptions, io: CliIo): Promise<number> {
  const pinned = opts.plan ? await readPlanFile(resolvePath(io.cwd, opts.plan)) : undefined;
  if (pinned && opts.to && opts.to !== pinned.target) throw new CalicoMigrateError('E_USAGE', `--to ${opts.to} differs from the plan's target ${pinned.target}`);
  const to = pinned?.target ?? opts.to;
  if (!to) throw new CalicoMigrateError('E_USAGE', 'give --to v2.5|v3.0, or --plan PLAN.json');
  // A plan made from dumps is applied from the same dumps (paths as given to plan), unless others are named.
  const fromFile = opts.fromFile.length === 0 && pinned?.source.type === 'files' ? pinned.source.files.map((f) => f.path) : opts.fromFile;
  const m = new Migration({ fromFile, ...(opts.inputFormat ? { inputFormat: opts.inputFormat } : {}), source: opts.source, to, mode: opts.dryRun ? 'dry-run' : 'apply', overwrite: opts.overwrite, ignorePreflight: opts.ignorePreflight, ...(opts.destination ? { destination: opts.destination } : {}) }, io);
  try {
    return await applyWith(m, opts, io, pinned, to);
  } finally {
    m.close();
  }
}

async function applyWith(m: Migration, opts: ApplyOptions, io: CliIo, pinned: Plan | undefined, to: TargetVersion): Promise<number> {
  const mode = progressMode(io, opts.output);
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
      if (pinned) moved = whatMoved(pinned, fresh);
      return `${fresh.summary.create} create, ${fresh.summary.update} update, ${fresh.summary.unchanged} unchanged, ${fresh.summary.conflict} conflict${moved.length > 0 ? `; the plan is stale (${moved.length} change(s))` : ''}`;
    }),
  ].map(listrTask), mode, io, {});
  const plan = m.plan;
  const desired = m.desired;
  if (!plan || !desired) throw new CalicoMigrateError('E_INTERNAL', 'the plan stages did not complete');
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
    if (m.etcd) throw new CalicoMigrateError('E_USAGE', 'an etcd v3 datastore has no server-side dry run: use calico-migrate plan, which writes nothing');
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
  const run = startApply({
    plan,
    hash,
    ...(opts.plan ? { planFile: opts.plan } : {}),
    paths,
    writes,
    desired,
    live: m.target ?? { objects: new Map(), nodes: new Map(), unserved: new Set(), specSchemas: new Map() },
    destination: m.destination(),
    ...(journal ? { journal } : {}),
    options: { to, dryRun: opts.dryRun, overwrite: opts.overwrite, concurrency: opts.concurrency, lockTtlSeconds: opts.lockTtlSeconds, lockWaitSeconds: opts.lockWaitSeconds, forceUnlock: opts.forceUnlock },
  });
  let outcome: ApplyOutcome;
  try {
    await runStages(run.stages.map(listrTask), mode, io, {});
    outcome = await run.finish();
  } catch (e) {
    outcome = await run.finish(e);
  }
  const results = [...outcome.results];
  if (outcome.verdict === 'blocked' || outcome.verdict === 'failed') {
    const report: ApplyReport = { result: outcome.verdict, exitCode: outcome.verdict === 'blocked' ? EXIT.blocked : EXIT.error, plan: planInfo, ...(journal ? { journal: journal.path, backup: paths.backup } : {}), entries: results, summary: tally(results), ...(outcome.differences ? { verify: { ok: outcome.differences.length === 0, differences: [...outcome.differences] } } : {}), ...(outcome.message ? { message: outcome.message } : {}) };
    return emit(report, opts, io, [...header, '', ...results.filter((r) => r.outcome === 'failed').map((r) => `  failed     ${r.key}: ${r.error ?? ''}`), ...(journal ? [`journal: ${journal.path} (apply again to resume, or calico-migrate rollback --journal ${journal.path})`] : [])]);
  }
  const steps = opts.dryRun ? [] : m.etcd ? etcdNextSteps(m.etcd.address, journal?.path) : nextSteps(to, m.dumps?.some((d) => d.format === 'kubernetes') ?? false, journal ? journal.path : undefined);
  // A dry run the server rejected in part blocks the real apply, so it must not look like a pass.
  const rejected = outcome.rejected;
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
