/** v2.5 steps 0010, 0015, 0020: Felix and BGP configuration. */
import test from 'ava';
import { step as felixGlobal } from '../../migrations/v2.5/0010-felix-global-config.js';
import { step as felixPerNode } from '../../migrations/v2.5/0015-per-node-felix-config.js';
import { step as bgpGlobal } from '../../migrations/v2.5/0020-bgp-global-config.js';
import { parseFlat, parseObjects, runStep, tpr } from '../_helpers/items.js';

test('0010: a global Felix key becomes a GlobalFelixConfig named by the lowercased key, case and value kept', (t) => {
  const out = runStep(felixGlobal, parseFlat({ '/calico/v1/config/IpInIpEnabled': 'true', '/calico/v1/config/LogSeverityScreen': 'info' }));
  t.deepEqual(out.objects.map((o) => o.object), [
    { apiVersion: 'crd.projectcalico.org/v1', kind: 'GlobalFelixConfig', metadata: { name: 'ipinipenabled' }, spec: { name: 'IpInIpEnabled', value: 'true' } },
    { apiVersion: 'crd.projectcalico.org/v1', kind: 'GlobalFelixConfig', metadata: { name: 'logseverityscreen' }, spec: { name: 'LogSeverityScreen', value: 'info' } },
  ]);
  t.deepEqual(out.outcomes.map((o) => [o.origin, o.disposition, o.targets]), [
    ['/calico/v1/config/IpInIpEnabled', 'converted', ['GlobalFelixConfig/ipinipenabled']],
    ['/calico/v1/config/LogSeverityScreen', 'converted', ['GlobalFelixConfig/logseverityscreen']],
  ]);
});

test('0010: GlobalConfig TPRs convert the same way, from spec.name', (t) => {
  const out = runStep(felixGlobal, parseObjects(tpr('GlobalConfig', 'logseverityscreen', { name: 'LogSeverityScreen', value: 'debug' })));
  t.deepEqual(out.objects[0]?.object.spec, { name: 'LogSeverityScreen', value: 'debug' });
  t.deepEqual(out.objects[0]?.origins, ['GlobalConfig/kube-system/logseverityscreen']);
});

test('0010: an empty value is skipped (Felix ignores it); pycalico "none" values are kept verbatim', (t) => {
  const out = runStep(felixGlobal, parseFlat({ '/calico/v1/config/LogFilePath': 'none', '/calico/v1/config/MetadataAddr': '' }));
  t.deepEqual(out.objects.map((o) => o.object.spec), [{ name: 'LogFilePath', value: 'none' }]);
  t.like(out.outcomes[1], { disposition: 'skipped', code: 'empty-value' });
});

test('0010: a local-only key is copied with an info note', (t) => {
  const out = runStep(felixGlobal, parseFlat({ '/calico/v1/config/EtcdEndpoints': 'http://etcd:2379' }));
  t.is(out.objects.length, 1);
  t.like(out.issues[0], { severity: 'info', code: 'local-only-key' });
});

test('0015: per-node keys are skipped with the FELIX_* variable to set on that node', (t) => {
  const out = runStep(felixPerNode, parseFlat({ '/calico/v1/host/node-1/config/ReportingIntervalSecs': '30' }));
  t.is(out.objects.length, 0);
  t.like(out.outcomes[0], { disposition: 'skipped', code: 'per-node-felix-config' });
  t.like(out.issues[0], { severity: 'warning', hint: 'set FELIX_REPORTINGINTERVALSECS=30 in the environment of the calico-node container on node-1' });
});

test('0015: the same value on every host gives one DaemonSet-wide hint', (t) => {
  const out = runStep(felixPerNode, parseFlat({
    '/calico/v1/host/a/config/DefaultEndpointToHostAction': 'RETURN',
    '/calico/v1/host/b/config/DefaultEndpointToHostAction': 'RETURN',
  }));
  const uniform = out.issues.filter((i) => i.code === 'per-node-felix-config-uniform');
  t.is(uniform.length, 1);
  t.is(uniform[0]?.hint, 'set FELIX_DEFAULTENDPOINTTOHOSTACTION=RETURN once in the calico-node DaemonSet');
});

test("0015: pycalico's marker key is skipped as legacy", (t) => {
  const out = runStep(felixPerNode, parseFlat({ '/calico/v1/host/a/config/marker': 'created' }));
  t.deepEqual(out.outcomes.map((o) => o.code), ['legacy-marker']);
  t.deepEqual(out.issues, []);
});

test('0020: etcd as_num, node_mesh JSON and loglevel map to AsNumber, NodeMeshEnabled and LogLevel', (t) => {
  const out = runStep(bgpGlobal, parseFlat({
    '/calico/bgp/v1/global/as_num': '64512',
    '/calico/bgp/v1/global/node_mesh': '{"enabled":false}',
    '/calico/bgp/v1/global/loglevel': 'info',
  }));
  t.deepEqual(out.objects.map((o) => [o.object.metadata.name, o.object.spec]), [
    ['asnumber', { name: 'AsNumber', value: '64512' }],
    ['nodemeshenabled', { name: 'NodeMeshEnabled', value: 'false' }],
    ['loglevel', { name: 'LogLevel', value: 'info' }],
  ]);
  t.is(out.issues.length, 0);
});

test('0020: a dotted AS number is written as the plain number', (t) => {
  const out = runStep(bgpGlobal, parseFlat({ '/calico/bgp/v1/global/as_num': '1.10' }));
  t.deepEqual(out.objects[0]?.object.spec, { name: 'AsNumber', value: '65546' });
});

test('0020: a BIRD log level BIRD does not know is kept with a warning', (t) => {
  const out = runStep(bgpGlobal, parseFlat({ '/calico/bgp/v1/global/loglevel': 'Warning' }));
  t.deepEqual(out.objects[0]?.object.spec, { name: 'LogLevel', value: 'warning' });
  t.like(out.issues[0], { severity: 'warning', code: 'bgp-log-level' });
});

test('0020: KDD GlobalBgpConfig with lowercase spec.name is written under the canonical name', (t) => {
  const out = runStep(bgpGlobal, parseObjects(tpr('GlobalBgpConfig', 'loglevel', { name: 'loglevel', value: 'debug' })));
  t.deepEqual(out.objects[0]?.object.spec, { name: 'LogLevel', value: 'debug' });
  t.like(out.issues[0], { severity: 'info', code: 'bgp-config-name' });
});

test('0020: an unknown global BGP key is copied verbatim with a warning', (t) => {
  const out = runStep(bgpGlobal, parseFlat({ '/calico/bgp/v1/global/ListenPort': '1790' }));
  t.deepEqual(out.objects[0]?.object.spec, { name: 'ListenPort', value: '1790' });
  t.like(out.issues[0], { severity: 'warning', code: 'unknown-bgp-config' });
});
