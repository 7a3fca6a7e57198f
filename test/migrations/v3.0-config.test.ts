/**
 * v3.0 steps 0010 (Felix configuration → FelixConfiguration / ClusterInformation) and 0020 (BGP
 * configuration → BGPConfiguration). Expectations follow calico-data-model.md §4.1, §4.2
 * (FelixConfiguration, ClusterInformation, BGPConfiguration), §5 and the steps' own doc comments
 * where they deliberately differ from upstream (CalicoVersion not copied, BIRD `none` → Warning).
 */
import test from 'ava';
import { step as felix } from '../../migrations/v3.0/0010-felix-config.js';
import { step as bgp } from '../../migrations/v3.0/0020-bgp-config.js';
import { node, parseFlat, parseObjects, runStep, tpr } from '../_helpers/items.js';

const CRD = 'crd.projectcalico.org/v1';
const V3 = 'projectcalico.org/v3';

const global = (keys: Readonly<Record<string, string>>) => parseFlat(Object.fromEntries(Object.entries(keys).map(([k, v]) => [`/calico/v1/config/${k}`, v])));
const outcome = (out: ReturnType<typeof runStep>, origin: string) => out.outcomes.find((o) => o.origin === origin);

// ---------------------------------------------------------------------------------------------
// 0010-felix-config

test('0010-felix-config: global keys become FelixConfiguration default in the crd form (crd.projectcalico.org/v1)', (t) => {
  const out = runStep(felix, global({ IpInIpEnabled: 'true', LogSeverityScreen: 'info', ReportingIntervalSecs: '0' }), 'crd');
  t.deepEqual(out.objects.map((o) => o.object), [
    { apiVersion: CRD, kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { ipipEnabled: true, logSeverityScreen: 'Info', reportingInterval: '0s' } },
  ]);
  t.deepEqual(out.outcomes.map((o) => [o.origin, o.disposition, o.targets]), [
    ['/calico/v1/config/IpInIpEnabled', 'converted', ['FelixConfiguration/default']],
    ['/calico/v1/config/LogSeverityScreen', 'converted', ['FelixConfiguration/default']],
    ['/calico/v1/config/ReportingIntervalSecs', 'converted', ['FelixConfiguration/default']],
  ]);
  t.deepEqual(out.issues, []);
});

