/**
 * IP pools → v3 IPPool (libcalico-go `lib/upgrade/converters/ippool.go`): name from the CIDR,
 * `ipipMode` Never when the pool has no tunnel interface, CrossSubnet for `cross-subnet`, else
 * Always; `natOutgoing` from `masquerade`; `disabled` copied. The legacy `ipam` flag has no v3
 * equivalent and upstream ignored it silently; here a value that disagrees with `disabled` is
 * reported as not carried.
 */
import { defineStep, OutputBuilder, type ItemOf } from '../../src/migrate/step.js';
import { cidrToName } from '../../src/names.js';
import { cidrsOverlap, formatCidr, isMasked, maskCidr } from '../../src/net.js';
import { compact } from '../../src/util.js';
import { v3Object } from './common.js';
import { poolFieldsLost } from '../shared/pool-fields.js';

type PoolItem = ItemOf<'ip-pool'>;

/** For each pool, the other pools it shares addresses with. */
function overlapping(items: readonly PoolItem[]): Map<PoolItem, PoolItem[]> {
  const result = new Map<PoolItem, PoolItem[]>();
  items.forEach((a, i) => {
    for (const b of items.slice(i + 1)) {
      if (!cidrsOverlap(a.pool.cidr, b.pool.cidr)) continue;
      result.set(a, [...(result.get(a) ?? []), b]);
      result.set(b, [...(result.get(b) ?? []), a]);
    }
  });
  return result;
}

export const step = defineStep({
  id: '0030-ip-pools',
  target: 'v3.0',
  summary: 'IP pools become v3 IPPool objects with ipipMode, natOutgoing and disabled.',
  handles: ['ip-pool'],
  transform(items, { form }) {
    const out = new OutputBuilder();
    const overlaps = overlapping(items);
    for (const item of items) {
      const { pool } = item;
      if (!isMasked(pool.cidr)) {
        out.failed(item, 'pool-cidr-not-masked', `pool cidr ${formatCidr(pool.cidr)} has host bits set`, `recreate the pool as ${formatCidr(maskCidr(pool.cidr))} if that is the intended network`);
        continue;
      }
      const others = overlaps.get(item) ?? [];
      if (others.length > 0) {
        out.failed(item, 'pool-overlap', `pool ${formatCidr(pool.cidr)} overlaps ${others.map((o) => formatCidr(o.pool.cidr)).join(', ')}; v3 does not allow overlapping pools, so none of them is written`, 'remove or shrink pools until none overlap, then run the conversion again');
        continue;
      }
      // IPIP carries only IPv4; v3 requires Never on IPv6 pools, and IPIP never applied there anyway.
      const ipv6WithIpip = pool.ipip !== '' && pool.cidr.ip.family === 6;
      const ipipMode = pool.ipip === '' || ipv6WithIpip ? 'Never' : pool.ipipMode === 'cross-subnet' ? 'CrossSubnet' : 'Always';
      if (ipv6WithIpip) out.issue(item, 'warning', 'ipip-on-ipv6-pool', `IPIP is enabled on IPv6 pool ${formatCidr(pool.cidr)}, where it never applied; written as ipipMode Never, which v3 requires`);
      const name = cidrToName(pool.cidr);
      const id = out.emit(v3Object(form, 'IPPool', name, compact({ cidr: formatCidr(pool.cidr), ipipMode, natOutgoing: pool.masquerade || undefined, disabled: pool.disabled || undefined })), [item]);
      if (item.storedName !== undefined) out.rename(item, 'IPPool', item.storedName, name);
      if (pool.ipip === '' && pool.ipipMode !== '') {
        out.issue(item, 'info', 'ipip-mode-without-tunnel', `pool ${formatCidr(pool.cidr)} has ipip_mode ${pool.ipipMode} but no tunnel interface, so IPIP was off: ipipMode Never`);
      }
      out.converted(item, [id], undefined, poolFieldsLost(item, pool));
    }
    return out.build();
  },
});
