/**
 * Calico v3's etcd v3 datastore as the destination: keys and values as its backend stores them
 * (`etcdv3-layout.ts`), every write an etcd transaction that compares the key with what the plan saw
 * (absent for a create, the mod revision for an update), so that a concurrent writer is a lost race,
 * never overwritten; the lock is a key bound to an etcd lease. No schema to install. The CLI
 * reaches it with `--target-datastore-type etcdv3` (src/cli/destination.ts).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Etcd3, type IKeyValue, type Lease } from 'etcd3';
import { LockHeldError, LockLostError, type LockHandle, type LockInfo, type ReleaseResult } from '../apply/lock.js';
import { ETCD_LOCK_KEY, microTime } from '../apply/lock-object.js';
import type { JournalRecord } from '../apply/journal.js';
import { isNodeBefore, keyNames, type RollbackStep, type Written } from '../apply/rollback.js';
import { writePlanned, type Wire, type WriteOutcome } from '../apply/write.js';
import type { KubeObject } from '../datastore/kube-client.js';
import { classifyEtcdError, etcdClient } from '../datastore/etcd-v3.js';
import type { DatastoreSettings } from '../datastore/settings.js';
import { CalicoMigrateError } from '../errors.js';
import type { TargetObject } from '../model/target.js';
import { buildEntries } from '../plan/build.js';
import type { Desired } from '../plan/desired.js';
import type { LiveTarget } from '../plan/live.js';
import { isOwned, PLAN_ANNOTATION, sameContent, writtenByPlan } from '../plan/ownership.js';
import type { PlanEntry } from '../plan/types.js';
import { apiVersionOfKind, DATASTORE_PREFIXES, etcdKeyOf, etcdValueOf, kindPrefix, parseStored } from './etcdv3-layout.js';
import { IPAM_PREFIX, isIpamObject } from '../v3/ipam.js';
import type { Destination, LockRequest } from './types.js';
import { EtcdStateStore } from '../state/etcd-store.js';

/** A write whose compare failed: the key changed since it was planned. */
export class EtcdCompareFailed extends Error {
  constructor(key: string) {
    super(`${key} changed since it was planned (the transaction's compare failed)`);
    this.name = 'EtcdCompareFailed';
  }
}

export interface EtcdV3DestinationOptions {
  /** The creation time stamped on new objects (default: now). */
  readonly now?: () => Date;
  /** The uid of a new object (default: a random UUID, as Calico's client makes them). */
  readonly uid?: () => string;
}

/** A stored object as the plan sees it: the calicoctl-form object, with uid, creation time and the key's mod revision. */
function toLive(kv: IKeyValue): KubeObject {
  const key = kv.key.toString();
  const s = parseStored(key, kv.value.toString());
  const o = s.object;
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      ...o.metadata,
      resourceVersion: kv.mod_revision,
      ...(s.uid ? { uid: s.uid } : {}),
      ...(s.creationTimestamp ? { creationTimestamp: s.creationTimestamp } : {}),
    },
    spec: o.spec ?? {},
  };
}