test('0010-felix-config: the calicoctl form writes FelixConfiguration default as projectcalico.org/v3', (t) => {
  const out = runStep(felix, global({ IpInIpEnabled: 'true' }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [{ apiVersion: V3, kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { ipipEnabled: true } }]);
});

test('0010-felix-config: per-host keys become FelixConfiguration node.<host> with the host name normalised', (t) => {
  const out = runStep(felix, parseFlat({
    '/calico/v1/host/Rack1_Host2/config/LogSeverityScreen': 'debug',
    '/calico/v1/host/node-a/config/MaxIpsetSize': '2048',
  }));
  t.deepEqual(out.objects.map((o) => o.object), [
    { apiVersion: CRD, kind: 'FelixConfiguration', metadata: { name: 'node.node-a' }, spec: { maxIpsetSize: 2048 } },
    { apiVersion: CRD, kind: 'FelixConfiguration', metadata: { name: 'node.rack1-host2' }, spec: { logSeverityScreen: 'Debug' } },
  ]);
  t.deepEqual(outcome(out, '/calico/v1/host/Rack1_Host2/config/LogSeverityScreen')?.targets, ['FelixConfiguration/node.rack1-host2']);
});

test('0010-felix-config: keys are matched case-insensitively, as Felix reads them', (t) => {
  const out = runStep(felix, global({ logseverityscreen: 'WARNING', IPINIPENABLED: 'false' }));
  t.deepEqual(out.objects.map((o) => o.object), [
    { apiVersion: CRD, kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { logSeverityScreen: 'Warning', ipipEnabled: false } },
  ]);
  t.true(out.outcomes.every((o) => o.disposition === 'converted'));
});

test('0010-felix-config: Felix boolean forms (yes, n, T) are read as Felix reads them, with an info note', (t) => {
  const out = runStep(felix, global({ IpInIpEnabled: 'yes', HealthEnabled: 'n', PrometheusMetricsEnabled: 'T' }));
  t.deepEqual(out.objects[0]?.object.spec, { ipipEnabled: true, healthEnabled: false, prometheusMetricsEnabled: true });
  t.deepEqual(out.issues.map((i) => [i.severity, i.code, i.origin]), [
    ['info', 'felix-value-normalised', '/calico/v1/config/IpInIpEnabled'],
    ['info', 'felix-value-normalised', '/calico/v1/config/HealthEnabled'],
    ['info', 'felix-value-normalised', '/calico/v1/config/PrometheusMetricsEnabled'],
  ]);
});

test('0010-felix-config: a hexadecimal IptablesMarkMask becomes its number, with an info note', (t) => {
  const out = runStep(felix, global({ IptablesMarkMask: '0xff000000' }));
  t.deepEqual(out.objects[0]?.object.spec, { iptablesMarkMask: 4278190080 });
  t.like(out.issues[0], { severity: 'info', code: 'felix-value-normalised', message: 'hexadecimal 0xff000000 read as 4278190080 (Felix parses integers with Go base-0 rules)' });
});

test('0010-felix-config: enum values are re-cased to what the v3 validator accepts (RETURN → Return, ACCEPT → Accept)', (t) => {
  const out = runStep(felix, parseFlat({
    '/calico/v1/host/node-1/config/DefaultEndpointToHostAction': 'RETURN',
    '/calico/v1/config/IptablesFilterAllowAction': 'ACCEPT',
    '/calico/v1/config/ChainInsertMode': 'append',
  }));
  t.deepEqual(out.objects.map((o) => o.object), [
    { apiVersion: CRD, kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { iptablesFilterAllowAction: 'Accept', chainInsertMode: 'Append' } },
    { apiVersion: CRD, kind: 'FelixConfiguration', metadata: { name: 'node.node-1' }, spec: { defaultEndpointToHostAction: 'Return' } },
  ]);
  t.like(out.issues.find((i) => i.origin === '/calico/v1/host/node-1/config/DefaultEndpointToHostAction'), {
    severity: 'info',
    code: 'felix-value-normalised',
    message: 're-cased RETURN to Return, the form the v3 validator accepts',
  });
});

test('0010-felix-config: seconds and milliseconds become Go duration strings', (t) => {
  const out = runStep(felix, global({ RouteRefreshInterval: '90', IptablesLockProbeIntervalMillis: '50', IpsetsRefreshInterval: '0.5' }));
  t.deepEqual(out.objects[0]?.object.spec, { routeRefreshInterval: '1m30s', iptablesLockProbeInterval: '50ms', ipsetsRefreshInterval: '500ms' });
});

test('0010-felix-config: failsafe port lists become protocol/port objects with the protocol upper-cased and TCP by default', (t) => {
  const out = runStep(felix, global({ FailsafeInboundHostPorts: 'tcp:22,udp:68,179', FailsafeOutboundHostPorts: 'none' }));
  t.deepEqual(out.objects[0]?.object.spec, {
    failsafeInboundHostPorts: [{ protocol: 'TCP', port: 22 }, { protocol: 'UDP', port: 68 }, { protocol: 'TCP', port: 179 }],
    failsafeOutboundHostPorts: [],
  });
});

test('0010-felix-config: log level CRITICAL becomes Fatal (not upstream Info), with an info note', (t) => {
  const out = runStep(felix, global({ LogSeveritySys: 'CRITICAL' }));
  t.deepEqual(out.objects[0]?.object.spec, { logSeveritySys: 'Fatal' });
  t.like(out.issues[0], { severity: 'info', code: 'felix-value-normalised' });
});

test('0010-felix-config: an unknown key is kept as annotation config.projectcalico.org/<Key> with a warning', (t) => {
  const out = runStep(felix, parseFlat({ '/calico/v1/config/MyCustomKey': 'x', '/calico/v1/host/node-1/config/TyphaAddr': '10.0.0.9:5473' }));
  t.deepEqual(out.objects.map((o) => o.object), [
    { apiVersion: CRD, kind: 'FelixConfiguration', metadata: { name: 'default', annotations: { 'config.projectcalico.org/MyCustomKey': 'x' } }, spec: {} },
    { apiVersion: CRD, kind: 'FelixConfiguration', metadata: { name: 'node.node-1', annotations: { 'config.projectcalico.org/TyphaAddr': '10.0.0.9:5473' } }, spec: {} },
  ]);
  t.deepEqual(out.outcomes.map((o) => o.disposition), ['converted', 'converted']);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'felix-key-as-annotation'], ['warning', 'felix-key-as-annotation']]);
  t.is(out.issues[0]?.message, 'MyCustomKey: no v3 field; kept as annotation config.projectcalico.org/MyCustomKey');
});

