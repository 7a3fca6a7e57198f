/**
 * Live reader for Calico v2.4's native store: one recursive GET of `/calico` through the etcd v2
 * keys API, each endpoint tried in turn. The body is exactly what `curl …?recursive=true` saves, so
 * it goes through the same decoder as a dump file and the live and offline paths cannot differ.
 * The `X-Etcd-Index` header is the snapshot's fingerprint.
 */
import { CalicoMigrateError } from '../errors.js';
import { decodeDump, isRecord, type DecodedDump } from '../input/dump.js';
import { httpGet, TransportError, type BodySink, type HttpAnswer, type TlsFiles } from './http.js';
import type { DatastoreSettings } from './settings.js';
import { readSettingFile } from './tls-files.js';

export interface LiveDump {
  readonly dump: DecodedDump;
  /** What pins the snapshot: etcd index, revision, or resourceVersions. */
  readonly fingerprint: Readonly<Record<string, string>>;
  /** The raw text, for `export`. */
  readonly text: string;
}

function jsonError(body: string): { errorCode?: number; message?: string } | undefined {
  try {
    const v: unknown = JSON.parse(body);
    if (isRecord(v)) return { ...(typeof v['errorCode'] === 'number' ? { errorCode: v['errorCode'] } : {}), ...(typeof v['message'] === 'string' ? { message: v['message'] } : {}) };
  } catch {
    // not JSON
  }
  return undefined;
}

/** Turns an HTTP answer other than 200 into the error an operator can act on. */
function answerError(endpoint: string, a: HttpAnswer): CalicoMigrateError {
  const j = jsonError(a.body);
  if (a.status === 404 && !j) {
    return new CalicoMigrateError('E_SOURCE_API_DISABLED', `${endpoint} answers 404 "${a.body.trim()}" for the v2 keys API: the v2 API is disabled (etcd 3.4 needs --enable-v2; 3.6 removed it). If the Calico keys live in the v3 keyspace, use --datastore-type etcdv3`);
  }
  if (a.status === 404 && j?.errorCode === 100) {
    return new CalicoMigrateError('E_SOURCE_NOT_CALICO', `${endpoint} has no /calico key in its v2 keyspace: this is not a Calico v2.4 datastore (or the wrong etcd; for keys copied by etcdctl migrate use --datastore-type etcdv3)`);
  }
  if (a.status === 401 || j?.errorCode === 110) {
    return new CalicoMigrateError('E_SOURCE_AUTH', `${endpoint} refused the credentials (HTTP ${a.status}${j?.message ? `: ${j.message}` : ''}); check ETCD_USERNAME and ETCD_PASSWORD, and that the user's v2 role may read the key pattern /calico* (a /calico/* grant is not enough for a recursive read)`);
  }
  if (a.status === 403) return new CalicoMigrateError('E_SOURCE_FORBIDDEN', `${endpoint} denied reading /calico (HTTP 403${j?.message ? `: ${j.message}` : ''}); the etcd user needs read access to /calico`);
  return new CalicoMigrateError('E_SOURCE_PROTOCOL', `${endpoint} answered HTTP ${a.status} to GET /v2/keys/calico: ${a.body.trim().slice(0, 200)}`);
}

/** The TLS files and basic auth the settings give for the etcd v2 keys API. */
export async function etcdV2Access(settings: DatastoreSettings): Promise<{ tls: TlsFiles; auth?: { user: string; password: string } }> {
  const tls = {
    ...(await maybe('ca', readSettingFile('etcdCACertFile', settings.etcdCACertFile))),
    ...(await maybe('cert', readSettingFile('etcdCertFile', settings.etcdCertFile))),
    ...(await maybe('key', readSettingFile('etcdKeyFile', settings.etcdKeyFile))),
  };
  return { tls, ...(settings.etcdUsername !== undefined ? { auth: { user: settings.etcdUsername, password: settings.etcdPassword ?? '' } } : {}) };
}

/** The recursive GET of `/calico` from the first endpoint that answers; `bodyTo` may take a 200's body as it arrives. */
async function getCalico(settings: DatastoreSettings, options: { timeoutMs?: number; bodyTo?: (status: number) => BodySink | undefined }): Promise<{ endpoint: string; answer: HttpAnswer }> {
  const { tls, auth } = await etcdV2Access(settings);
  const failures: string[] = [];
  let tlsFailure = false;
  for (const endpoint of settings.etcdEndpoints) {
    const url = `${endpoint.replace(/\/$/, '')}/v2/keys/calico?recursive=true&sorted=true&quorum=true`;
    let answer: HttpAnswer;
    try {
      answer = await httpGet(url, { tls, ...(auth ? { auth } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}), ...(options.bodyTo ? { bodyTo: options.bodyTo } : {}) });
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      tlsFailure ||= e.kind === 'tls';
      failures.push(`${endpoint}: ${e.kind === 'tls' ? 'TLS handshake failed' : e.kind === 'timeout' ? 'timed out' : 'unreachable'} (${e.detail})`);
      continue;
    }
    if (answer.status >= 500) {
      failures.push(`${endpoint}: HTTP ${answer.status}`);
      continue;
    }
    if (answer.status !== 200) throw answerError(endpoint, answer);
    return { endpoint, answer };
  }
  if (tlsFailure) {
    throw new CalicoMigrateError('E_SOURCE_TLS', `cannot connect to etcd over TLS: ${failures.join('; ')}. Check ETCD_CA_CERT_FILE (the CA that signed the server), ETCD_CERT_FILE and ETCD_KEY_FILE (a client certificate the server trusts)`);
  }
  throw new CalicoMigrateError('E_SOURCE_UNREACHABLE', `no etcd endpoint answered: ${failures.join('; ')}`);
}

