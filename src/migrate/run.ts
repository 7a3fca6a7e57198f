/**
 * The step runner: folds the registered steps of one target over the v2.4 snapshot, then checks
 * the whole result: every item accounted exactly once, no two records landing on the same target
 * object, and every object valid for the target. Pure.
 */
import { CalicoMigrateError } from '../errors.js';
import { isConverted, type Issue, type RecordOutcome, type Rename } from '../model/report.js';
import { type OutputForm, type TargetObject } from '../model/target.js';
import type { V1Item, V1ItemType, V1Snapshot } from '../model/v1.js';
import { serialize } from '../output/serialize.js';
import { byString } from '../util.js';
import type { EmittedObject, RegisteredStep } from './step.js';

export interface TargetDefinition {
  /** Apply order of kinds; objects of earlier kinds come first. */
  readonly kindOrder: readonly string[];
  /** Returns the problems that make an object invalid for this target (empty when valid). */
  readonly validate: (object: TargetObject) => readonly string[];
}

export interface MigrationResult {
  /** Target objects in apply order. */
  readonly objects: readonly TargetObject[];
  readonly outcomes: readonly RecordOutcome[];
  readonly issues: readonly Issue[];
  readonly renames: readonly Rename[];
  readonly steps: readonly string[];
}

/** Checks the registry for one target: ids unique and ordered, each item type handled once. */
export function checkSteps(steps: readonly RegisteredStep[], allTypes: readonly V1ItemType[]): void {
  const owner = new Map<V1ItemType, string>();
  steps.forEach((step, i) => {
    const prev = steps[i - 1];
    if (prev && byString(prev.id, step.id) >= 0) {
      throw new CalicoMigrateError('E_STEP_REGISTRY', `step ${step.id} is registered after ${prev.id}; ids must be unique and ascending`);
    }
    for (const t of step.handles) {
      const other = owner.get(t);
      if (other) throw new CalicoMigrateError('E_STEP_REGISTRY', `item type ${t} is handled by both ${other} and ${step.id}`);
      owner.set(t, step.id);
    }
  });
  const missing = allTypes.filter((t) => !owner.has(t));
  if (missing.length > 0) throw new CalicoMigrateError('E_STEP_REGISTRY', `no step handles item type(s) ${missing.join(', ')}`);
}

/**
 * The records' outcomes in the order the steps gave them. Looking one up by its origin is needed
 * only to replace it with an error (a clash, an invalid object), which is rare: the index is made
 * then, not for every record of a large keyspace.
 */
class Outcomes {
  readonly list: RecordOutcome[] = [];
  private index: Map<string, number> | undefined;

  push(o: RecordOutcome): void {
    this.index?.set(o.origin, this.list.length);
    this.list.push(o);
  }

  /** Replaces a record's outcome with an error, in its place; whether there was one to replace. */
  replaceWithError(origin: string, code: string, message: string, extra: { hint?: string; converted?: string } = {}): boolean {
    this.index ??= new Map(this.list.map((o, i) => [o.origin, i]));
    const at = this.index.get(origin);
    if (at === undefined) return false;
    this.list[at] = { origin, file: this.list[at]!.file, disposition: 'error', code, message, ...extra };
    return true;
  }
}

/** Ids of the objects that converted records name as their targets. */
function namedTargets(outcomes: readonly RecordOutcome[]): Set<string> {
  const named = new Set<string>();
  for (const o of outcomes) if (isConverted(o.disposition)) for (const t of o.targets ?? []) named.add(t);
  return named;
}

/**
 * Checks that a step gave exactly one outcome for each of its items and keeps them. Nearly every
 * step gives them in its items' order: that is checked side by side, with no lookups. Otherwise
 * each outcome is looked up among the step's items; an item with none becomes an "unaccounted"
 * error. An outcome for a record the step was not given, or a second one for a record, is a bug.
 */