test('0010-felix-config: two keys differing only in case are both errors and neither value is written', (t) => {
  const out = runStep(felix, global({ LogSeverityScreen: 'info', logseverityscreen: 'debug', IpInIpEnabled: 'true' }));
  t.deepEqual(out.objects.map((o) => o.object), [{ apiVersion: CRD, kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { ipipEnabled: true } }]);
  t.like(outcome(out, '/calico/v1/config/LogSeverityScreen'), { disposition: 'error', code: 'duplicate-key' });
  t.like(outcome(out, '/calico/v1/config/logseverityscreen'), { disposition: 'error', code: 'duplicate-key' });
  t.like(outcome(out, '/calico/v1/config/IpInIpEnabled'), { disposition: 'converted' });
  t.is(out.outcomes.length, 3);
});

test('0010-felix-config: two keys differing only in case are both errors also when one of them is none (kept as an annotation)', (t) => {
  // Both set Felix's LogSeverityScreen: one as the spec field, the other through the raw-key annotation.
  const out = runStep(felix, global({ LogSeverityScreen: 'none', logseverityscreen: 'debug' }));
  t.like(outcome(out, '/calico/v1/config/LogSeverityScreen'), { disposition: 'error', code: 'duplicate-key' });
  t.like(outcome(out, '/calico/v1/config/logseverityscreen'), { disposition: 'error', code: 'duplicate-key' });
  t.deepEqual(out.objects, []);
});

test('0010-felix-config: LogSeverityFile none is kept as an annotation so the file log stays off, with a warning', (t) => {
  const out = runStep(felix, global({ LogSeverityFile: 'none', LogFilePath: 'none' }));
  t.deepEqual(out.objects.map((o) => o.object), [
    { apiVersion: CRD, kind: 'FelixConfiguration', metadata: { name: 'default', annotations: { 'config.projectcalico.org/LogSeverityFile': 'none' } }, spec: { logFilePath: 'none' } },
  ]);
  t.like(out.issues.find((i) => i.origin === '/calico/v1/config/LogSeverityFile'), { severity: 'warning', code: 'felix-key-as-annotation' });
});

test('0010-felix-config: ClusterGUID and ClusterType become ClusterInformation default with datastoreReady true (crd form)', (t) => {
  const out = runStep(felix, global({ ClusterGUID: '328b9309c07447db893cd7c155f2547b', ClusterType: 'k8s,bgp' }), 'crd');
  t.deepEqual(out.objects.map((o) => o.object), [
    { apiVersion: CRD, kind: 'ClusterInformation', metadata: { name: 'default' }, spec: { clusterGUID: '328b9309c07447db893cd7c155f2547b', clusterType: 'k8s,bgp', datastoreReady: true } },
  ]);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.targets]), [['converted', ['ClusterInformation/default']], ['converted', ['ClusterInformation/default']]]);
});

test('0010-felix-config: CalicoVersion is not copied to ClusterInformation (crd form): skipped', (t) => {
  const out = runStep(felix, global({ CalicoVersion: 'v2.4.1', ClusterGUID: 'abc' }), 'crd');
  t.deepEqual(out.objects.map((o) => o.object), [{ apiVersion: CRD, kind: 'ClusterInformation', metadata: { name: 'default' }, spec: { clusterGUID: 'abc', datastoreReady: true } }]);
  t.like(outcome(out, '/calico/v1/config/CalicoVersion'), { disposition: 'skipped', code: 'calico-version-not-copied' });
  t.deepEqual(out.issues, []);
});

test('0010-felix-config: in the calicoctl form the cluster keys are skipped (calicoctl cannot write ClusterInformation)', (t) => {
  const out = runStep(felix, global({ CalicoVersion: 'v2.4.1', ClusterGUID: 'abc', ClusterType: 'k8s,bgp' }), 'calicoctl');
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [
    ['skipped', 'cluster-information-not-applied'],
    ['skipped', 'cluster-information-not-applied'],
    ['skipped', 'cluster-information-not-applied'],
  ]);
});

