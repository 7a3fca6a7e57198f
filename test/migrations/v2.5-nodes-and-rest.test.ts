/** v2.5 steps 0060–0090: per-node BGP data, Calico IPAM, endpoints and profiles, everything else. */
import test from 'ava';
import { step as nodeBgp } from '../../migrations/v2.5/0060-node-bgp-data.js';
import { step as ipam } from '../../migrations/v2.5/0070-calico-ipam.js';
import { step as endpoints } from '../../migrations/v2.5/0080-endpoints-and-profiles.js';
import { step as other } from '../../migrations/v2.5/0090-runtime-and-other-data.js';
import { block, node, parseFlat, parseObjects, runStep, tpr } from '../_helpers/items.js';

test('0060: etcd BGP address, network, AS number, node peer and log level become one Node annotation patch', (t) => {
  const out = runStep(nodeBgp, parseFlat({
    '/calico/bgp/v1/host/node-1/ip_addr_v4': '10.0.1.11',
    '/calico/bgp/v1/host/node-1/network_v4': '10.0.1.0/24',
    '/calico/bgp/v1/host/node-1/as_num': '64513',
    '/calico/bgp/v1/host/node-1/peer_v6/2001:db8::fe': '{"ip":"2001:db8::fe","as_num":"64600"}',
    '/calico/bgp/v1/host/node-1/loglevel': 'debug',
  }));
  t.deepEqual(out.objects.map((o) => o.object), [{
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'node-1',
      annotations: {
        'projectcalico.org/IPv4Address': '10.0.1.11/24',
        'projectcalico.org/ASNumber': '64513',
        'peer.bgp.projectcalico.org/2001-0db8-0000-0000-0000-0000-0000-00fe': '{"ip":"2001:db8::fe","as_num":"64600"}',
        'config.bgp.projectcalico.org/loglevel': 'debug',
      },
    },
  }]);
  t.true(out.outcomes.every((o) => o.disposition === 'converted' && o.targets?.[0] === 'Node/node-1'));
  t.is(out.outcomes.length, 5);
  t.like(out.issues.find((i) => i.code === 'node-patches'), { severity: 'info' });
});

test('0060: an address without network_v4 gets /32; a network without an address is skipped', (t) => {
  const out = runStep(nodeBgp, parseFlat({
    '/calico/bgp/v1/host/a/ip_addr_v4': '10.0.0.5',
    '/calico/bgp/v1/host/b/ip_addr_v4': '',
    '/calico/bgp/v1/host/b/network_v4': '10.0.0.0/24',
  }));
  t.deepEqual(out.objects.map((o) => o.object.metadata), [{ name: 'a', annotations: { 'projectcalico.org/IPv4Address': '10.0.0.5/32' } }]);
  t.deepEqual(out.outcomes.map((o) => o.code ?? o.disposition).sort(), ['converted', 'empty-address', 'network-without-address']);
});

test('0060: an IPv6 BGP address has no v2.x annotation: skipped with the IP6 setting as hint', (t) => {
  const out = runStep(nodeBgp, parseFlat({ '/calico/bgp/v1/host/a/ip_addr_v6': '2001:db8::12', '/calico/bgp/v1/host/a/network_v6': '2001:db8::/64' }));
  t.is(out.objects.length, 0);
  t.like(out.outcomes[0], { disposition: 'skipped', code: 'no-ipv6-annotation' });
  t.like(out.issues[0], { severity: 'warning', hint: 'set IP6=2001:db8::12 (or IP6=autodetect) in the calico-node environment on a' });
  t.like(out.outcomes[1], { disposition: 'skipped', code: 'no-ipv6-annotation' });
  t.regex(out.outcomes[1]?.message ?? '', /network of a's IPv6 BGP address/);
});

test('0060: an address outside its network keeps the prefix length and warns', (t) => {
  const out = runStep(nodeBgp, parseFlat({ '/calico/bgp/v1/host/a/ip_addr_v4': '10.9.0.5', '/calico/bgp/v1/host/a/network_v4': '10.0.0.0/24' }));
  t.is(out.objects[0]?.object.metadata.annotations?.['projectcalico.org/IPv4Address'], '10.9.0.5/24');
  t.like(out.issues[0], { severity: 'warning', code: 'address-outside-network' });
});

test('0060: host markers and the IPIP tunnel address are skipped as derived', (t) => {
  const out = runStep(nodeBgp, parseFlat({ '/calico/v1/host/a/metadata': '{}', '/calico/v1/host/a/bird_ip': '10.0.0.5', '/calico/v1/host/a/config/IpInIpTunnelAddr': '192.168.1.1' }));
  t.deepEqual(out.outcomes.map((o) => o.code), ['node-marker', 'derived-bird-ip', 'derived-tunnel-address']);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['info', 'derived-tunnel-address']]);
  t.is(out.objects.length, 0);
});

