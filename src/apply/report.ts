/**
 * What an apply says about itself: the result value (`-o json` prints it) and the text lines before
 * the closing `result:` line, for each way a run ends: stopped before writing (a stale plan, a
 * blocker, nothing to do), or after the engine ran (applied, a dry run, failed or blocked by the
 * lock). Pure: exit codes are the shared ones, streams are the CLI's.
 */
import { EXIT } from '../errors.js';
import { renderEntries, renderFindings, renderPlanHeader } from '../plan/render.js';
import type { Plan } from '../plan/types.js';
import { tally, type ApplyOutcome } from './engine.js';
import type { WriteResult } from './write.js';

export type ApplyVerdict = 'applied' | 'dry-run' | 'nothing-to-do' | 'blocked' | 'stale-plan' | 'cancelled' | 'failed';

export interface ApplyReport {
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
  /** A cut-over: what changed in IPAM and endpoints since the plan (read after the pause), and the v1 flag. */
  cutOver?: { changes: string[]; flag: string };
}

export interface RenderedReport {
  readonly report: ApplyReport;
  readonly lines: readonly string[];
}

/** Which plan the run applies: its hash (the saved plan's when one was given) and file. */
export interface PlanRef {
  readonly hash: string;
  readonly file?: string;
  readonly overwrite: boolean;
}

function planInfo(plan: Plan, ref: PlanRef): NonNullable<ApplyReport['plan']> {
  return { hash: ref.hash, ...(ref.file ? { file: ref.file } : {}), target: plan.target, server: plan.cluster.server };
}

/** The plan's header and entries, as every text report starts. */
export function planLines(plan: Plan, ref: PlanRef): string[] {
  return [...renderPlanHeader({ ...plan, hash: ref.hash }), ...renderEntries(plan.entries, ref.overwrite)];
}

/** Why nothing is to be written, when so: the plan is stale, something blocks, or nothing differs. */
export function beforeWriting(plan: Plan, ref: PlanRef, moved: readonly string[], writes: number): RenderedReport | undefined {
  const header = planLines(plan, ref);
  const info = planInfo(plan, ref);
  if (moved.length > 0) {
    return { report: { result: 'stale-plan', exitCode: EXIT.blocked, plan: info, moved: [...moved], message: 'the source or the target changed since the plan was made; make a new plan' }, lines: [...header, '', 'the plan is stale:', ...moved.map((w) => `  ${w}`)] };
  }
  if (plan.findings.some((f) => f.severity === 'error')) {
    return { report: { result: 'blocked', exitCode: EXIT.blocked, plan: info, findings: plan.findings, message: 'nothing was written' }, lines: [...header, '', 'preflight:', ...renderFindings(plan.findings)] };
  }
  if (writes === 0) return { report: { result: 'nothing-to-do', exitCode: EXIT.ok, plan: info, findings: plan.findings, message: 'the cluster already holds everything this migration writes' }, lines: header };
  return undefined;
}

/** The operator said no at the prompt. */
export function cancelled(plan: Plan, ref: PlanRef): RenderedReport {
  return { report: { result: 'cancelled', exitCode: EXIT.error, plan: planInfo(plan, ref), message: 'cancelled; nothing was written' }, lines: [] };
}

export interface RunFacts {
  readonly dryRun: boolean;
  /** The journal and backup of a run that keeps them (not a dry run). */
  readonly journal?: string;
  readonly backup?: string;
  readonly nextSteps: readonly string[];
}

/** How the engine's run ended. A dry run the server rejected in part blocks the real apply, so it is not a pass. */
export function afterWriting(plan: Plan, ref: PlanRef, outcome: ApplyOutcome, run: RunFacts): RenderedReport {
  const results = [...outcome.results];
  const info = planInfo(plan, ref);
  const state = run.journal ? { journal: run.journal, ...(run.backup ? { backup: run.backup } : {}) } : {};
  if (outcome.verdict === 'blocked' || outcome.verdict === 'failed') {
    const report: ApplyReport = { result: outcome.verdict, exitCode: outcome.verdict === 'blocked' ? EXIT.blocked : EXIT.error, plan: info, ...state, entries: results, summary: tally(results), ...(outcome.differences ? { verify: { ok: outcome.differences.length === 0, differences: [...outcome.differences] } } : {}), ...(outcome.message ? { message: outcome.message } : {}), ...cutOverOf(outcome) };
    return { report, lines: [...planLines(plan, ref), '', ...results.filter((r) => r.outcome === 'failed').map((r) => `  failed     ${r.key}: ${r.error ?? ''}`), ...cutOverLines(outcome), ...(run.journal ? [`journal: ${run.journal} (apply again to resume, or calico-migrate rollback --journal ${run.journal})`] : [])] };
  }
  const rejected = outcome.rejected;
  const report: ApplyReport = {
    result: run.dryRun ? 'dry-run' : 'applied',
    exitCode: rejected > 0 ? EXIT.blocked : EXIT.ok,
    plan: info,
    ...state,
    summary: tally(results),
    entries: results,
    findings: plan.findings,
    ...(run.dryRun ? {} : { verify: { ok: true, differences: [] } }),
    nextSteps: [...run.nextSteps],
    ...cutOverOf(outcome),
    ...(run.dryRun ? { message: rejected > 0 ? `the server's dry run rejected ${rejected} write(s); nothing was written` : 'every write was sent with dryRun=All; nothing was written' } : {}),
  };
  const steps = run.nextSteps;
  return {
    report,
    lines: [
      ...renderPlanHeader({ ...plan, hash: ref.hash }),
      '',
      ...results.map((r) => `  ${r.outcome.padEnd(13)} ${r.key}${r.error ? `: ${r.error}` : ''}`),
      ...cutOverLines(outcome),
      ...(steps.length > 0 ? ['', 'next steps:', ...steps.map((s, i) => `  ${i + 1}. ${s}`)] : []),
    ],
  };
}

function cutOverOf(outcome: ApplyOutcome): Pick<ApplyReport, 'cutOver'> {
  return outcome.cutOver ? { cutOver: { changes: [...outcome.cutOver.changes], flag: outcome.cutOver.flag } } : {};
}

/** The cut-over's lines: the v1 flag, and what changed since the plan in IPAM and endpoints. */
function cutOverLines(outcome: ApplyOutcome): string[] {
  const c = outcome.cutOver;
  if (!c) return [];
  return ['', `cut-over: ${c.flag}`, c.changes.length === 0 ? '  IPAM and workload endpoints unchanged since the plan' : `  read again after the pause, ${c.changes.length} IPAM/endpoint change(s) since the plan (written as they are now):`, ...c.changes.slice(0, 50).map((l) => `    ${l}`), ...(c.changes.length > 50 ? [`    … and ${c.changes.length - 50} more (all in the journal)`] : [])];
}
