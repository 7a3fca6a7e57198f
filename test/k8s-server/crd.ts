/**
 * CustomResourceDefinitions: defaults, validation, v1beta1 ⇄ v1 conversion, the naming and
 * establishing controllers (with configurable delays), deletion with clean-up, and the resource
 * definitions a CRD serves.
 */
import { clone, deepEqual, ensureObj, goQuote, isObj, nowSeconds, objAt, orderKeys, strAt, type Obj } from './json.js';
import { baseDef, CUSTOM_VERBS, TERMINATING_VERBS, type Features, type HookContext, type ResourceDef } from './resources.js';
import type { FieldError } from './status.js';

export const CRD_GROUP = 'apiextensions.k8s.io';
export const CRD_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

/** Storage prefix of every CRD. */
export const CRD_PREFIX = `/${CRD_GROUP}/customresourcedefinitions/`;

function versionsOf(spec: Obj | undefined): Obj[] {
  const versions = spec?.versions;
  return Array.isArray(versions) ? versions.filter(isObj) : [];
}

/** Defaults shared by both versions: singular, listKind, conversion. */
function defaultNames(spec: Obj): void {
  const names = ensureObj(spec, 'names');
  const kind = strAt(names, 'kind') ?? '';
  if (!strAt(names, 'singular') && kind) names.singular = kind.toLowerCase();
  if (!strAt(names, 'listKind') && kind) names.listKind = `${kind}List`;
  if (!isObj(spec.conversion)) spec.conversion = { strategy: 'None' };
}

/** Converts a v1beta1 body to the stored (v1) form, applying the v1beta1 defaults. */
export function crdFromV1beta1(input: Obj): Obj {
  const obj = clone(input);
  obj.apiVersion = `${CRD_GROUP}/v1`;
  const spec = ensureObj(obj, 'spec');
  if (!strAt(spec, 'scope')) spec.scope = 'Namespaced';
  if (versionsOf(spec).length === 0 && strAt(spec, 'version')) spec.versions = [{ name: spec.version, served: true, storage: true }];
  const schema = objAt(objAt(spec, 'validation'), 'openAPIV3Schema');
  const subresources = objAt(spec, 'subresources');
  const columns = spec.additionalPrinterColumns;
  spec.versions = versionsOf(spec).map((v) => {
    const out = clone(v);
    if (schema && !isObj(out.schema)) out.schema = { openAPIV3Schema: clone(schema) };
    if (subresources && !isObj(out.subresources)) out.subresources = clone(subresources);
    if (Array.isArray(columns) && !Array.isArray(out.additionalPrinterColumns)) out.additionalPrinterColumns = clone(columns);
    return out;
  });
  for (const key of ['version', 'validation', 'subresources', 'additionalPrinterColumns']) delete spec[key];
  if (spec.preserveUnknownFields === undefined) spec.preserveUnknownFields = true;
  if (spec.preserveUnknownFields === false) delete spec.preserveUnknownFields;
  return obj;
}

/** Converts the stored (v1) form to a v1beta1 response. */
export function crdToV1beta1(stored: Obj): Obj {
  const obj = clone(stored);
  obj.apiVersion = `${CRD_GROUP}/v1beta1`;
  const spec = ensureObj(obj, 'spec');
  const versions = versionsOf(spec);
  const schemas = versions.map((v) => objAt(v, 'schema'));
  const shared = schemas.length > 0 && schemas.every((s) => deepEqual(s, schemas[0]));
  const out: Obj = { group: spec.group, version: strAt(versions[0], 'name'), names: spec.names, scope: spec.scope };
  const first = schemas[0];
  if (shared && first) out.validation = first;
  out.versions = versions.map((v) => {
    const copy = clone(v);
    if (shared) delete copy.schema;
    return copy;
  });
  out.conversion = spec.conversion;
  out.preserveUnknownFields = spec.preserveUnknownFields === true;
  obj.spec = out;
  return obj;
}

