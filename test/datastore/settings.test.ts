/** Connection settings: precedence flag > environment > config file > default, sources, secrets. */
import test from 'ava';
import { describeSettings, parseCalicoctlConfig, resolveSettings } from '../../src/datastore/settings.js';

const FILE = { path: '/etc/calico/calicoctl.cfg', text: 'apiVersion: v1\nkind: calicoApiConfig\nmetadata:\nspec:\n  datastoreType: "etcdv2"\n  etcdEndpoints: "http://file:2379"\n  etcdUsername: fileuser\n  etcdPassword: filesecret\n' };

test('settings: with nothing set, calicoctl defaults apply (etcdv2 on 127.0.0.1:2379) and say so', (t) => {
  const r = resolveSettings({ flags: {}, env: {} });
  t.is(r.settings.datastoreType, 'etcdv2');
  t.deepEqual(r.settings.etcdEndpoints, ['http://127.0.0.1:2379']);
  t.deepEqual(r.sources.datastoreType, { kind: 'default' });
  t.deepEqual(describeSettings(r), ['datastoreType=etcdv2  [default]', 'etcdEndpoints=http://127.0.0.1:2379  [default]']);
});

test('settings: a flag beats the environment, which beats the config file', (t) => {
  const r = resolveSettings({ flags: { etcdEndpoints: 'http://flag:2379' }, env: { ETCD_ENDPOINTS: 'http://env:2379', ETCD_USERNAME: 'envuser' }, file: FILE });
  t.deepEqual(r.settings.etcdEndpoints, ['http://flag:2379']);
  t.is(r.settings.etcdUsername, 'envuser');
  t.is(r.settings.etcdPassword, 'filesecret');
  t.deepEqual(r.sources.etcdEndpoints, { kind: 'flag', name: '--etcd-endpoints' });
  t.deepEqual(r.sources.etcdUsername, { kind: 'env', name: 'ETCD_USERNAME' });
  t.deepEqual(r.sources.etcdPassword, { kind: 'file', path: '/etc/calico/calicoctl.cfg' });
});

test('settings: the environment overriding the config file is pointed out, without showing secrets', (t) => {
  const r = resolveSettings({ flags: {}, env: { ETCD_ENDPOINTS: 'http://env:2379', ETCD_PASSWORD: 'envsecret' }, file: FILE });
  t.deepEqual(r.notes, [
    'etcdEndpoints: environment ETCD_ENDPOINTS overrides config file /etc/calico/calicoctl.cfg ("http://env:2379" over "http://file:2379")',
    'etcdPassword: environment ETCD_PASSWORD overrides config file /etc/calico/calicoctl.cfg',
  ]);
  const described = describeSettings(r).join('\n');
  t.false(described.includes('envsecret'));
  t.false(described.includes('filesecret'));
  t.regex(described, /etcdPassword=\(set\) {2}\[environment ETCD_PASSWORD\]/);
});

test('settings: CALICO_-prefixed variables are read, as calicoctl does', (t) => {
  const r = resolveSettings({ flags: {}, env: { CALICO_DATASTORE_TYPE: 'kubernetes', CALICO_KUBECONFIG: '/k/config' } });
  t.is(r.settings.datastoreType, 'kubernetes');
  t.is(r.settings.kubeconfig, '/k/config');
  t.deepEqual(r.sources.kubeconfig, { kind: 'env', name: 'CALICO_KUBECONFIG' });
});

test('settings: K8S_TOKEN and the K8S_API_TOKEN spelling both set the token; it is never shown', (t) => {
  for (const name of ['K8S_TOKEN', 'K8S_API_TOKEN']) {
    const r = resolveSettings({ flags: {}, env: { DATASTORE_TYPE: 'kubernetes', K8S_API_ENDPOINT: 'https://k8s:6443', [name]: 'tok-123' } });
    t.is(r.settings.k8sToken, 'tok-123');
    const lines = describeSettings(r);
    t.true(lines.includes(`k8sToken=(set)  [environment ${name}]`));
    t.false(lines.join('\n').includes('tok-123'));
  }
});

test('settings: comma-separated endpoints, each checked', (t) => {
  const r = resolveSettings({ flags: {}, env: { ETCD_ENDPOINTS: 'http://a:2379, https://b:2379' } });
  t.deepEqual(r.settings.etcdEndpoints, ['http://a:2379', 'https://b:2379']);
  t.throws(() => resolveSettings({ flags: {}, env: { ETCD_ENDPOINTS: 'a:2379' } }), { message: /etcd endpoint "a:2379" from environment ETCD_ENDPOINTS must look like http\(s\):\/\/host:port/ });
});

test('settings: an unknown datastore type names where it came from', (t) => {
  t.throws(() => resolveSettings({ flags: { datastoreType: 'consul' }, env: {} }), { message: 'datastoreType from flag --datastore-type is "consul"; expected etcdv2, etcdv3, kubernetes' });
});

