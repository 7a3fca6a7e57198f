/** The short human summary `convert` prints on stderr. Pure: returns text. */
import type { Report } from '../model/report.js';

const MAX_LISTED = 20;

/** `written` says where the objects went, starting with how many (e.g. "21 objects written to stdout as a List"). */
export function renderSummary(report: Report, written: string): string {
  const s = report.summary;
  const files = report.source.files.map((f) => `${f.path} (${f.format})`).join(', ');
  const lines = [
    `calico-migrate convert → ${report.target} (${report.form} form): ${s.records} records from ${files}`,
    `  converted ${s.converted}${s.convertedWithLoss > 0 ? ` (and ${s.convertedWithLoss} with fields not carried)` : ''}, skipped ${s.skipped}, errors ${s.errors}; ${s.warnings} warnings, ${s.blockers} blockers`,
    `  ${written}`,
  ];
  const errors = report.records.filter((r) => r.disposition === 'error');
  const blockers = report.issues.filter((i) => i.severity === 'error');
  const warnings = report.issues.filter((i) => i.severity === 'warning');
  for (const r of errors.slice(0, MAX_LISTED)) lines.push(`error    ${r.origin}: ${r.message ?? r.code ?? ''}${r.hint ? `\n         hint: ${r.hint}` : ''}`);
  if (errors.length > MAX_LISTED) lines.push(`         … and ${errors.length - MAX_LISTED} more errors (see the report)`);
  for (const i of blockers) lines.push(`blocker  ${i.origin ? `${i.origin}: ` : ''}${i.message}${i.hint ? `\n         hint: ${i.hint}` : ''}`);
  for (const i of warnings.slice(0, MAX_LISTED)) lines.push(`warning  ${i.origin ? `${i.origin}: ` : ''}${i.message}`);
  if (warnings.length > MAX_LISTED) lines.push(`         … and ${warnings.length - MAX_LISTED} more warnings (see the report)`);
  if (errors.length > 0 || blockers.length > 0) {
    lines.push('Blocked: resolve the errors and blockers above, then run again. Everything else was written.');
  }
  return `${lines.join('\n')}\n`;
}
