/** Deterministic serialisation: sorted keys at every level, no line folding, trailing newline. */
import YAML from 'yaml';
import type { TargetObject } from '../model/target.js';
import { jsonPieces } from './json.js';
import { inPieces } from './pieces.js';
import { sortKeys } from './order.js';
import { toYaml, YAML_OPTIONS } from './yaml.js';

export { sortKeys };

export type OutputFormat = 'yaml' | 'json';


export function serialize(value: unknown, format: OutputFormat): string {
  if (format === 'json') return [...jsonPieces(value)].join('');
  // YAML 1.1 quoting rules, so that kubectl's YAML 1.1 reader keeps strings like "yes" and "on" as strings.
  // The direct writer gives the library's exact text; the library writes what the writer does not handle.
  return toYaml(value) ?? YAML.stringify(sortKeys(value), YAML_OPTIONS);
}

/** A Kubernetes `List` of the objects, in the order given (apply order). */
export function toList(objects: readonly TargetObject[]): { apiVersion: 'v1'; kind: 'List'; items: readonly TargetObject[] } {
  return { apiVersion: 'v1', kind: 'List', items: objects };
}

/**
 * The calicoctl form as `calicoctl create -f` / `apply -f` reads it: calicoctl knows only its own
 * kinds and their typed lists (`IPPoolList`, …), never a Kubernetes `v1` `List`, so YAML is one
 * document per object (`---` between them) and JSON is an array of objects (calicoctl reads a
 * top-level sequence as a list of resources). Order as given (apply order).
 */
export function serializeCalicoctl(objects: readonly TargetObject[], format: OutputFormat): string {
  return [...calicoctlPieces(objects, format)].join('');
}

/**
 * The text of `serializeCalicoctl`, in pieces of about 64 KiB: each object is written when its
 * piece is, so a large keyspace's documents are never all held as text at once.
 */
export function calicoctlPieces(objects: readonly TargetObject[], format: OutputFormat): Generator<string> {
  return format === 'json' ? jsonPieces(objects) : inPieces(documents(objects));
}

function* documents(objects: readonly TargetObject[]): Generator<string> {
  for (let i = 0; i < objects.length; i++) yield `${i === 0 ? '' : '---\n'}${serialize(objects[i], 'yaml')}`;
}
