/**
 * Pins the behaviour of the real-etcd harness (test/_helpers/etcd.ts) against etcd 3.4: plain, v2
 * disabled, TLS with client-certificate auth, and TLS (server only) with user/password auth.
 * The four servers start in parallel once and are shared by the tests of this file.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import {
  ETCD_INSTALL_HINT,
  etcdRequest,
  findEtcdBinary,
  getV2,
  loadV2Dump,
  loadV3Dump,
  loadV3Kvs,
  putV2,
  rangeV3,
  startEtcd,
  stopAll,
  v2EmptyDirs,
  v2Leaves,
  v3DumpKvs,
  type EtcdServer,
  type StartEtcdOptions,
  type V2LoadResult,
} from './_helpers/etcd.js';

// Not via _helpers/cli.ts: that would load the whole CLI into this file.
const FIXTURE_DIR = new URL('../fixtures/sources/etcd-typical/', import.meta.url);
const V2_DUMP_TEXT = readFileSync(new URL('etcd-v2.json', FIXTURE_DIR), 'utf8');
const V3_DUMP_TEXT = readFileSync(new URL('etcd-v3.json', FIXTURE_DIR), 'utf8');
const AUTH = { user: 'calico', password: 's3cret-pw' } as const;

interface Servers {
  plain: EtcdServer;
  noV2: EtcdServer;
  mtls: EtcdServer;
  tlsAuth: EtcdServer;
  plainLoad: V2LoadResult;
}
let servers: Partial<Servers> = {};
const started: EtcdServer[] = [];

function get<K extends keyof Servers>(name: K): NonNullable<Servers[K]> {
  const s = servers[name];
  if (s === undefined) throw new Error(`server ${name} did not start (see the before hook's failure)`);
  return s as NonNullable<Servers[K]>;
}

test.before(async () => {
  const specs: Array<[keyof Omit<Servers, 'plainLoad'>, StartEtcdOptions]> = [
    ['plain', {}],
    ['noV2', { enableV2: false }],
    ['mtls', { tls: true, clientCertAuth: true }],
    ['tlsAuth', { tls: true, auth: AUTH, seedV2: V2_DUMP_TEXT }],
  ];
  const results = await Promise.allSettled(specs.map(([, o]) => startEtcd(o)));
  const failures = new Map<string, string[]>(); // message -> server names (a missing binary fails all four alike)
  results.forEach((r, i) => {
    const name = specs[i]?.[0];
    if (name === undefined) return;
    if (r.status === 'fulfilled') {
      servers = { ...servers, [name]: r.value };
      started.push(r.value);
    } else {
      const message = (r.reason as Error).message;
      failures.set(message, [...(failures.get(message) ?? []), name]);
    }
  });
  if (failures.size > 0) {
    throw new Error(`could not start etcd:\n${[...failures].map(([message, names]) => `${names.join(', ')}: ${message}`).join('\n')}`);
  }
  servers.plainLoad = await loadV2Dump(get('plain'), V2_DUMP_TEXT);
});

test.after.always(async () => {
  await stopAll(started);
});

function parse(body: string): Record<string, unknown> {
  return JSON.parse(body) as Record<string, unknown>;
}

test('a missing etcd binary fails with an install hint (never a skip)', async (t) => {
  t.throws(() => findEtcdBinary({ PATH: '/nonexistent-dir' }), { message: /etcd was not found on PATH.*apt-get install -y etcd-server.*ETCD_BIN/s });
  t.throws(() => findEtcdBinary({ PATH: '/usr/bin', ETCD_BIN: '/nonexistent/etcd' }), { message: /ETCD_BIN=\/nonexistent\/etcd is not an executable file/ });
  await t.throwsAsync(startEtcd({ binary: '/nonexistent/etcd' }), { message: /apt-get install -y etcd-server/ });
  // A binary that runs but exits at once is reported as an early exit, not as a 20 s timeout.
  await t.throwsAsync(startEtcd({ binary: '/bin/false' }), { message: /^etcd exited early \(code 1/ });
  t.true(ETCD_INSTALL_HINT.includes('ETCD_BIN'));
  t.notThrows(() => findEtcdBinary());
});

test('the etcd-typical v2 dump loads and reads back recursively with the same leaves', async (t) => {
  const plain = get('plain');
  const load = get('plainLoad');
  const expected = v2Leaves(V2_DUMP_TEXT);
  t.is(load.leaves, 80);
  t.is(expected.size, 80);
  t.true(plain.endpoint.startsWith('http://127.0.0.1:'));

  const res = await etcdRequest(plain, '/v2/keys/calico?recursive=true');
  t.is(res.status, 200);
  const got = v2Leaves(res.body);
  t.deepEqual([...got.entries()].sort(), [...expected.entries()].sort());
  t.deepEqual(v2EmptyDirs(res.body).sort(), v2EmptyDirs(V2_DUMP_TEXT).sort());

  const index = res.headers['x-etcd-index'];
  t.is(typeof index, 'string');
  t.regex(String(index), /^\d+$/);
  t.true(Number(index) >= load.etcdIndex);
});

test('the v2 and v3 keyspaces are separate', async (t) => {
  const plain = get('plain');
  const dumpKeys = new Set(v2Leaves(V2_DUMP_TEXT).keys());
  // v2 writes are invisible to v3 ...
  const before = await rangeV3(plain, '/calico/');
  t.deepEqual([...before.kvs.keys()].filter((k) => dumpKeys.has(k)), []);
  // ... and v3 writes are invisible to v2.
  const key = '/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool';
  const revision = await loadV3Kvs(plain, [{ key, value: '{"kind":"IPPool"}' }]);
  t.true(revision > 0);
  t.is((await rangeV3(plain, key)).kvs.get(key), '{"kind":"IPPool"}');
  const res = await getV2(plain, '/calico/resources');
  t.is(res.status, 404);
  t.like(parse(res.body), { errorCode: 100, message: 'Key not found' });
  // putV2 writes go only to v2.
  await putV2(plain, '/harness/only-v2', 'x');
  t.is((await rangeV3(plain, '/harness/')).kvs.size, 0);
});

test('etcd without --enable-v2 answers a plain-text 404, unlike a missing v2 key', async (t) => {
  const noV2 = get('noV2');
  t.false(noV2.enableV2);
  const disabled = await etcdRequest(noV2, '/v2/keys/');
  t.is(disabled.status, 404);
  t.is(disabled.body, '404 page not found\n');
  t.regex(String(disabled.headers['content-type']), /^text\/plain/);

  const missing = await getV2(get('plain'), '/no-such-key');
  t.is(missing.status, 404);
  t.regex(String(missing.headers['content-type']), /^application\/json/);
  t.like(parse(missing.body), { errorCode: 100 });

  // The v3 API still works there.
  await loadV3Kvs(noV2, { '/x': 'y' });
  t.deepEqual([...(await rangeV3(noV2, '/x')).kvs], [['/x', 'y']]);
});

test('stop() terminates etcd by PID and removes its temp dir; it is idempotent', async (t) => {
  const server = await startEtcd({ enableV2: false });
  t.true(existsSync(server.dataDir));
  t.notThrows(() => process.kill(server.pid, 0));
  await server.stop();
  t.throws(() => process.kill(server.pid, 0), { code: 'ESRCH' });
  t.false(existsSync(server.tempDir));
  await server.stop();
  await t.throwsAsync(etcdRequest(server, '/health', { timeoutMs: 2000 }), { code: 'ECONNREFUSED' });
});

test('TLS with client-certificate auth: no client cert fails, the test client cert works', async (t) => {
  const mtls = get('mtls');
  t.true(mtls.endpoint.startsWith('https://127.0.0.1:'));
  t.true(mtls.clientCertAuth);
  for (const f of [mtls.caFile, mtls.certFile, mtls.keyFile]) t.true(f !== undefined && existsSync(f));

  const ok = await etcdRequest(mtls, '/health');
  t.is(ok.status, 200);
  t.deepEqual(parse(ok.body), { health: 'true' });

  // Go's TLS server sends alert 42 (bad certificate); with TLS 1.3 the client may instead see a reset.
  const noCert = await t.throwsAsync(etcdRequest(mtls, '/health', { clientCert: false }));
  t.true(['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ECONNRESET', 'EPIPE'].includes(String((noCert as NodeJS.ErrnoException | undefined)?.code)), noCert?.message);
  const noCa = await t.throwsAsync(etcdRequest(mtls, '/health', { trustCa: false }));
  t.regex(noCa?.message ?? '', /self[- ]signed|unable to (get|verify)/i);

  // v2 over TLS.
  await putV2(mtls, '/calico/v1/config/LogSeverityScreen', 'Info');
  const res = await getV2(mtls, '/calico/v1/config');
  t.is(res.status, 200);
  t.deepEqual([...v2Leaves(res.body)], [['/calico/v1/config/LogSeverityScreen', 'Info']]);
});

test('TLS: the v3 dump loads through the JSON gateway and etcd3 reads it with the ETCD_*_FILE certificates', async (t) => {
  const mtls = get('mtls');
  const { caFile, certFile, keyFile } = mtls;
  if (caFile === undefined || certFile === undefined || keyFile === undefined) return t.fail('TLS files missing');
  const expected = v3DumpKvs(V3_DUMP_TEXT);
  t.is(expected.size, 80);
  await loadV3Dump(mtls, V3_DUMP_TEXT);

  const client = new Etcd3({
    hosts: mtls.endpoint,
    dialTimeout: 5000,
    credentials: { rootCertificate: readFileSync(caFile), certChain: readFileSync(certFile), privateKey: readFileSync(keyFile) },
  });
  try {
    const got = await client.getAll().prefix('/calico/').strings();
    t.deepEqual(Object.entries(got).sort(), [...expected.entries()].sort());
  } finally {
    client.close();
  }
});

test('user/password auth (v2 and v3) over server-only TLS: refused without or with wrong credentials', async (t) => {
  const s = get('tlsAuth');
  const auth = s.auth;
  if (auth === undefined) return t.fail('auth missing');
  t.is(auth.user, AUTH.user);
  t.false(s.clientCertAuth);

  // Server-only TLS: no client certificate needed.
  t.is((await etcdRequest(s, '/health', { clientCert: false, credentials: null })).status, 200);

  // v2 keys API: basic auth (the dump was seeded before auth was enabled).
  const anonymous = await getV2(s, '/calico', { credentials: null, clientCert: false });
  t.is(anonymous.status, 401);
  t.like(parse(anonymous.body), { errorCode: 110, message: 'The request requires user authentication' });
  const wrong = await getV2(s, '/calico', { credentials: { user: AUTH.user, password: 'wrong' } });
  t.is(wrong.status, 401);
  t.like(parse(wrong.body), { errorCode: 110 });
  const right = await getV2(s, '/calico', { clientCert: false });
  t.is(right.status, 200);
  t.deepEqual([...v2Leaves(right.body)].sort(), [...v2Leaves(V2_DUMP_TEXT)].sort());
  const asRoot = await getV2(s, '/calico', { credentials: { user: 'root', password: auth.rootPassword } });
  t.is(asRoot.status, 200);
  await putV2(s, '/harness/auth-put', 'ok');
  t.is((await putV2(s, '/harness/auth-put', 'again')).status, 200);

  // v3 JSON gateway: token auth.
  await loadV3Kvs(s, { '/calico/v1/Ready': 'v3' });
  const noToken = await etcdRequest(s, '/v3/kv/range', { method: 'POST', json: { key: Buffer.from('/calico/v1/Ready').toString('base64') }, credentials: null });
  t.is(noToken.status, 400);
  t.like(parse(noToken.body), { message: 'etcdserver: user name is empty' });

  // v3 gRPC (the etcd3 package) with the CA only.
  const ca = s.caFile;
  if (ca === undefined) return t.fail('caFile missing');
  const opts = { hosts: s.endpoint, dialTimeout: 5000, credentials: { rootCertificate: readFileSync(ca) } };
  const bad = new Etcd3({ ...opts, auth: { username: AUTH.user, password: 'wrong' } });
  const good = new Etcd3({ ...opts, auth: { username: AUTH.user, password: AUTH.password } });
  const none = new Etcd3(opts);
  try {
    await t.throwsAsync(bad.get('/calico/v1/Ready').string(), { message: /authentication failed/ });
    await t.throwsAsync(none.get('/calico/v1/Ready').string(), { message: /user name is empty/ });
    t.is(await good.get('/calico/v1/Ready').string(), 'v3');
  } finally {
    bad.close();
    good.close();
    none.close();
  }
});
