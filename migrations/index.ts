/**
 * The explicit step registry: for each target version, its steps in order. A shipped CLI must not
 * depend on the file system layout at run time, so nothing here is discovered by globbing;
 * `test/migrations/registry.test.ts` checks that every step file is listed, ids ascend, and each
 * v2.4 item type is handled by exactly one step per target.
 */
import { register, type RegisteredStep } from '../src/migrate/step.js';
import type { TargetVersion } from '../src/model/target.js';
import { step as felixGlobal } from './v2.5/0010-felix-global-config.js';
import { step as felixPerNode } from './v2.5/0015-per-node-felix-config.js';
import { step as bgpGlobal } from './v2.5/0020-bgp-global-config.js';
import { step as ipPools } from './v2.5/0030-ip-pools.js';
import { step as globalPeers } from './v2.5/0040-global-bgp-peers.js';
import { step as policies } from './v2.5/0050-policies.js';
import { step as nodeBgp } from './v2.5/0060-node-bgp-data.js';
import { step as ipam } from './v2.5/0070-calico-ipam.js';
import { step as endpoints } from './v2.5/0080-endpoints-and-profiles.js';
import { step as other } from './v2.5/0090-runtime-and-other-data.js';
import { step as v3Felix } from './v3.0/0010-felix-config.js';
import { step as v3Bgp } from './v3.0/0020-bgp-config.js';
import { step as v3Pools } from './v3.0/0030-ip-pools.js';
import { step as v3Peers } from './v3.0/0040-bgp-peers.js';
import { step as v3Policies } from './v3.0/0050-policies.js';
import { step as v3Nodes } from './v3.0/0060-nodes.js';
import { step as v3HostEndpoints } from './v3.0/0070-host-endpoints.js';
import { step as v3Profiles } from './v3.0/0072-profiles.js';
import { step as v3WorkloadEndpoints } from './v3.0/0074-workload-endpoints.js';
import { step as v3Ipam } from './v3.0/0080-calico-ipam.js';
import { step as v3Other } from './v3.0/0090-runtime-and-other-data.js';

export const STEPS: Readonly<Record<TargetVersion, readonly RegisteredStep[]>> = {
  'v2.5': [
    register(felixGlobal),
    register(felixPerNode),
    register(bgpGlobal),
    register(ipPools),
    register(globalPeers),
    register(policies),
    register(nodeBgp),
    register(ipam),
    register(endpoints),
    register(other),
  ],
  'v3.0': [
    register(v3Felix),
    register(v3Bgp),
    register(v3Pools),
    register(v3Peers),
    register(v3Policies),
    register(v3Nodes),
    register(v3HostEndpoints),
    register(v3Profiles),
    register(v3WorkloadEndpoints),
    register(v3Ipam),
    register(v3Other),
  ],
};
