/** Resource definitions: what a REST path serves and how objects of that resource behave. */
import type { Obj } from './json.js';
import type { FieldError } from './status.js';
import type { Store } from './store.js';
import type { NameRule } from './validation.js';

/** Server features that depend on the emulated Kubernetes version. */
export interface Features {
  gitVersion: string;
  major: number;
  minor: number;
  /** ThirdPartyResources (`extensions/v1beta1`), removed in 1.8. */
  tpr: boolean;
  /** The `extensions/v1beta1` group at all (gone in 1.22). */
  extensions: boolean;
  crdV1beta1: boolean;
  crdV1: boolean;
  leases: boolean;
  appsV1: boolean;
  /** The `kubernetes.io/metadata.name` namespace label (1.21+). */
  namespaceNameLabel: boolean;
}

/** Derives the features of a `gitVersion` such as `v1.7.16` or `v1.33.0`. */
export function featuresFor(gitVersion: string): Features {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  const major = Number(m?.[1] ?? 1);
  const minor = Number(m?.[2] ?? 33);
  const at = (n: number): boolean => major > 1 || minor >= n;
  return {
    gitVersion, major, minor,
    tpr: !at(8), extensions: !at(22), crdV1beta1: at(7) && !at(22), crdV1: at(16), leases: at(14), appsV1: at(9), namespaceNameLabel: at(21),
  };
}

/** Timers owned by the server (cleared on stop). */
export interface Scheduler {
  after(ms: number, fn: () => void): void;
}

/** What resource hooks may use. */
export interface HookContext {
  store: Store;
  features: Features;
  scheduler: Scheduler;
  crdNamesAcceptedDelayMs: number;
  crdEstablishDelayMs: number;
  cleanupDelayMs: number;
}

/** Per-resource behaviour beyond generic CRUD. */
export interface ResourceHooks {
  /** Turns an incoming body into the stored (internal) form, e.g. a v1beta1 CRD into v1. */
  decode?(obj: Obj): Obj;
  /** Turns the stored form into this endpoint's version for output. */
  present?(obj: Obj): Obj;
  /** Defaults and server-set fields on create. */
  prepareCreate?(obj: Obj, ctx: HookContext): void;
  /** Strategy validation (422 causes). */
  validate?(obj: Obj, old: Obj | undefined, ctx: HookContext): FieldError[];
  /** Runs after a create or update was persisted. */
  afterWrite?(obj: Obj, old: Obj | undefined, ctx: HookContext): void;
  /**
   * Custom delete: returns the object to answer with when deletion is pending (and persists that
   * state itself), or undefined to delete at once.
   */
  beginDelete?(obj: Obj, ctx: HookContext): Obj | undefined;
  /** Runs after the object was removed. */
  afterDelete?(obj: Obj, ctx: HookContext): void;
}

/** A served resource at one group/version. */
export interface ResourceDef {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** `builtin` objects are typed structs; `crd`/`tpr` instances are maps (sorted keys, items keep kind). */
  origin: 'builtin' | 'crd' | 'tpr';
  /** Storage location shared by every version of the resource. */
  storageGroup: string;
  subresources: string[];
  /** How `status` is treated by the main endpoint when a status subresource exists. */
  statusOnCreate: 'keep' | 'drop';
  unconditionalUpdate: boolean;
  createOnUpdate: boolean;
  generation: 'none' | 'any-change' | 'spec';
  nameRule: NameRule;
  fieldSelectors: string[];
  /** Known top-level fields of a built-in type (strict field validation). */
  topLevel: string[];
  /** Output key order of a built-in type. */
  topOrder: string[];
  /** Structural schema of a custom resource version. */
  schema?: Obj;
  /** Prune unknown fields (false for `preserveUnknownFields: true` CRDs and TPR data). */
  prune: boolean;
  /** A CRD being deleted: creates answer 405. */
  terminating: boolean;
  /** Accepted patch content types, in the 415 message order. */
  patchTypes: string[];
  hooks: ResourceHooks;
  /** Appears in discovery (CRDs only once Established). */
  discoverable: boolean;
}

/** The ObjectMeta key order of built-in types. */
export const META_ORDER = [
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
];

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** Patch types of built-in resources, in the real 415 order. */
export const BUILTIN_PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH];
/** Patch types of custom resources (no strategic merge). */
export const CUSTOM_PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH];

/** Verbs of a custom resource, in the fixed order discovery shows. */
export const CUSTOM_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];
/** Verbs of a terminating CRD's resource. */
export const TERMINATING_VERBS = ['delete', 'deletecollection', 'get', 'list', 'watch'];

/** `<group>/<version>`, or `<version>` for core. */
export function groupVersion(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** Storage key of an object. */
export function storageKey(def: ResourceDef, namespace: string, name: string): string {
  return def.namespaced ? `/${def.storageGroup}/${def.plural}/${namespace}/${name}` : `/${def.storageGroup}/${def.plural}/${name}`;
}

/** Storage prefix of a list (all namespaces when `namespace` is empty). */
export function storagePrefix(def: ResourceDef, namespace: string): string {
  return def.namespaced && namespace ? `/${def.storageGroup}/${def.plural}/${namespace}/` : `/${def.storageGroup}/${def.plural}/`;
}

/** Defaults for a definition; callers override what differs. */
export function baseDef(fields: Pick<ResourceDef, 'group' | 'version' | 'plural' | 'kind' | 'namespaced' | 'origin'> & Partial<ResourceDef>): ResourceDef {
  const custom = fields.origin !== 'builtin';
  return {
    singular: fields.kind.toLowerCase(),
    listKind: `${fields.kind}List`,
    shortNames: [],
    categories: [],
    verbs: custom ? CUSTOM_VERBS : ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    storageGroup: fields.group || 'core',
    subresources: [],
    statusOnCreate: 'keep',
    unconditionalUpdate: !custom,
    createOnUpdate: false,
    generation: custom ? 'any-change' : 'none',
    nameRule: 'subdomain',
    fieldSelectors: fields.namespaced || !custom ? ['metadata.name', 'metadata.namespace'] : ['metadata.name'],
    topLevel: ['apiVersion', 'kind', 'metadata', 'spec', 'status'],
    topOrder: ['kind', 'apiVersion', 'metadata', 'spec', 'status'],
    prune: custom,
    terminating: false,
    patchTypes: custom ? CUSTOM_PATCH_TYPES : BUILTIN_PATCH_TYPES,
    hooks: {},
    discoverable: true,
    ...fields,
  };
}