test('0010-felix-config: a cluster key set per host is skipped with a warning', (t) => {
  const out = runStep(felix, parseFlat({ '/calico/v1/host/node-1/config/ClusterGUID': 'abc' }));
  t.deepEqual(out.objects, []);
  t.like(out.outcomes[0], { disposition: 'skipped', code: 'per-host-cluster-key' });
  t.like(out.issues[0], { severity: 'warning', code: 'per-host-cluster-key' });
});

test("0010-felix-config: pycalico's per-host marker key is skipped without an issue and makes no object", (t) => {
  const out = runStep(felix, parseFlat({ '/calico/v1/host/node-1/config/marker': 'created' }));
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'legacy-marker']]);
  t.deepEqual(out.issues, []);
});

test('0010-felix-config: local-only keys and empty values are skipped', (t) => {
  const out = runStep(felix, global({ EtcdEndpoints: 'http://etcd:2379', MetadataAddr: '' }));
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['skipped', 'local-only-key'], ['skipped', 'empty-value']]);
});

test('0010-felix-config: a value Felix cannot read is an error for that key only', (t) => {
  const out = runStep(felix, global({ IpInIpEnabled: 'maybe', IpInIpMtu: '1400' }));
  t.deepEqual(out.objects[0]?.object.spec, { ipipMTU: 1400 });
  t.like(outcome(out, '/calico/v1/config/IpInIpEnabled'), { disposition: 'error', code: 'invalid-bool' });
});

test('0010-felix-config: a global IpInIpTunnelAddr is skipped with a warning (it is per node)', (t) => {
  const out = runStep(felix, global({ IpInIpTunnelAddr: '192.168.0.1' }));
  t.deepEqual(out.objects, []);
  t.like(out.outcomes[0], { disposition: 'skipped', code: 'global-tunnel-address' });
  t.like(out.issues[0], { severity: 'warning', code: 'global-tunnel-address' });
});

test('0010-felix-config: KDD GlobalConfig TPRs convert from spec.name, and ClusterType keeps KDD', (t) => {
  const out = runStep(felix, parseObjects(
    tpr('GlobalConfig', 'logseverityscreen', { name: 'LogSeverityScreen', value: 'info' }),
    tpr('GlobalConfig', 'clustertype', { name: 'ClusterType', value: 'k8s,bgp,KDD' }),
  ));
  t.deepEqual(out.objects.map((o) => o.object), [
    { apiVersion: CRD, kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { logSeverityScreen: 'Info' } },
    { apiVersion: CRD, kind: 'ClusterInformation', metadata: { name: 'default' }, spec: { clusterType: 'k8s,bgp,KDD', datastoreReady: true } },
  ]);
  t.deepEqual(out.objects.map((o) => o.origins), [['GlobalConfig/kube-system/logseverityscreen'], ['GlobalConfig/kube-system/clustertype']]);
});

// ---------------------------------------------------------------------------------------------
// 0020-bgp-config

test('0020-bgp-config: etcd as_num, node_mesh and loglevel become BGPConfiguration default (crd form)', (t) => {
  const out = runStep(bgp, parseFlat({
    '/calico/bgp/v1/global/as_num': '64512',
    '/calico/bgp/v1/global/node_mesh': '{"enabled":true}',
    '/calico/bgp/v1/global/loglevel': 'info',
  }), 'crd');
  t.deepEqual(out.objects.map((o) => o.object), [
    { apiVersion: CRD, kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { asNumber: 64512, nodeToNodeMeshEnabled: true, logSeverityScreen: 'Info' } },
  ]);
  t.true(out.outcomes.every((o) => o.disposition === 'converted' && o.targets?.[0] === 'BGPConfiguration/default'));
  t.is(out.outcomes.length, 3);
  t.deepEqual(out.issues, []);
});

test('0020-bgp-config: the calicoctl form writes BGPConfiguration as projectcalico.org/v3', (t) => {
  const out = runStep(bgp, parseFlat({ '/calico/bgp/v1/global/node_mesh': '{"enabled":false}' }), 'calicoctl');
  t.deepEqual(out.objects.map((o) => o.object), [{ apiVersion: V3, kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { nodeToNodeMeshEnabled: false } }]);
});