function account(step: RegisteredStep, items: readonly V1Item[], reported: readonly RecordOutcome[], outcomes: Outcomes): void {
  let inOrder = reported.length === items.length;
  for (let i = 0; inOrder && i < items.length; i++) if (reported[i]!.origin !== items[i]!.origin) inOrder = false;
  if (inOrder) {
    for (let i = 0; i < reported.length; i++) outcomes.push(reported[i]!);
    return;
  }
  const given = new Set(items.map((i) => i.origin));
  const seen = new Set<string>();
  for (const o of reported) {
    if (!given.has(o.origin)) throw new CalicoMigrateError('E_INTERNAL', `step ${step.id} reported an outcome for ${o.origin}, which it was not given`);
    if (seen.has(o.origin)) throw new CalicoMigrateError('E_INTERNAL', `step ${step.id} reported ${o.origin} twice`);
    seen.add(o.origin);
    outcomes.push(o);
  }
  for (const item of items) {
    if (seen.has(item.origin)) continue;
    outcomes.push({
      origin: item.origin,
      file: item.file,
      disposition: 'error',
      code: 'unaccounted',
      message: `internal: step ${step.id} did not account for this record; please report this as a bug`,
    });
  }
}

export function runSteps(snapshot: V1Snapshot, steps: readonly RegisteredStep[], target: TargetDefinition, form: OutputForm = 'crd'): MigrationResult {
  const byType = new Map<V1ItemType, V1Item[]>();
  const all = snapshot.items;
  for (let i = 0; i < all.length; i++) {
    const item = all[i]!;
    const list = byType.get(item.type);
    if (list) list.push(item);
    else byType.set(item.type, [item]);
  }

  const outcomes = new Outcomes();
  const issues: Issue[] = [];
  const renames: Rename[] = [];
  const emitted: EmittedObject[] = [];

  for (const step of steps) {
    // A step of one item type is given that type's list itself (no copy of a list of 100k items).
    const items = step.handles.length === 1 ? (byType.get(step.handles[0]!) ?? []) : step.handles.flatMap((t) => byType.get(t) ?? []);
    const out = step.run(items, { snapshot, form });
    // Items are distinct records and no two steps share one, so checking each step against its own
    // items accounts for every record exactly once.
    account(step, items, out.outcomes, outcomes);
    // Loops, not push(...spread): a step's output can hold hundreds of thousands of entries.
    for (let i = 0; i < out.issues.length; i++) issues.push(out.issues[i]!);
    for (let i = 0; i < out.renames.length; i++) renames.push(out.renames[i]!);
    for (let i = 0; i < out.objects.length; i++) emitted.push(out.objects[i]!);
  }

  // An object is written only when a converted record names it (a step may offer an object that
  // records of other steps feed, such as a host's v3 Node; if none of them converts, it is not written).
  // Objects are grouped by id in the order first emitted, and each group is marked when a converted
  // record names it: one map operation per object and one per target (a large keyspace emits
  // hundreds of thousands of objects).
  const groups = new Map<string, { readonly members: EmittedObject[]; named: boolean }>();
  for (let i = 0; i < emitted.length; i++) {
    const e = emitted[i]!;
    const group = groups.get(e.id);
    if (group) group.members.push(e);
    else groups.set(e.id, { members: [e], named: false });
  }
  /** Targets named by converted records that no step emitted (their records are errors below). */
  let namedWithoutObject = 0;
  const list = outcomes.list;
  for (let i = 0; i < list.length; i++) {
    const o = list[i]!;
    if (!isConverted(o.disposition)) continue;
    for (const t of o.targets ?? []) {
      const group = groups.get(t);
      if (group) group.named = true;
      else namedWithoutObject++;
    }
  }
  // When no outcome becomes an error below, the objects named afterwards are these same ones.
  let replaced = 0;

  // Two records landing on the same object: an error for every origin, and neither is written.
  // A standalone object no converted record names has no record of its own to blame: it is handled
  // apart, below, and never changes the dispositions of the records around it.
  // Standalone ones no converted record names, in the order emitted (few: a host's Node, say).
  const standaloneOnly = emitted.filter((e) => e.standalone !== undefined && groups.get(e.id)?.named !== true);
  const kept: EmittedObject[] = [];
  // forEach, not for-of: no [id, group] pair or iterator result made for each of hundreds of thousands of groups.
  groups.forEach(({ members: group, named }, id) => {
    if (!named) return;
    if (group.length === 1 && group[0]) {
      kept.push(group[0]);
      return;
    }
    const origins = group.flatMap((g) => g.origins);
    for (const origin of origins) {
      const others = origins.filter((o) => o !== origin).join(', ');
      if (outcomes.replaceWithError(origin, 'name-clash', `converts to ${id}, as does ${others}; neither is written`, { hint: 'rename or remove one of the records so that each converts to a distinct object' })) replaced++;
    }
  });

  // Target validation: an invalid object is not written; its records become errors.
  const valid: EmittedObject[] = [];
  for (let i = 0; i < kept.length; i++) {
    const e = kept[i]!;
    const problems = target.validate(e.object);
    if (problems.length === 0) {
      valid.push(e);
      continue;
    }
    for (const origin of e.origins) {
      if (outcomes.replaceWithError(origin, 'invalid-target', `converted ${e.id} is not valid: ${problems.join('; ')}`, { converted: serialize(e.object, 'yaml') })) replaced++;
    }
  }

  // Converted records may only point at objects that are written. When every named object was
  // emitted (one group each), none clashed and all are valid, every target is written: the
  // records need not be looked through (a large keyspace has hundreds of thousands).
  const allWritten = replaced === 0 && valid.length === kept.length && namedWithoutObject === 0;
  if (!allWritten) {
    const written = new Set(valid.map((e) => e.id));
    // An outcome replaced in its place is one already looked at.
    for (const o of outcomes.list) {
      if (!isConverted(o.disposition) || (o.targets ?? []).every((t) => written.has(t))) continue;
      const lost = (o.targets ?? []).filter((t) => !written.has(t));
      if (outcomes.replaceWithError(o.origin, 'target-not-written', `fed ${lost.join(', ')}, which is not written because of another record's error`)) replaced++;
    }
  }

  // An object whose every feeder ended in an error (e.g. a host's Node when its only host endpoint
  // was invalid) is not written either: nothing converted names it any more; unless it is
  // standalone, and then its issue accounts for it. With no outcome replaced, every valid object
  // is still named (only named ones were kept above).
  const namedNow = replaced === 0 ? undefined : namedTargets(outcomes.list);
  const stillNamed = (id: string): boolean => (namedNow ? namedNow.has(id) : groups.get(id)?.named === true);
  const fedObjects = replaced === 0 ? [...valid] : valid.filter((e) => stillNamed(e.id) || e.standalone);
  for (const e of fedObjects) if (e.standalone && !stillNamed(e.id)) issues.push(e.standalone);

  // Standalone objects no converted record named: written when valid and alone on their name;
  // otherwise left out with a warning that says why (the records keep their own outcomes).
  const taken = new Set(standaloneOnly.length > 0 ? fedObjects.map((e) => e.id) : []);
  const standaloneById = new Map<string, EmittedObject[]>();
  for (const e of standaloneOnly) standaloneById.set(e.id, [...(standaloneById.get(e.id) ?? []), e]);
  for (const [id, group] of standaloneById) {
    const first = group[0];
    if (!first?.standalone) continue;
    const where = group.map((g) => g.standalone?.origin ?? g.origins[0] ?? '').join(', ');
    if (group.length > 1 || taken.has(id)) {
      issues.push({ severity: 'warning', code: 'standalone-clash', origin: first.standalone.origin ?? '', message: `${id} is not written: ${where}${taken.has(id) ? ' and a converted record' : ''} all become ${id}`, hint: 'rename one of them so that each becomes a distinct object' });
      continue;
    }
    const problems = target.validate(first.object);
    if (problems.length > 0) {
      issues.push({ severity: 'warning', code: 'standalone-invalid', origin: first.standalone.origin ?? '', message: `${id} is not written: it is not valid: ${problems.join('; ')}` });
      continue;
    }
    fedObjects.push(first);
    issues.push(first.standalone);
  }

  const rank = (kind: string) => {
    const i = target.kindOrder.indexOf(kind);
    return i < 0 ? target.kindOrder.length : i;
  };
  // Kinds in apply order (then by kind), and within a kind by id: ids are unique here, and a list
  // of strings sorts natively, without a comparator call per comparison.
  const byKind = new Map<string, Map<string, TargetObject>>();
  for (let i = 0; i < fedObjects.length; i++) {
    const e = fedObjects[i]!;
    const group = byKind.get(e.object.kind);
    if (group?.has(e.id)) throw new CalicoMigrateError('E_INTERNAL', `${e.id} would be written twice; please report this as a bug`);
    if (group) group.set(e.id, e.object);
    else byKind.set(e.object.kind, new Map([[e.id, e.object]]));
  }
  const objects: TargetObject[] = [];
  for (const kind of [...byKind.keys()].sort((a, b) => rank(a) - rank(b) || byString(a, b))) {
    const group = byKind.get(kind)!;
    const ids = [...group.keys()].sort();
    for (let i = 0; i < ids.length; i++) objects.push(group.get(ids[i]!)!);
  }

  return { objects, outcomes: outcomes.list, issues, renames, steps: steps.map((s) => s.id) };
}
