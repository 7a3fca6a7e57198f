/**
 * The migration step contract. A step is pure: it receives the v2.4 items of the types it
 * handles and returns target objects plus exactly one outcome per item. No I/O, clocks,
 * randomness or environment; `test/migrations/purity.test.ts` enforces the imports.
 */
import type { Issue, LostField, RecordOutcome, Rename, Severity } from '../model/report.js';
import type { OutputForm, TargetObject, TargetVersion } from '../model/target.js';
import { objectId } from '../model/target.js';
import type { V1Item, V1ItemType, V1Snapshot } from '../model/v1.js';

/** A target object with the origins of every record that fed it. */
export interface EmittedObject {
  readonly object: TargetObject;
  /** `objectId(object)`, made once: the runner looks objects up by it several times each. */
  readonly id: string;
  readonly origins: readonly string[];
  /**
   * Written even when no converted record names it (as long as it is valid and clashes with
   * nothing): an object that exists because of where the records are, not what they hold, such as
   * the v3 Node of a Calico host directory. The issue is reported when no converted record names it,
   * so the report still says why the object is there.
   */
  readonly standalone?: Issue;
}

export interface StepOutput {
  readonly objects: readonly EmittedObject[];
  readonly outcomes: readonly RecordOutcome[];
  readonly issues: readonly Issue[];
  readonly renames: readonly Rename[];
}

export type ItemOf<T extends V1ItemType> = Extract<V1Item, { type: T }>;

/** Read-only context: the whole snapshot (for cross-references) and the output form. */
export interface StepContext {
  readonly snapshot: V1Snapshot;
  readonly form: OutputForm;
}

export interface Step<T extends V1ItemType = V1ItemType> {
  /** Equal to the file stem, e.g. `0030-ip-pools`. */
  readonly id: string;
  readonly target: TargetVersion;
  /** One sentence for `--help`, the report and CHANGELOG. */
  readonly summary: string;
  /** The item types this step accounts for. Each type is handled by exactly one step per target. */
  readonly handles: readonly T[];
  /**
   * Item types among `handles` whose values (endpoint values, IPAM handle counts, block allocations)
   * this step never reads in the given form: it accounts for them by their keys alone, and no other
   * step reads them through the snapshot. The parse stage still checks such values, so a malformed
   * one is still an error, but does not keep them; reading one anyway is an internal error.
   */
  readonly unreadValues?: (form: OutputForm) => readonly T[];
  readonly transform: (items: readonly ItemOf<T>[], context: StepContext) => StepOutput;
}

/** Declares a step with its item types inferred from `handles`. */
export function defineStep<T extends V1ItemType>(step: Step<T>): Step<T> {
  return step;
}

/** A step as the registry and runner hold it: its item types erased behind a checked filter. */
export interface RegisteredStep {
  readonly id: string;
  readonly target: TargetVersion;
  readonly summary: string;
  readonly handles: readonly V1ItemType[];
  /** `Step.unreadValues` (none when the step does not say). */
  readonly unreadValues: (form: OutputForm) => readonly V1ItemType[];
  /** Runs the step on the items of its types (other items are filtered out). */
  readonly run: (items: readonly V1Item[], context: StepContext) => StepOutput;
}

export function register<T extends V1ItemType>(step: Step<T>): RegisteredStep {
  const handles: readonly V1ItemType[] = step.handles;
  const isHandled = (item: V1Item): item is ItemOf<T> => handles.includes(item.type);
  return {
    id: step.id,
    target: step.target,
    summary: step.summary,
    handles,
    unreadValues: (form) => step.unreadValues?.(form) ?? [],
    // The runner gives a step its own items: they are passed as they are (no copy of 100k items), others filtered out.
    run: (items, context) => step.transform(items.every(isHandled) ? (items as readonly ItemOf<T>[]) : items.filter(isHandled), context),
  };
}

const NOTHING_LOST: readonly LostField[] = Object.freeze([]);

