/**
 * Node annotation changes as `kubectl patch` commands. They never go into the List of objects:
 * `kubectl apply` of a `kind: Node` item creates a Node when none has that name, so a Calico host
 * whose name differs from its Kubernetes Node would get a phantom Node. `kubectl patch` only ever
 * changes an existing Node, and fails when there is none. Pure.
 */
import type { TargetObject } from '../model/target.js';
import { sortKeys } from './serialize.js';

export function isNodePatch(o: TargetObject): boolean {
  return o.apiVersion === 'v1' && o.kind === 'Node';
}

/** Shell single-quoting. */
function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A POSIX shell script with one `kubectl patch node <name> --type merge` per Node, in name order. */
export function nodePatchScript(patches: readonly TargetObject[], target: string): string {
  const lines = [
    '#!/bin/sh',
    `# Node annotation patches from calico-migrate convert --to ${target}: merge patches of existing Nodes.`,
    '# They are commands, not objects, so that nothing can create a Node: each fails if its Node does not exist.',
    '# `calico-migrate apply` makes the same changes with preflight checks, a lock and a journal.',
    'set -e',
    ...(patches.length === 0 ? ['# This conversion has no Node annotation changes: nothing to do.'] : []),
    ...[...patches]
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
      .map((p) => `kubectl patch node ${quote(p.metadata.name)} --type merge -p ${quote(JSON.stringify(sortKeys({ metadata: { annotations: p.metadata.annotations ?? {} } })))}`),
  ];
  return `${lines.join('\n')}\n`;
}
