/** The etcd v3 reader pages through a large keyspace at one pinned revision. */
import test from 'ava';
import { readEtcdV3 } from '../../src/datastore/etcd-v3.js';
import { resolveSettings } from '../../src/datastore/settings.js';
import { loadV3Kvs, startEtcd, type EtcdServer } from '../_helpers/etcd.js';

let etcd: EtcdServer;

test.before(async () => {
  etcd = await startEtcd();
  const kvs: Record<string, string> = {};
  for (let i = 0; i < 250; i++) kvs[`/calico/v1/config/Key${String(i).padStart(3, '0')}`] = `value-${i}`;
  kvs['/calico/resources/v3/projectcalico.org/ippools/x'] = '{}';
  await loadV3Kvs(etcd, kvs);
  // 600 large values (8 KiB each, about 4.8 MiB): one page of 1,000 passes grpc's default answer limit.
  const large: Record<string, string> = {};
  for (let i = 0; i < 600; i++) large[`/calico/v1/host/big/config/K${String(i).padStart(3, '0')}`] = 'x'.repeat(8192);
  await loadV3Kvs(etcd, large);
});

test.after.always(async () => {
  await etcd?.stop();
});

test('etcd v3 reader: 851 keys read in pages of 7 at one revision, Calico v3 keys counted; a page larger than 4 MiB is read', async (t) => {
  const settings = resolveSettings({ flags: { datastoreType: 'etcdv3', etcdEndpoints: etcd.endpoint }, env: {} }).settings;
  const paged = await readEtcdV3(settings, { pageSize: 7 });
  const whole = await readEtcdV3(settings, { pageSize: 10_000 });
  t.is(paged.dump.records.length, 851);
  t.deepEqual(paged.dump.records, whole.dump.records);
  const defaultPages = await readEtcdV3(settings);
  t.deepEqual(defaultPages.dump.records, whole.dump.records);
  t.is(paged.fingerprint['calicoV3Keys'], '1');
  t.regex(paged.fingerprint['revision'] ?? '', /^\d+$/);
  const keys = paged.dump.records.map((r) => (r.type === 'etcd' ? r.key : ''));
  t.deepEqual(keys, [...keys].sort());
});

test('live convert: the report says the source was live and carries its fingerprint', async (t) => {
  const { runCli } = await import('../_helpers/cli.js');
  const { mkdtemp, readFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const path = join(await mkdtemp(join(tmpdir(), 'calico-migrate-live-report-')), 'r.json');
  const run = await runCli(['convert', '--to', 'v2.5', '--datastore-type', 'etcdv3', '--etcd-endpoints', etcd.endpoint, '--report', path]);
  t.not(run.code, 1, run.stderr);
  const report = JSON.parse(await readFile(path, 'utf8')) as { source: { type: string; fingerprint: Record<string, string> } };
  t.is(report.source.type, 'live');
  t.is(report.source.fingerprint['source'], 'etcdv3');
  t.regex(report.source.fingerprint['revision'] ?? '', /^\d+$/);
});
