/**
 * Calico IPAM carried to the v3 etcd datastore, as calico-upgrade's migrator did
 * (libcalico-go release-v3.0 `lib/upgrade/migrator/migrate.go`, migrateIPAMData): blocks, handles and
 * host affinities under the same keys, with the host names of block affinities and affinity keys
 * normalised as the Nodes are; the IPAM configuration is not copied. Before anything is written the
 * data is checked as Calico's IPAM will rely on it: every allocation's handle exists and counts it,
 * every block lies in a pool, every affinity key has its block. Inconsistencies are warnings that
 * name the block, handle or node: the data is still copied as it is, since the running cluster uses
 * it that way today.
 */
import type { ItemOf, OutputBuilder } from '../../src/migrate/step.js';
import type { V1Snapshot } from '../../src/model/v1.js';
import { normalizeName } from '../../src/names.js';
import { formatCidr, type Cidr } from '../../src/net.js';
import { affinityObject, blockObject, handleObject } from '../../src/v3/ipam.js';
import { within, type IpamItem } from '../shared/calico-ipam.js';

function list(names: readonly string[], max = 5): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** The block's v3 value: the stored one, with the affinity's host renamed (and the legacy `hostAffinity` as `affinity`). */
function v3Block(item: ItemOf<'ipam-block'>): Record<string, unknown> {
  const { hostAffinity: _legacy, ...rest } = item.block.value;
  return item.affinityHost === undefined ? rest : { ...rest, affinity: `host:${normalizeName(item.affinityHost)}` };
}

/** How many of a block's allocations each handle holds. */
function countsByHandle(item: ItemOf<'ipam-block'>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of item.block.allocations) {
    const h = a === null ? undefined : item.block.handles[a];
    if (h !== undefined) counts.set(h, (counts.get(h) ?? 0) + 1);
  }
  return counts;
}

/** How many allocations each handle holds, per block CIDR: counted once, for both checks. */
type Counted = ReadonlyMap<string, ReadonlyMap<string, number>>;

function checkBlocks(blocks: readonly ItemOf<'ipam-block'>[], counted: Counted, handles: ReadonlySet<string>, pools: readonly Cidr[], out: OutputBuilder): void {
  for (const b of blocks) {
    const cidr = formatCidr(b.cidr);
    const missing = [...(counted.get(cidr)?.keys() ?? [])].filter((h) => !handles.has(h)).sort();
    if (missing.length > 0) {
      out.issue(b, 'warning', 'ipam-handle-missing', `IPAM block ${cidr} has allocations made with handle(s) ${list(missing)}, which do not exist: Calico cannot release them by handle when their pods go`, 'the addresses stay allocated until released by hand (calicoctl ipam release --ip=ADDRESS, after checking no pod uses them)');
    }
    if (b.allocated > 0 && !pools.some((p) => within(b.cidr, p))) {
      out.issue(b, 'warning', 'ipam-block-outside-pools', `IPAM block ${cidr}${b.affinityHost ? ` (node ${b.affinityHost})` : ''} holds ${b.allocated} allocated address(es) but lies in no IP pool`, 'Calico v3 keeps these allocations but allocates nothing new from the block; recreate the pool, or move the workloads and release the addresses');
    }
  }
}

function checkHandles(handles: readonly ItemOf<'ipam-handle'>[], counted: Counted, out: OutputBuilder): void {
  for (const h of handles) {
    // Block CIDRs in code-unit order (a handle nearly always counts in one block: nothing to sort).
    const cidrs = Object.keys(h.blocks);
    if (cidrs.length > 1) cidrs.sort();
    for (const cidr of cidrs) {
      const n = h.blocks[cidr]!;
      const inBlock = counted.get(cidr);
      if (!inBlock) {
        out.issue(h, 'warning', 'ipam-handle-dangling', `IPAM handle ${h.handle} counts ${n} address(es) in block ${cidr}, which does not exist`, 'releasing by this handle will fail for that block; calicoctl ipam check (Calico v3.8+) lists such handles for cleanup');
      } else if ((inBlock.get(h.handle) ?? 0) !== n) {
        out.issue(h, 'warning', 'ipam-handle-count', `IPAM handle ${h.handle} counts ${n} address(es) in block ${cidr}, which holds ${inBlock.get(h.handle) ?? 0} for it`, 'Calico trusts the block when releasing; the count is copied as it is');
      }
    }
  }
}

/** Copies every IPAM record (configuration excepted) and reports what Calico's IPAM would trip on. */
export function copyCalicoIpam(items: readonly IpamItem[], snapshot: V1Snapshot, out: OutputBuilder): void {
  const blocks = items.filter((i): i is ItemOf<'ipam-block'> => i.type === 'ipam-block');
  const handles = items.filter((i): i is ItemOf<'ipam-handle'> => i.type === 'ipam-handle');
  const blockByCidr = new Map(blocks.map((b) => [formatCidr(b.cidr), b]));
  const pools = snapshot.items.flatMap((i) => (i.type === 'ip-pool' ? [i.pool.cidr] : []));
  const counted: Counted = new Map(blocks.map((b) => [formatCidr(b.cidr), countsByHandle(b)]));
  checkBlocks(blocks, counted, new Set(handles.map((h) => h.handle)), pools, out);
  checkHandles(handles, counted, out);
  for (const item of items) {
    switch (item.type) {
      case 'ipam-block':
        out.converted(item, [out.emit(blockObject(item.cidr, v3Block(item)), [item])]);
        break;
      case 'ipam-handle':
        out.converted(item, [out.emit(handleObject(item.handle, { ...item.value }), [item])]);
        break;
      case 'ipam-affinity': {
        const node = normalizeName(item.host);
        const b = blockByCidr.get(formatCidr(item.cidr));
        if (!b || b.affinityHost === undefined || normalizeName(b.affinityHost) !== node) {
          out.issue(item, 'warning', 'ipam-affinity-mismatch', `the affinity of ${item.host} to block ${formatCidr(item.cidr)} has no block affine to that node (${b ? (b.affinityHost ? `the block is affine to ${b.affinityHost}` : 'the block has no affinity') : 'no such block'})`, 'Calico v3 may claim the block for the node again or skip it; calicoctl ipam check (Calico v3.8+) reports such affinities');
        }
        out.converted(item, [out.emit(affinityObject(node, item.cidr, item.state), [item])]);
        break;
      }
      case 'ipam-config':
        out.skipped(item, 'ipam-config-not-copied', `IPAM configuration ${item.value}: not copied (calico-upgrade did not copy it either); Calico v3 starts with its defaults, strict affinity off and automatic block allocation on`, nonDefault(item.value)
          ? { severity: 'warning', hint: 'set the same with calicoctl ipam configure (Calico v3.x) after the upgrade if the cluster relies on it' }
          : { severity: 'info' });
        break;
    }
  }
}

/** The IPAM configuration differs from Calico v3's defaults. */
function nonDefault(value: string): boolean {
  try {
    const v = JSON.parse(value) as Record<string, unknown>;
    return v['strict_affinity'] === true || v['auto_allocate_blocks'] === false;
  } catch {
    return true;
  }
}
