/**
 * The write stage: every planned write, in dependency order (the plan's order: configuration,
 * pools, peers, policies, then Node patches), a bounded number at a time within one kind. Each write
 * is conditional on the resourceVersion the plan read and journaled before and after it is sent.
 * A 409 makes the object be read again and planned again: if it now holds what the plan writes
 * (a retried write that had gone through), it is done; if this tool wrote it, the write is repeated
 * against the new resourceVersion; if somebody else changed it, it is a conflict — never blindly
 * overwritten. Throttling and transient errors are retried inside the client (Retry-After honoured).
 */
import { isConflict, isNotFound, KubeApiError, type KubeClient, type KubeObject } from '../datastore/kube-client.js';
import { NODES } from '../datastore/calico-resources.js';
import { replan } from '../plan/build.js';
import type { LiveTarget } from '../plan/live.js';
import { NODE_KEYS_ANNOTATION, nodeKeysWritten, PLAN_ANNOTATION, writtenByPlan } from '../plan/ownership.js';
import { isNodePatch, type PlanEntry } from '../plan/types.js';
import { CalicoMigrateError } from '../errors.js';
import { mapLimit } from '../util.js';
import type { Journal, NodeBefore } from './journal.js';

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
 * Writes one entry; never throws. Any failure becomes a `failed` result; a journal that cannot be
 * written any more stops every remaining write (nothing may be written that is not journaled).
 */
async function writeEntry(wire: Wire, o: LoopOptions, planned: PlanEntry, abort: { reason?: string }): Promise<WriteResult> {
  try {
    return await writeOne(wire, o, planned, abort);
  } catch (e) {
    if (e instanceof CalicoMigrateError && e.code === 'E_OUTPUT_WRITE') abort.reason ??= e.message;
    return { key: planned.key, action: planned.action, outcome: 'failed', error: wire.describe(e) };
  }
}

/** Writes one entry, re-reading and re-planning it after a 409. */
async function writeOne(wire: Wire, o: LoopOptions, planned: PlanEntry, abort: { reason?: string }): Promise<WriteResult> {
  let entry = planned;
  let live: KubeObject | undefined = isNodePatch(entry) ? o.live.nodes.get(entry.name) : o.live.objects.get(entry.key);
  const fail = async (error: string): Promise<WriteResult> => {
    await o.journal?.append({ t: 'failed', key: entry.key, action: entry.action, error });
    return { key: entry.key, action: planned.action, outcome: 'failed', error };
  };
  for (let attempt = 1; ; attempt++) {
    const stop = abort.reason ?? o.shouldStop?.();
    if (stop) return { key: entry.key, action: planned.action, outcome: 'failed', error: `not written: ${stop}` };
    if (entry.action === 'unchanged') {
      // Found as planned after a 409: if it carries this plan's hash, an earlier attempt of this very
      // write went through (a retried request), and it is recorded as written, so rollback undoes it.
      const own = entry !== planned && live !== undefined && !isNodePatch(entry) && writtenByPlan(live) === o.planHash;
      const outcome: WriteOutcome = own ? (planned.action === 'create' ? 'created' : planned.action === 'conflict' ? 'overwritten' : 'updated') : 'unchanged';
      if (entry !== planned) await o.journal?.append({ t: 'done', key: entry.key, action: planned.action, outcome, resourceVersion: entry.resourceVersion });
      return { key: entry.key, action: planned.action, outcome, resourceVersion: entry.resourceVersion };
    }
    if (entry.action === 'missing') return fail(entry.reason ?? `Node ${entry.name} does not exist`);
    if (entry.action === 'conflict' && !o.overwrite) return fail(entry.reason ?? `${entry.key} is held by someone else`);
    // --overwrite covers only the live object the plan showed and the backup holds; one that someone
    // else created or changed while this apply ran (a 409, then re-planned as a conflict) is neither.
    if (entry.action === 'conflict' && entry !== planned) return fail(`${entry.key} was ${planned.action === 'create' ? 'created' : 'changed'} by someone else while this apply ran; it was not overwritten (its content is in no backup): plan again`);
    const before = isNodePatch(entry) ? nodeBefore(entry, live) : live ? beforeImage(live) : null;
    const after = isNodePatch(entry) ? { after: { ...(entry.desired.metadata.annotations ?? {}) } } : {};
    await o.journal?.append({ t: 'intent', key: entry.key, action: entry.action, ...(entry.resource ? { resource: entry.resource } : {}), before, ...after });
    try {
      const { outcome, resourceVersion } = await wire.send(entry, live, o.planHash, o.dryRun);
      await o.journal?.append({ t: 'done', key: entry.key, action: entry.action, outcome, resourceVersion });
      return { key: entry.key, action: planned.action, outcome, resourceVersion };
    } catch (e) {
      const why = o.dryRun ? wire.uncheckable?.(e, entry) : undefined;
      if (why) return { key: entry.key, action: planned.action, outcome: 'not-validated', error: why };
      if (!wire.isConflict(e) || attempt >= MAX_ATTEMPTS || o.dryRun) return fail(wire.describe(e));
      // A lost race (409, a failed compare): read again, plan again; never overwrite blindly.
      live = await wire.readOne(entry);
      entry = replan(entry, live);
    }
  }
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
  for (const group of groups) {
    const out = await mapLimit(group, o.concurrency, async (entry) => {
      const r = await writeEntry(wire, o, entry, abort);
      o.onResult?.(r, ++done, total);
      return r;
    });
    for (const r of out) if (r) results.push(r);
  }
  return results;
}
