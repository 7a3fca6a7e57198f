/**
 * Global BGP peers → BGPPeer with `spec: {asNumber, scope: global, peerIP}`. From libcalico-go
 * v1.6 the name of an IPv6 peer is the fully expanded address (the compressed v2.4 form could end
 * in `--`, which Kubernetes rejects), so IPv6 TPR names change and the rename is reported.
 */
import { defineStep, OutputBuilder } from '../../src/migrate/step.js';
import { ipToNameV25 } from '../../src/names.js';
import { formatIp } from '../../src/net.js';
import { CRD_API_VERSION } from './common.js';

export const step = defineStep({
  id: '0040-global-bgp-peers',
  target: 'v2.5',
  summary: 'Global BGP peers become BGPPeer objects with scope global, IPv6 names fully expanded.',
  handles: ['bgp-global-peer'],
  transform(items) {
    const out = new OutputBuilder();
    for (const item of items) {
      const name = ipToNameV25(item.ip);
      const id = out.emit(
        { apiVersion: CRD_API_VERSION, kind: 'BGPPeer', metadata: { name }, spec: { asNumber: item.asNumber, scope: 'global', peerIP: formatIp(item.ip) } },
        [item],
      );
      if (item.storedName !== undefined) out.rename(item, 'BGPPeer', item.storedName, name);
      out.converted(item, [id]);
    }
    return out.build();
  },
});
