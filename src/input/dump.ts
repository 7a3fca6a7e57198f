/**
 * Dump files: detection of their format and extraction of raw records. Pure: takes the file's
 * text, returns records with their origins. A file that is not a recognisable dump is a one-line
 * `E_INPUT_FORMAT` error naming the file and what was expected.
 */
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import { CalicoMigrateError } from '../errors.js';
import type { RecordOutcome } from '../model/report.js';

export const INPUT_FORMATS = ['etcd-v2', 'etcd-v3', 'etcd-flat', 'kubernetes'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** A raw etcd key/value, as stored (values are the exact stored strings). */
export interface RawEtcdRecord {
  readonly type: 'etcd';
  readonly origin: string;
  readonly file: string;
  readonly key: string;
  readonly value: string;
}

/** One Kubernetes object from a dump (a List item or a standalone document). */
export interface RawObjectRecord {
  readonly type: 'object';
  /** `Kind/namespace/name` or `Kind/name`. */
  readonly origin: string;
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly object: Readonly<Record<string, unknown>>;
}

export type RawRecord = RawEtcdRecord | RawObjectRecord;

export interface DecodedDump {
  readonly path: string;
  readonly format: InputFormat;
  readonly sha256: string;
  readonly records: readonly RawRecord[];
  /** Entries that could not even be identified (no kind or name): errors with their position. */
  readonly failures: readonly RecordOutcome[];
}

const EXPECTED =
  'expected an etcd v2 recursive GET response, `etcdctl get --prefix -w json` output, a flat JSON map of etcd keys, or Kubernetes objects/Lists in YAML or JSON';

function formatError(path: string, what: string): CalicoMigrateError {
  return new CalicoMigrateError('E_INPUT_FORMAT', `${path}: ${what}; ${EXPECTED}`);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A document of a file, with its 1-based position among all the file's documents. */
interface Doc {
  readonly value: unknown;
  readonly position: number;
}

/** Reads the documents of a file: one JSON value, or every non-empty YAML document. */
function parseDocuments(path: string, text: string): { docs: Doc[]; total: number } {
  const trimmed = text.trim();
  if (trimmed === '') throw formatError(path, 'the file is empty');
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return { docs: [{ value: JSON.parse(trimmed), position: 1 }], total: 1 };
    } catch (e) {
      throw formatError(path, `not valid JSON (${(e as Error).message})`);
    }
  }
  const parsed = YAML.parseAllDocuments(text, { uniqueKeys: false });
  const docs = Array.isArray(parsed) ? parsed : [parsed];
  const docsOut: Doc[] = [];
  docs.forEach((doc, i) => {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line;
      throw formatError(path, `not valid YAML (${line ? `line ${line}: ` : ''}${err.message.split('\n')[0] ?? ''})`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    // Empty documents hold nothing, but they still count for the positions errors report.
    if (value !== null && value !== undefined) docsOut.push({ value, position: i + 1 });
  });
  return { docs: docsOut, total: docs.length };
}

/** The format of a file's documents; a flat map's keys come with it (listed once: at 300k keys that is a cost). */
function detect(path: string, docs: readonly unknown[]): { format: InputFormat; keys?: string[] } {
  const first = docs[0];
  if (docs.length === 1 && isRecord(first)) {
    if (typeof first['errorCode'] === 'number' && typeof first['message'] === 'string') {
      throw formatError(path, `this is an etcd error response (${String(first['message'])}), not a dump`);
    }
    if (isRecord(first['node'])) return { format: 'etcd-v2' };
    if (Array.isArray(first['kvs']) || (isRecord(first['header']) && 'count' in first)) return { format: 'etcd-v3' };
    if (typeof first['kind'] === 'string' && ('apiVersion' in first || 'items' in first)) return { format: 'kubernetes' };
    const keys = Object.keys(first);
    if (keys.length > 0 && keys.every((k) => k.startsWith('/'))) return { format: 'etcd-flat', keys };
    throw formatError(path, `unrecognised JSON object with keys ${keys.slice(0, 5).join(', ') || '(none)'}`);
  }
  if (docs.length > 0 && docs.every((d) => isRecord(d) && typeof d['kind'] === 'string')) return { format: 'kubernetes' };
  if (docs.length === 0) throw formatError(path, 'no documents found');
  throw formatError(path, 'unrecognised content (not a JSON object, and not YAML documents that each have a `kind`)');
}

function etcdRecord(file: string, key: string, value: string): RawEtcdRecord {
  return { type: 'etcd', origin: key, file, key, value };
}


function fromEtcdV2(path: string, doc: Record<string, unknown>): RawEtcdRecord[] {
  const out: RawEtcdRecord[] = [];
  const walk = (node: unknown, where: string): void => {
    if (!isRecord(node) || typeof node['key'] !== 'string') {
      throw formatError(path, `etcd v2 node at ${where} has no string "key"`);
    }
    const key = node['key'];
    if (node['dir'] === true) {
      const children = node['nodes'] ?? [];
      if (!Array.isArray(children)) throw formatError(path, `etcd v2 directory ${key} has a non-array "nodes"`);
      children.forEach((child, i) => walk(child, `${key} child ${i}`));
      return;
    }
    if (typeof node['value'] !== 'string') throw formatError(path, `etcd v2 key ${key} has no string "value"`);
    out.push(etcdRecord(path, key, node['value']));
  };
  walk(doc['node'], 'node');
  return out;
}

function fromEtcdV3(path: string, doc: Record<string, unknown>): RawEtcdRecord[] {
  const kvs = doc['kvs'] ?? [];
  if (!Array.isArray(kvs)) throw formatError(path, '"kvs" is not an array');
  // etcdctl omits empty byte fields, so a kv without "value" holds the empty string; a dump in
  // which no kv has a value was made with --keys-only and cannot be converted.
  if (kvs.length > 0 && kvs.every((kv) => isRecord(kv) && kv['value'] === undefined)) {
    throw formatError(path, 'no key has a value (was the dump made with --keys-only?)');
  }
  return kvs.map((kv, i) => {
    if (!isRecord(kv) || typeof kv['key'] !== 'string') throw formatError(path, `kvs[${i}] has no base64 "key"`);
    const key = Buffer.from(kv['key'], 'base64').toString('utf8');
    const value = kv['value'] ?? '';
    if (typeof value !== 'string') throw formatError(path, `kvs[${i}] (${key}) has a non-string "value"`);
    return etcdRecord(path, key, Buffer.from(value, 'base64').toString('utf8'));
  });
}

/**
 * A flat map holds the raw stored strings. Numbers and booleans are taken as their text (that is
 * how etcd stored them); null, lists and objects are not stored values and become error records.
 */
function fromFlat(path: string, doc: Record<string, unknown>, keys: readonly string[]): { records: RawEtcdRecord[]; failures: RecordOutcome[] } {
  const records: RawEtcdRecord[] = [];
  const failures: RecordOutcome[] = [];
  // Index loops over the whole keyspace (here and in the stages after): a for-of loop run once over
  // hundreds of thousands of entries allocates an iterator result for each.
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const value = doc[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      records.push(etcdRecord(path, key, String(value)));
    } else {
      const what = value === null ? 'null' : Array.isArray(value) ? 'a list' : 'an object';
      failures.push({ origin: key, file: path, disposition: 'error', code: 'invalid-value', message: `the flat dump holds ${what} for this key; etcd values are strings (JSON values are stored as JSON text)` });
    }
  }
  return { records, failures };
}