test('settings: config file problems are one-line errors naming the file', (t) => {
  t.throws(() => parseCalicoctlConfig('/x.cfg', 'kind: Other\n'), { message: '/x.cfg: not a calicoctl config file (expected kind: calicoApiConfig)' });
  t.throws(() => parseCalicoctlConfig('/x.cfg', 'kind: calicoApiConfig\nspec:\n  etcdEndpoint: x\n'), { message: /\/x\.cfg: unknown setting spec\.etcdEndpoint/ });
  t.throws(() => parseCalicoctlConfig('/x.cfg', 'kind: [\n'), { message: /^\/x\.cfg: not valid YAML or JSON/ });
  t.deepEqual(parseCalicoctlConfig('/x.cfg', '{"apiVersion":"v1","kind":"calicoApiConfig","spec":{"k8sAPIToken":"t","k8sInsecureSkipTLSVerify":true}}'), { k8sToken: 't', k8sInsecureSkipTLSVerify: 'true' });
});

test('destination settings: TARGET_-prefixed variables and --target- flags, never the source\'s names; the Kubernetes API by default', (t) => {
  const none = resolveSettings({ flags: {}, env: { DATASTORE_TYPE: 'etcdv2', ETCD_ENDPOINTS: 'http://source:2379' }, scope: 'destination' });
  t.is(none.settings.datastoreType, 'kubernetes', 'the source settings do not leak into the destination');
  t.deepEqual(none.sources.datastoreType, { kind: 'default' });
  const r = resolveSettings({ flags: { etcdEndpoints: 'http://flag:2379' }, env: { TARGET_DATASTORE_TYPE: 'etcdv3', TARGET_ETCD_ENDPOINTS: 'http://env:2379', TARGET_ETCD_PASSWORD: 's3cret', CALICO_TARGET_ETCD_USERNAME: 'no' }, scope: 'destination' });
  t.is(r.settings.datastoreType, 'etcdv3');
  t.deepEqual(r.settings.etcdEndpoints, ['http://flag:2379'], 'a flag wins over its environment variable');
  t.deepEqual(r.sources.etcdEndpoints, { kind: 'flag', name: '--target-etcd-endpoints' });
  t.deepEqual(r.sources.datastoreType, { kind: 'env', name: 'TARGET_DATASTORE_TYPE' });
  t.is(r.settings.etcdUsername, undefined, 'no CALICO_ prefix for the destination');
  t.deepEqual(describeSettings(r), [
    'datastoreType=etcdv3  [environment TARGET_DATASTORE_TYPE]',
    'etcdEndpoints=http://flag:2379  [flag --target-etcd-endpoints]',
    'etcdPassword=(set)  [environment TARGET_ETCD_PASSWORD]',
  ]);
});

test('destination settings: Calico v3 has no etcd v2 datastore, and its config file is calicoctl v3\'s CalicoAPIConfig', (t) => {
  t.throws(() => resolveSettings({ flags: { datastoreType: 'etcdv2' }, env: {}, scope: 'destination' }), { message: 'destination datastoreType from flag --target-datastore-type is "etcdv2"; expected etcdv3, kubernetes' });
  const v3 = { path: '/etc/calico/calicoctl-v3.cfg', text: 'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata:\nspec:\n  datastoreType: etcdv3\n  etcdEndpoints: https://etcd-1:2379,https://etcd-2:2379\n  etcdCACertFile: /etc/calico/ca.pem\n' };
  const r = resolveSettings({ flags: {}, env: {}, file: v3, scope: 'destination' });
  t.is(r.settings.datastoreType, 'etcdv3');
  t.deepEqual(r.settings.etcdEndpoints, ['https://etcd-1:2379', 'https://etcd-2:2379']);
  t.is(r.settings.etcdCACertFile, '/etc/calico/ca.pem');
  t.deepEqual(r.sources.etcdCACertFile, { kind: 'file', path: '/etc/calico/calicoctl-v3.cfg' });
  t.throws(() => parseCalicoctlConfig('/v1.cfg', 'apiVersion: v1\nkind: calicoApiConfig\nspec: {}\n', 'destination'), { message: '/v1.cfg: not a calicoctl v3 config file (expected kind: CalicoAPIConfig)' });
  t.throws(() => parseCalicoctlConfig('/odd.cfg', 'apiVersion: v1\nkind: CalicoAPIConfig\nspec: {}\n', 'destination'), { message: '/odd.cfg: expected apiVersion: projectcalico.org/v3, got "v1"' });
  t.throws(() => parseCalicoctlConfig('/v3.cfg', 'apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec: {}\n'), { message: '/v3.cfg: not a calicoctl config file (expected kind: calicoApiConfig)' }, 'the source still reads v1 files only');
});
