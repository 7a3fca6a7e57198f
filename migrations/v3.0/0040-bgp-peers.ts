/**
 * BGP peers → v3 BGPPeer (libcalico-go `lib/upgrade/converters/bgppeer.go`): a global peer is
 * named from its IP (IPv6 fully expanded); a node-scoped peer `<node>.<ip-name>` with `spec.node`
 * (node names normalised, without a hash). Node-scoped peers kept as Node annotations in a v2.4
 * Kubernetes datastore become BGPPeer objects too, as the v3 KDD migration does.
 */
import { defineStep, OutputBuilder } from '../../src/migrate/step.js';
import { ipToNameV25, normalizeName } from '../../src/names.js';
import { formatIp } from '../../src/net.js';
import { v3Object } from './common.js';

export const step = defineStep({
  id: '0040-bgp-peers',
  target: 'v3.0',
  summary: 'Global and node-scoped BGP peers become v3 BGPPeer objects.',
  handles: ['bgp-global-peer', 'bgp-node-peer'],
  transform(items, { form }) {
    const out = new OutputBuilder();
    for (const item of items) {
      const ipName = ipToNameV25(item.ip);
      if (item.type === 'bgp-global-peer') {
        const id = out.emit(v3Object(form, 'BGPPeer', ipName, { peerIP: formatIp(item.ip), asNumber: item.asNumber }), [item]);
        if (item.storedName !== undefined) out.rename(item, 'BGPPeer', item.storedName, ipName);
        out.converted(item, [id]);
      } else {
        const node = normalizeName(item.node);
        const name = `${node}.${ipName}`;
        const id = out.emit(v3Object(form, 'BGPPeer', name, { node, peerIP: formatIp(item.ip), asNumber: item.asNumber }), [item]);
        out.converted(item, [id], item.store === 'kubernetes'
          ? { severity: 'info', code: 'node-peer-annotation-superseded', message: `calico/node v3 reads this peer from BGPPeer ${name}; the annotation can be removed once the upgrade is verified` }
          : undefined);
      }
    }
    return out.build();
  },
});