/** Create-time defaults and the initial status (no conditions, empty accepted names). */
export function prepareCrdCreate(obj: Obj): void {
  const spec = ensureObj(obj, 'spec');
  defaultNames(spec);
  const storage = versionsOf(spec).find((v) => v.storage === true);
  obj.status = { conditions: null, acceptedNames: { plural: '', kind: '' }, storedVersions: storage ? [strAt(storage, 'name') ?? ''] : [] };
}

/** Strategy validation of a CRD (`v1` additionally forbids `preserveUnknownFields: true`). */
export function validateCrd(obj: Obj, forV1: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const spec = objAt(obj, 'spec') ?? {};
  const names = objAt(spec, 'names') ?? {};
  const group = strAt(spec, 'group') ?? '';
  const plural = strAt(names, 'plural') ?? '';
  const name = strAt(objAt(obj, 'metadata'), 'name') ?? '';
  if (name !== `${plural}.${group}`) errors.push({ type: 'Invalid', field: 'metadata.name', value: goQuote(name), detail: 'must be spec.names.plural+"."+spec.group' });
  if (!group) errors.push({ type: 'Required', field: 'spec.group' });
  else if (!group.includes('.')) errors.push({ type: 'Invalid', field: 'spec.group', value: goQuote(group), detail: 'should be a domain with at least one dot' });
  errors.push(...validateScopeAndNames(spec, names));
  errors.push(...validateVersions(spec, forV1));
  return errors;
}

function validateScopeAndNames(spec: Obj, names: Obj): FieldError[] {
  const errors: FieldError[] = [];
  const scope = strAt(spec, 'scope');
  if (!scope) errors.push({ type: 'Required', field: 'spec.scope' });
  else if (scope !== 'Cluster' && scope !== 'Namespaced') errors.push({ type: 'NotSupported', field: 'spec.scope', value: goQuote(scope), detail: 'supported values: "Cluster", "Namespaced"' });
  const plural = strAt(names, 'plural') ?? '';
  if (!plural) errors.push({ type: 'Required', field: 'spec.names.plural' });
  else if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(plural)) {
    errors.push({ type: 'Invalid', field: 'spec.names.plural', value: goQuote(plural), detail: "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')" });
  }
  if (!strAt(names, 'kind')) errors.push({ type: 'Required', field: 'spec.names.kind' });
  return errors;
}

