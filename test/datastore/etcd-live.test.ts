/**
 * Live etcd reads against a REAL etcd (Debian's etcd 3.4, started by the harness): the same List
 * as the offline path for etcd v2 and v3, export round trips, detect, and every error an operator
 * can meet, each checked by the message they see.
 */
import test from 'ava';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, loadV2Dump, loadV3Dump, loadV3Kvs, startEtcd, stopAll, type EtcdServer } from '../_helpers/etcd.js';
import { REPO_ROOT, runCli } from '../_helpers/cli.js';

const V2_DUMP = 'fixtures/sources/etcd-typical/etcd-v2.json';
const V3_DUMP = 'fixtures/sources/etcd-typical/etcd-v3.json';

let plain: EtcdServer;
let empty: EtcdServer;
let noV2: EtcdServer;
let withAuth: EtcdServer;
let tls: EtcdServer;

test.before(async () => {
  [plain, empty, noV2, withAuth, tls] = await Promise.all([
    startEtcd(),
    startEtcd(),
    startEtcd({ enableV2: false }),
    startEtcd({ auth: { user: 'calico', password: 's3cret-pw' } }),
    startEtcd({ tls: true, clientCertAuth: true }),
  ]);
  const v2 = JSON.parse(await readFile(join(REPO_ROOT, V2_DUMP), 'utf8')) as unknown;
  const v3 = JSON.parse(await readFile(join(REPO_ROOT, V3_DUMP), 'utf8')) as unknown;
  await Promise.all([loadV2Dump(plain, v2), loadV3Dump(plain, v3), loadV2Dump(withAuth, v2), loadV2Dump(tls, v2), loadV3Dump(tls, v3)]);
});

test.after.always(async () => {
  await stopAll([plain, empty, noV2, withAuth, tls]);
});

const offline = (file: string, target: readonly string[]) => runCli(['convert', '--from-file', file, ...target, '-o', 'json']);
const TARGETS = [['--to', 'v2.5'], ['--to', 'v3.0', '--form', 'calicoctl']] as const;

for (const target of TARGETS) {
  test(`etcd v2 live: converting the live keyspace gives the offline List (${target.join(' ')})`, async (t) => {
    const live = await runCli(['convert', '--datastore-type', 'etcdv2', '--etcd-endpoints', plain.endpoint, ...target, '-o', 'json']);
    const file = await offline(V2_DUMP, target);
    t.is(live.code, file.code, live.stderr);
    t.is(live.stdout, file.stdout);
    t.regex(live.stderr, new RegExp(`etcdEndpoints=${plain.endpoint.replace(/[./]/g, '\\$&')}  \\[flag --etcd-endpoints\\]`));
  });

  test(`etcd v3 live: converting the v3 keyspace gives the offline List (${target.join(' ')})`, async (t) => {
    const live = await runCli(['convert', ...target, '-o', 'json'], REPO_ROOT, { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: plain.endpoint });
    const file = await offline(V3_DUMP, target);
    t.is(live.code, file.code, live.stderr);
    t.is(live.stdout, file.stdout);
    t.regex(live.stderr, /datastoreType=etcdv3 {2}\[environment DATASTORE_TYPE\]/);
  });
}

test('etcd v2 live: the endpoints are tried in turn; an unreachable one is passed over', async (t) => {
  const [dead] = await freePorts(1);
  const run = await runCli(['convert', '--to', 'v2.5', '-o', 'json'], REPO_ROOT, { ETCD_ENDPOINTS: `http://127.0.0.1:${dead},${plain.endpoint}` });
  t.is(run.code, 3, run.stderr);
  t.is(run.stdout, (await offline(V2_DUMP, ['--to', 'v2.5'])).stdout);
});

test('etcd v2 live: no endpoint answering is a one-line error listing each endpoint', async (t) => {
  const [a, b] = await freePorts(2);
  const run = await runCli(['convert', '--to', 'v2.5', '--etcd-endpoints', `http://127.0.0.1:${a},http://127.0.0.1:${b}`]);
  t.is(run.code, 1);
  t.regex(run.stderr, new RegExp(`calico-migrate: error: no etcd endpoint answered: http://127\\.0\\.0\\.1:${a}: unreachable \\(ECONNREFUSED.*\\); http://127\\.0\\.0\\.1:${b}: unreachable`));
  t.is(run.stdout, '');
});

