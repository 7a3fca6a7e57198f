/**
 * v3.0 steps 0030 (IP pools), 0040 (BGP peers) and 0060 (nodes). Expectations follow
 * calico-data-model.md §4.2 (IPPool, BGPPeer, Node), §4.1 (KDD Node annotations) and the steps'
 * doc comments where they go beyond upstream (tunnel address kept without a BGP address, hosts only
 * under /calico/bgp/v1/host kept, ipam:false reported).
 */
import test from 'ava';
import { step as ipPools } from '../../migrations/v3.0/0030-ip-pools.js';
import { step as bgpPeers } from '../../migrations/v3.0/0040-bgp-peers.js';
import { step as nodes } from '../../migrations/v3.0/0060-nodes.js';
import type { OutputForm } from '../../src/model/target.js';
import { node, parseFlat, parseObjects, runStep, tpr } from '../_helpers/items.js';

const CRD = 'crd.projectcalico.org/v1';
const V3 = 'projectcalico.org/v3';
const FORMS: readonly [OutputForm, string][] = [['crd', CRD], ['calicoctl', V3]];

const pool = (cidrKey: string, value: unknown) => parseFlat({ [`/calico/v1/ipam/${cidrKey.includes(':') ? 'v6' : 'v4'}/pool/${cidrKey}`]: JSON.stringify(value) });

// ---------------------------------------------------------------------------------------------
// 0030-ip-pools

for (const [form, apiVersion] of FORMS) {
  test(`0030-ip-pools: a pool with IPIP always and NAT becomes IPPool <cidr-name> with ipipMode Always and natOutgoing (${form} form, ${apiVersion})`, (t) => {
    const out = runStep(ipPools, pool('192.168.0.0-16', { cidr: '192.168.0.0/16', ipip: 'tunl0', ipip_mode: 'always', masquerade: true, ipam: true, disabled: false }), form);
    t.deepEqual(out.objects.map((o) => o.object), [
      { apiVersion, kind: 'IPPool', metadata: { name: '192-168-0-0-16' }, spec: { cidr: '192.168.0.0/16', ipipMode: 'Always', natOutgoing: true } },
    ]);
    t.deepEqual(out.outcomes.map((o) => [o.disposition, o.targets]), [['converted', ['IPPool/192-168-0-0-16']]]);
    t.deepEqual(out.issues, []);
  });
}

const modeCases: [string, Record<string, unknown>, string][] = [
  ['no tunnel interface gives ipipMode Never', { ipip: '', ipip_mode: '' }, 'Never'],
  ['a tunnel interface with an empty ipip_mode gives ipipMode Always', { ipip: 'tunl0', ipip_mode: '' }, 'Always'],
  ['a tunnel interface with ipip_mode cross-subnet gives ipipMode CrossSubnet', { ipip: 'tunl0', ipip_mode: 'cross-subnet' }, 'CrossSubnet'],
  ['a pycalico pool with only ipip set gives ipipMode Always', { ipip: 'tunl0' }, 'Always'],
];
for (const [title, fields, ipipMode] of modeCases) {
  test(`0030-ip-pools: ${title}`, (t) => {
    const out = runStep(ipPools, pool('10.1.0.0-16', { cidr: '10.1.0.0/16', ...fields }));
    t.deepEqual(out.objects[0]?.object, { apiVersion: CRD, kind: 'IPPool', metadata: { name: '10-1-0-0-16' }, spec: { cidr: '10.1.0.0/16', ipipMode } });
  });
}

test('0030-ip-pools: an ipip_mode without a tunnel interface gives ipipMode Never with an info note', (t) => {
  const out = runStep(ipPools, pool('10.3.0.0-16', { cidr: '10.3.0.0/16', ipip: '', ipip_mode: 'cross-subnet' }));
  t.deepEqual(out.objects[0]?.object.spec, { cidr: '10.3.0.0/16', ipipMode: 'Never' });
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['info', 'ipip-mode-without-tunnel']]);
});

test('0030-ip-pools: a disabled pool keeps disabled: true and false booleans are omitted', (t) => {
  const out = runStep(ipPools, pool('10.4.0.0-16', { cidr: '10.4.0.0/16', ipip: '', masquerade: false, ipam: false, disabled: true }));
  t.deepEqual(out.objects[0]?.object.spec, { cidr: '10.4.0.0/16', ipipMode: 'Never', disabled: true });
  t.deepEqual(out.issues, [], 'ipam:false on a disabled pool loses nothing');
});

