/**
 * Where an apply writes: the datastore the migrated objects go to. Called the *destination*
 * throughout, because "target" in this code is the target *version* (`--to`, `TargetVersion`).
 * The apply engine (`src/apply/engine.ts`) drives a destination without knowing which kind it is;
 * each kind provides its own conditional writes, schema installation, lock and read-back.
 * Two kinds: a Kubernetes API (`kubernetes.ts`) and Calico v3's etcd v3 datastore (`etcdv3.ts`).
 */
import type { LockHandle, LockInfo } from '../apply/lock.js';
import type { JournalRecord } from '../apply/journal.js';
import type { RollbackStep, Written } from '../apply/rollback.js';
import type { LoopOptions, WriteResult } from '../apply/write.js';
import type { Desired } from '../plan/desired.js';

export interface SchemaResult {
  /** Schema objects created (or, in a dry run, that would be created): CRD names on Kubernetes. */
  readonly created: readonly string[];
  readonly alreadyPresent: readonly string[];
}

/** Every planned write with what the write loop needs (the same options, whatever the destination). */
export type DestinationWrite = LoopOptions;

export interface LockRequest {
  readonly holder: string;
  readonly reason: string;
  readonly ttlSeconds: number;
  readonly planHash?: string;
  readonly waitMs: number;
}

export interface Destination {
  /** Where it is, for messages (the API server URL). */
  readonly address: string;
  /** Installs what objects of these kinds need before they can be written; `onCreated` as each is made. */
  ensureSchema(kinds: ReadonlySet<string>, options: { readonly dryRun: boolean; readonly onCreated: (name: string, apiVersion: string) => Promise<void> }): Promise<SchemaResult>;
  /** Every planned write, each conditional on the version the plan saw. */
  write(request: DestinationWrite): Promise<WriteResult[]>;
  /** Reads everything back and plans again: the keys that do not hold what was planned, with why. */
  verify(desired: Desired): Promise<string[]>;
  acquireLock(request: LockRequest): Promise<LockHandle>;
  /** Removes the lock whoever holds it; what it held, if anything. */
  forceUnlock(): Promise<LockInfo | undefined>;
  /** The current lock, fresh or stale, if anyone holds it (for status). */
  readLock(): Promise<LockInfo | undefined>;
  /**
   * Undoes one journaled write, only while the object is what the apply left (written by one of
   * `planHashes`, at the version the journal recorded), or whatever it is with `force`.
   */
  undo(written: Written, options: { readonly planHashes: ReadonlySet<string>; readonly force: boolean }): Promise<RollbackStep>;
  /** Removes the schema objects the journal's runs installed, where they hold nothing any more. */
  removeSchema(records: readonly JournalRecord[]): Promise<RollbackStep[]>;
}
