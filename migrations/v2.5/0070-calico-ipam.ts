/**
 * Calico IPAM state (blocks, handles, host affinities, IPAM config). The v2.5 Kubernetes
 * datastore has no Calico IPAM: it needs host-local IPAM with Kubernetes pod CIDRs (calico v2.4
 * KDD docs). Every record is skipped; if any block still has allocations, that is a blocker that
 * names the blocks, their nodes and the pools they belong to.
 */
import { defineStep, OutputBuilder, type ItemOf } from '../../src/migrate/step.js';
import { formatCidr, maskCidr, type Cidr } from '../../src/net.js';
import { plural } from './common.js';

function within(block: Cidr, pool: Cidr): boolean {
  return block.ip.family === pool.ip.family && block.prefix >= pool.prefix && formatCidr(maskCidr({ ip: block.ip, prefix: pool.prefix })) === formatCidr(maskCidr(pool));
}

export const step = defineStep({
  id: '0070-calico-ipam',
  target: 'v2.5',
  summary: 'Calico IPAM blocks, handles and affinities are reported; allocations in use block the migration.',
  handles: ['ipam-block', 'ipam-handle', 'ipam-affinity', 'ipam-config'],
  transform(items, { snapshot }) {
    const out = new OutputBuilder();
    const message = 'the v2.5 Kubernetes datastore has no Calico IPAM (it uses host-local IPAM with Kubernetes pod CIDRs)';
    const inUse: ItemOf<'ipam-block'>[] = [];
    for (const item of items) {
      if (item.type === 'ipam-block') {
        if (item.allocated > 0) inUse.push(item);
        out.skipped(item, 'calico-ipam', `IPAM block ${formatCidr(item.cidr)}${item.affinityHost ? ` (node ${item.affinityHost})` : ''} with ${plural(item.allocated, 'allocated address', 'allocated addresses')}: ${message}`);
      } else if (item.type === 'ipam-handle') {
        out.skipped(item, 'calico-ipam', `IPAM handle ${item.handle}: ${message}`);
      } else if (item.type === 'ipam-affinity') {
        out.skipped(item, 'calico-ipam', `affinity of block ${formatCidr(item.cidr)} to ${item.host}: ${message}`);
      } else {
        out.skipped(item, 'calico-ipam', `IPAM configuration: ${message}`);
      }
    }
    if (inUse.length > 0) {
      const pools = snapshot.items.flatMap((i) => (i.type === 'ip-pool' ? [i.pool.cidr] : []));
      const poolNames = [...new Set(inUse.map((b) => pools.find((p) => within(b.cidr, p))).map((p) => (p ? formatCidr(p) : 'no known pool')))].sort();
      const total = inUse.reduce((n, b) => n + b.allocated, 0);
      const blocks = inUse
        .map((b) => `${formatCidr(b.cidr)}${b.affinityHost ? ` on ${b.affinityHost}` : ''}: ${b.allocated}`)
        .sort()
        .join(', ');
      out.issue(
        undefined,
        'error',
        'calico-ipam-in-use',
        `Calico IPAM is in use: ${plural(inUse.length, 'block')} ${inUse.length === 1 ? 'holds' : 'hold'} ${plural(total, 'allocated address', 'allocated addresses')} in pool(s) ${poolNames.join(', ')} (${blocks})`,
        'the Kubernetes datastore needs host-local IPAM with Kubernetes pod CIDRs: enable kube-controller-manager --allocate-node-cidrs, switch the CNI config to "ipam": {"type": "host-local", "subnet": "usePodCidr"}, and plan to recreate pods so they get pod-CIDR addresses',
      );
    } else if (items.some((i) => i.type === 'ipam-block')) {
      out.issue(undefined, 'warning', 'calico-ipam-unused', 'Calico IPAM blocks exist but hold no allocations; they are not carried over', 'switch the CNI config to host-local IPAM with Kubernetes pod CIDRs before upgrading');
    }
    return out.build();
  },
});
