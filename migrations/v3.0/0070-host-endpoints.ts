/**
 * Host endpoints → v3 HostEndpoint in the calicoctl form (libcalico-go
 * `lib/upgrade/converters/hostendpoint.go`): name convertName(`<node>.<endpoint id>`), `spec.node`
 * normalised, `interfaceName`, `expectedIPs` (IPv4 then IPv6), profiles renamed as profiles are,
 * labels copied, and `ports` (named ports that policies select) with protocols re-cased. The
 * record also feeds its host's v3 Node. The v3.0 Kubernetes datastore has no host endpoints (v3.1
 * adds them), so in the CRD form they are reported instead.
 */
import { defineStep, OutputBuilder, type ItemOf } from '../../src/migrate/step.js';
import { convertName, normalizeName } from '../../src/names.js';
import { compact } from '../../src/util.js';
import { v3Object } from './common.js';
import { convertProfileName, endpointPortsV3, hostNodeId } from './endpoint-values.js';

function convert(item: ItemOf<'host-endpoint'>, out: OutputBuilder): void {
  const v = item.value;
  const node = normalizeName(item.host);
  const name = convertName(`${node}.${item.endpoint}`);
  const expectedIPs = [...v.expectedIpv4Addrs, ...v.expectedIpv6Addrs];
  const spec = compact({
    node,
    interfaceName: v.name === '' ? undefined : v.name,
    expectedIPs: expectedIPs.length > 0 ? expectedIPs : undefined,
    profiles: v.profileIds.length > 0 ? v.profileIds.map(convertProfileName) : undefined,
    ports: endpointPortsV3(v.ports),
  });
  const id = out.emit(v3Object('calicoctl', 'HostEndpoint', name, spec, { labels: v.labels }), [item]);
  out.rename(item, 'HostEndpoint', `${item.host}/${item.endpoint}`, name);
  out.converted(item, [id, hostNodeId(item.host)]);
}

export const step = defineStep({
  id: '0070-host-endpoints',
  target: 'v3.0',
  summary: 'Host endpoints, with their named ports, become v3 HostEndpoint objects (calicoctl form); the v3.0 Kubernetes datastore cannot hold them.',
  handles: ['host-endpoint'],
  // The CRD form has no host endpoints: they are skipped by their names alone.
  unreadValues: (form) => (form === 'crd' ? ['host-endpoint'] : []),
  transform(items, { form }) {
    const out = new OutputBuilder();
    for (const item of items) {
      if (form === 'calicoctl') convert(item, out);
      else {
        out.skipped(item, 'unsupported-host-endpoint', `host endpoint ${item.endpoint} on ${item.host}: the v3.0 Kubernetes datastore has no host endpoints, so policy protecting this interface stops applying`, {
          severity: 'warning',
          hint: 'host endpoints are stored in the Kubernetes datastore from Calico v3.1; convert with --form calicoctl to keep them for an etcd datastore',
        });
      }
    }
    return out.build();
  },
});
