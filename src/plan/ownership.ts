/**
 * How the tool marks what it writes, and what "the same object" means when comparing a desired
 * object with the live one. Every object written carries annotations naming the tool and its
 * version, the plan it was written by, and the source records behind it: that is how a later plan
 * tells an object this tool wrote (update it) from one somebody else wrote (a conflict).
 */
import type { KubeObject } from '../datastore/kube-client.js';
import { sameJson } from '../output/order.js';

const PREFIX = 'calico-migrate.projectcalico.org/';

/** `calico-migrate <version>` on every object this tool wrote. */
export const TOOL_ANNOTATION = `${PREFIX}written-by`;
/** The hash of the plan whose apply wrote the object. */
export const PLAN_ANNOTATION = `${PREFIX}plan`;
/** The source records (etcd keys, `Kind/namespace/name`, Node annotations) the object was converted from. */
export const ORIGIN_ANNOTATION = `${PREFIX}source`;
/** On a Node: the annotation keys this tool set there (JSON list), so a re-run knows they are its own. */
export const NODE_KEYS_ANNOTATION = `${PREFIX}node-annotations`;

const BOOKKEEPING = new Set([TOOL_ANNOTATION, PLAN_ANNOTATION, ORIGIN_ANNOTATION, NODE_KEYS_ANNOTATION, 'kubectl.kubernetes.io/last-applied-configuration']);

/** The part of an object a migration is about: labels, annotations (without bookkeeping) and spec. */
export interface Content {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: unknown;
}

function stringMap(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export function contentOf(o: KubeObject): Content {
  const annotations = Object.fromEntries(Object.entries(stringMap(o.metadata.annotations)).filter(([k]) => !BOOKKEEPING.has(k)));
  return { labels: stringMap(o.metadata.labels), annotations, spec: o['spec'] ?? {} };
}

/** Equal content: same labels, same non-bookkeeping annotations, same spec (key order ignored). */
export function sameContent(a: KubeObject, b: KubeObject): boolean {
  return sameJson(contentOf(a), contentOf(b));
}

/** The object carries this tool's ownership annotation: an earlier apply wrote it. */
export function isOwned(o: KubeObject): boolean {
  return typeof o.metadata.annotations?.[TOOL_ANNOTATION] === 'string';
}

/** The plan hash an owned object was written by, if any. */
export function writtenByPlan(o: KubeObject): string | undefined {
  return o.metadata.annotations?.[PLAN_ANNOTATION];
}

/** The annotation keys an earlier apply set on a Node. */
export function nodeKeysWritten(node: KubeObject): string[] {
  const raw = node.metadata.annotations?.[NODE_KEYS_ANNOTATION];
  if (raw === undefined) return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string') : [];
  } catch {
    return [];
  }
}

/** The bookkeeping annotations for an object written by `tool` from `origins` (the plan hash comes at write time). */
export function ownershipAnnotations(tool: string, origins: readonly string[]): Record<string, string> {
  return { [TOOL_ANNOTATION]: tool, [ORIGIN_ANNOTATION]: [...origins].sort().join(', ') };
}
