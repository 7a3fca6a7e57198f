/**
 * ThirdPartyResources (Kubernetes ≤ 1.7): the `extensions/v1beta1` definition object, how its
 * name becomes a group, kind and plural, and the namespaced instance endpoints it installs.
 */
import { goQuote, isObj, objAt, strAt, type Obj } from './json.js';
import { baseDef, type HookContext, type ResourceDef } from './resources.js';
import type { FieldError } from './status.js';

export const TPR_PREFIX = '/extensions/thirdpartyresources/';

/** What a TPR name derives to. */
export interface TprNames {
  group: string;
  kind: string;
  plural: string;
  singular: string;
}

/** CamelCase with `-` as the word break; other letters keep their case (`ip-pool` → `IpPool`). */
export function tprKind(segment: string): string {
  return segment
    .split('-')
    .filter((w) => w !== '')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** The 1.7 `UnsafeGuessKindToResource` plural of a kind. */
export function guessPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** Derives group, kind and plural from a TPR name, or returns the 1.7 error text. */
export function deriveTpr(name: string): TprNames | string {
  const parts = name.split('.');
  if (parts.length < 3) return `unexpectedly short resource name: ${name}, expected at least <kind>.<domain>.<tld>`;
  const kind = tprKind(parts[0] ?? '');
  return { group: parts.slice(1).join('.'), kind, plural: guessPlural(kind), singular: kind.toLowerCase() };
}

/** The TPR name whose derivation gives `kind` in `group` (`IpPool` → `ip-pool.<group>`). */
export function tprNameFor(group: string, kind: string): string {
  const dashed = kind.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  return `${dashed}.${group}`;
}

/** Validation of a TPR definition. */
export function validateTpr(obj: Obj): FieldError[] {
  const name = strAt(objAt(obj, 'metadata'), 'name') ?? '';
  const derived = deriveTpr(name);
  const errors: FieldError[] = [];
  if (typeof derived === 'string') errors.push({ type: 'Invalid', field: 'metadata.name', value: goQuote(name), detail: derived });
  const versions = obj.versions;
  if (!Array.isArray(versions) || versions.length === 0) errors.push({ type: 'Required', field: 'versions' });
  return errors;
}

/** Deleting a TPR deletes all of its instance data. */
export function afterTprDelete(obj: Obj, ctx: HookContext): void {
  const derived = deriveTpr(strAt(objAt(obj, 'metadata'), 'name') ?? '');
  if (typeof derived === 'string') return;
  for (const entry of ctx.store.list(`/${derived.group}/${derived.plural}/`)) ctx.store.delete(entry.key);
}

/** The `thirdpartyresources` resource itself. */
export function tprResourceDef(): ResourceDef {
  return baseDef({
    group: 'extensions', version: 'v1beta1', plural: 'thirdpartyresources', kind: 'ThirdPartyResource', namespaced: false, origin: 'builtin',
    topLevel: ['apiVersion', 'kind', 'metadata', 'description', 'versions'], topOrder: ['kind', 'apiVersion', 'metadata', 'description', 'versions'],
    hooks: { validate: (obj) => validateTpr(obj), afterDelete: afterTprDelete },
  });
}

/** The instance endpoint a stored TPR installs (first version only, always namespaced). */
export function tprInstanceDef(tpr: Obj): ResourceDef | undefined {
  const derived = deriveTpr(strAt(objAt(tpr, 'metadata'), 'name') ?? '');
  const versions = Array.isArray(tpr.versions) ? tpr.versions.filter(isObj) : [];
  const version = strAt(versions[0], 'name');
  if (typeof derived === 'string' || !version) return undefined;
  return baseDef({
    group: derived.group, version, plural: derived.plural, kind: derived.kind, namespaced: true, origin: 'tpr',
    singular: derived.singular, prune: false, generation: 'none',
  });
}
