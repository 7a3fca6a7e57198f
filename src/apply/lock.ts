/**
 * The migration lock: one object in `kube-system` that says which run is writing to the cluster, so
 * two applies never interleave their writes. A `coordination.k8s.io/v1` Lease where the server has
 * one (Kubernetes 1.14+), else a ConfigMap carrying the same facts in `data`.
 *
 * The server does not enforce expiry: holding is the client-go convention "held while
 * `renewTime + leaseDurationSeconds` is in the future", and every change is conditional on the
 * resourceVersion last seen, so of two racing writers exactly one wins and the other re-reads.
 * The clock is injected so that expiry can be tested without waiting.
 */
import { hostname } from 'node:os';
import { isConflict, isNotFound, type KubeObject } from '../datastore/kube-api.js';
import type { KubeClient } from '../datastore/kube-client.js';
import { bodyOf, describeKind, factsOf, infoOf, lockTarget, microTime, type Facts, type LockInfo, type LockTarget } from './lock-object.js';

export { CONFIGMAP_LOCK_NAME, LEASE_LOCK_NAME, LOCK_NAMESPACE, lockTarget, microTime, type LockInfo, type LockTarget } from './lock-object.js';

/** Someone else holds a fresh lock and the wait (if any) ran out. */
export class LockHeldError extends Error {
  readonly info: LockInfo;
  constructor(info: LockInfo, now: Date) {
    const left = Math.max(0, Math.ceil((Date.parse(info.expires) - now.getTime()) / 1000));
    const where = [info.host ? `on host ${info.host}` : '', info.pid !== undefined ? `pid ${info.pid}` : ''].filter(Boolean).join(', ');
    super(
      `the migration lock (${describeKind(info.kind)}) is held by ${JSON.stringify(info.holder)}${where ? ` (${where})` : ''} for ${JSON.stringify(info.reason)} ` +
        `since ${info.acquired}; it expires at ${info.expires} (in ${left} s) unless renewed. Wait for that run to finish and try again, ` +
        'or, only if you are sure that holder is dead, run again with --force-unlock',
    );
    this.name = 'LockHeldError';
    this.info = info;
  }
}

/** The lock we held was taken over, removed or released: stop writing. `info` is the new holder's, if any. */
export class LockLostError extends Error {
  readonly info: LockInfo | undefined;
  constructor(message: string, info?: LockInfo) {
    super(message);
    this.name = 'LockLostError';
    this.info = info;
  }
}

/** How a release ended: `taken` means someone else holds it now, so it was left alone. */
export type ReleaseResult = { readonly outcome: 'released' } | { readonly outcome: 'already-gone' } | { readonly outcome: 'taken'; readonly by: LockInfo };