test('0060: Calico data already on Kubernetes Nodes stays in place; unknown Calico annotations warn', (t) => {
  const out = runStep(nodeBgp, parseObjects(node('w1', {
    'projectcalico.org/IPv4Address': '10.0.1.5/24',
    'projectcalico.org/ASNumber': '64512',
    'peer.bgp.projectcalico.org/10-0-1-254': '{"ip":"10.0.1.254","as_num":"64600"}',
    'projectcalico.org/Something': 'x',
    'node.alpha.kubernetes.io/ttl': '0',
  }, '192.168.1.0/24')));
  t.is(out.objects.length, 0);
  t.deepEqual(out.outcomes.map((o) => [o.origin, o.code]), [
    ['Node/w1 annotation peer.bgp.projectcalico.org/10-0-1-254', 'kept-in-place'],
    ['Node/w1 annotation projectcalico.org/ASNumber', 'kept-in-place'],
    ['Node/w1 annotation projectcalico.org/IPv4Address', 'kept-in-place'],
    ['Node/w1 annotation projectcalico.org/Something', 'unknown-annotation'],
    ['Node/w1 spec.podCIDR', 'kept-in-place'],
  ]);
});

test('0070: allocated Calico IPAM blocks are a blocker naming blocks, nodes and pools', (t) => {
  const out = runStep(ipam, parseFlat({
    '/calico/v1/ipam/v4/pool/10.0.0.0-16': '{"cidr":"10.0.0.0/16"}',
    ...block('10.0.1.0/26', 'node-1', [0, 0, null]),
    ...block('10.0.2.0/26', 'node-2', [null, null]),
    '/calico/ipam/v2/handle/k8s-pod-network.abc': '{"block":{"10.0.1.0/26":2}}',
    '/calico/ipam/v2/host/node-1/ipv4/block/10.0.1.0-26': '{}',
    '/calico/ipam/v2/config': '{"strict_affinity":false,"auto_allocate_blocks":true}',
  }));
  t.true(out.outcomes.every((o) => o.disposition === 'skipped' && o.code === 'calico-ipam'));
  t.is(out.outcomes.length, 5, 'the pool is not an IPAM record');
  const blocker = out.issues.find((i) => i.severity === 'error');
  t.is(blocker?.message, 'Calico IPAM is in use: 1 block holds 2 allocated addresses in pool(s) 10.0.0.0/16 (10.0.1.0/26 on node-1: 2)');
});

test('0070: with more than 10 blocks in use, the blocker names the first 10 and counts the rest', (t) => {
  const keys: Record<string, string> = { '/calico/v1/ipam/v4/pool/10.0.0.0-16': '{"cidr":"10.0.0.0/16"}' };
  for (let i = 0; i < 12; i++) Object.assign(keys, block(`10.0.${i}.0/26`, `node-${i}`, [0]));
  const out = runStep(ipam, parseFlat(keys));
  const blocker = out.issues.find((i) => i.severity === 'error');
  const first = Array.from({ length: 12 }, (_, i) => `10.0.${i}.0/26 on node-${i}: 1`).sort().slice(0, 10).join(', ');
  t.is(blocker?.message, `Calico IPAM is in use: 12 blocks hold 12 allocated addresses in pool(s) 10.0.0.0/16 (${first}, and 2 more (each block is a record in the report))`);
  t.is(out.outcomes.filter((o) => o.origin.includes('/assignment/')).length, 12, 'every block keeps its own record');
});

