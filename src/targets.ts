/** What each target version accepts: the apply order of its kinds, and its object validation. */
import type { TargetDefinition } from './migrate/run.js';
import type { OutputForm, TargetVersion } from './model/target.js';
import { validateKubernetesObject } from './targets-common.js';
import { IPAM_KINDS, isIpamObject, validateIpamObject } from './v3/ipam.js';
import { validateV3Object } from './v3/validate.js';

export const TARGETS: Readonly<Record<TargetVersion, TargetDefinition>> = {
  'v2.5': {
    kindOrder: ['GlobalFelixConfig', 'GlobalBGPConfig', 'IPPool', 'BGPPeer', 'GlobalNetworkPolicy', 'Node'],
    validate: validateKubernetesObject,
  },
  'v3.0': {
    kindOrder: ['ClusterInformation', 'FelixConfiguration', 'BGPConfiguration', 'IPPool', 'Node', 'BGPPeer', 'HostEndpoint', 'Profile', 'GlobalNetworkPolicy', 'WorkloadEndpoint', ...IPAM_KINDS],
    // IPAM data are datastore keys, not resources: their names are CIDRs and handle ids, not Kubernetes names.
    validate: (o) => (isIpamObject(o) ? validateIpamObject(o) : validateV3Object(o)),
  },
};

export type { OutputForm };