export interface AcquireOptions {
  /** Identifies this run (e.g. its run id); the same holder may take its own lock back after a crash. */
  readonly holder: string;
  readonly reason: string;
  /** Lease duration: how long the lock stays fresh without a renewal. */
  readonly ttlSeconds: number;
  readonly planHash?: string;
  /** Default: this machine's host name and process id. */
  readonly host?: string;
  readonly pid?: number;
  /** How long to wait for a fresh lock held by someone else; 0 (default) fails at once. */
  readonly waitMs?: number;
  /** Poll interval while waiting (default 2000). */
  readonly pollMs?: number;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A held lock. Renew it more often than `ttlSeconds`, or it becomes stale and may be taken. */
export interface LockHandle {
  readonly info: LockInfo;
  /** True once a renewal found the lock taken or gone; writes must stop. */
  readonly lost: boolean;
  /** Pushes the expiry out; throws LockLostError if the lock is no longer ours. */
  renew(): Promise<void>;
  /** Renews every `intervalMs` in the background (unref'd timer); the first failure calls `onLost` once and stops. */
  startRenewing(intervalMs: number, onLost: (err: unknown) => void): void;
  /** Stops renewing; resolves once a renewal already in flight has ended, so nothing changes the lock after it. */
  stop(): Promise<void>;
  /** Stops renewing and deletes the lock if it is still ours. */
  release(): Promise<ReleaseResult>;
}

/** The current lock, fresh or stale, or undefined when nobody holds it. For `status`. */
export async function readLock(client: KubeClient, now: Date = new Date()): Promise<LockInfo | undefined> {
  const target = await lockTarget(client);
  const obj = await client.get(target.resource, target.name, target.namespace);
  if (!obj) return undefined;
  const info = infoOf(target.kind, obj, now);
  return info.holder === '' ? undefined : info;
}

/**
 * Takes the lock: creates it, or takes over one that is stale or already this holder's (a crashed
 * run of the same id). A fresh lock of another holder is polled until `waitMs` has passed, then
 * LockHeldError. Losing a race (409) re-reads and tries again.
 */
export async function acquireLock(client: KubeClient, opts: AcquireOptions): Promise<LockHandle> {
  const target = await lockTarget(client);
  const now = opts.now ?? (() => new Date());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const waitMs = opts.waitMs ?? 0;
  const pollMs = Math.max(1, opts.pollMs ?? 2000);
  const host = opts.host ?? hostname();
  const pid = opts.pid ?? process.pid;
  const mine = (t: Date, transitions: number): Facts => ({
    holder: opts.holder, reason: opts.reason, acquired: microTime(t), renewed: microTime(t), durationSeconds: opts.ttlSeconds, host, pid, transitions,
    ...(opts.planHash ? { planHash: opts.planHash } : {}),
  });
  const started = now().getTime();
  let slept = 0;
  let races = 0;
  const raced = (): void => {
    if (++races > 20) throw new Error(`the migration lock (${describeKind(target.kind)}) kept changing hands while taking it; try again`);
  };
  for (;;) {
    const t = now();
    try {
      return new Handle(client, target, await client.create(target.resource, bodyOf(target, mine(t, 0))), now);
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
    const existing = await client.get(target.resource, target.name, target.namespace);
    if (!existing) {
      raced();
      continue;
    }
    const info = infoOf(target.kind, existing, t);
    if (info.stale || info.holder === opts.holder) {
      const { transitions } = factsOf(target.kind, existing);
      try {
        const taken = await client.replace(target.resource, bodyOf(target, mine(t, info.holder === opts.holder ? transitions : transitions + 1), info.resourceVersion));
        return new Handle(client, target, taken, now);
      } catch (e) {
        if (!isConflict(e) && !isNotFound(e)) throw e;
        raced();
        continue;
      }
    }
    const elapsed = Math.max(now().getTime() - started, slept);
    if (elapsed >= waitMs) throw new LockHeldError(info, t);
    const pause = Math.min(pollMs, waitMs - elapsed);
    await sleep(pause);
    slept += pause;
  }
}

class Handle implements LockHandle {
  private obj: KubeObject;
  private current: LockInfo;
  private isLost = false;
  private released = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly target: LockTarget,
    obj: KubeObject,
    private readonly now: () => Date,
  ) {
    this.obj = obj;
    this.current = infoOf(target.kind, obj, now());
  }

  get info(): LockInfo {
    return this.current;
  }

  get lost(): boolean {
    return this.isLost;
  }

  /** Same holder, acquire time, host and pid: the object is still the one this handle took. */
  private isOurs(obj: KubeObject): boolean {
    const a = factsOf(this.target.kind, this.obj);
    const b = factsOf(this.target.kind, obj);
    return a.holder === b.holder && a.acquired === b.acquired && a.host === b.host && a.pid === b.pid;
  }

  private lose(message: string, info?: LockInfo): never {
    this.isLost = true;
    void this.stop();
    throw new LockLostError(`lost the migration lock (${describeKind(this.target.kind)}): ${message}`, info);
  }

  /** A conditional merge patch, not a PUT: a PUT to a deleted Lease would silently re-create it. */
  async renew(): Promise<void> {
    if (this.released) throw new LockLostError('the migration lock was already released');
    if (this.isLost) this.lose('an earlier renewal failed');
    const renewTime = microTime(this.now());
    const patch = this.target.kind === 'Lease' ? { spec: { renewTime } } : { data: { renewTime } };
    for (let attempt = 0; ; attempt++) {
      try {
        const rv = this.obj.metadata.resourceVersion ?? '';
        this.obj = await this.client.mergePatch(this.target.resource, this.target.name, { ...patch, metadata: { resourceVersion: rv } }, { namespace: this.target.namespace });
        this.current = infoOf(this.target.kind, this.obj, this.now());
        return;
      } catch (e) {
        if (isNotFound(e)) this.lose('it was deleted (force-unlocked?)');
        if (!isConflict(e)) throw e;
        // A 409 may be our own retried write: still ours if holder and acquire time are unchanged.
        const seen = await this.client.get(this.target.resource, this.target.name, this.target.namespace);
        if (!seen) this.lose('it was deleted (force-unlocked?)');
        const info = infoOf(this.target.kind, seen, this.now());
        if (!this.isOurs(seen) || attempt > 0) this.lose(`it is now held by ${JSON.stringify(info.holder)} for ${JSON.stringify(info.reason)} since ${info.acquired}`, info);
        this.obj = seen;
      }
    }
  }

  startRenewing(intervalMs: number, onLost: (err: unknown) => void): void {
    void this.stop();
    let reported = false;
    const timer = setInterval(() => {
      if (this.inFlight || this.timer !== timer) return;
      this.inFlight = this.renew()
        .catch((e: unknown) => {
          if (this.timer === timer) void this.stop();
          if (!reported && !this.released) {
            reported = true;
            onLost(e);
          }
        })
        .finally(() => {
          this.inFlight = undefined;
        });
    }, intervalMs);
    timer.unref();
    this.timer = timer;
  }

  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.inFlight ?? Promise.resolve();
  }

  /** Deletes with a resourceVersion precondition, so a lock someone else took over is never removed. */
  async release(): Promise<ReleaseResult> {
    await this.stop();
    this.released = true;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.delete(this.target.resource, this.target.name, { namespace: this.target.namespace, resourceVersion: this.obj.metadata.resourceVersion ?? '' });
        return { outcome: 'released' };
      } catch (e) {
        if (isNotFound(e)) return { outcome: 'already-gone' };
        if (!isConflict(e)) throw e;
        const seen = await this.client.get(this.target.resource, this.target.name, this.target.namespace);
        if (!seen) return { outcome: 'already-gone' };
        if (!this.isOurs(seen) || attempt > 2) return { outcome: 'taken', by: infoOf(this.target.kind, seen, this.now()) };
        this.obj = seen;
      }
    }
  }
}

/**
 * Removes the lock whoever holds it (`--force-unlock`), for a holder known to be dead. Returns what
 * was removed, for the journal, or undefined if there was no lock.
 */
export async function forceUnlock(client: KubeClient, now: Date = new Date()): Promise<LockInfo | undefined> {
  const target = await lockTarget(client);
  for (let attempt = 0; attempt < 10; attempt++) {
    const obj = await client.get(target.resource, target.name, target.namespace);
    if (!obj) return undefined;
    const info = infoOf(target.kind, obj, now);
    try {
      await client.delete(target.resource, target.name, { namespace: target.namespace, resourceVersion: info.resourceVersion });
      return info;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      if (!isConflict(e)) throw e;
    }
  }
  throw new Error(`the migration lock (${describeKind(target.kind)}) kept changing while removing it; try again`);
}
