/**
 * The cut-over to a Calico v3 etcd datastore, as calico-upgrade does it, for a v2.4 cluster:
 *
 * 1. `apply --cut-over` pauses the v2.x agents (the v1 ready flag set to false, compare-and-swap),
 *    re-reads what keeps changing until then (IPAM, workload endpoints), writes the v3 data with
 *    ClusterInformation `datastoreReady: false` (calico/node v3 waits on it), and gives the flag back
 *    on any failure;
 * 2. the operator rolls out calico/node v3;
 * 3. `complete` sets `datastoreReady: true`: calico/node v3 owns ClusterInformation, Nodes and IPAM
 *    from then on (a plan reports them as handed over; a rollback refuses without --force);
 *    or `abort` gives the v1 flag back and leaves the v3 data (rollback removes it).
 *
 * What the pause does not freeze on v2.4 (only Felix honours the flag): docs/etcdv3-destination.md.
 */
import type { KubeObject } from '../datastore/kube-client.js';
import { ReadyFlagMoved, type ReadyFlag } from '../datastore/ready-flag.js';
import type { TargetObject } from '../model/target.js';
import { isOwned } from '../plan/ownership.js';
import type { Finding, Plan } from '../plan/types.js';
import { IPAM_KINDS } from '../v3/ipam.js';
import type { JournalEntry, JournalRecord } from './journal.js';

/** Kinds whose data keeps changing on a v2.4 cluster until the pause (and even during it: see the findings). */
const VOLATILE_KINDS: ReadonlySet<string> = new Set([...IPAM_KINDS, 'WorkloadEndpoint']);
/** Kinds calico/node v3 owns once the cut-over is complete. */
export const HANDED_OVER_KINDS: ReadonlySet<string> = new Set([...IPAM_KINDS, 'ClusterInformation', 'Node']);

/** Source records of IPAM and workload endpoints: re-read after the pause rather than pinned by the plan. */
export function isVolatileOrigin(origin: string): boolean {
  return origin.startsWith('/calico/ipam/v2/') || /^\/calico\/v1\/host\/[^/]+\/workload\//.test(origin);
}

/** The ClusterInformation a cut-over writes: the v3 datastore not ready until `complete`. */
export function pendingClusterInformation(): TargetObject {
  return { apiVersion: 'projectcalico.org/v3', kind: 'ClusterInformation', metadata: { name: 'default' }, spec: { datastoreReady: false } };
}

/** The part of a plan its source fingerprint pins through a cut-over: everything but IPAM and workload endpoints. */
export function pinnedPart(plan: Plan): Plan {
  return {
    ...plan,
    source: { ...plan.source, records: Object.fromEntries(Object.entries(plan.source.records).filter(([o]) => !isVolatileOrigin(o))) },
    entries: plan.entries.filter((e) => !VOLATILE_KINDS.has(e.kind)),
  };
}

/** What changed in IPAM and workload endpoints between two plans, one line each. */
export function volatileChanges(before: Plan, after: Plan): string[] {
  const a = before.source.records;
  const b = after.source.records;
  const lines: string[] = [];
  for (const o of Object.keys(b).filter(isVolatileOrigin).sort()) {
    if (a[o] === undefined) lines.push(`added    ${o}`);
    else if (a[o] !== b[o]) lines.push(`changed  ${o}`);
  }
  for (const o of Object.keys(a).filter(isVolatileOrigin).sort()) if (b[o] === undefined) lines.push(`removed  ${o}`);
  return lines;
}

/**
 * Where the cut-over stands, from the destination's ClusterInformation: none written; `pending`
 * (written by this tool, datastoreReady false: calico/node v3 waits); `complete` (this tool's, set
 * ready: calico/node v3 owns the datastore); `foreign` (someone else's).
 */
export type CutOverState = 'none' | 'pending' | 'complete' | 'foreign';

export function cutOverState(info: KubeObject | undefined): CutOverState {
  if (!info) return 'none';
  if (!isOwned(info)) return 'foreign';
  return (info['spec'] as { datastoreReady?: unknown } | undefined)?.datastoreReady === true ? 'complete' : 'pending';
}

/** A key calico/node v3 owns once the cut-over is complete: IPAM, Nodes, ClusterInformation. */
export function isHandedOverKey(key: string): boolean {
  return key.startsWith('/calico/ipam/v2/') || /^\/calico\/resources\/v3\/projectcalico\.org\/(nodes|clusterinformations)\//.test(key);
}

/** The pause a journal holds and has not given back, if any. */
export function pauseOf(records: readonly JournalRecord[]): { readonly flag: string; readonly before: string | null } | undefined {
  let open: { flag: string; before: string | null } | undefined;
  for (const r of records) {
    if (r.t === 'pause') open = { flag: r.flag, before: r.before };
    if (r.t === 'resume') open = undefined;
  }
  return open;
}

/** Whether a journal's cut-over was completed. */
export function completedIn(records: readonly JournalRecord[]): boolean {
  return records.some((r) => r.t === 'cut-over-complete');
}

/**
 * Gives the v1 flag back to what it was before the pause, only while it is still `false` (the
 * pause's value): one someone else changed since is left alone and reported. The journal entry to
 * append says which.
 */
export async function restoreFlag(flag: ReadyFlag, before: string | null, reason: string): Promise<Extract<JournalEntry, { t: 'resume' }>> {
  const target = before ?? undefined;
  const now = await flag.read();
  if (now === target) return { t: 'resume', flag: flag.address, outcome: 'already-restored', reason };
  try {
    await flag.swap('false', target);
    return { t: 'resume', flag: flag.address, outcome: 'restored', reason };
  } catch (e) {
    if (!(e instanceof ReadyFlagMoved)) throw e;
    return { t: 'resume', flag: flag.address, outcome: 'moved', now: e.now ?? null, reason };
  }
}

/** One line for a resume entry. */
export function describeResume(r: Extract<JournalEntry, { t: 'resume' }>, before: string | null): string {
  const was = before === null ? 'absent' : JSON.stringify(before);
  if (r.outcome === 'restored') return `${r.flag} restored to ${was}: the v2.x agents resume`;
  if (r.outcome === 'already-restored') return `${r.flag} is already ${was}`;
  return `${r.flag} is ${r.now === null || r.now === undefined ? 'absent' : JSON.stringify(r.now)}, not false: someone else changed it after the pause, so it was left as it is (it was ${was} before the pause)`;
}

/** What the pause does and does not freeze on a v2.4 cluster: said on every cut-over plan. */
export function pauseFindings(): Finding[] {
  return [{
    severity: 'warning',
    code: 'pause-partial-on-v2.4',
    message: 'on Calico v2.4 the pause (/calico/v1/Ready=false) stops only Felix, which keeps the dataplane as it is: the CNI plugin and Calico IPAM still give new pods addresses and endpoints (without policy), a restarted calico/node still writes its node data, and the policy controller still writes profiles and policies. IPAM and workload endpoints are re-read after the pause and written as they are then; a change to configuration, pools, peers or policy during the pause stops the apply and gives the flag back',
    hint: 'keep the window short and quiet: stop pod churn (cordon the nodes, pause deployments and jobs) and scale the policy controller to zero before apply --cut-over; Felix 2.4 also fails its liveness probe while paused, so calico-node pods restart until calico/node v3 is rolled out',
  }];
}
