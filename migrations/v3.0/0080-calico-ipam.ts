/**
 * Calico IPAM state. In the calicoctl form (the etcd v3 datastore) blocks, handles and host
 * affinities are copied under their own keys, with host names renamed as the Nodes are and the data
 * checked (ipam-copy.ts). The v3.0 Kubernetes datastore takes no Calico IPAM data (the v3 migrator
 * skips it for KDD): in the CRD form the records are reported, and blocks holding allocations block
 * the migration with the blocks and pools named.
 */
import { defineStep, OutputBuilder } from '../../src/migrate/step.js';
import { accountCalicoIpam, IPAM_TYPES } from '../shared/calico-ipam.js';
import { copyCalicoIpam } from './ipam-copy.js';

export const step = defineStep({
  id: '0080-calico-ipam',
  target: 'v3.0',
  summary: 'Calico IPAM blocks, handles and affinities are copied for the etcd v3 datastore (host names renamed, consistency checked); for the Kubernetes datastore they are reported and allocations in use block the migration.',
  handles: IPAM_TYPES,
  // The Kubernetes datastore form reports blocks by their CIDR, node and allocated count, handles by their id.
  unreadValues: (form) => (form === 'crd' ? ['ipam-block', 'ipam-handle'] : []),
  transform(items, { snapshot, form }) {
    const out = new OutputBuilder();
    if (form === 'calicoctl') copyCalicoIpam(items, snapshot, out);
    else {
      accountCalicoIpam(items, snapshot, out, {
        reason: 'the v3.0 Kubernetes datastore takes no Calico IPAM data (it uses host-local IPAM with Kubernetes pod CIDRs)',
        hint: 'the Kubernetes datastore needs host-local IPAM with Kubernetes pod CIDRs: enable kube-controller-manager --allocate-node-cidrs, switch the CNI config to "ipam": {"type": "host-local", "subnet": "usePodCidr"}, and plan to recreate pods so they get pod-CIDR addresses',
        unusedHint: 'switch the CNI config to host-local IPAM with Kubernetes pod CIDRs before upgrading',
      });
    }
    return out.build();
  },
});
