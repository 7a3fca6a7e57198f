/**
 * The etcd v3 layout of Calico v3 resources (docs/etcdv3-destination.md): keys per kind and
 * namespace, policies under `default.<name>`, the value without resourceVersion, and reading a
 * stored object back. Calico's own calicoctl reading these keys is in test/real/etcdv3-layout.test.ts.
 */
import test from 'ava';
import { objectId } from '../../src/model/target.js';
import { etcdKeyOf, etcdValueOf, kindPrefix, nameFromStorage, parseStored, storageName } from '../../src/destination/etcdv3-layout.js';
import type { TargetObject } from '../../src/model/target.js';

const STAMP = { uid: '5b1c1f55-1d6e-4f1d-9a7e-3f1f4b1c2d3e', creationTimestamp: '2026-12-05T10:00:00Z' };
const v3 = (kind: string, name: string, spec: Record<string, unknown> = {}, namespace?: string, extra: Partial<TargetObject['metadata']> = {}): TargetObject => ({ apiVersion: 'projectcalico.org/v3', kind, metadata: { name, ...(namespace ? { namespace } : {}), ...extra }, spec });

test('etcd v3 layout: one key per object, by plural, with the namespace for namespaced kinds', (t) => {
  t.is(etcdKeyOf(v3('IPPool', '192-168-0-0-16')), '/calico/resources/v3/projectcalico.org/ippools/192-168-0-0-16');
  t.is(etcdKeyOf(v3('FelixConfiguration', 'node.k8s-master')), '/calico/resources/v3/projectcalico.org/felixconfigurations/node.k8s-master');
  t.is(etcdKeyOf(v3('WorkloadEndpoint', 'n-k8s-p-eth0', {}, 'default')), '/calico/resources/v3/projectcalico.org/workloadendpoints/default/n-k8s-p-eth0');
  t.is(kindPrefix('HostEndpoint'), '/calico/resources/v3/projectcalico.org/hostendpoints/');
  t.throws(() => etcdKeyOf(v3('WorkloadEndpoint', 'x')), { message: 'WorkloadEndpoint/x has no namespace' });
  t.throws(() => etcdKeyOf({ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'p' } }), { message: /only projectcalico\.org\/v3 objects \(the calicoctl form\)/ });
  t.throws(() => etcdKeyOf(v3('Tier', 'default')), { message: 'Tier is not a Calico v3 resource this tool writes to etcd' });
});

test('etcd v3 layout: policies are stored as default.<name>, Kubernetes policies (knp.) as they are, and read back without the prefix', (t) => {
  t.is(storageName('GlobalNetworkPolicy', 'allow-dns'), 'default.allow-dns');
  t.is(storageName('NetworkPolicy', 'knp.default.deny'), 'knp.default.deny');
  t.is(storageName('Profile', 'kns.default'), 'kns.default');
  t.is(etcdKeyOf(v3('GlobalNetworkPolicy', 'allow-dns')), '/calico/resources/v3/projectcalico.org/globalnetworkpolicies/default.allow-dns');
  t.is(nameFromStorage('GlobalNetworkPolicy', 'default.allow-dns'), 'allow-dns');
  t.is(nameFromStorage('IPPool', 'default.pool'), 'default.pool');
});

test('etcd v3 layout: the value is the whole resource with uid and creation time, no resourceVersion, storage name inside', (t) => {
  const value = JSON.parse(etcdValueOf(v3('GlobalNetworkPolicy', 'allow-dns', { order: 100, selector: 'all()' }, undefined, { labels: { a: 'b' }, annotations: { owner: 'ops' } }), STAMP)) as Record<string, unknown>;
  t.deepEqual(value, {
    kind: 'GlobalNetworkPolicy',
    apiVersion: 'projectcalico.org/v3',
    metadata: { name: 'default.allow-dns', uid: STAMP.uid, creationTimestamp: STAMP.creationTimestamp, labels: { a: 'b' }, annotations: { owner: 'ops' } },
    spec: { order: 100, selector: 'all()' },
  });
  t.false(JSON.stringify(value).includes('resourceVersion'));
});

test('etcd v3 layout: a stored object reads back as the calicoctl-form object, with its uid and creation time', (t) => {
  for (const o of [v3('GlobalNetworkPolicy', 'allow-dns', { order: 1 }), v3('WorkloadEndpoint', 'n-k8s-p-eth0', { node: 'n' }, 'kube-system', { labels: { x: 'y' } }), v3('Node', 'k8s-master', { bgp: { ipv4Address: '10.0.0.1/24' } })]) {
    const read = parseStored(etcdKeyOf(o), etcdValueOf(o, STAMP));
    t.deepEqual(read.object, o);
    t.is(read.uid, STAMP.uid);
    t.is(read.creationTimestamp, STAMP.creationTimestamp);
  }
});

test('etcd v3 layout: a stored value that does not fit its key is an error naming the key', (t) => {
  const key = '/calico/resources/v3/projectcalico.org/ippools/p';
  t.throws(() => parseStored(key, '{not json'), { message: /^\/calico\/resources\/v3\/projectcalico\.org\/ippools\/p: the value is not JSON/ });
  t.throws(() => parseStored(key, '{"kind":"BGPPeer","metadata":{"name":"p"}}'), { message: `${key}: the value is not a IPPool` });
  t.throws(() => parseStored(key, '{"kind":"IPPool","metadata":{"name":"q"}}'), { message: `${key}: the value names "q", the key "p"` });
  t.throws(() => parseStored('/calico/resources/v3/projectcalico.org/workloadendpoints/only-name', '{}'), { message: /a WorkloadEndpoint key has a namespace and a name/ });
  t.throws(() => parseStored('/calico/v1/Ready', 'true'), { message: /not under \/calico\/resources\/v3\/projectcalico\.org\// });
});

test('etcd v3 layout: Calico IPAM keys read back as the IPAM objects that write them; damaged ones name the key', (t) => {
  const block = '/calico/ipam/v2/assignment/ipv4/block/10.0.1.0-26';
  const value = '{"cidr":"10.0.1.0/26","affinity":"host:n1","strictAffinity":false,"allocations":[null],"unallocated":[0],"attributes":[]}';
  const o = parseStored(block, value).object;
  t.deepEqual([objectId(o), etcdKeyOf(o), etcdValueOf(o, { uid: 'ignored', creationTimestamp: 'ignored' })], ['IPAMBlock/10.0.1.0-26', block, value]);
  const affinity = parseStored('/calico/ipam/v2/host/n1/ipv6/block/fd00::-122', '{"state":"confirmed"}').object;
  t.deepEqual([objectId(affinity), etcdKeyOf(affinity)], ['BlockAffinity/n1/fd00::-122', '/calico/ipam/v2/host/n1/ipv6/block/fd00::-122']);
  t.deepEqual(parseStored('/calico/ipam/v2/host/n1/ipv4/block/10.0.1.0-26', '').object.spec, {}, 'an empty affinity value (older Calico) has no state');
  t.throws(() => parseStored('/calico/ipam/v2/config', '{}'), { message: '/calico/ipam/v2/config: not an IPAM block, handle or host affinity' });
  t.throws(() => parseStored(block, '{"cidr":"10.0.2.0/26"}'), { message: `${block}: the value's cidr "10.0.2.0/26" is not the key's 10.0.1.0/26` });
  t.throws(() => parseStored('/calico/ipam/v2/assignment/ipv6/block/10.0.1.0-26', value), { message: /is not an ipv6 CIDR written with "-"/ });
});
