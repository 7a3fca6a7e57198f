/**
 * IP pools → IPPool, named from the CIDR (compressed IPv6, `.`, `:` and `/` → `-`), with the v1
 * API spec libcalico-go v1.6 writes: `{cidr, ipip: {enabled, mode}, nat-outgoing, disabled}`.
 * `ipip` appears only when the pool has a tunnel interface or a mode; false fields are omitted.
 * The legacy `ipam` flag has no place in this form (libcalico-go recomputes it as !disabled): a value
 * that disagrees with `disabled` is reported as not carried, as is a tunnel interface other than tunl0.
 */
import { defineStep, OutputBuilder } from '../../src/migrate/step.js';
import { cidrToName } from '../../src/names.js';
import { formatCidr, isMasked, maskCidr } from '../../src/net.js';
import { compact } from '../../src/util.js';
import { CRD_API_VERSION } from './common.js';
import { poolFieldsLost } from '../shared/pool-fields.js';

export const step = defineStep({
  id: '0030-ip-pools',
  target: 'v2.5',
  summary: 'IP pools become IPPool objects named from their CIDR, with ipip, nat-outgoing and disabled as in the v1 API.',
  handles: ['ip-pool'],
  transform(items) {
    const out = new OutputBuilder();
    for (const item of items) {
      const { pool } = item;
      if (!isMasked(pool.cidr)) {
        out.failed(item, 'pool-cidr-not-masked', `pool cidr ${formatCidr(pool.cidr)} has host bits set`, `recreate the pool as ${formatCidr(maskCidr(pool.cidr))} if that is the intended network`);
        continue;
      }
      const ipipOn = pool.ipip !== '';
      const ipip = ipipOn || pool.ipipMode !== '' ? compact({ enabled: ipipOn ? true : undefined, mode: pool.ipipMode || undefined }) : undefined;
      const name = cidrToName(pool.cidr);
      const id = out.emit(
        {
          apiVersion: CRD_API_VERSION,
          kind: 'IPPool',
          metadata: { name },
          spec: compact({ cidr: formatCidr(pool.cidr), ipip, 'nat-outgoing': pool.masquerade || undefined, disabled: pool.disabled || undefined }),
        },
        [item],
      );
      if (item.storedName !== undefined) out.rename(item, 'IPPool', item.storedName, name);
      const note = ipipOn && pool.cidr.ip.family === 6
        ? { severity: 'warning' as const, code: 'ipip-on-ipv6-pool', message: `IPIP is enabled on IPv6 pool ${formatCidr(pool.cidr)}; IPIP only carries IPv4 and has no effect there` }
        : undefined;
      out.converted(item, [id], note, poolFieldsLost(item, pool));
    }
    return out.build();
  },
});