function asTarget(o: KubeObject, planHash?: string): TargetObject {
  const m = o.metadata;
  const annotations = { ...(m.annotations ?? {}), ...(planHash ? { [PLAN_ANNOTATION]: planHash } : {}) };
  return {
    apiVersion: o.apiVersion ?? '',
    kind: o.kind ?? '',
    metadata: { name: m.name, ...(m.namespace ? { namespace: m.namespace } : {}), ...(m.labels ? { labels: m.labels } : {}), ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec: (o['spec'] as Record<string, unknown> | undefined) ?? {},
  };
}

/**
 * An IPAM key carries no plan annotation. It is as the apply left it when its revision is the one
 * the apply's write made; for a write never confirmed (the run died waiting for the answer), when it
 * differs from what the plan saw there (the only writer of the v3 IPAM keys before calico/node v3
 * starts is this tool, under its lock).
 */
function ipamAsLeft(w: Written, live: KubeObject): boolean {
  if (w.lastVersion !== undefined) return live.metadata.resourceVersion === w.lastVersion;
  if (w.confirmed) return false;
  return w.before === null || isNodeBefore(w.before) || !sameContent(w.before, live);
}

function seconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class EtcdV3Destination implements Destination {
  readonly address: string;
  private readonly etcd: Etcd3;
  private readonly now: () => Date;
  private readonly uid: () => string;
  private clusterId: string | undefined;

  constructor(etcd: Etcd3, address: string, options: EtcdV3DestinationOptions = {}) {
    this.etcd = etcd;
    this.address = address;
    this.now = options.now ?? (() => new Date());
    this.uid = options.uid ?? (() => randomUUID());
  }

  /** Connects and asks the cluster's status: an etcd that cannot be reached is an error naming it, before anything else. */
  static async open(settings: DatastoreSettings, options: EtcdV3DestinationOptions = {}): Promise<EtcdV3Destination> {
    const etcd = await etcdClient(settings);
    const destination = new EtcdV3Destination(etcd, settings.etcdEndpoints.join(','), options);
    try {
      destination.clusterId = (await etcd.maintenance.status()).header.cluster_id;
    } catch (e) {
      etcd.close();
      throw classifyEtcdError(e, settings.etcdEndpoints, 'target');
    }
    return destination;
  }

  close(): void {
    this.etcd.close();
  }

  /** The run state kept in this etcd, under the tool's own prefix (src/state/etcd-store.ts). */
  stateStore(): EtcdStateStore {
    return new EtcdStateStore(this.etcd, this.address);
  }

  /** The etcd cluster's id: what a plan and a journal are pinned to, whatever endpoint reaches it. */
  async identity(): Promise<string> {
    this.clusterId ??= (await this.etcd.maintenance.status()).header.cluster_id;
    return this.clusterId;
  }

  /**
   * One read of each prefix this tool writes (the resources, Calico IPAM): the stored objects of the
   * kinds the plan writes, by plan key, and the keys of the Calico v3 data that this tool did not
   * write (a keyspace holding them may be a Calico v3 datastore in use). A resource without this
   * tool's annotations is someone else's; an IPAM key has no room for them, so one the plan does not
   * write is. A damaged key where the plan writes is an error naming it.
   */
  async readAll(desired: Desired): Promise<{ live: LiveTarget; foreign: string[] }> {
    const kinds = new Set(desired.objects.map((d) => d.resource.kind));
    const planned = [...kinds].map(kindPrefix);
    const plannedKeys = new Set(desired.objects.map((d) => d.key));
    const objects = new Map<string, KubeObject>();
    const foreign: string[] = [];
    for (const prefix of DATASTORE_PREFIXES) {
      for (const kv of (await this.etcd.getAll().prefix(prefix).exec()).kvs) {
        let o: KubeObject;
        try {
          o = toLive(kv);
        } catch (e) {
          // A kind this tool does not write (a Tier of a later Calico, the IPAM configuration) is
          // someone else's data; a damaged object where the plan writes is an error naming its key.
          if (planned.some((p) => kv.key.toString().startsWith(p))) throw e;
          foreign.push(kv.key.toString());
          continue;
        }
        const kind = o.kind ?? '';
        const key = o.metadata.namespace ? `${kind}/${o.metadata.namespace}/${o.metadata.name}` : `${kind}/${o.metadata.name}`;
        if (prefix === IPAM_PREFIX ? !plannedKeys.has(key) : !isOwned(o)) foreign.push(kv.key.toString());
        if (kinds.has(kind)) objects.set(key, o);
      }
    }
    return { live: { objects, nodes: new Map(), unserved: new Set(), specSchemas: new Map() }, foreign };
  }

  /** ClusterInformation `default`, which says where a cut-over stands (src/apply/cut-over.ts). */
  async readClusterInformation(): Promise<KubeObject | undefined> {
    const kv = (await this.etcd.get(etcdKeyOf({ apiVersion: 'projectcalico.org/v3', kind: 'ClusterInformation', metadata: { name: 'default' } })).exec()).kvs[0];
    return kv ? toLive(kv) : undefined;
  }

  /**
   * Sets ClusterInformation `default` ready (`complete`), only while it is what was read (its
   * revision): the same object, datastoreReady true, the plan annotation of `planHash`.
   */
  async setDatastoreReady(info: KubeObject, planHash: string): Promise<void> {
    const o = asTarget({ ...info, spec: { ...((info['spec'] as Record<string, unknown> | undefined) ?? {}), datastoreReady: true } }, planHash);
    const stamp = { uid: info.metadata.uid ?? this.uid(), creationTimestamp: typeof info.metadata['creationTimestamp'] === 'string' ? info.metadata['creationTimestamp'] : seconds(this.now()) };
    await this.conditionalPut(etcdKeyOf(o), etcdValueOf(o, stamp), info.metadata.resourceVersion ?? '');
  }

  /** Every stored object of the kinds the plan writes, by plan key. */
  async readLive(desired: Desired): Promise<LiveTarget> {
    return (await this.readAll(desired)).live;
  }

  private async readOne(entry: Pick<PlanEntry, 'desired'>): Promise<KubeObject | undefined> {
    const key = etcdKeyOf(asTarget(entry.desired));
    const res = await this.etcd.get(key).exec();
    const kv = res.kvs[0];
    return kv ? toLive(kv) : undefined;
  }

  /** Puts `value` at `key` only if the key is absent (`revision` empty) or still at `revision`; its new mod revision. */
  private async conditionalPut(key: string, value: string, revision: string): Promise<string> {
    const revisionAfter = await this.conditionalPuts([{ key, value, revision }]);
    if (revisionAfter === undefined) throw new EtcdCompareFailed(key);
    return revisionAfter;
  }

  /**
   * Puts every value in one transaction, each only if its key is absent (`revision` empty) or still
   * at `revision`: the mod revision they all have after it, or undefined when a condition failed and
   * nothing was written.
   */
  private async conditionalPuts(writes: readonly { readonly key: string; readonly value: string; readonly revision: string }[]): Promise<string | undefined> {
    const [first, ...rest] = writes;
    if (!first) return undefined;
    const txn = first.revision === '' ? this.etcd.if(first.key, 'Create', '==', 0) : this.etcd.if(first.key, 'Mod', '==', first.revision);
    for (const w of rest) {
      if (w.revision === '') txn.and(w.key, 'Create', '==', 0);
      else txn.and(w.key, 'Mod', '==', w.revision);
    }
    const r = await txn.then(...writes.map((w) => this.etcd.put(w.key).value(w.value))).commit();
    return r.succeeded ? r.header.revision : undefined;
  }

  private async conditionalDelete(key: string, revision: string): Promise<void> {
    const r = await this.etcd.if(key, 'Mod', '==', revision).then(this.etcd.delete().key(key)).commit();
    if (!r.succeeded) throw new EtcdCompareFailed(key);
  }

  /** The key, value and condition of one planned write. */
  private put(entry: PlanEntry, live: KubeObject | undefined, planHash: string): { key: string; value: string; revision: string; outcome: WriteOutcome } {
    const o = asTarget(entry.desired, planHash);
    // An update keeps the object's identity; a create gets a new one, as Calico's client gives it.
    const stamp = live?.metadata.uid && typeof live.metadata['creationTimestamp'] === 'string'
      ? { uid: live.metadata.uid, creationTimestamp: live.metadata['creationTimestamp'] }
      : { uid: this.uid(), creationTimestamp: seconds(this.now()) };
    return {
      key: etcdKeyOf(o),
      value: etcdValueOf(o, stamp),
      revision: entry.action === 'create' ? '' : entry.resourceVersion,
      outcome: entry.action === 'create' ? 'created' : entry.action === 'conflict' ? 'overwritten' : 'updated',
    };
  }

  private wire(): Wire {
    return {
      send: async (entry, live, planHash, dryRun) => {
        if (dryRun) throw new CalicoMigrateError('E_USAGE', 'an etcd v3 datastore has no server-side dry run: use plan, which writes nothing');
        const w = this.put(entry, live, planHash);
        return { outcome: w.outcome, resourceVersion: await this.conditionalPut(w.key, w.value, w.revision) };
      },
      // One transaction for many writes: every key's condition, then every put, committed together.
      sendAll: async (items, planHash) => {
        const writes = items.map((i) => this.put(i.entry, i.live, planHash));
        if (writes.length === 0) return [];
        const revision = await this.conditionalPuts(writes);
        return revision === undefined ? undefined : writes.map((w) => ({ outcome: w.outcome, resourceVersion: revision }));
      },
      // etcd takes 128 operations and 1.5 MiB per request by default; a transaction stays well within both.
      sendAllLimits: { writes: 100, bytes: 512 * 1024 },
      readOne: (entry) => this.readOne(entry),
      isConflict: (e) => e instanceof EtcdCompareFailed,
      describe: (e) => (e instanceof Error ? e.message : String(e)),
    };
  }

  async ensureSchema(): Promise<{ created: string[]; alreadyPresent: string[] }> {
    return { created: [], alreadyPresent: [] };
  }

  write: Destination['write'] = (w) => writePlanned(this.wire(), w);

  async verify(desired: Desired): Promise<string[]> {
    const live = await this.readLive(desired);
    return buildEntries(desired, live)
      .filter((e) => e.action !== 'unchanged')
      .map((e) => (e.action === 'create' ? `${e.key} is not in the datastore` : `${e.key} differs from what was written`));
  }

  /** The lock's facts, its expiry from what its lease has left (renewals keep the value unchanged). */
  private async lockInfoNow(kv: IKeyValue): Promise<LockInfo> {
    const info = this.lockInfo(kv);
    if (!kv.lease || kv.lease === '0') return info;
    try {
      const ttl = await this.etcd.leaseClient.leaseTimeToLive({ ID: kv.lease });
      const left = Number(ttl.TTL);
      return left >= 0 ? { ...info, renewed: info.renewed, expires: microTime(new Date(this.now().getTime() + left * 1000)) } : info;
    } catch {
      return info;
    }
  }

  private lockInfo(kv: IKeyValue): LockInfo {
    let f: Record<string, unknown> = {};
    try {
      f = JSON.parse(kv.value.toString()) as Record<string, unknown>;
    } catch {
      // a damaged lock value reads as held by nobody in particular; its lease still expires it
    }
    const str = (k: string) => (typeof f[k] === 'string' ? (f[k] as string) : '');
    const duration = typeof f['durationSeconds'] === 'number' ? f['durationSeconds'] : 0;
    const renewed = str('renewed') || str('acquired');
    return {
      kind: 'EtcdKey',
      holder: str('holder'),
      reason: str('reason'),
      acquired: str('acquired'),
      renewed,
      durationSeconds: duration,
      expires: microTime(new Date((Date.parse(renewed) || 0) + duration * 1000)),
      // The lease deletes the key when it expires: a key that is there is held.
      stale: false,
      ...(str('host') ? { host: str('host') } : {}),
      ...(typeof f['pid'] === 'number' ? { pid: f['pid'] } : {}),
      ...(str('planHash') ? { planHash: str('planHash') } : {}),
      resourceVersion: kv.mod_revision,
    };
  }

  async readLock(): Promise<LockInfo | undefined> {
    const kv = (await this.etcd.get(ETCD_LOCK_KEY).exec()).kvs[0];
    return kv ? this.lockInfoNow(kv) : undefined;
  }

  /** Removes the lock as it was read, never one taken meanwhile by someone else; what it removed. */
  async forceUnlock(): Promise<LockInfo | undefined> {
    for (let i = 0; i < 20; i++) {
      const held = await this.readLock();
      if (!held) return undefined;
      const r = await this.etcd.if(ETCD_LOCK_KEY, 'Mod', '==', held.resourceVersion).then(this.etcd.delete().key(ETCD_LOCK_KEY)).commit();
      if (r.succeeded) return held;
    }
    throw new Error(`the migration lock (etcd key ${ETCD_LOCK_KEY}) kept changing while removing it; try again`);
  }

  /**
   * Takes the lock: a key created only if absent, bound to a lease of `ttlSeconds` that renewals
   * keep alive; a holder that stops renewing loses it when the lease expires. Waits up to `waitMs`
   * for a lock held by someone else, then LockHeldError.
   */
  async acquireLock(request: LockRequest): Promise<LockHandle> {
    const started = Date.now();
    for (;;) {
      const lease: Lease = this.etcd.lease(request.ttlSeconds, { autoKeepAlive: false });
      const leaseId = await lease.grant();
      const now = microTime(this.now());
      const facts = { holder: request.holder, reason: request.reason, acquired: now, renewed: now, durationSeconds: request.ttlSeconds, host: hostname(), pid: process.pid, ...(request.planHash ? { planHash: request.planHash } : {}) };
      const value = JSON.stringify(facts);
      const r = await this.etcd.if(ETCD_LOCK_KEY, 'Create', '==', 0).then(this.etcd.put(ETCD_LOCK_KEY).value(value).lease(leaseId)).else(this.etcd.get(ETCD_LOCK_KEY)).commit().catch(async (e: unknown) => {
        await lease.revoke().catch(() => undefined);
        throw e;
      });
      if (r.succeeded) return this.handle(lease, value, request.ttlSeconds);
      await lease.revoke().catch(() => undefined);
      const kv = r.responses[0]?.response_range?.kvs[0];
      const info = kv ? await this.lockInfoNow(kv) : undefined;
      if (info && Date.now() - started >= request.waitMs) throw new LockHeldError(info, this.now());
      await new Promise((res) => setTimeout(res, Math.min(2000, Math.max(50, request.waitMs / 10))));
    }
  }

  private handle(lease: Lease, value: string, ttlSeconds: number): LockHandle {
    const etcd = this.etcd;
    let timer: NodeJS.Timeout | undefined;
    let lost = false;
    const info = this.lockInfo({ key: Buffer.from(ETCD_LOCK_KEY), value: Buffer.from(value), mod_revision: '', create_revision: '', version: '', lease: '' } as unknown as IKeyValue);
    let inFlight: Promise<void> | undefined;
    const renew = async (): Promise<void> => {
      try {
        // A renewal that gets no answer within half the lease counts as failed: the lock may be gone.
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${Math.max(1, ttlSeconds / 2)} s`)), Math.max(1000, (ttlSeconds * 1000) / 2));
          timer.unref();
        });
        await Promise.race([lease.keepaliveOnce(), deadline]).finally(() => clearTimeout(timer));
      } catch (e) {
        lost = true;
        throw new LockLostError(`lost the migration lock (etcd key ${ETCD_LOCK_KEY}): its lease could not be renewed (${e instanceof Error ? e.message : String(e)})`, undefined);
      }
      const kv = (await etcd.get(ETCD_LOCK_KEY).exec()).kvs[0];
      if (!kv || kv.value.toString() !== value) {
        lost = true;
        throw new LockLostError(`lost the migration lock (etcd key ${ETCD_LOCK_KEY}): it was removed or taken`, kv ? this.lockInfo(kv) : undefined);
      }
    };
    const stop = (): Promise<void> => {
      if (timer) clearInterval(timer);
      timer = undefined;
      return inFlight ?? Promise.resolve();
    };
    return {
      info,
      get lost() {
        return lost;
      },
      renew,
      startRenewing: (intervalMs, onLost) => {
        void stop();
        timer = setInterval(() => {
          if (inFlight) return;
          inFlight = renew()
            .catch((err: unknown) => {
              void stop();
              onLost(err);
            })
            .finally(() => (inFlight = undefined));
        }, intervalMs);
        timer.unref();
      },
      stop,
      release: async (): Promise<ReleaseResult> => {
        await stop();
        // Deleted only while it is still this holder's value; then the lease goes too.
        const r = await etcd.if(ETCD_LOCK_KEY, 'Value', '==', value).then(etcd.delete().key(ETCD_LOCK_KEY)).else(etcd.get(ETCD_LOCK_KEY)).commit();
        await lease.revoke().catch(() => undefined);
        if (r.succeeded) return { outcome: 'released' };
        const kv = r.responses[0]?.response_range?.kvs[0];
        return kv ? { outcome: 'taken', by: await this.lockInfoNow(kv) } : { outcome: 'already-gone' };
      },
    };
  }

  /** Undoes one journaled write while the key is what the apply left (or whatever it is with force). */
  async undo(w: Written, o: { readonly planHashes: ReadonlySet<string>; readonly force: boolean }): Promise<RollbackStep> {
    if (w.before !== null && isNodeBefore(w.before)) return { key: w.key, outcome: 'failed', detail: 'a Kubernetes Node before-image in an etcd journal' };
    const image = w.before ?? undefined;
    const kind = w.key.split('/')[0] ?? '';
    const probe = image ?? ({ apiVersion: apiVersionOfKind(kind), kind, metadata: keyNames(w.key) } as KubeObject);
    const key = etcdKeyOf(asTarget(probe));
    const kv = (await this.etcd.get(key).exec()).kvs[0];
    const live = kv ? toLive(kv) : undefined;
    const ours = live !== undefined && (isIpamObject(asTarget(probe)) ? ipamAsLeft(w, live) : o.planHashes.has(writtenByPlan(live) ?? '') && (w.lastVersion === undefined || live.metadata.resourceVersion === w.lastVersion));
    if (!w.confirmed && !ours) return { key: w.key, outcome: 'already-gone', detail: 'the write the apply was making when it stopped never reached the datastore' };
    if (w.before === null) {
      if (!live || !kv) return { key: w.key, outcome: 'already-gone' };
      if (!ours && !o.force) return { key: w.key, outcome: 'kept', detail: 'it changed after the apply created it (or another apply wrote it); rerun with --force to delete it anyway' };
      await this.conditionalDelete(key, kv.mod_revision);
      return { key: w.key, outcome: 'deleted' };
    }
    if (!live && !o.force) return { key: w.key, outcome: 'kept', detail: 'it was deleted after the apply wrote it; rerun with --force to create it again from the journal' };
    if (live && !ours && !o.force) return { key: w.key, outcome: 'kept', detail: 'it changed after the apply wrote it; rerun with --force to restore the earlier content anyway' };
    const before = w.before;
    const stamp = { uid: before.metadata.uid ?? this.uid(), creationTimestamp: typeof before.metadata['creationTimestamp'] === 'string' ? before.metadata['creationTimestamp'] : seconds(this.now()) };
    await this.conditionalPut(key, etcdValueOf(asTarget(before), stamp), kv?.mod_revision ?? '');
    return { key: w.key, outcome: 'restored' };
  }

  /** Nothing was installed besides the objects. */
  async removeSchema(_records: readonly JournalRecord[]): Promise<RollbackStep[]> {
    return [];
  }
}