test('0030-ip-pools: a legacy ipam:false pool that is not disabled is converted with loss (ipam not carried)', (t) => {
  const out = runStep(ipPools, pool('10.5.0.0-16', { cidr: '10.5.0.0/16', ipam: false }));
  t.deepEqual(out.objects[0]?.object.spec, { cidr: '10.5.0.0/16', ipipMode: 'Never' });
  t.like(out.outcomes[0], { disposition: 'converted-with-loss', targets: ['IPPool/10-5-0-0-16'], lost: [{ path: 'ipam', value: false, code: 'field-not-carried' }] });
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'field-not-carried']]);
});

test('0030-ip-pools: an IPv6 pool is named from its compressed cidr', (t) => {
  const out = runStep(ipPools, pool('fd80:24e2:f998:72d6::-64', { cidr: 'fd80:24e2:f998:72d6::/64', ipip: '', masquerade: false }));
  t.deepEqual(out.objects[0]?.object, { apiVersion: CRD, kind: 'IPPool', metadata: { name: 'fd80-24e2-f998-72d6---64' }, spec: { cidr: 'fd80:24e2:f998:72d6::/64', ipipMode: 'Never' } });
});

test('0030-ip-pools: a pool cidr with host bits set is an error with the masked network as hint', (t) => {
  const out = runStep(ipPools, pool('10.6.0.5-16', { cidr: '10.6.0.5/16' }));
  t.deepEqual(out.objects, []);
  t.like(out.outcomes[0], { disposition: 'error', code: 'pool-cidr-not-masked', hint: 'recreate the pool as 10.6.0.0/16 if that is the intended network' });
});

test('0030-ip-pools: pools that overlap are all errors and none is written; a separate pool still converts', (t) => {
  const out = runStep(ipPools, parseFlat({
    '/calico/v1/ipam/v4/pool/10.0.0.0-16': JSON.stringify({ cidr: '10.0.0.0/16' }),
    '/calico/v1/ipam/v4/pool/10.0.1.0-24': JSON.stringify({ cidr: '10.0.1.0/24' }),
    '/calico/v1/ipam/v4/pool/10.9.0.0-16': JSON.stringify({ cidr: '10.9.0.0/16' }),
  }));
  t.deepEqual(out.objects.map((o) => o.object.metadata.name), ['10-9-0-0-16']);
  t.deepEqual(out.outcomes.map((o) => [o.origin, o.disposition, o.code]), [
    ['/calico/v1/ipam/v4/pool/10.0.0.0-16', 'error', 'pool-overlap'],
    ['/calico/v1/ipam/v4/pool/10.0.1.0-24', 'error', 'pool-overlap'],
    ['/calico/v1/ipam/v4/pool/10.9.0.0-16', 'converted', undefined],
  ]);
});

test('0030-ip-pools: an IpPool TPR whose name does not encode its cidr is renamed, and the rename reported', (t) => {
  const out = runStep(ipPools, parseObjects(tpr('IpPool', 'my-pool', { value: JSON.stringify({ cidr: '10.7.0.0/16', ipip: 'tunl0', ipip_mode: 'cross-subnet', masquerade: true }) })));
  t.deepEqual(out.objects[0]?.object, { apiVersion: CRD, kind: 'IPPool', metadata: { name: '10-7-0-0-16' }, spec: { cidr: '10.7.0.0/16', ipipMode: 'CrossSubnet', natOutgoing: true } });
  t.deepEqual(out.renames, [{ kind: 'IPPool', from: 'my-pool', to: '10-7-0-0-16', origin: 'IpPool/kube-system/my-pool' }]);
});

// ---------------------------------------------------------------------------------------------
// 0040-bgp-peers

for (const [form, apiVersion] of FORMS) {
  test(`0040-bgp-peers: a global IPv4 peer becomes BGPPeer <ip with dashes> (${form} form, ${apiVersion})`, (t) => {
    const out = runStep(bgpPeers, parseFlat({ '/calico/bgp/v1/global/peer_v4/10.0.0.1': '{"ip":"10.0.0.1","as_num":"64567"}' }), form);
    t.deepEqual(out.objects.map((o) => o.object), [{ apiVersion, kind: 'BGPPeer', metadata: { name: '10-0-0-1' }, spec: { peerIP: '10.0.0.1', asNumber: 64567 } }]);
    t.deepEqual(out.outcomes.map((o) => [o.disposition, o.targets]), [['converted', ['BGPPeer/10-0-0-1']]]);
    t.deepEqual(out.issues, []);
  });
}

