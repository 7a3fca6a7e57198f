/**
 * The parser knows every field the Calico v1 model (v2.4 through v2.6, and the v1 model of the v3
 * libraries) can hold in each value; anything else travels with the item as an unknown field with
 * its path and value, so that the record is `converted-with-loss` wherever it is converted.
 */
import test from 'ava';
import { parseFlat, parseObjects, tpr } from '../_helpers/items.js';

const unknownOf = (parsed: ReturnType<typeof parseFlat>) => parsed.snapshot.items.map((i) => [i.origin, (i.unknownFields ?? []).map((f) => [f.path, f.value])]);

test('unknown fields: etcd values name the path of each unknown field, nested ones included', (t) => {
  const parsed = parseFlat({
    '/calico/v1/policy/tier/default/policy/p': JSON.stringify({ selector: '', description: 'x', inbound_rules: [{ action: 'allow', src_ports: [80], color: 'red' }] }),
    '/calico/v1/ipam/v4/pool/10.0.0.0-16': JSON.stringify({ cidr: '10.0.0.0/16', ipip: '', masquerade: false, ipam: true, disabled: false, vxlan: 'Always' }),
    '/calico/bgp/v1/global/peer_v4/10.0.0.1': JSON.stringify({ ip: '10.0.0.1', as_num: '64512', password: 's' }),
    '/calico/bgp/v1/global/node_mesh': JSON.stringify({ enabled: true, extra: 1 }),
    '/calico/v1/host/h/metadata': JSON.stringify({ labels: { a: 'b' } }),
    '/calico/v1/host/h/orchestrator_refs': JSON.stringify([{ orchestrator: 'k8s', nodeName: 'h', uid: 'u' }]),
    '/calico/v1/host/h/workload/k8s/ns.pod/endpoint/eth0': JSON.stringify({ state: 'active', name: 'cali1', mac: null, profile_ids: [], ipv4_nets: [], ipv6_nets: [], ipv4_nat: [{ int_ip: '10.0.0.1', ext_ip: '1.2.3.4', note: 'n' }], qos: 'gold' }),
  });
  t.deepEqual(parsed.failures, []);
  t.deepEqual(unknownOf(parsed), [
    ['/calico/v1/policy/tier/default/policy/p', [['description', 'x'], ['inbound_rules[0].color', 'red']]],
    ['/calico/v1/ipam/v4/pool/10.0.0.0-16', [['vxlan', 'Always']]],
    ['/calico/bgp/v1/global/peer_v4/10.0.0.1', [['password', 's']]],
    ['/calico/bgp/v1/global/node_mesh', [['extra', 1]]],
    ['/calico/v1/host/h/metadata', [['labels', { a: 'b' }]]],
    ['/calico/v1/host/h/orchestrator_refs', [['[0].uid', 'u']]],
    ['/calico/v1/host/h/workload/k8s/ns.pod/endpoint/eth0', [['ipv4_nat[0].note', 'n'], ['qos', 'gold']]],
  ]);
  t.deepEqual(parsed.issues, [], 'unknown fields are reported where the record is converted, not at parse time');
});

test('unknown fields: Kubernetes objects name the path inside the Calico value (spec, the IpPool JSON in spec.value, SNP rules)', (t) => {
  const parsed = parseObjects(
    tpr('GlobalConfig', 'logseverityscreen', { name: 'LogSeverityScreen', value: 'info', comment: 'c' }),
    tpr('IpPool', '10-0-0-0-16', { value: JSON.stringify({ cidr: '10.0.0.0/16', ipip: '', masquerade: false, ipam: true, disabled: false, blockSize: 26 }) }),
    tpr('GlobalBgpPeer', '10-0-0-1', { asNumber: 64512, password: 's' }),
    tpr('SystemNetworkPolicy', 'snp', { selector: 'all()', ingress: [{ action: 'allow', source: { net: '10.0.0.0/8', namespaceSelector: 'x' }, http: {} }] }, 'alpha.projectcalico.org/v1'),
  );
  t.deepEqual(parsed.failures, []);
  t.deepEqual(unknownOf(parsed), [
    ['GlobalConfig/kube-system/logseverityscreen', [['spec.comment', 'c']]],
    ['IpPool/kube-system/10-0-0-0-16', [['spec.value.blockSize', 26]]],
    ['GlobalBgpPeer/kube-system/10-0-0-1', [['spec.password', 's']]],
    ['SystemNetworkPolicy/kube-system/snp', [['spec.ingress[0].http', {}], ['spec.ingress[0].source.namespaceSelector', 'x']]],
  ]);
});

test('unknown fields: a rule port name (v1 model of the v3 libraries) is read as a named port, not an error', (t) => {
  const parsed = parseFlat({ '/calico/v1/policy/tier/default/policy/p': JSON.stringify({ selector: '', inbound_rules: [{ action: 'allow', protocol: 'tcp', dst_ports: ['http', 'web.alt_1'] }] }) });
  t.deepEqual(parsed.failures, []);
  const item = parsed.snapshot.items[0];
  t.deepEqual(item?.type === 'policy' ? item.spec.ingress[0]?.destination.ports : undefined, ['http', 'web.alt_1']);
});
