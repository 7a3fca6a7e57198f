/**
 * Seeding: stores objects as a cluster would hold them (status, uid, timestamps and numeric
 * resourceVersions kept when given), creating the definitions and namespaces they need.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { prepareNamespace } from './builtins.js';
import type { Core } from './core.js';
import { CRD_GROUP, CRD_PREFIX, crdFromV1beta1, prepareCrdCreate } from './crd.js';
import { clone, ensureObj, isObj, nowSeconds, objAt, strAt, type Obj } from './json.js';
import { storageKey, type ResourceDef } from './resources.js';
import { TPR_PREFIX, guessPlural, tprNameFor } from './tpr.js';

/** What a seed call did. */
export interface SeedResult {
  /** `<apiVersion>/<kind> <namespace/>name` of each stored object, including implied definitions and namespaces. */
  stored: string[];
  /** Objects that could not be stored, with why. */
  skipped: { apiVersion: string; kind: string; name: string; reason: string }[];
}

/** Reads a YAML or JSON file of objects (several documents and `kind: List` allowed). */
export async function readSeedFile(path: string): Promise<unknown[]> {
  const text = await readFile(path, 'utf8');
  return YAML.parseAllDocuments(text).map((d) => d.toJS() as unknown).filter((d) => d !== null && d !== undefined);
}

/** `kind: List` (and `*List`) objects expanded into their items. */
export function flattenLists(objects: unknown[]): Obj[] {
  const out: Obj[] = [];
  for (const o of objects) {
    if (!isObj(o)) continue;
    if (Array.isArray(o.items) && typeof o.kind === 'string' && o.kind.endsWith('List')) out.push(...flattenLists(o.items));
    else out.push(o);
  }
  return out;
}

const FIRST_KINDS = ['Namespace', 'ThirdPartyResource', 'CustomResourceDefinition'];

function rvOf(obj: Obj): number {
  const rv = Number(strAt(objAt(obj, 'metadata'), 'resourceVersion') ?? '');
  return Number.isInteger(rv) && rv > 0 ? rv : Number.MAX_SAFE_INTEGER;
}

function rank(obj: Obj): number {
  const i = FIRST_KINDS.indexOf(strAt(obj, 'kind') ?? '');
  return i < 0 ? FIRST_KINDS.length : i;
}

function label(obj: Obj): string {
  const meta = objAt(obj, 'metadata');
  const ns = strAt(meta, 'namespace');
  return `${strAt(obj, 'apiVersion') ?? ''}/${strAt(obj, 'kind') ?? ''} ${ns ? `${ns}/` : ''}${strAt(meta, 'name') ?? ''}`;
}

/** Seeds objects into the store. */
export function seedObjects(core: Core, objects: unknown[]): SeedResult {
  const result: SeedResult = { stored: [], skipped: [] };
  const list = flattenLists(objects).map((o) => clone(o)).sort((a, b) => rank(a) - rank(b) || rvOf(a) - rvOf(b));
  for (const obj of list) seedOne(core, obj, result);
  return result;
}

function seedOne(core: Core, obj: Obj, result: SeedResult): void {
  const apiVersion = strAt(obj, 'apiVersion') ?? '';
  const kind = strAt(obj, 'kind') ?? '';
  const meta = ensureObj(obj, 'metadata');
  const name = strAt(meta, 'name') ?? '';
  const skip = (reason: string): void => {
    result.skipped.push({ apiVersion, kind, name, reason });
  };
  if (!apiVersion || !kind || !name) return skip('apiVersion, kind and metadata.name are required');
  const def = core.registry.byKind(apiVersion, kind) ?? crdDefForAnyVersion(core, apiVersion, kind) ?? implyDefinition(core, obj, result);
  if (!def) return skip(`kind ${kind} in ${apiVersion} is not served by this test server (Kubernetes ${core.features.gitVersion})`);
  const namespace = def.namespaced ? (strAt(meta, 'namespace') ?? 'default') : '';
  try {
    if (def.namespaced) ensureNamespace(core, namespace, result);
    storeSeed(core, def, obj, namespace, result);
  } catch (e) {
    skip((e as Error).message);
  }
}

/**
 * A CRD written for another apiextensions version than the server serves (e.g. a v1 manifest on a
 * 1.7 server) is still seeded: the store keeps CRDs in one (v1) form.
 */
