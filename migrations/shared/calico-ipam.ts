/**
 * Calico IPAM records (blocks, handles, affinities, IPAM config) for targets that cannot carry
 * them: every record is skipped with `reason`, and blocks that still hold allocations are one
 * blocker naming the blocks, their nodes and the pools they belong to.
 */
import type { ItemOf, OutputBuilder } from '../../src/migrate/step.js';
import type { V1Snapshot } from '../../src/model/v1.js';
import { formatCidr, maskCidr, type Cidr } from '../../src/net.js';

/** Blocks the blocker names one by one. */
const BLOCKS_NAMED = 10;

export const IPAM_TYPES = ['ipam-block', 'ipam-handle', 'ipam-affinity', 'ipam-config'] as const;
export type IpamItem = ItemOf<(typeof IPAM_TYPES)[number]>;

function plural(n: number, word: string, pluralWord: string): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

/** The block lies inside the pool. */
export function within(block: Cidr, pool: Cidr): boolean {
  return block.ip.family === pool.ip.family && block.prefix >= pool.prefix && formatCidr(maskCidr({ ip: block.ip, prefix: pool.prefix })) === formatCidr(maskCidr(pool));
}

export interface IpamGuidance {
  /** Why the records are not carried, e.g. "the v2.5 Kubernetes datastore has no Calico IPAM". */
  readonly reason: string;
  /** What to do when allocations are in use. */
  readonly hint: string;
  /** What to do when blocks exist but hold nothing. */
  readonly unusedHint: string;
}

export function accountCalicoIpam(items: readonly IpamItem[], snapshot: V1Snapshot, out: OutputBuilder, guidance: IpamGuidance): void {
  const inUse: ItemOf<'ipam-block'>[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item.type === 'ipam-block') {
      if (item.allocated > 0) inUse.push(item);
      out.skipped(item, 'calico-ipam', `IPAM block ${formatCidr(item.cidr)}${item.affinityHost ? ` (node ${item.affinityHost})` : ''} with ${plural(item.allocated, 'allocated address', 'allocated addresses')}: ${guidance.reason}`);
    } else if (item.type === 'ipam-handle') {
      out.skipped(item, 'calico-ipam', `IPAM handle ${item.handle}: ${guidance.reason}`);
    } else if (item.type === 'ipam-affinity') {
      out.skipped(item, 'calico-ipam', `affinity of block ${formatCidr(item.cidr)} to ${item.host}: ${guidance.reason}`);
    } else {
      out.skipped(item, 'calico-ipam', `IPAM configuration: ${guidance.reason}`);
    }
  }
  if (inUse.length > 0) {
    const pools = snapshot.items.flatMap((i) => (i.type === 'ip-pool' ? [i.pool.cidr] : []));
    const poolNames = [...new Set(inUse.map((b) => pools.find((p) => within(b.cidr, p))).map((p) => (p ? formatCidr(p) : 'no known pool')))].sort();
    const total = inUse.reduce((n, b) => n + b.allocated, 0);
    // The first few by name; every block is also a record of its own in the report. A large cluster
    // has thousands of blocks, which on one line would bury the rest of the summary.
    const named = inUse.map((b) => `${formatCidr(b.cidr)}${b.affinityHost ? ` on ${b.affinityHost}` : ''}: ${b.allocated}`).sort();
    const blocks = named.length <= BLOCKS_NAMED ? named.join(', ') : `${named.slice(0, BLOCKS_NAMED).join(', ')}, and ${named.length - BLOCKS_NAMED} more (each block is a record in the report)`;
    out.issue(
      undefined,
      'error',
      'calico-ipam-in-use',
      `Calico IPAM is in use: ${plural(inUse.length, 'block', 'blocks')} ${inUse.length === 1 ? 'holds' : 'hold'} ${plural(total, 'allocated address', 'allocated addresses')} in pool(s) ${poolNames.join(', ')} (${blocks})`,
      guidance.hint,
    );
  } else if (items.some((i) => i.type === 'ipam-block')) {
    out.issue(undefined, 'warning', 'calico-ipam-unused', 'Calico IPAM blocks exist but hold no allocations; they are not carried over', guidance.unusedHint);
  }
}
