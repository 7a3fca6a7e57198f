/**
 * A v3 Node for every Calico host (calico-upgrade lists nodes from the host directories under
 * /calico/v1/host, data model §1.5): hosts with only host endpoints, only workload endpoints or only
 * per-host Felix keys are Nodes in the calicoctl form, with the upstream name conversion listed in
 * `renames`. Runs the whole v3.0 pipeline, since the Node is fed by other steps' records.
 */
import test from 'ava';
import { convertDumps } from '../../src/convert.js';
import { decodeDump } from '../../src/input/dump.js';
import type { OutputForm } from '../../src/model/target.js';

const convert = (keys: Record<string, string>, form: OutputForm) => convertDumps([decodeDump('hosts.json', JSON.stringify(keys))], 'v3.0', form);
const nodes = (r: ReturnType<typeof convert>) => r.objects.filter((o) => o.kind === 'Node').map((o) => ({ name: o.metadata.name, spec: o.spec }));

const BARE_METAL = {
  '/calico/v1/host/TestNode/endpoint/eth0': JSON.stringify({ name: 'eth0', expected_ipv4_addrs: ['10.0.0.1'] }),
  '/calico/v1/host/wl-only/workload/k8s/default.web-1/endpoint/eth0': JSON.stringify({ state: 'active', name: 'cali1', mac: null, profile_ids: [], ipv4_nets: ['10.1.0.5/32'], ipv6_nets: [] }),
  '/calico/v1/host/felix-only/config/DefaultEndpointToHostAction': 'RETURN',
  '/calico/v1/host/marker-only/config/marker': 'created',
};

test('host nodes: calicoctl form: hosts with only host endpoints, only workload endpoints or only per-host Felix keys each become a v3 Node with an empty spec', (t) => {
  const r = convert(BARE_METAL, 'calicoctl');
  t.deepEqual(nodes(r), [
    { name: 'felix-only', spec: {} },
    { name: 'marker-only', spec: {} },
    { name: 'testnode', spec: {} },
    { name: 'wl-only', spec: {} },
  ]);
  // The host endpoint's record names both objects it feeds; the Node rename is listed.
  t.deepEqual(r.report.records.find((o) => o.origin === '/calico/v1/host/TestNode/endpoint/eth0')?.targets, ['HostEndpoint/testnode.eth0', 'Node/testnode']);
  t.deepEqual(r.report.renames.filter((x) => x.kind === 'Node'), [{ kind: 'Node', from: 'TestNode', to: 'testnode', origin: '/calico/v1/host/TestNode/endpoint/eth0' }]);
});

test('host nodes: calicoctl form: a host whose only record is skipped (a legacy marker key) still gets its Node, as calico-upgrade makes one per host directory; an issue names it', (t) => {
  const r = convert(BARE_METAL, 'calicoctl');
  t.true(nodes(r).some((n) => n.name === 'marker-only'));
  t.like(r.report.records.find((o) => o.origin === '/calico/v1/host/marker-only/config/marker'), { disposition: 'skipped', code: 'legacy-marker' });
  t.deepEqual(r.report.issues.filter((i) => i.code === 'host-directory-node').map((i) => [i.origin, i.targets]), [['/calico/v1/host/marker-only', ['Node/marker-only']]]);
});

test('host nodes: calicoctl form: a host whose endpoints all fail or are filtered (OpenStack) still gets its Node, and the records keep their own dispositions', (t) => {
  const r = convert({
    '/calico/v1/host/bad-ports/endpoint/eth1': JSON.stringify({ name: 'eth1', expected_ipv4_addrs: ['10.0.9.7'], ports: [{ name: 'node_exporter', protocol: 'tcp', port: 9100 }] }),
    '/calico/v1/host/compute-1/workload/openstack/instance-1/endpoint/tap1': JSON.stringify({ state: 'active', name: 'tap1', mac: 'ee:ee:ee:ee:ee:ee', profile_ids: [], ipv4_nets: ['10.65.0.2/32'], ipv6_nets: [] }),
  }, 'calicoctl');
  t.deepEqual(nodes(r), [{ name: 'bad-ports', spec: {} }, { name: 'compute-1', spec: {} }]);
  t.like(r.report.records.find((o) => o.origin === '/calico/v1/host/bad-ports/endpoint/eth1'), { disposition: 'error', code: 'invalid-target' });
  t.like(r.report.records.find((o) => o.origin === '/calico/v1/host/compute-1/workload/openstack/instance-1/endpoint/tap1'), { disposition: 'skipped', code: 'derived-workload-endpoint' });
  t.deepEqual(r.report.issues.filter((i) => i.code === 'host-directory-node').map((i) => i.targets), [['Node/bad-ports'], ['Node/compute-1']]);
});

test('host nodes: calicoctl form: a host with BGP data and endpoints is one Node carrying the BGP data', (t) => {
  const r = convert({
    ...BARE_METAL,
    '/calico/bgp/v1/host/TestNode/ip_addr_v4': '10.0.0.1',
    '/calico/bgp/v1/host/TestNode/network_v4': '10.0.0.0/24',
  }, 'calicoctl');
  t.deepEqual(nodes(r).find((n) => n.name === 'testnode'), { name: 'testnode', spec: { bgp: { ipv4Address: '10.0.0.1/24' } } });
});

test('host nodes: calicoctl form: two host directories that normalise to one name clash, and every record of both is an error', (t) => {
  const r = convert({
    '/calico/v1/host/Node-A/endpoint/eth0': JSON.stringify({ name: 'eth0' }),
    '/calico/v1/host/node-a/endpoint/eth1': JSON.stringify({ name: 'eth1' }),
  }, 'calicoctl');
  t.deepEqual(nodes(r), []);
  t.deepEqual(r.report.records.map((o) => [o.origin, o.disposition, o.code]), [
    ['/calico/v1/host/Node-A/endpoint/eth0', 'error', 'name-clash'],
    ['/calico/v1/host/node-a/endpoint/eth1', 'error', 'name-clash'],
  ]);
});

test('host nodes: crd form: no Node is made for hosts without BGP data (Kubernetes Nodes are the Nodes there)', (t) => {
  const r = convert(BARE_METAL, 'crd');
  t.deepEqual(nodes(r), []);
  t.true(r.report.records.every((o) => !(o.targets ?? []).some((x) => x.startsWith('Node/'))));
});

test('host nodes: calicoctl form: host directories whose Nodes would clash, or whose Node name is invalid, write no Node and leave their records as they were, with a warning', (t) => {
  const wep = (host: string) => ({ [`/calico/v1/host/${host}/workload/openstack/i-1/endpoint/tap1`]: JSON.stringify({ state: 'active', name: 'tap1', mac: 'ee:ee:ee:ee:ee:ee', profile_ids: [], ipv4_nets: ['10.65.0.2/32'], ipv6_nets: [] }) });
  const r = convert({ ...wep('Compute-1'), ...wep('compute-1'), ...wep('___') }, 'calicoctl');
  t.deepEqual(nodes(r), []);
  t.true(r.report.records.every((o) => o.disposition === 'skipped' && o.code === 'derived-workload-endpoint'), JSON.stringify(r.report.records));
  const warnings = r.report.issues.filter((i) => i.code === 'standalone-clash' || i.code === 'standalone-invalid').map((i) => i.code).sort();
  t.deepEqual(warnings, ['standalone-clash', 'standalone-invalid']);
  t.false(r.report.issues.some((i) => i.code === 'host-directory-node'));
});