/** A lost value as the report shows it: JSON, shortened when long. */
function showValue(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** A field the target cannot hold, for `OutputBuilder.converted`. */
export function notCarried(path: string, value: unknown, reason: string): LostField {
  return { path, value, code: 'field-not-carried', reason };
}

/** A hint and severity to attach to a skipped or converted record. */
export interface Note {
  readonly severity: Severity;
  readonly code?: string;
  readonly message?: string;
  readonly hint?: string;
}

/**
 * Collects a step's output. Every item must end in exactly one of `converted`, `skipped` or
 * `failed`; the runner checks that.
 */
export class OutputBuilder {
  private readonly objects: EmittedObject[] = [];
  private readonly outcomes: RecordOutcome[] = [];
  private readonly issues: Issue[] = [];
  private readonly renames: Rename[] = [];

  /** Emits an object fed by the given items; returns its id. */
  emit(object: TargetObject, from: readonly Pick<V1Item, 'origin'>[], options: { standalone?: Omit<Issue, 'targets'> } = {}): string {
    const id = objectId(object);
    const origins = from.map((i) => i.origin);
    this.objects.push(options.standalone ? { object, id, origins, standalone: { ...options.standalone, targets: [id] } } : { object, id, origins });
    return id;
  }

  /**
   * Converted into `targets`. Fields the parser did not know (`item.unknownFields`) and fields the
   * step could not carry (`lost`) make it `converted-with-loss`, each with a warning naming it.
   */
  converted(item: V1Item, targets: readonly string[], note?: Note, lost: readonly LostField[] = []): void {
    // Nearly every record loses nothing: no list is made for it.
    const allLost = item.unknownFields === undefined && lost.length === 0 ? NOTHING_LOST : [...(item.unknownFields ?? []), ...lost];
    // Outcomes are built with their keys in the report's order: the report writer then takes the native path.
    this.outcomes.push(
      allLost.length > 0
        ? { disposition: 'converted-with-loss', file: item.file, lost: allLost, origin: item.origin, targets: [...targets] }
        : { disposition: 'converted', file: item.file, origin: item.origin, targets: [...targets] },
    );
    if (note?.message) this.issue(item, note.severity, note.code ?? 'note', note.message, note.hint);
    for (const f of allLost) this.issue(item, 'warning', f.code, `${f.path} = ${showValue(f.value)}: ${f.reason}`);
  }

  /** Skipped with a reason code; `severity` decides whether it is also an issue to read. */
  skipped(item: V1Item, code: string, message: string, note?: { severity: Severity; hint?: string }): void {
    this.outcomes.push({ code, disposition: 'skipped', file: item.file, message, origin: item.origin });
    if (note && note.severity !== 'info') this.issue(item, note.severity, code, message, note.hint);
    else if (note?.hint) this.issue(item, 'info', code, message, note.hint);
  }

  failed(item: V1Item, code: string, message: string, hint?: string): void {
    this.outcomes.push(hint ? { code, disposition: 'error', file: item.file, hint, message, origin: item.origin } : { code, disposition: 'error', file: item.file, message, origin: item.origin });
  }

  issue(item: Pick<V1Item, 'origin'> | undefined, severity: Severity, code: string, message: string, hint?: string): void {
    // Keys in the report's order, and no spread before other keys (V8 adds those on a slow path).
    const issue: { code: string; hint?: string; message?: string; origin?: string; severity?: Severity } = { code };
    if (hint) issue.hint = hint;
    issue.message = message;
    if (item) issue.origin = item.origin;
    issue.severity = severity;
    this.issues.push(issue as Issue);
  }

  rename(item: V1Item, kind: string, from: string, to: string): void {
    // Keys in the report's order (the report writer's native path).
    if (from !== to) this.renames.push({ from, kind, origin: item.origin, to });
  }

  build(): StepOutput {
    return { objects: this.objects, outcomes: this.outcomes, issues: this.issues, renames: this.renames };
  }
}
