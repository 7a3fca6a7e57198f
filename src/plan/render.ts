/** Plans, findings and results as text for the terminal. Pure. */
import { isNodePatch, type Finding, type Plan, type PlanEntry } from './types.js';

const ACTION_WORD: Readonly<Record<PlanEntry['action'], string>> = { create: 'create', update: 'update', unchanged: 'unchanged', conflict: 'conflict', missing: 'missing' };

/** One line per entry that is not unchanged (and a count of the unchanged ones). */
export function renderEntries(entries: readonly PlanEntry[], overwrite: boolean): string[] {
  const lines: string[] = [];
  for (const e of entries) {
    if (e.action === 'unchanged') continue;
    const word = e.action === 'conflict' && overwrite ? 'overwrite' : isNodePatch(e) && e.action === 'update' ? 'patch' : ACTION_WORD[e.action];
    const detail = isNodePatch(e) && e.action !== 'missing' ? ` (${Object.keys(e.desired.metadata.annotations ?? {}).length} annotations)` : '';
    lines.push(`  ${word.padEnd(10)} ${e.key}${detail}${e.reason && (e.action === 'conflict' || e.action === 'missing') ? `\n             ${e.reason}` : ''}`);
  }
  const unchanged = entries.filter((e) => e.action === 'unchanged').length;
  if (unchanged > 0) lines.push(`  ${unchanged} object(s) unchanged`);
  return lines;
}

export function renderFindings(findings: readonly Finding[]): string[] {
  const order = { error: 0, warning: 1, info: 2 } as const;
  return [...findings]
    .sort((a, b) => order[a.severity] - order[b.severity])
    .map((f) => `  ${f.severity.padEnd(8)} ${f.code}: ${f.message}${f.hint ? `\n           hint: ${f.hint}` : ''}`);
}

/** The plan's header: what, where, from which source, and the counts. */
export function renderPlanHeader(plan: Plan): string[] {
  const s = plan.summary;
  const source = plan.source.type === 'live' ? `live ${plan.source.files.map((f) => f.path).join(', ')}` : plan.source.files.map((f) => f.path).join(', ');
  return [
    `plan ${plan.hash.slice(0, 12)}: --to ${plan.target} (${plan.form} form) on ${plan.cluster.server} (${plan.cluster.gitVersion.startsWith('etcd') ? plan.cluster.gitVersion : `Kubernetes ${plan.cluster.gitVersion}`})`,
    `  source: ${source}; ${Object.keys(plan.source.records).length} records the writes depend on`,
    `  create ${s.create}, update ${s.update}, unchanged ${s.unchanged}, conflict ${s.conflict}, missing Nodes ${s.missing}`,
  ];
}
