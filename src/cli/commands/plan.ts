/**
 * `calico-migrate plan`: the pre-upgrade dry run. Reads the source and the live target, and shows
 * per object what would happen with a content diff, plus every preflight finding. Writes nothing
 * to any cluster; `--out` saves the plan for `apply --plan`.
 * Exit codes: 0 nothing to do, 2 changes pending, 3 blocked, 1 error.
 */
import { EXIT } from '../../errors.js';
import type { InputFormat } from '../../input/dump.js';
import type { OutputForm, TargetVersion } from '../../model/target.js';
import { CalicoMigrateError } from '../../errors.js';
import { jsonPieces } from '../../output/json.js';
import { writesOf } from '../../plan/build.js';
import { entryDiff, externalDiff, planDiff } from '../../plan/diff.js';
import { renderEntries, renderFindings, renderPlanHeader } from '../../plan/render.js';
import type { Plan } from '../../plan/types.js';
import { planText, sortedPlan } from '../../plan/file.js';
import { colourAllowed, resolvePath, writeFileAtomic, writeStream, type CliIo } from '../io.js';
import { Migration } from '../migration.js';

export interface PlanOptions {
  readonly fromFile: readonly string[];
  readonly inputFormat?: InputFormat;
  readonly source: Readonly<Record<string, unknown>>;
  readonly to: TargetVersion;
  readonly out?: string;
  readonly output: 'text' | 'json';
  readonly diffContext: number;
  readonly overwrite: boolean;
  readonly ignorePreflight: readonly string[];
  /** The form asked for; it must be the destination's (crd on a cluster, calicoctl in etcd v3). */
  readonly form?: OutputForm;
  /** Destination flags (`--target-datastore-type`, …). */
  readonly destination?: Readonly<Record<string, unknown>>;
  /** Plan a cut-over (etcd v3 destination): the apply pauses the v2.x agents. */
  readonly cutOver?: boolean;
}

export type PlanVerdict = 'nothing-to-do' | 'changes-pending' | 'blocked';

export function verdictOf(plan: Plan, overwrite: boolean): PlanVerdict {
  if (plan.findings.some((f) => f.severity === 'error')) return 'blocked';
  return writesOf(plan.entries, overwrite).length > 0 ? 'changes-pending' : 'nothing-to-do';
}

export const VERDICT_EXIT: Readonly<Record<PlanVerdict, number>> = { 'nothing-to-do': EXIT.ok, 'changes-pending': EXIT.changesPending, blocked: EXIT.blocked };

const VERDICT_TEXT: Readonly<Record<PlanVerdict, string>> = {
  'nothing-to-do': 'nothing to do: the cluster already holds everything this migration writes',
  'changes-pending': 'changes pending: `calico-migrate apply` would make them',
  blocked: 'blocked: resolve the errors above, then plan again',
};

export async function runPlan(opts: PlanOptions, io: CliIo): Promise<number> {
  const m = new Migration({ ...opts, mode: 'plan' }, io);
  try {
    return await planWith(m, opts, io);
  } finally {
    m.close();
  }
}

async function planWith(m: Migration, opts: PlanOptions, io: CliIo): Promise<number> {
  await m.connect();
  if (opts.form && opts.form !== m.form()) {
    throw new CalicoMigrateError('E_USAGE', `--form ${opts.form} does not fit the destination, which stores the ${m.form()} form (${m.etcd ? 'an etcd v3 datastore' : 'a Kubernetes cluster'}); use convert --form ${opts.form} to see that form`);
  }
  await m.readSource();
  m.convert();
  await m.runPreflight();
  await m.readTarget();
  const plan = await m.makePlan();
  if (opts.out) await writeFileAtomic(resolvePath(io.cwd, opts.out), planText(plan), 0o600);
  const verdict = verdictOf(plan, opts.overwrite);
  if (opts.output === 'json') {
    const diffs = Object.fromEntries(plan.entries.map((e) => [e.key, entryDiff(e, m.target, { context: opts.diffContext })]).filter(([, d]) => d !== ''));
    // Written a piece at a time: a plan of 20,000 objects is tens of MB of JSON.
    await writeStream(io.stdout, jsonPieces({ result: verdict, exitCode: VERDICT_EXIT[verdict], ...(opts.out ? { planFile: opts.out } : {}), plan: sortedPlan(plan), diffs }));
    return VERDICT_EXIT[verdict];
  }
  const external = (io.env ?? process.env)['CALICO_MIGRATE_EXTERNAL_DIFF'];
  const diff = external ? await externalDiff(external, plan.entries, m.target) : planDiff(plan.entries, m.target, { context: opts.diffContext, color: colourAllowed(io) });
  const lines = [...renderPlanHeader(plan), '', ...renderEntries(plan.entries, opts.overwrite)];
  if (diff !== '') lines.push('', diff.trimEnd());
  if (plan.findings.length > 0) lines.push('', 'preflight:', ...renderFindings(plan.findings));
  lines.push('', `${VERDICT_TEXT[verdict]}${opts.out ? `; plan saved to ${opts.out}` : ''} (exit ${VERDICT_EXIT[verdict]})`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return VERDICT_EXIT[verdict];
}