test('0020-bgp-config: KDD GlobalBgpConfig AsNumber, NodeMeshEnabled and a lowercase loglevel make one BGPConfiguration default', (t) => {
  const out = runStep(bgp, parseObjects(
    tpr('GlobalBgpConfig', 'asnumber', { name: 'AsNumber', value: '64513' }),
    tpr('GlobalBgpConfig', 'nodemeshenabled', { name: 'NodeMeshEnabled', value: 'false' }),
    tpr('GlobalBgpConfig', 'loglevel', { name: 'loglevel', value: 'debug' }),
  ));
  t.deepEqual(out.objects.map((o) => o.object), [
    { apiVersion: CRD, kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { asNumber: 64513, nodeToNodeMeshEnabled: false, logSeverityScreen: 'Debug' } },
  ]);
});

test('0020-bgp-config: a dotted AS number becomes the plain number', (t) => {
  const out = runStep(bgp, parseFlat({ '/calico/bgp/v1/global/as_num': '1.10' }));
  t.deepEqual(out.objects[0]?.object.spec, { asNumber: 65546 });
});

test('0020-bgp-config: a per-node loglevel becomes BGPConfiguration node.<name>, from etcd and from a Node annotation', (t) => {
  const etcd = runStep(bgp, parseFlat({ '/calico/bgp/v1/host/Node_1/loglevel': 'debug' }));
  t.deepEqual(etcd.objects.map((o) => o.object), [{ apiVersion: CRD, kind: 'BGPConfiguration', metadata: { name: 'node.node-1' }, spec: { logSeverityScreen: 'Debug' } }]);
  t.deepEqual(etcd.outcomes.map((o) => [o.disposition, o.targets]), [['converted', ['BGPConfiguration/node.node-1']]]);
  const kdd = runStep(bgp, parseObjects(node('w1', { 'config.bgp.projectcalico.org/loglevel': 'info' })));
  t.deepEqual(kdd.objects.map((o) => o.object), [{ apiVersion: CRD, kind: 'BGPConfiguration', metadata: { name: 'node.w1' }, spec: { logSeverityScreen: 'Info' } }]);
});

test('0020-bgp-config: BIRD log level none becomes Warning (which BIRD renders as none), with an info note', (t) => {
  const out = runStep(bgp, parseFlat({ '/calico/bgp/v1/global/loglevel': 'none', '/calico/bgp/v1/host/node-1/loglevel': 'none' }));
  t.deepEqual(out.objects.map((o) => o.object), [
    { apiVersion: CRD, kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { logSeverityScreen: 'Warning' } },
    { apiVersion: CRD, kind: 'BGPConfiguration', metadata: { name: 'node.node-1' }, spec: { logSeverityScreen: 'Warning' } },
  ]);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['info', 'bird-log-level-none'], ['info', 'bird-log-level-none']]);
});

test('0020-bgp-config: a log level that is not a BIRD or Felix level is an error and writes nothing', (t) => {
  const out = runStep(bgp, parseFlat({ '/calico/bgp/v1/global/loglevel': 'verbose', '/calico/bgp/v1/host/node-1/loglevel': 'trace' }));
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['error', 'invalid-log-level'], ['error', 'invalid-log-level']]);
});

test('0020-bgp-config: an unknown global BGP key is kept as annotation config.projectcalico.org/<key> with a warning', (t) => {
  const out = runStep(bgp, parseFlat({ '/calico/bgp/v1/global/ListenPort': '1790', '/calico/bgp/v1/global/as_num': '64512' }));
  t.deepEqual(out.objects.map((o) => o.object), [
    { apiVersion: CRD, kind: 'BGPConfiguration', metadata: { name: 'default', annotations: { 'config.projectcalico.org/ListenPort': '1790' } }, spec: { asNumber: 64512 } },
  ]);
  t.deepEqual(out.issues.map((i) => [i.severity, i.code]), [['warning', 'unknown-bgp-config']]);
});

test('0010-felix-config: two hosts whose names normalise alike are a clash, not a merged node.<name>', (t) => {
  const out = runStep(felix, parseFlat({
    '/calico/v1/host/Node_1/config/DefaultEndpointToHostAction': 'RETURN',
    '/calico/v1/host/node-1/config/ReportingIntervalSecs': '30',
  }));
  t.deepEqual(out.objects, []);
  t.deepEqual(out.outcomes.map((o) => [o.disposition, o.code]), [['error', 'name-clash'], ['error', 'name-clash']]);
  t.regex(out.outcomes[0]?.message ?? '', /hosts Node_1 and node-1 both become FelixConfiguration node\.node-1/);
});
