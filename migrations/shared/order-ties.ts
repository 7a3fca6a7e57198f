/**
 * Calico applies policies by `order` and breaks ties by name, comparing bytes. Renaming a
 * policy (lowercasing, the hash qualifier) can change which of two policies with the same order
 * comes first, and so which rule decides. Groups of equal order whose sequence changes are
 * reported with both sequences.
 */
import type { OutputBuilder } from '../../src/migrate/step.js';
import { byString } from '../../src/util.js';

export interface RenamedPolicy {
  readonly origin: string;
  /** undefined = no order (applied last). */
  readonly order: number | undefined;
  readonly from: string;
  readonly to: string;
}

const MAX_LISTED = 10;

function listed(names: readonly string[]): string {
  return names.length > MAX_LISTED ? `${names.slice(0, MAX_LISTED).join(', ')}, … (${names.length} in all)` : names.join(', ');
}

export function reportOrderFlips(policies: readonly RenamedPolicy[], out: OutputBuilder): void {
  const groups = new Map<string, RenamedPolicy[]>();
  for (const p of policies) {
    const key = p.order === undefined ? 'none' : String(p.order);
    const group = groups.get(key);
    if (group) group.push(p);
    else groups.set(key, [p]);
  }
  for (const [order, group] of groups) {
    if (group.length < 2 || group.every((p) => p.from === p.to)) continue;
    const before = [...group].sort((a, b) => byString(a.from, b.from));
    const after = [...group].sort((a, b) => byString(a.to, b.to));
    if (before.every((p, i) => p === after[i])) continue;
    const first = before.find((p, i) => p !== after[i]);
    out.issue(
      first ? { origin: first.origin } : undefined,
      'warning',
      'policy-order-changed',
      `policies with ${order === 'none' ? 'no order' : `order ${order}`} were applied in the name order ${listed(before.map((p) => p.from))}; after renaming they apply as ${listed(after.map((p) => p.to))}`,
      'give these policies distinct orders in the source (or in the output) so the renaming cannot change which rule decides',
    );
  }
}
