/**
 * The write stage: every planned write, in dependency order (the plan's order: configuration,
 * pools, peers, policies, then Node patches), a bounded number at a time within one kind. Each write
 * is conditional on the resourceVersion the plan read and journaled before and after it is sent.
 * A 409 makes the object be read again and planned again: if it now holds what the plan writes
 * (a retried write that had gone through), it is done; if this tool wrote it, the write is repeated
 * against the new resourceVersion; if somebody else changed it, it is a conflict — never blindly
 * overwritten. Throttling and transient errors are retried inside the client (Retry-After honoured).
 */
import { isConflict, isNotFound, KubeApiError, type KubeObject } from '../datastore/kube-api.js';
import type { KubeClient } from '../datastore/kube-client.js';
import { NODES } from '../datastore/calico-resources.js';
import { replan } from '../plan/build.js';
import type { LiveTarget } from '../plan/live.js';
import { NODE_KEYS_ANNOTATION, nodeKeysWritten, PLAN_ANNOTATION, writtenByPlan } from '../plan/ownership.js';
import { isNodePatch, type PlanEntry } from '../plan/types.js';
import { CalicoMigrateError } from '../errors.js';
import { mapLimit } from '../util.js';
import type { Journal, JournalEntry, NodeBefore } from './journal.js';

export type WriteOutcome = 'created' | 'updated' | 'overwritten' | 'patched' | 'unchanged' | 'validated' | 'not-validated' | 'failed';

export interface WriteResult {
  readonly key: string;
  readonly action: PlanEntry['action'];
  readonly outcome: WriteOutcome;
  readonly resourceVersion?: string;
  readonly error?: string;
}

/**
 * How one destination sends a planned write and reads one object again; the loop around them (the
 * journal, re-planning after a lost race, the order and concurrency) is the same for every one.
 */
export interface Wire {
  /** Sends the write, conditional on the version the entry was planned against. */
  send(entry: PlanEntry, live: KubeObject | undefined, planHash: string, dryRun: boolean): Promise<{ outcome: WriteOutcome; resourceVersion: string }>;
  /**
   * Sends several writes as one atomic request, each conditional as `send`'s is (never in a dry
   * run): every one's result, in order, when all went through; undefined when a condition failed and
   * nothing was written. The loop then sends them one by one, which finds the one that lost its race.
   */
  sendAll?(items: readonly { readonly entry: PlanEntry; readonly live: KubeObject | undefined }[], planHash: string): Promise<{ outcome: WriteOutcome; resourceVersion: string }[] | undefined>;
  /** The most writes `sendAll` takes at once, and the most bytes of values it should be given. */
  readonly sendAllLimits?: { readonly writes: number; readonly bytes: number };
  /** The object as it is now (after a lost race). */
  readOne(entry: PlanEntry): Promise<KubeObject | undefined>;
  /** The write lost a race: the object changed since it was planned (409, a failed compare). */
  isConflict(e: unknown): boolean;
  /** A dry-run write the destination could not check yet (its schema is not installed): why, if so. */
  uncheckable?(e: unknown, entry: PlanEntry): string | undefined;
  /** One line for an error. */
  describe(e: unknown): string;
}

export interface WriteOptions extends LoopOptions {
  readonly client: KubeClient;
}

export interface LoopOptions {
  readonly planHash: string;
  /** The plan's entries, planned against `live` just before. */
  readonly entries: readonly PlanEntry[];
  readonly live: LiveTarget;
  readonly overwrite: boolean;
  /** Send every write with dryRun=All; nothing is persisted and nothing is journaled. */
  readonly dryRun: boolean;
  readonly concurrency: number;
  readonly journal?: Journal;
  /** Checked before each write: a reason to stop (e.g. the lock was lost) fails the remaining writes. */
  readonly shouldStop?: () => string | undefined;
  readonly onResult?: (result: WriteResult, done: number, total: number) => void;
}

const MAX_ATTEMPTS = 4;

