/**
 * Calico IPAM state. The v3.0 Kubernetes datastore takes no Calico IPAM data (the v3 migrator
 * skips it for KDD), and IPAM blocks are not calicoctl resources; in both forms the records are
 * reported, and blocks holding allocations block the migration with the blocks and pools named.
 */
import { defineStep, OutputBuilder } from '../../src/migrate/step.js';
import { accountCalicoIpam, IPAM_TYPES } from '../shared/calico-ipam.js';

export const step = defineStep({
  id: '0080-calico-ipam',
  target: 'v3.0',
  summary: 'Calico IPAM blocks, handles and affinities are reported; allocations in use block the migration.',
  handles: IPAM_TYPES,
  transform(items, { snapshot, form }) {
    const out = new OutputBuilder();
    accountCalicoIpam(items, snapshot, out, form === 'crd'
      ? {
          reason: 'the v3.0 Kubernetes datastore takes no Calico IPAM data (it uses host-local IPAM with Kubernetes pod CIDRs)',
          hint: 'the Kubernetes datastore needs host-local IPAM with Kubernetes pod CIDRs: enable kube-controller-manager --allocate-node-cidrs, switch the CNI config to "ipam": {"type": "host-local", "subnet": "usePodCidr"}, and plan to recreate pods so they get pod-CIDR addresses',
          unusedHint: 'switch the CNI config to host-local IPAM with Kubernetes pod CIDRs before upgrading',
        }
      : {
          reason: 'IPAM blocks are not calicoctl resources; they must be copied key by key into the etcd v3 keyspace',
          hint: 'copy the /calico/ipam/v2 keys into the etcd v3 keyspace (with node names normalised in block affinities) before calico/node v3 starts, as calico-upgrade does; this tool does not copy IPAM yet',
          unusedHint: 'nothing is allocated; calico/node v3 creates new blocks as needed',
        });
    return out.build();
  },
});