test('0040-bgp-peers: a global IPv6 peer is named with the fully expanded address, and a dotted AS number becomes a number', (t) => {
  const out = runStep(bgpPeers, parseFlat({ '/calico/bgp/v1/global/peer_v6/2006::2:1': '{"ip":"2006::2:1","as_num":"1.10"}' }));
  t.deepEqual(out.objects[0]?.object, {
    apiVersion: CRD,
    kind: 'BGPPeer',
    metadata: { name: '2006-0000-0000-0000-0000-0000-0002-0001' },
    spec: { peerIP: '2006::2:1', asNumber: 65546 },
  });
});

test('0040-bgp-peers: a node-scoped etcd peer becomes BGPPeer <node>.<ip-name> with spec.node, the node name normalised', (t) => {
  // The calicoctl convert documentation example: Node1 / aa:bb::ff.
  const out = runStep(bgpPeers, parseFlat({ '/calico/bgp/v1/host/Node1/peer_v6/aa:bb::ff': '{"ip":"aa:bb::ff","as_num":"64514"}' }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [{
    apiVersion: V3,
    kind: 'BGPPeer',
    metadata: { name: 'node1.00aa-00bb-0000-0000-0000-0000-0000-00ff' },
    spec: { node: 'node1', peerIP: 'aa:bb::ff', asNumber: 64514 },
  }]);
  t.deepEqual(out.outcomes.map((o) => o.disposition), ['converted']);
  t.deepEqual(out.issues, []);
});

test('0040-bgp-peers: a node peer kept as a Node annotation (KDD) becomes a BGPPeer, with an info note that the annotation is superseded', (t) => {
  const out = runStep(bgpPeers, parseObjects(node('w1', { 'peer.bgp.projectcalico.org/10-0-1-254': '{"ip":"10.0.1.254","as_num":"64600"}' })));
  t.deepEqual(out.objects.map((o) => o.object), [{ apiVersion: CRD, kind: 'BGPPeer', metadata: { name: 'w1.10-0-1-254' }, spec: { node: 'w1', peerIP: '10.0.1.254', asNumber: 64600 } }]);
  t.like(out.outcomes[0], { disposition: 'converted', targets: ['BGPPeer/w1.10-0-1-254'] });
  t.deepEqual(out.issues.map((i) => [i.severity, i.code, i.origin]), [['info', 'node-peer-annotation-superseded', 'Node/w1 annotation peer.bgp.projectcalico.org/10-0-1-254']]);
});

test('0040-bgp-peers: a GlobalBgpPeer TPR with a compressed IPv6 name is renamed to the expanded form, and the rename reported', (t) => {
  const out = runStep(bgpPeers, parseObjects(tpr('GlobalBgpPeer', '2001-db8--1', { asNumber: 64567 })));
  t.deepEqual(out.objects[0]?.object, { apiVersion: CRD, kind: 'BGPPeer', metadata: { name: '2001-0db8-0000-0000-0000-0000-0000-0001' }, spec: { peerIP: '2001:db8::1', asNumber: 64567 } });
  t.deepEqual(out.renames, [{ kind: 'BGPPeer', from: '2001-db8--1', to: '2001-0db8-0000-0000-0000-0000-0000-0001', origin: 'GlobalBgpPeer/kube-system/2001-db8--1' }]);
});

// ---------------------------------------------------------------------------------------------
// 0060-nodes, calicoctl form

const V3Node = (name: string, spec: Record<string, unknown>) => ({ apiVersion: V3, kind: 'Node', metadata: { name }, spec });

test('0060-nodes: calicoctl form: the BGP IPv4 address takes the mask of network_v4, and bird_ip is skipped as derived', (t) => {
  const out = runStep(nodes, parseFlat({
    '/calico/v1/host/node-1/metadata': '{}',
    '/calico/v1/host/node-1/bird_ip': '10.0.1.11',
    '/calico/bgp/v1/host/node-1/ip_addr_v4': '10.0.1.11',
    '/calico/bgp/v1/host/node-1/network_v4': '10.0.1.0/24',
  }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [V3Node('node-1', { bgp: { ipv4Address: '10.0.1.11/24' } })]);
  t.deepEqual(out.outcomes.map((o) => [o.origin, o.disposition, o.code ?? o.targets?.[0]]), [
    ['/calico/v1/host/node-1/bird_ip', 'skipped', 'derived-bird-ip'],
    ['/calico/bgp/v1/host/node-1/ip_addr_v4', 'converted', 'Node/node-1'],
    ['/calico/bgp/v1/host/node-1/network_v4', 'converted', 'Node/node-1'],
    ['/calico/v1/host/node-1/metadata', 'converted', 'Node/node-1'],
  ]);
});

test('0060-nodes: calicoctl form: an address without a network gets a full mask (/32, /128) and an IPv6 address goes to ipv6Address', (t) => {
  const out = runStep(nodes, parseFlat({
    '/calico/bgp/v1/host/node-1/ip_addr_v4': '10.0.1.11',
    '/calico/bgp/v1/host/node-1/ip_addr_v6': '2001:db8::11',
    '/calico/bgp/v1/host/node-2/ip_addr_v6': '2001:db8::12',
    '/calico/bgp/v1/host/node-2/network_v6': '2001:db8::/64',
  }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [
    V3Node('node-1', { bgp: { ipv4Address: '10.0.1.11/32', ipv6Address: '2001:db8::11/128' } }),
    V3Node('node-2', { bgp: { ipv6Address: '2001:db8::12/64' } }),
  ]);
});

test('0060-nodes: calicoctl form: the per-host AS number becomes bgp.asNumber, a dotted one as its number', (t) => {
  const out = runStep(nodes, parseFlat({ '/calico/bgp/v1/host/node-1/ip_addr_v4': '10.0.1.11', '/calico/bgp/v1/host/node-1/as_num': '1.10' }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [V3Node('node-1', { bgp: { asNumber: 65546, ipv4Address: '10.0.1.11/32' } })]);
  t.true(out.outcomes.every((o) => o.disposition === 'converted'));
});

test('0060-nodes: calicoctl form: the per-host IpInIpTunnelAddr becomes bgp.ipv4IPIPTunnelAddr', (t) => {
  const out = runStep(nodes, parseFlat({ '/calico/bgp/v1/host/node-1/ip_addr_v4': '10.0.1.11', '/calico/v1/host/node-1/config/IpInIpTunnelAddr': '192.168.1.1' }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [V3Node('node-1', { bgp: { ipv4Address: '10.0.1.11/32', ipv4IPIPTunnelAddr: '192.168.1.1' } })]);
});

test('0060-nodes: calicoctl form: the tunnel address is kept even when the host has no BGP address (upstream dropped it)', (t) => {
  const out = runStep(nodes, parseFlat({ '/calico/v1/host/node-1/metadata': '{}', '/calico/v1/host/node-1/config/IpInIpTunnelAddr': '192.168.1.1' }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [V3Node('node-1', { bgp: { ipv4IPIPTunnelAddr: '192.168.1.1' } })]);
  t.true(out.outcomes.every((o) => o.disposition === 'converted'));
});

test('0060-nodes: calicoctl form: an AS number without any BGP address is skipped with a warning, and the Node has no bgp', (t) => {
  const out = runStep(nodes, parseFlat({ '/calico/v1/host/node-1/metadata': '{}', '/calico/bgp/v1/host/node-1/as_num': '64513' }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [V3Node('node-1', {})]);
  t.like(out.outcomes.find((o) => o.origin === '/calico/bgp/v1/host/node-1/as_num'), { disposition: 'skipped', code: 'as-number-without-address' });
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'as-number-without-address']]);
});

test('0060-nodes: calicoctl form: orchestrator_refs become spec.orchRefs', (t) => {
  const out = runStep(nodes, parseFlat({
    '/calico/v1/host/node-1/metadata': '{}',
    '/calico/v1/host/node-1/orchestrator_refs': '[{"orchestrator":"k8s","nodeName":"node-1.example.com"}]',
  }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [V3Node('node-1', { orchRefs: [{ nodeName: 'node-1.example.com', orchestrator: 'k8s' }] })]);
});

test('0060-nodes: calicoctl form: a host with only its metadata marker becomes a Node with an empty spec', (t) => {
  const out = runStep(nodes, parseFlat({ '/calico/v1/host/node-1/metadata': '{}' }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [V3Node('node-1', {})]);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.targets]), [['converted', ['Node/node-1']]]);
});

test('0060-nodes: calicoctl form: the node name is normalised without a hash suffix, and the rename reported', (t) => {
  const out = runStep(nodes, parseFlat({ '/calico/v1/host/Rack1_Host1/metadata': '{}' }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object.metadata), [{ name: 'rack1-host1' }]);
  t.deepEqual(out.renames, [{ kind: 'Node', from: 'Rack1_Host1', to: 'rack1-host1', origin: '/calico/v1/host/Rack1_Host1/metadata' }]);
});

test('0060-nodes: calicoctl form: a host known only under /calico/bgp/v1/host still becomes a Node', (t) => {
  const out = runStep(nodes, parseFlat({ '/calico/bgp/v1/host/bgp-only/ip_addr_v4': '10.0.9.9' }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [V3Node('bgp-only', { bgp: { ipv4Address: '10.0.9.9/32' } })]);
});

test('0060-nodes: an empty BGP address is skipped, and a network without an address is skipped', (t) => {
  const out = runStep(nodes, parseFlat({ '/calico/bgp/v1/host/node-1/ip_addr_v6': '', '/calico/bgp/v1/host/node-1/network_v4': '10.0.0.0/24' }), 'calicoctl');
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'empty-address'], ['skipped', 'network-without-address']]);
});

// ---------------------------------------------------------------------------------------------
// 0060-nodes, crd form

test('0060-nodes: crd form: etcd BGP addresses (IPv4 and IPv6) and AS number become one annotation patch on the Kubernetes Node, with an info note', (t) => {
  const out = runStep(nodes, parseFlat({
    '/calico/bgp/v1/host/node-1/ip_addr_v4': '10.0.1.11',
    '/calico/bgp/v1/host/node-1/network_v4': '10.0.1.0/24',
    '/calico/bgp/v1/host/node-1/ip_addr_v6': '2001:db8::11',
    '/calico/bgp/v1/host/node-1/network_v6': '2001:db8::/64',
    '/calico/bgp/v1/host/node-1/as_num': '64513',
  }), 'crd');
  t.deepEqual(out.objects.map((o) => o.object), [{
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'node-1',
      annotations: {
        'projectcalico.org/IPv4Address': '10.0.1.11/24',
        'projectcalico.org/IPv6Address': '2001:db8::11/64',
        'projectcalico.org/ASNumber': '64513',
      },
    },
  }]);
  t.is(out.outcomes.length, 5);
  t.true(out.outcomes.every((o) => o.disposition === 'converted' && o.targets?.[0] === 'Node/node-1'));
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['info', 'node-patches']]);
});