test('etcd v2 live: an etcd without --enable-v2 is recognised by its plain-text 404', async (t) => {
  const run = await runCli(['convert', '--to', 'v2.5', '--etcd-endpoints', noV2.endpoint]);
  t.is(run.code, 1);
  t.regex(run.stderr, /answers 404 "404 page not found" for the v2 keys API: the v2 API is disabled \(etcd 3\.4 needs --enable-v2/);
});

test('etcd v2 live: a keyspace without /calico is not a Calico datastore', async (t) => {
  const run = await runCli(['convert', '--to', 'v2.5', '--etcd-endpoints', empty.endpoint]);
  t.is(run.code, 1);
  t.regex(run.stderr, /has no \/calico key in its v2 keyspace: this is not a Calico v2\.4 datastore/);
});

test('etcd v2 live: wrong credentials are refused with a clear message; right ones work; the password never shows', async (t) => {
  const wrong = await runCli(['convert', '--to', 'v2.5', '--etcd-endpoints', withAuth.endpoint, '--etcd-username', 'calico', '--etcd-password', 'nope']);
  t.is(wrong.code, 1);
  t.regex(wrong.stderr, /refused the credentials \(HTTP 401/);
  const right = await runCli(['convert', '--to', 'v2.5', '-o', 'json'], REPO_ROOT, { ETCD_ENDPOINTS: withAuth.endpoint, ETCD_USERNAME: 'calico', ETCD_PASSWORD: 's3cret-pw' });
  t.is(right.code, 3, right.stderr);
  t.is(right.stdout, (await offline(V2_DUMP, ['--to', 'v2.5'])).stdout);
  t.false(right.stderr.includes('s3cret-pw'));
  t.regex(right.stderr, /etcdPassword=\(set\) {2}\[environment ETCD_PASSWORD\]/);
});

test('etcd v2 live over TLS with client certificates: the ETCD_*_FILE settings work', async (t) => {
  const env = { ETCD_ENDPOINTS: tls.endpoint, ETCD_CA_CERT_FILE: tls.caFile ?? '', ETCD_CERT_FILE: tls.certFile ?? '', ETCD_KEY_FILE: tls.keyFile ?? '' };
  const run = await runCli(['convert', '--to', 'v2.5', '-o', 'json'], REPO_ROOT, env);
  t.is(run.code, 3, run.stderr);
  t.is(run.stdout, (await offline(V2_DUMP, ['--to', 'v2.5'])).stdout);
  const v3 = await runCli(['convert', '--to', 'v2.5', '-o', 'json'], REPO_ROOT, { ...env, DATASTORE_TYPE: 'etcdv3' });
  t.is(v3.stdout, (await offline(V3_DUMP, ['--to', 'v2.5'])).stdout, v3.stderr);
});

test('etcd v2 live over TLS: certificate problems are named as such', async (t) => {
  const noClientCert = await runCli(['convert', '--to', 'v2.5'], REPO_ROOT, { ETCD_ENDPOINTS: tls.endpoint, ETCD_CA_CERT_FILE: tls.caFile ?? '' });
  t.is(noClientCert.code, 1);
  t.regex(noClientCert.stderr, /calico-migrate: error: cannot connect to etcd over TLS: .*Check ETCD_CA_CERT_FILE/);
  t.is(noClientCert.stderr.trim().split("\n").filter((l) => l.startsWith("calico-migrate:")).length, 1);
  const untrusted = await runCli(['convert', '--to', 'v2.5'], REPO_ROOT, { ETCD_ENDPOINTS: tls.endpoint, ETCD_CERT_FILE: tls.certFile ?? '', ETCD_KEY_FILE: tls.keyFile ?? '' });
  t.is(untrusted.code, 1);
  t.regex(untrusted.stderr, /TLS handshake failed \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/);
  const missing = await runCli(['convert', '--to', 'v2.5'], REPO_ROOT, { ETCD_ENDPOINTS: tls.endpoint, ETCD_CA_CERT_FILE: '/nonexistent/ca.pem' });
  t.regex(missing.stderr, /etcdCACertFile \/nonexistent\/ca\.pem: cannot read \(no such file\)/);
});

test('etcd v3 live: a v3 keyspace without Calico keys, and one already holding Calico v3 data, are told apart', async (t) => {
  const none = await runCli(['convert', '--to', 'v2.5', '--datastore-type', 'etcdv3', '--etcd-endpoints', empty.endpoint]);
  t.is(none.code, 1);
  t.regex(none.stderr, /has no keys under \/calico\/ in its v3 keyspace: not a Calico datastore/);
  await loadV3Kvs(noV2, { '/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool': '{"kind":"IPPool"}' });
  const v3data = await runCli(['convert', '--to', 'v2.5', '--datastore-type', 'etcdv3', '--etcd-endpoints', noV2.endpoint]);
  t.is(v3data.code, 1);
  t.regex(v3data.stderr, /holds Calico v3 data \(1 keys under \/calico\/resources\/\) and no v2\.4 keys: it has already been upgraded/);
});

test('export: the live read saved with owner-only permissions converts exactly like the live read', async (t) => {
  for (const type of ['etcdv2', 'etcdv3']) {
    const out = join(await mkdtemp(join(tmpdir(), 'calico-migrate-export-')), 'dump.json');
    const exported = await runCli(['export', '--out', out, '--datastore-type', type, '--etcd-endpoints', plain.endpoint]);
    t.is(exported.code, 0, exported.stderr);
    t.regex(exported.stderr, new RegExp(`exported 80 records \\(etcd-v${type === 'etcdv2' ? 2 : 3}\\) to `));
    t.is((await stat(out)).mode & 0o777, 0o600);
    const live = await runCli(['convert', '--datastore-type', type, '--etcd-endpoints', plain.endpoint, '--to', 'v3.0', '-o', 'json']);
    const fromExport = await runCli(['convert', '--from-file', out, '--to', 'v3.0', '-o', 'json']);
    t.is(fromExport.stdout, live.stdout);
  }
});

test('detect: describes the source, Calico version, counts, fingerprint and blockers', async (t) => {
  const text = await runCli(['detect', '--etcd-endpoints', plain.endpoint]);
  t.is(text.code, 3, 'detect exits 3 when it sees blockers');
  t.regex(text.stdout, new RegExp(`^source: +etcdv2 ${plain.endpoint.replace(/[./]/g, '\\$&')}$`, 'm'));
  t.regex(text.stdout, /^calico: +v2\.4\.1, cluster type k8s,bgp$/m);
  t.regex(text.stdout, /^records: +80$/m);
  t.regex(text.stdout, /^fingerprint: +source=etcdv2 endpoint=\S+ etcdIndex=\d+$/m);
  t.regex(text.stdout, /^for --to v2\.5: 0 error records, 1 blockers$/m);
  t.regex(text.stdout, /blocker Calico IPAM is in use/);
  const json = await runCli(['detect', '-o', 'json', '--datastore-type', 'etcdv3', '--etcd-endpoints', plain.endpoint, '--to', 'v3.0']);
  const r = JSON.parse(json.stdout) as { records: number; calicoVersion: string; fingerprint: { revision: string }; recordsByType: Record<string, number>; target: string };
  t.is(r.records, 80);
  t.is(r.calicoVersion, 'v2.4.1');
  t.regex(r.fingerprint.revision, /^\d+$/);
  t.is(r.recordsByType['ip-pool'], 2);
  t.is(r.target, 'v3.0');
});

test('settings: a calicoctl config file is used, and the environment overriding it is pointed out', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-cfg-'));
  const cfg = join(dir, 'calicoctl.cfg');
  const [dead] = await freePorts(1);
  await writeFile(cfg, `apiVersion: v1\nkind: calicoApiConfig\nmetadata:\nspec:\n  datastoreType: etcdv2\n  etcdEndpoints: http://127.0.0.1:${dead}\n`);
  const fromFile = await runCli(['convert', '--to', 'v2.5', '--config', cfg]);
  t.is(fromFile.code, 1);
  t.regex(fromFile.stderr, new RegExp(`etcdEndpoints=http://127\\.0\\.0\\.1:${dead} {2}\\[config file ${cfg.replace(/[./]/g, '\\$&')}\\]`));
  const overridden = await runCli(['convert', '--to', 'v2.5', '-o', 'json'], REPO_ROOT, { ETCD_ENDPOINTS: plain.endpoint }, cfg);
  t.is(overridden.code, 3, overridden.stderr);
  t.regex(overridden.stderr, /note: etcdEndpoints: environment ETCD_ENDPOINTS overrides config file/);
});
