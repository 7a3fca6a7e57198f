/**
 * The source side of a plan's fingerprint: a digest of every source record the planned writes and
 * blockers depend on (records converted, or in error). Records that are only skipped (runtime state
 * such as Felix status reports, derived data) cannot change what is written, so they may change
 * between plan and apply; etcd's index and revision move with every such write and are kept only
 * for information. Pure.
 */
import { hash } from 'node:crypto';
import type { DecodedDump, RawRecord } from '../input/dump.js';
import { isRecord } from '../input/dump.js';
import type { Report } from '../model/report.js';
import { sortKeys } from '../output/serialize.js';
import { isCalicoAnnotation } from '../parse/kubernetes.js';

const digest = (text: string) => hash('sha256', text, 'hex').slice(0, 20);

/** Every record's origin with the digest of its stored value (as the parser splits objects into records). */
function* recordValues(rec: RawRecord): Generator<[string, string]> {
  if (rec.type === 'etcd') {
    yield [rec.origin, rec.value];
    return;
  }
  const o = rec.object;
  const meta = isRecord(o['metadata']) ? o['metadata'] : {};
  if (rec.apiVersion === 'v1' && rec.kind === 'Node') {
    const annotations = isRecord(meta['annotations']) ? meta['annotations'] : {};
    for (const key of Object.keys(annotations).filter(isCalicoAnnotation)) yield [`${rec.origin} annotation ${key}`, JSON.stringify(annotations[key])];
    const spec = isRecord(o['spec']) ? o['spec'] : {};
    if (spec['podCIDR'] !== undefined) yield [`${rec.origin} spec.podCIDR`, JSON.stringify(spec['podCIDR'])];
    return;
  }
  // The object as Calico read it: identity, labels, annotations and spec (not server bookkeeping).
  const meaningful = { apiVersion: o['apiVersion'], kind: o['kind'], metadata: { name: meta['name'], namespace: meta['namespace'], labels: meta['labels'], annotations: meta['annotations'] }, spec: o['spec'] };
  yield [rec.origin, JSON.stringify(sortKeys(meaningful))];
}

/** Digests of the records that are converted or in error, by origin. */
export function recordDigests(dumps: readonly DecodedDump[], report: Report): Record<string, string> {
  const relevant = new Set(report.records.filter((r) => r.disposition !== 'skipped').map((r) => r.origin));
  const out: Record<string, string> = {};
  for (const dump of dumps) {
    for (const rec of dump.records) {
      for (const [origin, value] of recordValues(rec)) if (relevant.has(origin) && out[origin] === undefined) out[origin] = digest(value);
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** What moved between two sets of record digests: added, removed and changed origins. */
export function recordChanges(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): { added: string[]; removed: string[]; changed: string[] } {
  const added = Object.keys(after).filter((k) => before[k] === undefined);
  const removed = Object.keys(before).filter((k) => after[k] === undefined);
  const changed = Object.keys(after).filter((k) => before[k] !== undefined && before[k] !== after[k]);
  return { added, removed, changed };
}
