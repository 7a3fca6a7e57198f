/** v2.5 steps 0030 and 0040: IP pools and global BGP peers. */
import test from 'ava';
import { step as ipPools } from '../../migrations/v2.5/0030-ip-pools.js';
import { step as globalPeers } from '../../migrations/v2.5/0040-global-bgp-peers.js';
import { parseFlat, parseObjects, runStep, tpr } from '../_helpers/items.js';

const pool = (cidrKey: string, value: unknown) => parseFlat({ [`/calico/v1/ipam/${cidrKey.includes(':') ? 'v6' : 'v4'}/pool/${cidrKey}`]: JSON.stringify(value) });

const poolCases: [string, string, unknown, unknown][] = [
  ['a full Go-written pool with IPIP always and NAT', '192.168.0.0-16', { cidr: '192.168.0.0/16', ipip: 'tunl0', ipip_mode: 'always', masquerade: true, ipam: true, disabled: false },
    { cidr: '192.168.0.0/16', ipip: { enabled: true, mode: 'always' }, 'nat-outgoing': true }],
  ['IPIP off and no mode: no ipip key, false fields omitted', '10.1.0.0-16', { cidr: '10.1.0.0/16', ipip: '', ipip_mode: '', masquerade: false, ipam: true, disabled: false },
    { cidr: '10.1.0.0/16' }],
  ['a pycalico pool with only the fields that were set', '10.2.0.0-16', { cidr: '10.2.0.0/16', ipip: 'tunl0', masquerade: true },
    { cidr: '10.2.0.0/16', ipip: { enabled: true }, 'nat-outgoing': true }],
  ['a mode without a tunnel interface keeps the mode only', '10.3.0.0-16', { cidr: '10.3.0.0/16', ipip: '', ipip_mode: 'cross-subnet' },
    { cidr: '10.3.0.0/16', ipip: { mode: 'cross-subnet' } }],
  ['a disabled pool', '10.4.0.0-16', { cidr: '10.4.0.0/16', disabled: true, ipam: false },
    { cidr: '10.4.0.0/16', disabled: true }],
  ['an IPv6 pool named in compressed form', 'fd80:24e2:f998:72d6::-64', { cidr: 'fd80:24e2:f998:72d6::/64', masquerade: false },
    { cidr: 'fd80:24e2:f998:72d6::/64' }],
];

for (const [title, key, value, spec] of poolCases) {
  test(`0030: ${title}`, (t) => {
    const out = runStep(ipPools, pool(key, value));
    t.is(out.objects.length, 1);
    t.deepEqual(out.objects[0]?.object.spec, spec);
    t.is(out.objects[0]?.object.metadata.name, key.replace(/[.:]/g, '-'));
    t.is(out.outcomes[0]?.disposition, 'converted');
  });
}

test('0030: a legacy ipam:false pool that is not disabled is converted with loss: ipam reported as not carried, with what to do', (t) => {
  const out = runStep(ipPools, pool('10.5.0.0-16', { cidr: '10.5.0.0/16', ipam: false }));
  t.is(out.objects.length, 1);
  t.like(out.outcomes[0], { disposition: 'converted-with-loss', lost: [{ path: 'ipam', value: false, code: 'field-not-carried' }] });
  t.like(out.issues[0], { severity: 'warning', code: 'field-not-carried' });
  t.regex(out.issues[0]?.message ?? '', /set disabled: true on it if nothing may be allocated from it$/);
});

test('0030: an ipam flag that agrees with disabled is implied, and a tunnel interface other than tunl0 is not carried', (t) => {
  const agree = runStep(ipPools, pool('10.5.0.0-16', { cidr: '10.5.0.0/16', ipam: true, disabled: false }));
  t.deepEqual(agree.outcomes.map((o) => o.disposition), ['converted']);
  const tunnel = runStep(ipPools, pool('10.6.0.0-16', { cidr: '10.6.0.0/16', ipip: 'tunl7' }));
  t.deepEqual(tunnel.objects[0]?.object.spec?.['ipip'], { enabled: true });
  t.like(tunnel.outcomes[0], { disposition: 'converted-with-loss', lost: [{ path: 'ipip', value: 'tunl7' }] });
});

test('0030: IPIP on an IPv6 pool is converted with a warning', (t) => {
  const out = runStep(ipPools, pool('fd00::-64', { cidr: 'fd00::/64', ipip: 'tunl0' }));
  t.like(out.issues[0], { severity: 'warning', code: 'ipip-on-ipv6-pool' });
});

test('0030: a pool whose cidr has host bits set is an error with the masked network as hint', (t) => {
  const out = runStep(ipPools, pool('10.6.0.5-16', { cidr: '10.6.0.5/16' }));
  t.is(out.objects.length, 0);
  t.like(out.outcomes[0], { disposition: 'error', code: 'pool-cidr-not-masked', hint: 'recreate the pool as 10.6.0.0/16 if that is the intended network' });
});

test('0030: an IpPool TPR converts from its embedded spec.value, and a name that does not match is reported as a rename', (t) => {
  const out = runStep(ipPools, parseObjects(tpr('IpPool', 'my-pool', { value: JSON.stringify({ cidr: '10.7.0.0/16', ipip: 'tunl0', ipip_mode: 'always', masquerade: true }) })));
  t.is(out.objects[0]?.object.metadata.name, '10-7-0-0-16');
  t.deepEqual(out.renames, [{ kind: 'IPPool', from: 'my-pool', to: '10-7-0-0-16', origin: 'IpPool/kube-system/my-pool' }]);
});

test('0040: an IPv4 global peer becomes a BGPPeer with scope global', (t) => {
  const out = runStep(globalPeers, parseFlat({ '/calico/bgp/v1/global/peer_v4/10.0.0.1': '{"ip":"10.0.0.1","as_num":"64567"}' }));
  t.deepEqual(out.objects[0]?.object, {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'BGPPeer',
    metadata: { name: '10-0-0-1' },
    spec: { asNumber: 64567, scope: 'global', peerIP: '10.0.0.1' },
  });
});

test('0040: an IPv6 peer gets the fully expanded name of v2.5, and a dotted AS number becomes a number', (t) => {
  const out = runStep(globalPeers, parseFlat({ '/calico/bgp/v1/global/peer_v6/2001:db8::1': '{"ip":"2001:db8::1","as_num":"1.10"}' }));
  t.is(out.objects[0]?.object.metadata.name, '2001-0db8-0000-0000-0000-0000-0000-0001');
  t.deepEqual(out.objects[0]?.object.spec, { asNumber: 65546, scope: 'global', peerIP: '2001:db8::1' });
  t.deepEqual(out.renames, [], 'etcd peers have no stored name to rename');
});

test('0040: a GlobalBgpPeer TPR with a compressed IPv6 name is renamed to the expanded form, and the rename reported', (t) => {
  const out = runStep(globalPeers, parseObjects(tpr('GlobalBgpPeer', '2001-db8--1', { asNumber: 64567 })));
  t.is(out.objects[0]?.object.metadata.name, '2001-0db8-0000-0000-0000-0000-0000-0001');
  t.deepEqual(out.renames, [{ kind: 'BGPPeer', from: '2001-db8--1', to: '2001-0db8-0000-0000-0000-0000-0000-0001', origin: 'GlobalBgpPeer/kube-system/2001-db8--1' }]);
});