test('0070: blocks without allocations are only a warning', (t) => {
  const out = runStep(ipam, parseFlat(block('10.0.2.0/26', 'node-2', [null])));
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'calico-ipam-unused']]);
});

test('0080: host endpoints and non-Kubernetes workloads warn; Kubernetes workloads and namespace profiles are derived', (t) => {
  const out = runStep(endpoints, parseFlat({
    '/calico/v1/host/h/endpoint/eth0': '{"name":"eth0"}',
    '/calico/v1/host/h/workload/k8s/default.web-1/endpoint/eth0': '{"state":"active","name":"cali1","mac":null,"profile_ids":[],"ipv4_nets":[],"ipv6_nets":[]}',
    '/calico/v1/host/h/workload/libnetwork/libnetwork/endpoint/abc': '{"state":"active","name":"cali2","mac":null,"profile_ids":[],"ipv4_nets":[],"ipv6_nets":[]}',
    '/calico/v1/policy/profile/k8s_ns.default/tags': '["k8s_ns.default"]',
  }));
  t.deepEqual(out.outcomes.map((o) => o.code), ['unsupported-host-endpoint', 'derived-workload-endpoint', 'unsupported-workload-endpoint', 'derived-namespace-profile']);
  t.deepEqual(out.issues.map((i) => i.code), ['unsupported-host-endpoint', 'unsupported-workload-endpoint']);
});

test('0080: a user profile is reported once, however many keys it has', (t) => {
  const out = runStep(endpoints, parseFlat({
    '/calico/v1/policy/profile/web/tags': '["web"]',
    '/calico/v1/policy/profile/web/labels': '{"a":"b"}',
    '/calico/v1/policy/profile/web/rules': '{"inbound_rules":[{"action":"allow"}],"outbound_rules":[]}',
  }));
  t.is(out.outcomes.length, 3);
  t.true(out.outcomes.every((o) => o.code === 'unsupported-profile'));
  t.is(out.issues.length, 1);
  t.regex(out.issues[0]?.message ?? '', /^user profile web is not carried over/);
});

test('0090: status, ready flag, route reflector, custom filter, TPR definitions, unrelated objects and unknown keys are skipped with reasons', (t) => {
  const etcd = runStep(other, parseFlat({
    '/calico/felix/v1/host/a/status': '{}',
    '/calico/v1/Ready': 'false',
    '/calico/bgp/v1/rr_v4/10.0.0.5': '{}',
    '/calico/bgp/v1/global/custom_filters/v4/f': 'if net ~ 10.0.0.0/8 then reject;',
    '/calico/openstack/v1/neutron_election': 'x',
    '/somewhere/else': 'x',
  }));
  t.deepEqual(etcd.outcomes.map((o) => o.code), ['status-report', 'ready-flag', 'route-reflector-config', 'custom-bgp-filter', 'openstack-runtime', 'unknown-key']);
  t.deepEqual(etcd.issues.map((i) => i.code), ['ready-flag', 'route-reflector-config', 'custom-bgp-filter', 'unknown-key']);
  const kube = runStep(other, parseObjects(
    { apiVersion: 'extensions/v1beta1', kind: 'ThirdPartyResource', metadata: { name: 'ip-pool.projectcalico.org' } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' } },
    tpr('IPPool', '10-0-0-0-8', { cidr: '10.0.0.0/8' }, 'crd.projectcalico.org/v1'),
    { apiVersion: 'projectcalico.org/v1', kind: 'IpPool', metadata: { name: '10-1-0-0-16', namespace: 'default' }, spec: { value: '{"cidr":"10.1.0.0/16"}' } },
  ));
  t.deepEqual(kube.outcomes.map((o) => o.code), ['tpr-definition', 'unrelated-object', 'already-target-form', 'tpr-outside-kube-system']);
  t.like(kube.issues.find((i) => i.code === 'tpr-outside-kube-system'), { severity: 'warning', origin: 'IpPool/default/10-1-0-0-16' });
});
