/** `calico-migrate detect`: connect and describe what is there, with the blockers already visible. */
import { convertDumps } from '../../convert.js';
import { EXIT } from '../../errors.js';
import type { TargetVersion } from '../../model/target.js';
import { serialize } from '../../output/serialize.js';
import { parseDumps } from '../../parse/index.js';
import type { CliIo } from '../io.js';
import { readSource } from '../source.js';

export interface DetectResult {
  readonly source: { readonly datastoreType: string; readonly location: string };
  readonly calicoVersion?: string;
  readonly clusterType?: string;
  readonly cluster?: unknown;
  readonly fingerprint: Readonly<Record<string, string>>;
  readonly records: number;
  readonly recordsByType: Readonly<Record<string, number>>;
  readonly unreadable: number;
  readonly target: string;
  readonly blockers: readonly { readonly code: string; readonly origin?: string; readonly message: string }[];
  /** Warnings about the source itself (e.g. v2.5 CRDs already holding data). */
  readonly sourceWarnings: readonly string[];
  readonly errorRecords: number;
}

export async function runDetect(opts: { readonly to: TargetVersion; readonly output: 'text' | 'json'; readonly source: Readonly<Record<string, unknown>> }, io: CliIo): Promise<number> {
  const { resolved, live } = await readSource(opts.source, io);
  const parsed = parseDumps([live.dump]);
  const byType: Record<string, number> = {};
  for (const item of parsed.snapshot.items) byType[item.type] = (byType[item.type] ?? 0) + 1;
  const felix = (name: string) => parsed.snapshot.items.find((i) => i.type === 'felix-global-config' && i.name.toLowerCase() === name);
  const version = felix('calicoversion');
  const clusterType = felix('clustertype');
  const converted = convertDumps([live.dump], opts.to, 'crd', live);
  const result: DetectResult = {
    source: { datastoreType: resolved.settings.datastoreType, location: live.dump.path.replace(/^\S+ /, '') },
    ...(version && version.type === 'felix-global-config' ? { calicoVersion: version.value } : {}),
    ...(clusterType && clusterType.type === 'felix-global-config' ? { clusterType: clusterType.value } : {}),
    ...(live.cluster ? { cluster: live.cluster } : {}),
    fingerprint: live.fingerprint,
    records: converted.report.summary.records,
    recordsByType: byType,
    unreadable: parsed.failures.length,
    target: opts.to,
    blockers: converted.report.issues.filter((i) => i.severity === 'error').map((i) => ({ code: i.code, ...(i.origin ? { origin: i.origin } : {}), message: i.message })),
    errorRecords: converted.report.summary.errors,
    sourceWarnings: (live.issues ?? []).filter((i) => i.severity !== 'info').map((i) => i.message),
  };
  io.stdout.write(opts.output === 'json' ? serialize(result, 'json') : renderDetect(result));
  return result.blockers.length > 0 || result.errorRecords > 0 ? EXIT.blocked : EXIT.ok;
}

function renderDetect(r: DetectResult): string {
  const lines = [
    `source:        ${r.source.datastoreType} ${r.source.location}`,
    `calico:        ${r.calicoVersion ?? '(no CalicoVersion key)'}${r.clusterType ? `, cluster type ${r.clusterType}` : ''}`,
  ];
  if (r.cluster && typeof r.cluster === 'object') {
    const c = r.cluster as { gitVersion?: string; tprKinds?: string[]; missingTprKinds?: string[]; v25Crds?: Record<string, number> };
    lines.push(`kubernetes:    ${c.gitVersion ?? '?'}; TPR kinds: ${(c.tprKinds ?? []).join(', ') || 'none'}${(c.missingTprKinds ?? []).length > 0 ? `; absent: ${(c.missingTprKinds ?? []).join(', ')}` : ''}`);
    const crds = Object.entries(c.v25Crds ?? {});
    if (crds.length > 0) lines.push(`v2.5 CRDs:     ${crds.map(([k, n]) => `${k}${n > 0 ? ' (holds data)' : ' (empty)'}`).join(', ')}`);
  }
  lines.push(`records:       ${r.records}${r.unreadable > 0 ? ` (${r.unreadable} unreadable)` : ''}`);
  for (const [type, n] of Object.entries(r.recordsByType).sort(([a], [b]) => (a < b ? -1 : 1))) lines.push(`  ${type.padEnd(26)} ${n}`);
  lines.push(`fingerprint:   ${Object.entries(r.fingerprint).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  for (const w of r.sourceWarnings) lines.push(`warning:       ${w}`);
  lines.push(`for --to ${r.target}: ${r.errorRecords} error records, ${r.blockers.length} blockers`);
  for (const b of r.blockers) lines.push(`  blocker ${b.origin ? `${b.origin}: ` : ''}${b.message}`);
  return `${lines.join('\n')}\n`;
}
