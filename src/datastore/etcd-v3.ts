/**
 * Live reader for the same v2.4 keys in an etcd v3 keyspace (as `etcdctl migrate` leaves them),
 * through the `etcd3` package. The keyspace under `/calico/` is read in pages pinned to the
 * revision of the first page, so a large keyspace is never one giant response and the snapshot is
 * consistent. The pages are serialised as `etcdctl get --prefix -w json` output and decoded like a
 * dump file, so live and offline reads cannot differ. The revision is the fingerprint.
 */
import { Etcd3, EtcdAuthenticationFailedError, GRPCUnauthenticatedError, GRPCUnavailableError, GRPCDeadlineExceededError, EtcdPermissionDeniedError } from 'etcd3';
import { CalicoMigrateError } from '../errors.js';
import { decodeDump } from '../input/dump.js';
import type { LiveDump } from './etcd-v2.js';
import type { DatastoreSettings } from './settings.js';
import { readSettingFile } from './tls-files.js';

const PREFIX = '/calico/';
const V3_RESOURCES = '/calico/resources/';

/** The end of the byte range holding every key that starts with `prefix`. */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if ((b[i] ?? 0) < 0xff) {
      const out = Buffer.from(b.subarray(0, i + 1));
      out[i] = (out[i] ?? 0) + 1;
      return out;
    }
  }
  return Buffer.from([0]);
}

interface Kv {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly createRevision: string;
  readonly modRevision: string;
  readonly version: string;
}

export async function etcdClient(settings: DatastoreSettings): Promise<Etcd3> {
  const ca = await readSettingFile('etcdCACertFile', settings.etcdCACertFile);
  const cert = await readSettingFile('etcdCertFile', settings.etcdCertFile);
  const key = await readSettingFile('etcdKeyFile', settings.etcdKeyFile);
  return new Etcd3({
    hosts: [...settings.etcdEndpoints],
    dialTimeout: 5000,
    // A page of 1,000 keys passes grpc's default 4 MiB answer limit when the values are large (a
    // v2.4 IPAM block with its attributes is several KiB; etcd takes values up to 1.5 MiB).
    grpcOptions: { 'grpc.max_receive_message_length': -1 },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 30_000 }),
    ...(ca || cert || key ? { credentials: { rootCertificate: ca ?? Buffer.alloc(0), ...(cert ? { certChain: cert } : {}), ...(key ? { privateKey: key } : {}) } } : {}),
    ...(settings.etcdUsername !== undefined ? { auth: { username: settings.etcdUsername, password: settings.etcdPassword ?? '' } } : {}),
  });
}

/**
 * An etcd failure as the operator needs it: what failed (credentials, permission, TLS, no answer)
 * and where. The source reader reports it with its own codes; a destination (`side: 'target'`)
 * with E_TARGET_UNREACHABLE, as the Kubernetes destination does.
 */
export function classifyEtcdError(e: unknown, endpoints: readonly string[], side: 'source' | 'target' = 'source'): CalicoMigrateError {
  const where = endpoints.join(',');
  const message = e instanceof Error ? e.message : String(e);
  const code = <C extends CalicoMigrateError['code']>(c: C) => (side === 'target' ? 'E_TARGET_UNREACHABLE' : c);
  const what = side === 'target' ? 'the destination etcd' : 'etcd';
  if (e instanceof EtcdAuthenticationFailedError || e instanceof GRPCUnauthenticatedError) {
    return new CalicoMigrateError(code('E_SOURCE_AUTH'), `${what} ${where} refused the credentials (${message}); check ETCD_USERNAME and ETCD_PASSWORD`, { cause: e });
  }
  if (e instanceof EtcdPermissionDeniedError) return new CalicoMigrateError(code('E_SOURCE_FORBIDDEN'), `${what} ${where} denied ${side === 'target' ? 'the request' : 'reading /calico/'} (${message})`, { cause: e });
  if (/certificate|handshake|ssl|tls/i.test(message)) {
    return new CalicoMigrateError(code('E_SOURCE_TLS'), `cannot connect to ${what} ${where} over TLS (${message}). Check ETCD_CA_CERT_FILE, ETCD_CERT_FILE and ETCD_KEY_FILE`, { cause: e });
  }
  if (e instanceof GRPCUnavailableError || e instanceof GRPCDeadlineExceededError) {
    return new CalicoMigrateError(code('E_SOURCE_UNREACHABLE'), `${side === 'target' ? 'no endpoint of the destination etcd' : 'no etcd endpoint'} answered (${where}): ${message}`, { cause: e });
  }
  return new CalicoMigrateError(code('E_SOURCE_PROTOCOL'), `${side === 'target' ? 'talking to' : 'reading'} ${what} ${where} failed: ${message}`, { cause: e });
}

