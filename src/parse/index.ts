/**
 * Parse stage: decoded dumps → the typed v2.4 snapshot. Pure. Every raw record either becomes one
 * item or one error outcome naming its origin; one bad record never stops the others.
 */
import type { DecodedDump } from '../input/dump.js';
import type { Issue, LostField, RecordOutcome, Severity } from '../model/report.js';
import type { V1Item, V1ItemType, V1Snapshot } from '../model/v1.js';
import { parseEtcdRecord } from './etcd.js';
import { objectParts, type ObjectPart } from './kubernetes.js';
import { ValueError, type NoteSink } from './values.js';
import { byString } from '../util.js';
import { withoutValue } from './unread.js';

export interface ParseResult {
  readonly snapshot: V1Snapshot;
  /** Records that failed to parse (disposition `error`). */
  readonly failures: readonly RecordOutcome[];
  readonly issues: readonly Issue[];
}

const NOTE_SEVERITY: Readonly<Record<string, Severity>> = {
  'name-mismatch': 'warning',
  'action-case': 'info',
};

/** What the parse stage may leave out. */
export interface ParseOptions {
  /**
   * Item types whose values no step of the target reads (`Step.unreadValues`): each such value
   * is checked as always, then not kept. A large keyspace is mostly workload endpoints and IPAM
   * handles, which a Kubernetes-datastore target accounts for by their keys alone.
   */
  readonly unreadValues?: ReadonlySet<V1ItemType>;
}

export function parseDumps(dumps: readonly DecodedDump[], options: ParseOptions = {}): ParseResult {
  const unread = options.unreadValues !== undefined && options.unreadValues.size > 0 ? options.unreadValues : undefined;
  const items: V1Item[] = [];
  const failures: RecordOutcome[] = [...dumps.flatMap((d) => d.failures)];
  const issues: Issue[] = [];
  const seen = new Map<string, string>();
  // One flat map holds each key once (JSON keeps one value per key): nothing can be read twice.
  const unique = dumps.length === 1 && dumps[0]?.format === 'etcd-flat';

  // One note sink for the record being parsed (parsing is synchronous): no closures or lists are
  // made per record, which at hundreds of thousands of records is garbage collection time saved.
  let current = '';
  let unknownFields: LostField[] | undefined;
  const note: NoteSink = (code, message, field) => {
    if (code === 'unknown-field' && field) (unknownFields ??= []).push({ path: field.path, value: field.value, code: 'unknown-field', reason: 'no Calico release this tool reads defines this field' });
    else issues.push({ severity: NOTE_SEVERITY[code] ?? 'warning', code, origin: current, message });
  };

  const attempt = <A>(origin: string, file: string, parse: (arg: A, note: NoteSink) => V1Item, arg: A): void => {
    const firstFile = unique ? undefined : seen.get(origin);
    if (firstFile !== undefined) {
      failures.push({
        origin,
        file,
        disposition: 'error',
        code: 'duplicate-record',
        message: `the same record was already read from ${firstFile}; this copy is not used`,
      });
      return;
    }
    if (!unique) seen.set(origin, file);
    // Unknown fields travel with the item: they are reported where the record is converted.
    current = origin;
    unknownFields = undefined;
    try {
      const parsed = parse(arg, note);
      const item = unread?.has(parsed.type) ? withoutValue(parsed) : parsed;
      items.push(unknownFields ? { ...item, unknownFields: (unknownFields as LostField[]).sort((a, b) => byString(a.path, b.path)) } : item);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      failures.push({ origin, file, disposition: 'error', code: e.code, message: e.message });
    }
  };
  const parsePart = (part: ObjectPart, n: NoteSink): V1Item => part.parse(n);

  for (const dump of dumps) {
    const records = dump.records;
    for (let i = 0; i < records.length; i++) {
      const rec = records[i]!;
      if (rec.type === 'etcd') {
        attempt(rec.origin, rec.file, parseEtcdRecord, rec);
      } else {
        for (const part of objectParts(rec)) attempt(part.origin, rec.file, parsePart, part);
      }
    }
  }
  return { snapshot: { version: 'v2.4', items }, failures, issues };
}