function validateVersions(spec: Obj, forV1: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const versions = versionsOf(spec);
  const preserve = spec.preserveUnknownFields === true;
  if (forV1 && preserve) {
    errors.push({ type: 'Invalid', field: 'spec.preserveUnknownFields', value: 'true', detail: 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead' });
  }
  if (versions.length === 0) {
    errors.push({ type: 'Required', field: 'spec.versions', detail: 'must have exactly one version marked as storage version' });
    return errors;
  }
  if (versions.filter((v) => v.storage === true).length !== 1) {
    const text = versions.map((v) => `{Name:${goQuote(strAt(v, 'name') ?? '')}, Served:${v.served === true}, Storage:${v.storage === true}}`).join(', ');
    errors.push({ type: 'Invalid', field: 'spec.versions', value: `[]apiextensions.CustomResourceDefinitionVersion{${text}}`, detail: 'must have exactly one version marked as storage version' });
  }
  versions.forEach((v, i) => errors.push(...validateVersionSchema(v, i, preserve)));
  return errors;
}

function validateVersionSchema(v: Obj, i: number, preserve: boolean): FieldError[] {
  const field = `spec.versions[${i}].schema.openAPIV3Schema`;
  const schema = objAt(objAt(v, 'schema'), 'openAPIV3Schema');
  if (!strAt(v, 'name')) return [{ type: 'Required', field: `spec.versions[${i}].name` }];
  if (!schema) return preserve ? [] : [{ type: 'Required', field, detail: 'schemas are required' }];
  const type = strAt(schema, 'type');
  if (!type) return [{ type: 'Required', field: `${field}.type`, detail: 'must not be empty at the root' }];
  if (type !== 'object') return [{ type: 'Invalid', field: `${field}.type`, value: goQuote(type), detail: 'must be object at the root' }];
  return [];
}

type ConditionStatus = 'True' | 'False';

function setCondition(obj: Obj, type: string, status: ConditionStatus, reason: string, message: string): void {
  const st = ensureObj(obj, 'status');
  const list = Array.isArray(st.conditions) ? st.conditions.filter(isObj) : [];
  const existing = list.find((c) => c.type === type);
  const time = existing && existing.status === status ? existing.lastTransitionTime : nowSeconds();
  const next: Obj = { type, status, lastTransitionTime: time, reason, message };
  st.conditions = existing ? list.map((c) => (c === existing ? next : c)) : [...list, next];
}

/** The status of a condition type, if set. */
export function conditionStatus(obj: Obj, type: string): string | undefined {
  const list = objAt(obj, 'status')?.conditions;
  if (!Array.isArray(list)) return undefined;
  const found = list.filter(isObj).find((c) => c.type === type);
  return strAt(found, 'status');
}

function nameConflict(crd: Obj, others: Obj[]): [string, string] | undefined {
  const spec = objAt(crd, 'spec');
  const names = objAt(spec, 'names') ?? {};
  const mine = others.filter((o) => strAt(objAt(o, 'spec'), 'group') === strAt(spec, 'group') && strAt(objAt(o, 'metadata'), 'uid') !== strAt(objAt(crd, 'metadata'), 'uid'));
  const accepted = mine.map((o) => objAt(objAt(o, 'status'), 'acceptedNames') ?? {});
  const checks: [string, string][] = [['plural', 'PluralConflict'], ['singular', 'SingularConflict'], ['kind', 'KindConflict'], ['listKind', 'ListKindConflict']];
  for (const [field, reason] of checks) {
    const value = strAt(names, field);
    if (value && accepted.some((a) => strAt(a, field) === value)) return [reason, `${goQuote(value)} is already in use`];
  }
  return undefined;
}

function crdKey(name: string): string {
  return `${CRD_PREFIX}${name}`;
}

/** Updates a stored CRD through `change` if it still is the same object (same uid). */
function mutateStored(ctx: HookContext, name: string, uid: string, change: (crd: Obj) => void): Obj | undefined {
  const current = ctx.store.get(crdKey(name));
  if (!current || strAt(objAt(current, 'metadata'), 'uid') !== uid) return undefined;
  change(current);
  return ctx.store.put(crdKey(name), current);
}

/** The naming controller: accepts the names (or reports a conflict) and sets Established=False/Installing. */
function acceptNames(ctx: HookContext, name: string, uid: string): boolean {
  let accepted = false;
  mutateStored(ctx, name, uid, (crd) => {
    const others = ctx.store.list(CRD_PREFIX).map((e) => e.obj);
    const conflictFound = nameConflict(crd, others);
    if (conflictFound) {
      setCondition(crd, 'NamesAccepted', 'False', conflictFound[0], conflictFound[1]);
      setCondition(crd, 'Established', 'False', 'NotAccepted', 'not all names are accepted');
      return;
    }
    ensureObj(crd, 'status').acceptedNames = clone(objAt(objAt(crd, 'spec'), 'names') ?? {});
    setCondition(crd, 'NamesAccepted', 'True', 'NoConflicts', 'no conflicts found');
    if (conditionStatus(crd, 'Established') !== 'True') setCondition(crd, 'Established', 'False', 'Installing', 'the initial names have been accepted');
    accepted = true;
  });
  return accepted;
}

function establish(ctx: HookContext, name: string, uid: string): void {
  mutateStored(ctx, name, uid, (crd) => {
    if (conditionStatus(crd, 'NamesAccepted') !== 'True' || objAt(crd, 'metadata')?.deletionTimestamp) return;
    setCondition(crd, 'Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted');
  });
}

/** Starts the controllers after a create, or re-accepts names after a names change. */
export function afterCrdWrite(obj: Obj, old: Obj | undefined, ctx: HookContext): void {
  const name = strAt(objAt(obj, 'metadata'), 'name') ?? '';
  const uid = strAt(objAt(obj, 'metadata'), 'uid') ?? '';
  const namesChanged = old !== undefined && !deepEqual(objAt(objAt(old, 'spec'), 'names'), objAt(objAt(obj, 'spec'), 'names'));
  if (old !== undefined && !namesChanged) return;
  const namesDelay = Math.max(0, ctx.crdNamesAcceptedDelayMs);
  const establishDelay = Math.max(namesDelay, ctx.crdEstablishDelayMs);
  ctx.scheduler.after(namesDelay, () => {
    if (!acceptNames(ctx, name, uid)) return;
    ctx.scheduler.after(establishDelay - namesDelay, () => establish(ctx, name, uid));
  });
}

/** First DELETE: finalizer, deletionTimestamp and Terminating; the clean-up runs later. */
export function beginCrdDelete(obj: Obj, ctx: HookContext): Obj | undefined {
  const meta = ensureObj(obj, 'metadata');
  const name = strAt(meta, 'name') ?? '';
  const uid = strAt(meta, 'uid') ?? '';
  if (meta.deletionTimestamp) return obj;
  const established = conditionStatus(obj, 'Established') === 'True';
  const updated = mutateStored(ctx, name, uid, (crd) => {
    const m = ensureObj(crd, 'metadata');
    // No deletionGracePeriodSeconds: the CRD strategy does not set one (the real server answers without it).
    m.deletionTimestamp = nowSeconds();
    const finalizers = Array.isArray(m.finalizers) ? m.finalizers : [];
    if (!finalizers.includes(CRD_FINALIZER)) m.finalizers = [...finalizers, CRD_FINALIZER];
    if (established) setCondition(crd, 'Terminating', 'True', 'InstanceDeletionPending', 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon');
    else setCondition(crd, 'Terminating', 'False', 'NeverEstablished', 'resource was never established');
  });
  ctx.scheduler.after(ctx.cleanupDelayMs, () => finishCrdDelete(ctx, name, uid));
  return updated;
}

function finishCrdDelete(ctx: HookContext, name: string, uid: string): void {
  const crd = ctx.store.get(crdKey(name));
  if (!crd || strAt(objAt(crd, 'metadata'), 'uid') !== uid) return;
  const spec = objAt(crd, 'spec');
  const plural = strAt(objAt(objAt(crd, 'status'), 'acceptedNames'), 'plural') || strAt(objAt(spec, 'names'), 'plural') || '';
  const group = strAt(spec, 'group') ?? '';
  for (const entry of ctx.store.list(`/${group}/${plural}/`)) ctx.store.delete(entry.key);
  ctx.store.delete(crdKey(name));
}

const NAMES_ORDER = ['plural', 'singular', 'shortNames', 'kind', 'listKind', 'categories'];
/** JSONSchemaProps in Go struct order (apiextensions v1). */
const SCHEMA_ORDER = [
  'id', '$schema', '$ref', 'description', 'type', 'format', 'title', 'default', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'multipleOf', 'enum', 'maxProperties', 'minProperties', 'required',
  'items', 'allOf', 'oneOf', 'anyOf', 'not', 'properties', 'additionalProperties', 'patternProperties', 'dependencies', 'additionalItems',
  'definitions', 'externalDocs', 'example', 'nullable', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string', 'x-kubernetes-list-map-keys', 'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-validations',
];

function schemaInGoOrder(schema: unknown): unknown {
  if (!isObj(schema)) return schema;
  const out = orderKeys(schema, SCHEMA_ORDER);
  for (const key of ['properties', 'patternProperties', 'definitions']) {
    const map = out[key];
    if (isObj(map)) out[key] = Object.fromEntries(Object.keys(map).sort().map((k) => [k, schemaInGoOrder(map[k])]));
  }
  for (const key of ['items', 'not', 'additionalProperties', 'additionalItems']) if (isObj(out[key])) out[key] = schemaInGoOrder(out[key]);
  for (const key of ['allOf', 'oneOf', 'anyOf']) if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map(schemaInGoOrder);
  return out;
}

/**
 * A v1 CRD as the real server writes it: Go struct field order in spec, names, versions and status,
 * and schema `properties` (a Go map) in sorted key order, whatever order the client sent.
 */
export function crdInGoOrder(crd: Obj): Obj {
  const spec = objAt(crd, 'spec');
  if (spec) {
    const ordered = orderKeys(spec, ['group', 'names', 'scope', 'versions', 'conversion', 'preserveUnknownFields']);
    if (isObj(ordered.names)) ordered.names = orderKeys(ordered.names, NAMES_ORDER);
    if (Array.isArray(ordered.versions)) {
      ordered.versions = ordered.versions.map((v: unknown) => {
        if (!isObj(v)) return v;
        const ov = orderKeys(v, ['name', 'served', 'storage', 'deprecated', 'deprecationWarning', 'schema', 'subresources', 'additionalPrinterColumns', 'selectableFields']);
        if (isObj(ov.schema) && ov.schema.openAPIV3Schema !== undefined) ov.schema = { ...ov.schema, openAPIV3Schema: schemaInGoOrder(ov.schema.openAPIV3Schema) };
        return ov;
      });
    }
    crd.spec = ordered;
  }
  const status = objAt(crd, 'status');
  if (status) {
    const ordered = orderKeys(status, ['conditions', 'acceptedNames', 'storedVersions']);
    if (isObj(ordered.acceptedNames)) ordered.acceptedNames = orderKeys(ordered.acceptedNames, NAMES_ORDER);
    crd.status = ordered;
  }
  return crd;
}

/** The CRD resource itself, at `v1` and/or `v1beta1`. */
export function crdResourceDefs(features: Features): ResourceDef[] {
  const versions = [...(features.crdV1 ? ['v1'] : []), ...(features.crdV1beta1 ? ['v1beta1'] : [])];
  return versions.map((version) =>
    baseDef({
      group: CRD_GROUP, version, plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false, origin: 'builtin',
      shortNames: ['crd', 'crds'], categories: ['api-extensions'], subresources: ['status'], generation: 'spec',
      hooks: {
        ...(version === 'v1beta1' ? { decode: crdFromV1beta1, present: crdToV1beta1 } : { present: crdInGoOrder }),
        prepareCreate: (obj) => prepareCrdCreate(obj),
        validate: (obj) => validateCrd(obj, version === 'v1'),
        afterWrite: afterCrdWrite,
        beginDelete: beginCrdDelete,
      },
    }),
  );
}

/** The custom-resource endpoints a stored CRD serves (only once NamesAccepted; discoverable once Established). */
export function customResourceDefs(crd: Obj): ResourceDef[] {
  if (conditionStatus(crd, 'NamesAccepted') !== 'True') return [];
  const spec = objAt(crd, 'spec') ?? {};
  const accepted = objAt(objAt(crd, 'status'), 'acceptedNames') ?? {};
  const plural = strAt(accepted, 'plural');
  const kind = strAt(accepted, 'kind');
  if (!plural || !kind) return [];
  const terminating = objAt(crd, 'metadata')?.deletionTimestamp !== undefined;
  const established = conditionStatus(crd, 'Established') === 'True';
  const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
  return versionsOf(spec)
    .filter((v) => v.served === true)
    .map((v) => {
      const hasStatus = isObj(objAt(v, 'subresources')?.status);
      const schema = objAt(objAt(v, 'schema'), 'openAPIV3Schema');
      return baseDef({
        group: strAt(spec, 'group') ?? '', version: strAt(v, 'name') ?? '', plural, kind, namespaced: strAt(spec, 'scope') === 'Namespaced', origin: 'crd',
        singular: strAt(accepted, 'singular') ?? kind.toLowerCase(), listKind: strAt(accepted, 'listKind') ?? `${kind}List`,
        shortNames: stringList(accepted.shortNames), categories: stringList(accepted.categories),
        subresources: hasStatus ? ['status'] : [], statusOnCreate: hasStatus ? 'drop' : 'keep',
        ...(schema ? { schema } : {}), prune: spec.preserveUnknownFields !== true,
        terminating, verbs: terminating ? TERMINATING_VERBS : CUSTOM_VERBS, discoverable: established,
      });
    });
}