function describe(e: unknown): string {
  if (e instanceof KubeApiError) return `${e.status}${e.reason ? ` ${e.reason}` : ''}: ${e.apiMessage ?? e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Without server bookkeeping, so a before-image can be written back. */
function beforeImage(o: KubeObject): KubeObject {
  const { managedFields: _m, ...metadata } = o.metadata;
  void _m;
  return { ...o, metadata };
}

function nodeBefore(entry: PlanEntry, live: KubeObject | undefined): NodeBefore {
  return { annotations: entry.liveAnnotations ?? {}, nodeKeys: live?.metadata.annotations?.[NODE_KEYS_ANNOTATION] ?? null };
}

/** The object as written: the desired object with the plan hash, conditional on `resourceVersion` when it exists. */
function body(entry: PlanEntry, planHash: string, resourceVersion: string): KubeObject {
  const d = entry.desired;
  return { ...d, metadata: { ...d.metadata, annotations: { ...(d.metadata.annotations ?? {}), [PLAN_ANNOTATION]: planHash }, ...(resourceVersion ? { resourceVersion } : {}) } };
}

/** The merge patch for a Node: the annotations, this tool's key list, and the resourceVersion precondition. */
function nodePatch(entry: PlanEntry, live: KubeObject | undefined): Record<string, unknown> {
  const keys = Object.keys(entry.desired.metadata.annotations ?? {});
  const ours = [...new Set([...(live ? nodeKeysWritten(live) : []), ...keys])].sort();
  return { metadata: { resourceVersion: entry.resourceVersion, annotations: { ...entry.desired.metadata.annotations, [NODE_KEYS_ANNOTATION]: JSON.stringify(ours) } } };
}

async function readOne(client: KubeClient, entry: PlanEntry): Promise<KubeObject | undefined> {
  if (isNodePatch(entry)) return client.get(NODES, entry.name);
  if (!entry.resource) throw new Error(`${entry.key} has no resource`);
  return client.get(entry.resource, entry.name, entry.namespace);
}

async function send(client: KubeClient, entry: PlanEntry, live: KubeObject | undefined, planHash: string, dryRun: boolean): Promise<{ outcome: WriteOutcome; resourceVersion: string }> {
  const o = { client, planHash };
  if (isNodePatch(entry)) {
    const out = await o.client.mergePatch(NODES, entry.name, nodePatch(entry, live), { dryRun });
    return { outcome: dryRun ? 'validated' : 'patched', resourceVersion: out.metadata.resourceVersion ?? '' };
  }
  if (!entry.resource) throw new Error(`${entry.key} has no resource`);
  if (entry.action === 'create') {
    const out = await o.client.create(entry.resource, body(entry, o.planHash, ''), { dryRun });
    return { outcome: dryRun ? 'validated' : 'created', resourceVersion: out.metadata.resourceVersion ?? '' };
  }
  const out = await o.client.replace(entry.resource, body(entry, o.planHash, entry.resourceVersion), { dryRun });
  return { outcome: dryRun ? 'validated' : entry.action === 'conflict' ? 'overwritten' : 'updated', resourceVersion: out.metadata.resourceVersion ?? '' };
}

/** The Kubernetes API's wire: resourceVersion preconditions, merge patches of Nodes, 409 for a lost race. */
export function kubernetesWire(client: KubeClient, live: LiveTarget): Wire {
  return {
    send: (entry, current, planHash, dryRun) => send(client, entry, current, planHash, dryRun),
    readOne: (entry) => readOne(client, entry),
    isConflict,
    uncheckable: (e, entry) => (isNotFound(e) && live.unserved.has(`${entry.resource?.plural}.${entry.resource?.group}`) ? 'its CRD is not installed yet, so the server cannot validate it before the real apply installs the CRD' : undefined),
    describe,
  };
}

/**
 * Entries per journal batch: the intents of a batch are stored with one durable append before any of
 * its writes is sent, and their outcomes with one after the last of them; a crash in between leaves
 * intents without outcomes, which a resumed apply reads back and reconciles (it never writes twice).
 */
export const JOURNAL_BATCH = 500;

/** What one entry needs before it is sent: nothing (it is settled, with a record to journal, if any), or its intent. */
type Prepared = { readonly settled: WriteResult; readonly record?: JournalEntry } | ToSend;

/** An entry to send, with its intent (stored before it is sent). */
interface ToSend {
  readonly intent: JournalEntry;
  readonly entry: PlanEntry;
  readonly live: KubeObject | undefined;
}

/** Decides an entry before a write: settled without one (unchanged, missing, refused), or the intent to write it. */
function prepare(o: LoopOptions, planned: PlanEntry, entry: PlanEntry, live: KubeObject | undefined): Prepared {
  const failed = (error: string): Prepared => ({ settled: { key: entry.key, action: planned.action, outcome: 'failed', error }, record: { t: 'failed', key: entry.key, action: entry.action, error } });
  if (entry.action === 'unchanged') {
    // Found as planned after a 409: if it carries this plan's hash, an earlier attempt of this very
    // write went through (a retried request), and it is recorded as written, so rollback undoes it.
    const own = entry !== planned && live !== undefined && !isNodePatch(entry) && writtenByPlan(live) === o.planHash;
    const outcome: WriteOutcome = own ? (planned.action === 'create' ? 'created' : planned.action === 'conflict' ? 'overwritten' : 'updated') : 'unchanged';
    const settled: WriteResult = { key: entry.key, action: planned.action, outcome, resourceVersion: entry.resourceVersion };
    return entry !== planned ? { settled, record: { t: 'done', key: entry.key, action: planned.action, outcome, resourceVersion: entry.resourceVersion } } : { settled };
  }
  if (entry.action === 'missing') return failed(entry.reason ?? `Node ${entry.name} does not exist`);
  if (entry.action === 'conflict' && !o.overwrite) return failed(entry.reason ?? `${entry.key} is held by someone else`);
  // --overwrite covers only the live object the plan showed and the backup holds; one that someone
  // else created or changed while this apply ran (a 409, then re-planned as a conflict) is neither.
  if (entry.action === 'conflict' && entry !== planned) return failed(`${entry.key} was ${planned.action === 'create' ? 'created' : 'changed'} by someone else while this apply ran; it was not overwritten (its content is in no backup): plan again`);
  const before = isNodePatch(entry) ? nodeBefore(entry, live) : live ? beforeImage(live) : null;
  const after = isNodePatch(entry) ? { after: { ...(entry.desired.metadata.annotations ?? {}) } } : {};
  return { intent: { t: 'intent', key: entry.key, action: entry.action, ...(entry.resource ? { resource: entry.resource } : {}), before, ...after }, entry, live };
}

/** One send of a prepared entry whose intent is stored: its result and the record of its outcome, or the error. */
async function sendOnce(wire: Wire, o: LoopOptions, planned: PlanEntry, p: { entry: PlanEntry; live: KubeObject | undefined }): Promise<{ result: WriteResult; record: JournalEntry }> {
  const { outcome, resourceVersion } = await wire.send(p.entry, p.live, o.planHash, o.dryRun);
  return { result: { key: p.entry.key, action: planned.action, outcome, resourceVersion }, record: { t: 'done', key: p.entry.key, action: p.entry.action, outcome, resourceVersion } };
}

/**
 * After a lost race (409, a failed compare): read again, plan again, and write on its own (intent,
 * send, outcome, each journaled as it happens), at most MAX_ATTEMPTS sends in all; never overwrites blindly.
 */
async function retry(wire: Wire, o: LoopOptions, planned: PlanEntry, lost: PlanEntry, abort: { reason?: string }): Promise<WriteResult> {
  let live = await wire.readOne(lost);
  let entry = replan(lost, live);
  for (let attempt = 2; ; attempt++) {
    const stop = abort.reason ?? o.shouldStop?.();
    if (stop) return { key: entry.key, action: planned.action, outcome: 'failed', error: `not written: ${stop}` };
    const p = prepare(o, planned, entry, live);
    if ('settled' in p) {
      if (p.record) await o.journal?.append(p.record);
      return p.settled;
    }
    await o.journal?.append(p.intent);
    try {
      const { result, record } = await sendOnce(wire, o, planned, p);
      await o.journal?.append(record);
      return result;
    } catch (e) {
      if (!wire.isConflict(e) || attempt >= MAX_ATTEMPTS) {
        const error = wire.describe(e);
        await o.journal?.append({ t: 'failed', key: entry.key, action: entry.action, error });
        return { key: entry.key, action: planned.action, outcome: 'failed', error };
      }
      live = await wire.readOne(entry);
      entry = replan(entry, live);
    }
  }
}

/**
 * Writes one batch of entries of one kind; never throws. The intents are stored in one append before
 * the first write, the outcomes in one after the last. Any failure becomes a `failed` result; a
 * journal that cannot be written any more stops every remaining write (nothing may be written that
 * is not journaled).
 */
async function writeBatch(wire: Wire, o: LoopOptions, batch: readonly PlanEntry[], abort: { reason?: string }, report: (r: WriteResult) => void): Promise<WriteResult[]> {
  const journalFailed = (e: unknown): void => {
    if (e instanceof CalicoMigrateError && e.code === 'E_OUTPUT_WRITE') abort.reason ??= e.message;
    else abort.reason ??= `the journal could not be written (${e instanceof Error ? e.message : String(e)})`;
  };
  const prepared = batch.map((planned) => prepare(o, planned, planned, isNodePatch(planned) ? o.live.nodes.get(planned.name) : o.live.objects.get(planned.key)));
  const outcomes: JournalEntry[] = [];
  if (!o.dryRun) {
    try {
      await o.journal?.appendAll(prepared.flatMap((p) => ('intent' in p ? [p.intent] : [])));
    } catch (e) {
      journalFailed(e);
    }
  }
  /** One write on its own: sent, and after a lost race read, planned and sent again. */
  const one = async (planned: PlanEntry, p: ToSend): Promise<WriteResult> => {
    const stop = abort.reason ?? o.shouldStop?.();
    if (stop) return { key: planned.key, action: planned.action, outcome: 'failed', error: `not written: ${stop}` };
    try {
      const sent = await sendOnce(wire, o, planned, p);
      outcomes.push(sent.record);
      return sent.result;
    } catch (e) {
      const why = o.dryRun ? wire.uncheckable?.(e, p.entry) : undefined;
      if (why) return { key: planned.key, action: planned.action, outcome: 'not-validated', error: why };
      if (wire.isConflict(e) && !o.dryRun) {
        try {
          return await retry(wire, o, planned, p.entry, abort);
        } catch (again) {
          if (again instanceof CalicoMigrateError && again.code === 'E_OUTPUT_WRITE') abort.reason ??= again.message;
          return { key: planned.key, action: planned.action, outcome: 'failed', error: wire.describe(again) };
        }
      }
      const error = wire.describe(e);
      outcomes.push({ t: 'failed', key: p.entry.key, action: p.entry.action, error });
      return { key: planned.key, action: planned.action, outcome: 'failed', error };
    }
  };
  const results: (WriteResult | undefined)[] = new Array<WriteResult | undefined>(batch.length);
  const sendable: { readonly i: number; readonly p: ToSend }[] = [];
  prepared.forEach((p, i) => {
    if ('settled' in p) {
      if (p.record) outcomes.push(p.record);
      results[i] = p.settled;
      report(p.settled);
    } else sendable.push({ i, p });
  });
  // Writes go in groups when the destination takes several in one atomic request (an etcd
  // transaction): one request, and one commit, for many objects. Otherwise each goes on its own.
  const groups = wire.sendAll && !o.dryRun ? groupsOf(sendable, (s) => sizeOf(s.p.entry), wire.sendAllLimits ?? { writes: 1, bytes: Infinity }) : sendable.map((s) => [s]);
  await mapLimit(groups, o.concurrency, async (group) => {
    const items = group.map((s) => s.p);
    let sent: { outcome: WriteOutcome; resourceVersion: string }[] | undefined;
    if (group.length > 1 && wire.sendAll && !(abort.reason ?? o.shouldStop?.())) {
      try {
        sent = await wire.sendAll(items, o.planHash);
      } catch {
        // Not known to be written or not (a lost connection): each is sent on its own, and a write
        // that did go through is found as this plan left it, and recorded as written.
        sent = undefined;
      }
    }
    for (let k = 0; k < group.length; k++) {
      const { i, p } = group[k]!;
      const planned = batch[i]!;
      let r: WriteResult;
      const s = sent?.[k];
      if (s) {
        outcomes.push({ t: 'done', key: p.entry.key, action: p.entry.action, outcome: s.outcome, resourceVersion: s.resourceVersion });
        r = { key: p.entry.key, action: planned.action, outcome: s.outcome, resourceVersion: s.resourceVersion };
      } else r = await one(planned, p);
      results[i] = r;
      report(r);
    }
  });
  if (!o.dryRun) {
    try {
      await o.journal?.appendAll(outcomes);
    } catch (e) {
      journalFailed(e);
    }
  }
  return results.filter((r): r is WriteResult => r !== undefined);
}

/** The bytes an entry's object takes as JSON: what a grouped write must stay within. */
function sizeOf(entry: PlanEntry): number {
  return JSON.stringify(entry.desired).length;
}

/** Consecutive items in groups of at most `limits.writes` writes and (beyond a group's first) `limits.bytes` bytes. */
function groupsOf<T>(items: readonly T[], size: (item: T) => number, limits: { readonly writes: number; readonly bytes: number }): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const i of items) {
    const b = size(i);
    if (current.length > 0 && (current.length >= limits.writes || bytes + b > limits.bytes)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += b;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Every entry that writes, on a Kubernetes API (the library's entry point since before destinations). */
export function writeEntries(o: WriteOptions): Promise<WriteResult[]> {
  return writePlanned(kubernetesWire(o.client, o.live), o);
}

/** Every entry that writes, kind by kind in plan order; entries that write nothing are reported as they are. */
export async function writePlanned(wire: Wire, o: LoopOptions): Promise<WriteResult[]> {
  const groups: PlanEntry[][] = [];
  for (const e of o.entries) {
    const last = groups[groups.length - 1];
    if (last && last[0]?.kind === e.kind) last.push(e);
    else groups.push([e]);
  }
  const total = o.entries.length;
  let done = 0;
  const abort: { reason?: string } = {};
  const results: WriteResult[] = [];
  const report = (r: WriteResult): void => o.onResult?.(r, ++done, total);
  for (const group of groups) {
    for (let i = 0; i < group.length; i += JOURNAL_BATCH) {
      for (const r of await writeBatch(wire, o, group.slice(i, i + JOURNAL_BATCH), abort, report)) results.push(r);
    }
  }
  return results;
}
