/** Assembles the report from the parse and migrate stages, and checks the accounting. Pure. */
import type { DecodedDump } from '../input/dump.js';
import type { MigrationResult } from '../migrate/run.js';
import type { Issue, RecordOutcome, Report, Severity } from '../model/report.js';
import type { OutputForm, TargetVersion } from '../model/target.js';
import type { ParseResult } from '../parse/index.js';
import { byString } from '../util.js';

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };

function compareIssues(a: Issue, b: Issue): number {
  return SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || byString(a.origin ?? '', b.origin ?? '') || byString(a.code, b.code) || byString(a.message, b.message);
}

/** How many of the accounted records came from a dump (etcd keys, TPR objects, Node annotations and fields). */
export function countRecords(dump: DecodedDump, outcomes: readonly RecordOutcome[]): number {
  let n = 0;
  for (let i = 0; i < outcomes.length; i++) if (outcomes[i]!.file === dump.path) n++;
  return n;
}

export function buildReport(
  dumps: readonly DecodedDump[],
  parsed: ParseResult,
  migrated: MigrationResult,
  target: { version: TargetVersion; form: OutputForm },
  objectCount: number,
  fingerprint?: Readonly<Record<string, string>>,
): Report {
  const records = [...parsed.failures, ...migrated.outcomes].sort((a, b) => byString(a.origin, b.origin) || byString(a.file, b.file));
  const issues = [...parsed.issues, ...migrated.issues].sort(compareIssues);
  // Counted in one pass, with no list made per disposition (a large keyspace has hundreds of thousands of records).
  const counts: Record<RecordOutcome['disposition'], number> = { converted: 0, 'converted-with-loss': 0, skipped: 0, error: 0 };
  for (let i = 0; i < records.length; i++) counts[records[i]!.disposition]++;
  const count = (d: RecordOutcome['disposition']): number => counts[d];
  return {
    tool: { name: 'calico-migrate', reportVersion: 2 },
    source: {
      type: fingerprint ? 'live' : 'files',
      files: dumps.map((d) => ({ path: d.path, format: d.format, sha256: d.sha256, records: countRecords(d, records) })),
      ...(fingerprint ? { fingerprint } : {}),
    },
    target: target.version,
    form: target.form,
    steps: migrated.steps,
    summary: {
      records: records.length,
      converted: count('converted'),
      convertedWithLoss: count('converted-with-loss'),
      skipped: count('skipped'),
      errors: count('error'),
      warnings: issues.filter((i) => i.severity === 'warning').length,
      blockers: issues.filter((i) => i.severity === 'error').length,
      objects: objectCount,
    },
    records,
    renames: [...migrated.renames].sort((a, b) => byString(a.kind, b.kind) || byString(a.from, b.from)),
    issues,
  };
}

/** True when the result must not be applied as it is: error records or blocker issues. */
export function isBlocked(report: Report): boolean {
  return report.summary.errors > 0 || report.summary.blockers > 0;
}