/** Flattens Lists (any `kind` ending in `List` with `items`) into their items. */
function fromKubernetes(path: string, docs: readonly Doc[], total: number): { records: RawObjectRecord[]; failures: RecordOutcome[] } {
  const records: RawObjectRecord[] = [];
  const failures: RecordOutcome[] = [];
  // Items of a typed list (`NodeList` from the raw API) carry no kind or apiVersion of their own.
  const visit = (value: unknown, where: string, inherited?: { kind: string; apiVersion: string }): void => {
    if (isRecord(value) && typeof value['kind'] === 'string' && value['kind'].endsWith('List') && Array.isArray(value['items'])) {
      const itemKind = value['kind'] === 'List' ? undefined : value['kind'].slice(0, -'List'.length);
      const apiVersion = typeof value['apiVersion'] === 'string' ? value['apiVersion'] : '';
      value['items'].forEach((item, i) => visit(item, `${where} items[${i}]`, itemKind ? { kind: itemKind, apiVersion } : undefined));
      return;
    }
    if (isRecord(value) && inherited) {
      value = { ...value, kind: typeof value['kind'] === 'string' ? value['kind'] : inherited.kind, apiVersion: typeof value['apiVersion'] === 'string' ? value['apiVersion'] : inherited.apiVersion };
    }
    const meta = isRecord(value) ? value['metadata'] : undefined;
    const kind = isRecord(value) ? value['kind'] : undefined;
    const name = isRecord(meta) ? meta['name'] : undefined;
    if (!isRecord(value) || typeof kind !== 'string' || typeof name !== 'string' || name === '') {
      failures.push({
        origin: `${path} ${where}${typeof name === 'string' && name !== '' ? ` (${name})` : ''}`,
        file: path,
        disposition: 'error',
        code: 'invalid-envelope',
        message: `Kubernetes envelope: object has no ${typeof kind !== 'string' ? 'kind' : 'metadata.name'}`,
      });
      return;
    }
    const namespace = isRecord(meta) && typeof meta['namespace'] === 'string' && meta['namespace'] !== '' ? meta['namespace'] : undefined;
    const apiVersion = typeof value['apiVersion'] === 'string' ? value['apiVersion'] : '';
    records.push({
      type: 'object',
      origin: namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`,
      file: path,
      apiVersion,
      kind,
      ...(namespace ? { namespace } : {}),
      name,
      object: value,
    });
  };
  for (const doc of docs) visit(doc.value, total > 1 ? `document ${doc.position}` : 'document');
  return { records, failures };
}

/**
 * Decodes one dump file. `forced` overrides detection (`--input-format`); the content must still
 * have that format's shape. `sha256OfText` is the SHA-256 of `text` as UTF-8, when the caller
 * already has it (a live read hashes the body while it arrives).
 */
export function decodeDump(path: string, text: string, forced?: InputFormat, sha256OfText?: string): DecodedDump {
  const { docs, total } = parseDocuments(path, text);
  const values = docs.map((d) => d.value);
  const { format: detected, keys } = detect(path, values);
  if (forced && forced !== detected) {
    throw formatError(path, `--input-format ${forced} was given, but the content looks like ${detected}`);
  }
  const sha256 = sha256OfText ?? createHash('sha256').update(text, 'utf8').digest('hex');
  const first = values[0];
  switch (detected) {
    case 'etcd-v2':
      return { path, format: detected, sha256, records: fromEtcdV2(path, first as Record<string, unknown>), failures: [] };
    case 'etcd-v3':
      return { path, format: detected, sha256, records: fromEtcdV3(path, first as Record<string, unknown>), failures: [] };
    case 'etcd-flat': {
      const { records, failures } = fromFlat(path, first as Record<string, unknown>, keys ?? Object.keys(first as object));
      return { path, format: detected, sha256, records, failures };
    }
    case 'kubernetes': {
      const { records, failures } = fromKubernetes(path, docs, total);
      return { path, format: detected, sha256, records, failures };
    }
  }
}
