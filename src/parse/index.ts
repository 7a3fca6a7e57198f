/**
 * Parse stage: decoded dumps → the typed v2.4 snapshot. Pure. Every raw record either becomes one
 * item or one error outcome naming its origin; one bad record never stops the others.
 */
import type { DecodedDump } from '../input/dump.js';
import type { Issue, LostField, RecordOutcome, Severity } from '../model/report.js';
import type { V1Item, V1Snapshot } from '../model/v1.js';
import { parseEtcdRecord } from './etcd.js';
import { objectParts } from './kubernetes.js';
import { ValueError, type NoteSink } from './values.js';
import { byString } from '../util.js';

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

export function parseDumps(dumps: readonly DecodedDump[]): ParseResult {
  const items: V1Item[] = [];
  const failures: RecordOutcome[] = [...dumps.flatMap((d) => d.failures)];
  const issues: Issue[] = [];
  const seen = new Map<string, string>();

  const attempt = (origin: string, file: string, parse: (note: NoteSink) => V1Item): void => {
    const firstFile = seen.get(origin);
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
    seen.set(origin, file);
    // Unknown fields travel with the item: they are reported where the record is converted.
    const unknownFields: LostField[] = [];
    const note: NoteSink = (code, message, field) => {
      if (code === 'unknown-field' && field) unknownFields.push({ path: field.path, value: field.value, code: 'unknown-field', reason: 'no Calico release this tool reads defines this field' });
      else issues.push({ severity: NOTE_SEVERITY[code] ?? 'warning', code, origin, message });
    };
    try {
      const item = parse(note);
      items.push(unknownFields.length > 0 ? { ...item, unknownFields: unknownFields.sort((a, b) => byString(a.path, b.path)) } : item);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      failures.push({ origin, file, disposition: 'error', code: e.code, message: e.message });
    }
  };

  for (const dump of dumps) {
    for (const rec of dump.records) {
      if (rec.type === 'etcd') {
        attempt(rec.origin, rec.file, (note) => parseEtcdRecord(rec, note));
      } else {
        for (const part of objectParts(rec)) attempt(part.origin, rec.file, part.parse);
      }
    }
  }
  return { snapshot: { version: 'v2.4', items }, failures, issues };
}
