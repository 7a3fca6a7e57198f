/**
 * Host endpoints → v3 HostEndpoint in the calicoctl form (libcalico-go
 * `lib/upgrade/converters/hostendpoint.go`): name convertName(`<node>.<endpoint id>`), `spec.node`
 * normalised, `interfaceName`, `expectedIPs` (IPv4 then IPv6), profiles renamed as profiles are,
 * labels copied. The v3.0 Kubernetes datastore has no host endpoints (v3.1 adds them), so in the
 * CRD form they are reported instead.
 */
import { defineStep, OutputBuilder, type ItemOf } from '../../src/migrate/step.js';
import { convertName, normalizeName } from '../../src/names.js';
import { compact } from '../../src/util.js';
import { v3Object } from './common.js';
import { convertProfileName, stringList, stringMap } from './endpoint-values.js';

function convert(item: ItemOf<'host-endpoint'>, out: OutputBuilder): void {
  const v = item.value;
  const problems: string[] = [];
  const labels = stringMap(v['labels'], 'labels', problems);
  const interfaceName = typeof v['name'] === 'string' && v['name'] !== '' ? v['name'] : undefined;
  const expectedIPs = [...(stringList(v['expected_ipv4_addrs'], 'expected_ipv4_addrs', problems) ?? []), ...(stringList(v['expected_ipv6_addrs'], 'expected_ipv6_addrs', problems) ?? [])];
  const profiles = (stringList(v['profile_ids'], 'profile_ids', problems) ?? []).map(convertProfileName);
  if (problems.length > 0) {
    out.failed(item, 'invalid-value', `host endpoint value: ${problems.join('; ')}`);
    return;
  }
  const node = normalizeName(item.host);
  const source = `${node}.${item.endpoint}`;
  const name = convertName(source);
  const spec = compact({ node, interfaceName, expectedIPs: expectedIPs.length > 0 ? expectedIPs : undefined, profiles: profiles.length > 0 ? profiles : undefined });
  const id = out.emit(v3Object('calicoctl', 'HostEndpoint', name, spec, { labels }), [item]);
  out.rename(item, 'HostEndpoint', `${item.host}/${item.endpoint}`, name);
  out.converted(item, [id]);
}

export const step = defineStep({
  id: '0070-host-endpoints',
  target: 'v3.0',
  summary: 'Host endpoints become v3 HostEndpoint objects (calicoctl form); the v3.0 Kubernetes datastore cannot hold them.',
  handles: ['host-endpoint'],
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