const fingerprintOf = (endpoint: string, answer: HttpAnswer): Record<string, string> => {
  const index = answer.headers['x-etcd-index'];
  return { source: 'etcdv2', endpoint, etcdIndex: typeof index === 'string' ? index : '' };
};

export async function readEtcdV2(settings: DatastoreSettings, options: { timeoutMs?: number } = {}): Promise<LiveDump> {
  const { endpoint, answer } = await getCalico(settings, options);
  // Valid UTF-8 bytes hash as their text does: the hash made while the body arrived is the dump's.
  const dump = decodeDump(`etcdv2 ${endpoint}`, answer.body, 'etcd-v2', answer.validUtf8 ? answer.sha256 : undefined);
  return { dump, text: answer.body, fingerprint: fingerprintOf(endpoint, answer) };
}

/**
 * The bytes every leaf node of an etcd v2 answer has once, and nothing else can: the end of its
 * `value` field's name. A raw `"` only ever ends a string, and a string followed by `:` is a field
 * name; no other field of an etcd v2 node ends in "value", and a `"` inside a value is escaped.
 * (Without the leading `"` the search skips ahead on a rarer byte: less than half the time.)
 */
const VALUE_FIELD = Buffer.from('value":');
/** The last bytes kept: enough for a cut `value":` (7) and for the end of the answer. */
const TAIL = 8;
/** How an etcd v2 answer for `/calico` begins. */
const ANSWER_START = Buffer.from('{"action":"get","node":{"key":"/calico"');

/**
 * Counts an etcd v2 answer's leaf nodes (keys) as its bytes pass, and keeps what shows it is one
 * whole: how it begins and ends. Pieces may split a field anywhere.
 */
export class EtcdV2Scan {
  keys = 0;
  bytes = 0;
  private head = Buffer.alloc(0);
  /** The last bytes so far: those of a field cut at the next boundary, and how the answer ends. */
  private tail = Buffer.alloc(0);

  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.head.length < ANSWER_START.length) this.head = Buffer.concat([this.head, chunk.subarray(0, ANSWER_START.length - this.head.length)]);
    // A field cut by the piece boundary: at most `edge` bytes on either side of it.
    const edge = VALUE_FIELD.length - 1;
    if (this.tail.length > 0 && Buffer.concat([this.tail.subarray(-edge), chunk.subarray(0, edge)]).indexOf(VALUE_FIELD) >= 0) this.keys++;
    for (let at = chunk.indexOf(VALUE_FIELD); at >= 0; at = chunk.indexOf(VALUE_FIELD, at + VALUE_FIELD.length)) this.keys++;
    this.tail = Buffer.concat([this.tail, chunk.subarray(-TAIL)]).subarray(-TAIL);
  }

  /** Why the bytes are not one whole etcd v2 answer for `/calico`, if they are not. */
  problem(): string | undefined {
    if (!this.head.equals(ANSWER_START)) return `it does not begin as an etcd v2 answer for /calico does (${JSON.stringify(this.head.toString('utf8'))})`;
    if (!/\}\}\s*$/.test(this.tail.toString('utf8'))) return 'it does not end as a whole etcd v2 answer does (cut short?)';
    return undefined;
  }
}

/**
 * `export` of an etcd v2 keyspace: the answer's bytes go to `sink` as they arrive (nothing is kept,
 * hashed or parsed: `convert --from-file` reads and checks the file), counted and checked as they
 * pass. `restart` is called when an endpoint's answer begins, so a later endpoint's overwrites it.
 */
export async function exportEtcdV2(settings: DatastoreSettings, sink: { restart(): void; write(chunk: Buffer): void }, options: { timeoutMs?: number } = {}): Promise<{ keys: number; bytes: number; fingerprint: Record<string, string> }> {
  let scan = new EtcdV2Scan();
  const { endpoint, answer } = await getCalico(settings, {
    ...options,
    bodyTo: (status) => {
      if (status !== 200) return undefined;
      sink.restart();
      scan = new EtcdV2Scan();
      return { write: (c) => (scan.add(c), sink.write(c)) };
    },
  });
  const problem = scan.problem();
  if (problem) throw new CalicoMigrateError('E_SOURCE_PROTOCOL', `${endpoint} answered GET /v2/keys/calico with something that is not a whole etcd v2 answer: ${problem}`);
  return { keys: scan.keys, bytes: scan.bytes, fingerprint: fingerprintOf(endpoint, answer) };
}

async function maybe<K extends string>(key: K, p: Promise<Buffer | undefined>): Promise<Partial<Record<K, Buffer>>> {
  const v = await p;
  return v ? ({ [key]: v } as Partial<Record<K, Buffer>>) : {};
}
