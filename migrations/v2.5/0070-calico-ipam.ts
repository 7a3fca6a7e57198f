/**
 * Calico IPAM state (blocks, handles, host affinities, IPAM config). The v2.5 Kubernetes
 * datastore has no Calico IPAM: it needs host-local IPAM with Kubernetes pod CIDRs (calico v2.4
 * KDD docs). Every record is skipped; if any block still has allocations, that is a blocker that
 * names the blocks, their nodes and the pools they belong to.
 */
import { defineStep, OutputBuilder } from '../../src/migrate/step.js';
import { accountCalicoIpam, IPAM_TYPES } from '../shared/calico-ipam.js';

export const step = defineStep({
  id: '0070-calico-ipam',
  target: 'v2.5',
  summary: 'Calico IPAM blocks, handles and affinities are reported; allocations in use block the migration.',
  handles: IPAM_TYPES,
  // Blocks are reported by their CIDR, node and allocated count, handles by their id.
  unreadValues: () => ['ipam-block', 'ipam-handle'],
  transform(items, { snapshot }) {
    const out = new OutputBuilder();
    accountCalicoIpam(items, snapshot, out, {
      reason: 'the v2.5 Kubernetes datastore has no Calico IPAM (it uses host-local IPAM with Kubernetes pod CIDRs)',
      hint: 'the Kubernetes datastore needs host-local IPAM with Kubernetes pod CIDRs: enable kube-controller-manager --allocate-node-cidrs, switch the CNI config to "ipam": {"type": "host-local", "subnet": "usePodCidr"}, and plan to recreate pods so they get pod-CIDR addresses',
      unusedHint: 'switch the CNI config to host-local IPAM with Kubernetes pod CIDRs before upgrading',
    });
    return out.build();
  },
});
