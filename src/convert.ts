/**
 * The offline conversion pipeline as one library call: decoded dumps → parse → migrate (the
 * registered steps of the target) → report. Pure; reading files and writing output belong to
 * the callers (the CLI, tests).
 */
import { STEPS } from '../migrations/index.js';
import type { DecodedDump } from './input/dump.js';
import { checkSteps, runSteps } from './migrate/run.js';
import type { Issue, Report } from './model/report.js';
import { CalicoMigrateError } from './errors.js';
import { FORMS_OF, type OutputForm, type TargetObject, type TargetVersion } from './model/target.js';
import { V1_ITEM_TYPES } from './model/v1.js';
import { parseDumps } from './parse/index.js';
import { buildReport, isBlocked } from './report/build.js';
import { TARGETS } from './targets.js';

export interface ConvertResult {
  /** Target objects in apply order. */
  readonly objects: readonly TargetObject[];
  readonly report: Report;
  /** Some records are errors, or an issue blocks the migration. */
  readonly blocked: boolean;
}

/** What a live read adds to a conversion. */
export interface LiveSource {
  /** Observations about the source itself (a live cluster's state), reported beside the records. */
  readonly issues?: readonly Issue[];
  /** What pins the snapshot that was read. */
  readonly fingerprint?: Readonly<Record<string, string>>;
}

/** Converts decoded dumps to a target. */
export function convertDumps(dumps: readonly DecodedDump[], to: TargetVersion, form: OutputForm = 'crd', live: LiveSource = {}): ConvertResult {
  const sourceIssues = live.issues ?? [];
  if (!FORMS_OF[to].includes(form)) {
    throw new CalicoMigrateError('E_USAGE', `--form ${form} is not available for --to ${to} (use ${FORMS_OF[to].join(' or ')})`);
  }
  const steps = STEPS[to];
  checkSteps(steps, V1_ITEM_TYPES);
  // Values no step of this target reads in this form are checked while parsing, then not kept.
  const parsed = parseDumps(dumps, { unreadValues: new Set(steps.flatMap((s) => s.unreadValues(form))) });
  const migrated = runSteps(parsed.snapshot, steps, TARGETS[to], form);
  const report = buildReport(dumps, { ...parsed, issues: [...sourceIssues, ...parsed.issues] }, migrated, { version: to, form }, migrated.objects.length, live.fingerprint);
  return { objects: migrated.objects, report, blocked: isBlocked(report) };
}
