/** Endpoint conversions shared by the v3.0 host and workload endpoint steps: profiles, ports, the host's Node. */
import { notCarried } from '../../src/migrate/step.js';
import type { LostField } from '../../src/model/report.js';
import type { V1EndpointPort } from '../../src/model/v1.js';
import { convertName, normalizeName } from '../../src/names.js';
import { compact, remembered } from '../../src/util.js';
import { protocolV3 } from './rules.js';

/** Upstream convertProfileName: a `k8s_ns.` prefix becomes `kns.`, then convertName. */
export function convertProfileName(name: string): string {
  return convertName(name.startsWith('k8s_ns.') ? `kns.${name.slice('k8s_ns.'.length)}` : name);
}

/**
 * v3 endpoint ports: protocol names re-cased as upstream's ProtocolV3FromProtocolV1 does (`tcp` →
 * `TCP`), numbers kept, and a name-only or port-only entry carried as given. v3 validation then
 * judges names and protocols, as it does for every converted object.
 */
export function endpointPortsV3(ports: readonly V1EndpointPort[]): Record<string, unknown>[] | undefined {
  if (ports.length === 0) return undefined;
  return ports.map((p) => compact({ name: p.name, protocol: protocolV3(p.protocol), port: p.port }));
}

/**
 * The v3 Node a record under `/calico/v1/host/<host>/` belongs to (calicoctl form): calico-upgrade
 * makes a Node for every host directory, whatever it holds.
 * One string per host, however many endpoints name it: the runner looks these up in its sets.
 */
export const hostNodeId: (host: string) => string = remembered((host: string) => `Node/${normalizeName(host)}`);

/** `[]`, or the lost field when a value the target drops is not the one it implies. */
export function unlessImplied(path: string, value: string | undefined, implied: string, reason: string): LostField[] {
  return value === undefined || value === '' || value === implied ? [] : [notCarried(path, value, reason)];
}