test('0060-nodes: crd form: the etcd tunnel address, host marker, bird_ip and orchestrator_refs are skipped as derived', (t) => {
  const out = runStep(nodes, parseFlat({
    '/calico/v1/host/node-1/metadata': '{}',
    '/calico/v1/host/node-1/bird_ip': '10.0.1.11',
    '/calico/v1/host/node-1/orchestrator_refs': '[{"orchestrator":"k8s","nodeName":"node-1"}]',
    '/calico/v1/host/node-1/config/IpInIpTunnelAddr': '192.168.1.1',
  }), 'crd');
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [
    ['skipped', 'node-marker'],
    ['skipped', 'derived-bird-ip'],
    ['skipped', 'derived-orchestrator-refs'],
    ['skipped', 'derived-tunnel-address'],
  ]);
  t.deepEqual(out.issues, []);
});

test('0060-nodes: crd form: Calico annotations and podCIDR already on Kubernetes Nodes are kept in place; unknown ones warn', (t) => {
  const out = runStep(nodes, parseObjects(node('w1', {
    'projectcalico.org/IPv4Address': '10.0.1.5/24',
    'projectcalico.org/ASNumber': '64512',
    'projectcalico.org/Something': 'x',
    'node.alpha.kubernetes.io/ttl': '0',
  }, '192.168.1.0/24')), 'crd');
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.origin, o.disposition, o.code]), [
    ['Node/w1 annotation projectcalico.org/ASNumber', 'skipped', 'kept-in-place'],
    ['Node/w1 annotation projectcalico.org/IPv4Address', 'skipped', 'kept-in-place'],
    ['Node/w1 annotation projectcalico.org/Something', 'skipped', 'unknown-annotation'],
    ['Node/w1 spec.podCIDR', 'skipped', 'kept-in-place'],
  ]);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'unknown-annotation']]);
});

test('0030-ip-pools: IPIP on an IPv6 pool is written as ipipMode Never, with a warning', (t) => {
  const out = runStep(ipPools, parseFlat({ '/calico/v1/ipam/v6/pool/fd00::-64': '{"cidr":"fd00::/64","ipip":"tunl0","ipip_mode":"always"}' }), 'crd');
  t.deepEqual(out.objects[0]?.object.spec, { cidr: 'fd00::/64', ipipMode: 'Never' });
  t.like(out.issues.find((i) => i.code === 'ipip-on-ipv6-pool'), { severity: 'warning' });
});