/**
 * Keys per page. etcd 3.4 walks the whole remaining range to count it on every page, so reading N
 * keys costs about N^2 / page size: at 308,000 keys, pages of 1,000 took 97 s, and 10,000 about a
 * tenth of that (measured); the grpc answer size is not limited (etcdClient).
 */
const PAGE_SIZE = 10_000;

/** Reads every key under `/calico/` (except Calico v3 resources) in pages of `pageSize`. */
async function readKeys(etcd: Etcd3, pageSize: number): Promise<{ kvs: Kv[]; revision: string; v3Keys: number }> {
  const kvs: Kv[] = [];
  let revision: string | undefined;
  let start: Buffer = Buffer.from(PREFIX);
  const end = prefixEnd(PREFIX);
  let v3Keys = 0;
  for (;;) {
    let builder = etcd.getAll().inRange({ start, end }).limit(pageSize).sort('Key', 'Ascend');
    if (revision !== undefined) builder = builder.revision(revision);
    const page = await builder.exec();
    revision ??= page.header.revision;
    for (const kv of page.kvs) {
      // Calico v3 keys stay in the dump: the conversion reports them as a blocker.
      if (kv.key.toString('utf8').startsWith(V3_RESOURCES)) v3Keys++;
      kvs.push({ key: kv.key, value: kv.value, createRevision: kv.create_revision, modRevision: kv.mod_revision, version: kv.version });
    }
    const last = page.kvs[page.kvs.length - 1];
    if (!page.more || !last) break;
    start = Buffer.concat([last.key, Buffer.from([0])]);
  }
  return { kvs, revision: revision ?? '0', v3Keys };
}

export async function readEtcdV3(settings: DatastoreSettings, options: { pageSize?: number } = {}): Promise<LiveDump> {
  const etcd = await etcdClient(settings);
  try {
    let read: Awaited<ReturnType<typeof readKeys>>;
    try {
      read = await readKeys(etcd, options.pageSize ?? PAGE_SIZE);
    } catch (e) {
      throw classifyEtcdError(e, settings.etcdEndpoints);
    }
    const where = settings.etcdEndpoints.join(',');
    if (read.kvs.length === read.v3Keys && read.v3Keys > 0) {
      throw new CalicoMigrateError('E_SOURCE_UNSUPPORTED', `etcd ${where} holds Calico v3 data (${read.v3Keys} keys under ${V3_RESOURCES}) and no v2.4 keys: it has already been upgraded; this tool reads Calico v2.4 data`);
    }
    if (read.kvs.length === 0) {
      throw new CalicoMigrateError('E_SOURCE_NOT_CALICO', `etcd ${where} has no keys under /calico/ in its v3 keyspace: not a Calico datastore (for Calico v2.4's own store use --datastore-type etcdv2)`);
    }
    const text = `${JSON.stringify({
      header: { revision: Number(read.revision) },
      kvs: read.kvs.map((kv) => ({
        key: kv.key.toString('base64'),
        create_revision: Number(kv.createRevision),
        mod_revision: Number(kv.modRevision),
        version: Number(kv.version),
        ...(kv.value.length > 0 ? { value: kv.value.toString('base64') } : {}),
      })),
      count: read.kvs.length,
    })}\n`;
    const dump = decodeDump(`etcdv3 ${where}`, text, 'etcd-v3');
    return { dump, text, fingerprint: { source: 'etcdv3', endpoints: where, revision: read.revision, ...(read.v3Keys > 0 ? { calicoV3Keys: String(read.v3Keys) } : {}) } };
  } finally {
    etcd.close();
  }
}
