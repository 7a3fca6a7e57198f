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
};
