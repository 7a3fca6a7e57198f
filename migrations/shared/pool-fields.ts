/**
 * Fields of a v1 IP pool that neither the v2.5 API nor v3 hold: the legacy pycalico `ipam` flag
 * (libcalico-go recomputes it as `!disabled`, so only a value that disagrees is lost) and the IPIP
 * tunnel interface name (only `tunl0` was ever used; the targets know IPIP on/off and its mode).
 */
import { notCarried } from '../../src/migrate/step.js';
import type { LostField } from '../../src/model/report.js';
import type { V1Item, V1Pool } from '../../src/model/v1.js';
import { formatCidr } from '../../src/net.js';

/** The pool fields the target does not carry, with their source paths (TPR pools: inside `spec.value`). */
export function poolFieldsLost(item: Pick<V1Item, 'store'>, pool: V1Pool): LostField[] {
  const at = (field: string) => (item.store === 'kubernetes' ? `spec.value.${field}` : field);
  const lost: LostField[] = [];
  if (pool.ipam !== undefined && pool.ipam === pool.disabled) {
    lost.push(notCarried(at('ipam'), pool.ipam, pool.ipam
      ? `the pool is disabled yet marked for IPAM; the target only knows disabled, so nothing is allocated from ${formatCidr(pool.cidr)}`
      : `the target cannot express "not for IPAM" on an enabled pool: ${formatCidr(pool.cidr)} becomes available for allocation; set disabled: true on it if nothing may be allocated from it`));
  }
  if (pool.ipip !== '' && pool.ipip !== 'tunl0') {
    lost.push(notCarried(at('ipip'), pool.ipip, 'the target records only that IPIP is on; Felix always uses the tunl0 interface'));
  }
  return lost;
}