function crdDefForAnyVersion(core: Core, apiVersion: string, kind: string): ResourceDef | undefined {
  if (kind !== 'CustomResourceDefinition' || !apiVersion.startsWith(`${CRD_GROUP}/`)) return undefined;
  const served = core.registry.byKind(`${CRD_GROUP}/v1`, kind) ?? core.registry.byKind(`${CRD_GROUP}/v1beta1`, kind);
  if (!served) return undefined;
  return { ...served, hooks: apiVersion === `${CRD_GROUP}/v1beta1` ? { decode: crdFromV1beta1 } : {} };
}

/** Stores one object with server-owned fields filled where missing. */
function storeSeed(core: Core, def: ResourceDef, input: Obj, namespace: string, result: SeedResult): Obj {
  const obj = def.hooks.decode ? def.hooks.decode(input) : input;
  const meta = ensureObj(obj, 'metadata');
  if (def.namespaced) meta.namespace = namespace;
  else delete meta.namespace;
  delete meta.selfLink;
  meta.uid = strAt(meta, 'uid') ?? randomUUID();
  meta.creationTimestamp = normalizeTime(meta.creationTimestamp);
  if (def.generation !== 'none' && typeof meta.generation !== 'number') meta.generation = 1;
  if (def.kind === 'Namespace' && !isObj(obj.status)) prepareNamespace(obj, core.features);
  if (def.kind === 'CustomResourceDefinition') establishSeededCrd(obj);
  const rv = rvOf(obj);
  delete meta.resourceVersion;
  const stored = core.store.put(storageKey(def, namespace, strAt(meta, 'name') ?? ''), obj, rv === Number.MAX_SAFE_INTEGER ? undefined : rv);
  result.stored.push(label(input));
  return stored;
}

function normalizeTime(value: unknown): string {
  if (typeof value === 'string' && value) return value;
  if (value instanceof Date) return nowSeconds(value);
  return nowSeconds();
}

function establishSeededCrd(crd: Obj): void {
  prepareCrdCreate(crd);
  const names = objAt(objAt(crd, 'spec'), 'names') ?? {};
  const time = nowSeconds();
  const status = ensureObj(crd, 'status');
  status.acceptedNames = clone(names);
  status.conditions = [
    { type: 'NamesAccepted', status: 'True', lastTransitionTime: time, reason: 'NoConflicts', message: 'no conflicts found' },
    { type: 'Established', status: 'True', lastTransitionTime: time, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
  ];
}

function ensureNamespace(core: Core, name: string, result: SeedResult): void {
  if (core.store.get(`/core/namespaces/${name}`)) return;
  const def = core.registry.byKind('v1', 'Namespace');
  if (!def) return;
  const ns: Obj = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
  prepareNamespace(ns, core.features);
  storeSeed(core, def, ns, '', result);
}

/**
 * The definition an unknown custom kind implies: a ThirdPartyResource on ≤ 1.7, else an
 * Established CRD that keeps every field (namespaced when the object has a namespace).
 */
function implyDefinition(core: Core, obj: Obj, result: SeedResult): ResourceDef | undefined {
  const apiVersion = strAt(obj, 'apiVersion') ?? '';
  const kind = strAt(obj, 'kind') ?? '';
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return undefined;
  const group = apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  if (!group.includes('.') || group.endsWith('.k8s.io')) return undefined;
  if (core.features.tpr) {
    const tprDef = core.registry.byKind('extensions/v1beta1', 'ThirdPartyResource');
    const name = tprNameFor(group, kind);
    if (!tprDef || core.store.get(`${TPR_PREFIX}${name}`)) return undefined;
    storeSeed(core, tprDef, { apiVersion: 'extensions/v1beta1', kind: 'ThirdPartyResource', metadata: { name }, versions: [{ name: version }] }, '', result);
  } else {
    const crdDef = core.registry.byKind(`${CRD_GROUP}/v1`, 'CustomResourceDefinition') ?? core.registry.byKind(`${CRD_GROUP}/v1beta1`, 'CustomResourceDefinition');
    const plural = guessPlural(kind);
    if (!crdDef || core.store.get(`${CRD_PREFIX}${plural}.${group}`)) return undefined;
    const namespaced = strAt(objAt(obj, 'metadata'), 'namespace') !== undefined;
    const crd: Obj = {
      apiVersion: `${CRD_GROUP}/${crdDef.version}`, kind: 'CustomResourceDefinition', metadata: { name: `${plural}.${group}` },
      spec: {
        group, names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` }, scope: namespaced ? 'Namespaced' : 'Cluster',
        versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
        conversion: { strategy: 'None' },
      },
    };
    storeSeed(core, { ...crdDef, hooks: {} }, crd, '', result);
  }
  return core.registry.byKind(apiVersion, kind);
}
