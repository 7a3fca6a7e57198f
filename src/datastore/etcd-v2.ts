/**
 * Live reader for Calico v2.4's native store: one recursive GET of `/calico` through the etcd v2
 * keys API, each endpoint tried in turn. The body is exactly what `curl …?recursive=true` saves, so
 * it goes through the same decoder as a dump file and the live and offline paths cannot differ.
 * The `X-Etcd-Index` header is the snapshot's fingerprint.
 */
import { CalicoMigrateError } from '../errors.js';
import { decodeDump, isRecord, type DecodedDump } from '../input/dump.js';
import { httpGet, TransportError, type HttpAnswer, type TlsFiles } from './http.js';
import type { DatastoreSettings } from './settings.js';
import { readSettingFile } from './tls-files.js';

export interface LiveDump {
  readonly dump: DecodedDump;
  /** What pins the snapshot: etcd index, revision, or resourceVersions. */
  readonly fingerprint: Readonly<Record<string, string>>;
  /** The raw text, for `export`. */
  readonly text: string;
  /** The bytes `text` came from, when they are exactly `text` encoded as UTF-8: `export` writes them as they are. */
  readonly bytes?: readonly Buffer[];
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

export async function readEtcdV2(settings: DatastoreSettings, options: { timeoutMs?: number } = {}): Promise<LiveDump> {
  const { tls, auth } = await etcdV2Access(settings);
  const failures: string[] = [];
  let tlsFailure = false;
  for (const endpoint of settings.etcdEndpoints) {
    const url = `${endpoint.replace(/\/$/, '')}/v2/keys/calico?recursive=true&sorted=true&quorum=true`;
    let answer: HttpAnswer;
    try {
      answer = await httpGet(url, { tls, ...(auth ? { auth } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
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
    const index = answer.headers['x-etcd-index'];
    // Valid UTF-8 bytes hash as their text does: the hash made while the body arrived is the dump's.
    const dump = decodeDump(`etcdv2 ${endpoint}`, answer.body, 'etcd-v2', answer.validUtf8 ? answer.sha256 : undefined);
    return { dump, text: answer.body, ...(answer.validUtf8 ? { bytes: answer.raw } : {}), fingerprint: { source: 'etcdv2', endpoint, etcdIndex: typeof index === 'string' ? index : '' } };
  }
  if (tlsFailure) {
    throw new CalicoMigrateError('E_SOURCE_TLS', `cannot connect to etcd over TLS: ${failures.join('; ')}. Check ETCD_CA_CERT_FILE (the CA that signed the server), ETCD_CERT_FILE and ETCD_KEY_FILE (a client certificate the server trusts)`);
  }
  throw new CalicoMigrateError('E_SOURCE_UNREACHABLE', `no etcd endpoint answered: ${failures.join('; ')}`);
}

async function maybe<K extends string>(key: K, p: Promise<Buffer | undefined>): Promise<Partial<Record<K, Buffer>>> {
  const v = await p;
  return v ? ({ [key]: v } as Partial<Record<K, Buffer>>) : {};
}
