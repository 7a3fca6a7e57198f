/**
 * The plan file: what a plan pins (tool version, target, form, steps, the source fingerprint, each
 * target object's resourceVersion as read, every intended write) and a SHA-256 hash of all that.
 * `apply --plan` re-reads source and target, plans again, and refuses when anything the plan
 * depends on moved, saying what.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CalicoMigrateError } from '../errors.js';
import { isRecord } from '../input/dump.js';
import { sortKeys } from '../output/serialize.js';
import { orderedKeys, sameJson } from '../output/order.js';
import { recordChanges } from './fingerprint.js';
import { summarize } from './build.js';
import { isNodePatch, type Plan, type PlanEntry } from './types.js';

export type PlanBody = Omit<Plan, 'hash' | 'summary' | 'planVersion'>;

/** The hash of a plan's content: its compact JSON with sorted keys. `sorted` says the keys already are. */
function hashOf(body: Omit<Plan, 'hash'>, sorted = false): string {
  return createHash('sha256').update(JSON.stringify(sorted ? body : sortKeys(body)), 'utf8').digest('hex');
}

/**
 * The sorted copy each plan made here was hashed from. The plan itself keeps its objects' own key
 * order (an etcd value is written in it), but its file text is this copy's: written natively.
 */
const sortedCopies = new WeakMap<Plan, Omit<Plan, 'hash'>>();

/** Completes a plan: version, summary and hash. */
export function makePlan(body: PlanBody): Plan {
  const withSummary: Omit<Plan, 'hash'> = { planVersion: 1, ...body, summary: summarize(body.entries) };
  const sorted = sortKeys(withSummary) as Omit<Plan, 'hash'>;
  const plan = { ...withSummary, hash: hashOf(sorted, true) };
  sortedCopies.set(plan, sorted);
  return plan;
}

/**
 * The plan with every map's keys in written order: the copy its hash was taken of, for a plan made
 * here. Serialised, it is the same text as the plan itself, from the native writer.
 */
export function sortedPlan(plan: Plan): Plan {
  const top: Record<string, unknown> = { ...(sortedCopies.get(plan) ?? (sortKeys(plan) as Plan)), hash: plan.hash };
  return Object.fromEntries(orderedKeys(top).map((k) => [k, top[k]])) as unknown as Plan;
}

/**
 * The plan file's text: `serialize(plan, 'json')`, from one native call. `compact` leaves out the
 * indentation (a plan kept in the target's state store, where nobody reads it by eye: less than
 * half the bytes to store).
 */
export function planText(plan: Plan, compact = false): string {
  return `${JSON.stringify(sortedPlan(plan), null, compact ? undefined : 2)}\n`;
}

/** Reads a plan file, checking its shape and that its hash still matches its content. */
export async function readPlanFile(path: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CalicoMigrateError('E_INPUT_READ', `${path}: cannot read the plan file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CalicoMigrateError('E_INPUT_FORMAT', `${path}: not a plan file (not JSON: ${(e as Error).message})`);
  }
  if (!isRecord(doc) || doc['planVersion'] !== 1 || typeof doc['hash'] !== 'string' || !Array.isArray(doc['entries']) || !isRecord(doc['source'])) {
    throw new CalicoMigrateError('E_INPUT_FORMAT', `${path}: not a calico-migrate plan file (planVersion 1)`);
  }
  const plan = doc as unknown as Plan;
  const { hash, ...rest } = plan;
  if (hashOf(rest) !== hash) {
    throw new CalicoMigrateError('E_INPUT_FORMAT', `${path}: the plan's content no longer matches its hash ${hash.slice(0, 12)}; it was edited after it was made. Make a new plan`);
  }
  return plan;
}

/** One cluster: the same kube-system uid when both are known, else the same address. */
export function sameCluster(a: { readonly server: string; readonly id?: string | undefined }, b: { readonly server: string; readonly id?: string | undefined }): boolean {
  return a.id !== undefined && b.id !== undefined ? a.id === b.id : a.server === b.server;
}

const list = (xs: readonly string[], max = 5) => `${xs.slice(0, max).join(', ')}${xs.length > max ? `, … (${xs.length} in all)` : ''}`;

/** A live object moved unless it still reads as the plan read it, or now already holds what the plan writes. */
function targetMoved(old: PlanEntry, fresh: PlanEntry | undefined): string | undefined {
  if (!fresh) return `${old.key} is no longer part of the plan`;
  if (fresh.action === 'unchanged') return undefined;
  if (isNodePatch(old)) {
    if (fresh.action === 'missing' && old.action !== 'missing') return `Node ${old.name} no longer exists`;
    return sameJson(old.liveAnnotations ?? {}, fresh.liveAnnotations ?? {}) && old.action === fresh.action ? undefined : `the annotations of Node ${old.name} changed since the plan was made`;
  }
  if (old.resourceVersion === fresh.resourceVersion) return undefined;
  if (old.resourceVersion === '') return `${old.key} was created by someone else since the plan was made`;
  if (fresh.resourceVersion === '') return `${old.key} was deleted since the plan was made`;
  return `${old.key} was modified since the plan was made (resourceVersion ${old.resourceVersion} → ${fresh.resourceVersion})`;
}

/**
 * What moved between the plan and a fresh plan made now: empty when the plan still holds. Objects
 * that meanwhile hold exactly what the plan writes (a resumed apply) have not moved.
 */
export function whatMoved(old: Plan, fresh: Plan): string[] {
  const moved: string[] = [];
  if (old.tool.version !== fresh.tool.version) moved.push(`the plan was made by ${old.tool.name} ${old.tool.version}; this is ${fresh.tool.version}`);
  if ((old.cutOver ?? false) !== (fresh.cutOver ?? false)) moved.push(old.cutOver ? 'the plan is for a cut-over (--cut-over); this apply is not' : 'this apply is a cut-over (--cut-over); the plan was made without it: plan again with --cut-over');
  if (old.target !== fresh.target || old.form !== fresh.form) moved.push(`the plan is for --to ${old.target} (${old.form} form), not ${fresh.target} (${fresh.form})`);
  if (!sameJson(old.steps, fresh.steps)) moved.push('the migration steps differ from the plan\'s');
  if (!sameCluster(old.cluster, fresh.cluster)) moved.push(`the plan was made against another cluster (${old.cluster.server}${old.cluster.id ? `, kube-system uid ${old.cluster.id}` : ''}), not ${fresh.cluster.server}${fresh.cluster.id ? ` (kube-system uid ${fresh.cluster.id})` : ''}`);
  const src = recordChanges(old.source.records, fresh.source.records);
  if (src.added.length > 0) moved.push(`source records added since the plan was made: ${list(src.added)}`);
  if (src.removed.length > 0) moved.push(`source records removed since the plan was made: ${list(src.removed)}`);
  if (src.changed.length > 0) moved.push(`source records changed since the plan was made: ${list(src.changed)}`);
  const freshByKey = new Map(fresh.entries.map((e) => [e.key, e]));
  const oldKeys = new Set(old.entries.map((e) => e.key));
  const target: string[] = [];
  for (const e of old.entries) {
    const why = targetMoved(e, freshByKey.get(e.key));
    if (why) target.push(why);
    else if (!sameJson(e.desired, freshByKey.get(e.key)?.desired)) target.push(`what the plan writes to ${e.key} differs from what the source converts to now`);
  }
  for (const e of fresh.entries) if (!oldKeys.has(e.key)) target.push(`${e.key} is a new write the plan does not have`);
  if (target.length > 0) moved.push(...target.slice(0, 20), ...(target.length > 20 ? [`… and ${target.length - 20} more`] : []));
  return moved;
}
