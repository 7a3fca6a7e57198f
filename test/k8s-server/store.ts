/**
 * A small multi-version store, like etcd under the real API server: a global revision counter,
 * every version of every key kept until compaction, so paged lists read a consistent snapshot.
 */
import { clone, type Obj } from './json.js';

interface Version {
  rev: number;
  obj: Obj | null;
}

/** A change, as a watch stream reports it. */
export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: string;
  rev: number;
  obj: Obj;
}

/** One listed entry. */
export interface StoreEntry {
  key: string;
  obj: Obj;
}

/** The MVCC store. Objects are copied in and out; callers never share references with it. */
export class Store {
  /** The current (latest) revision. */
  rev: number;
  /** Reads below this revision fail (410 Expired). */
  compactedRev = 0;
  private readonly data = new Map<string, Version[]>();
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  /** Tracked prefixes and the revision of the latest write under each (see `changedUnder`). */
  private readonly prefixRevs = new Map<string, number>();
  private events: StoreEvent[] = [];
  /**
   * The last listing made. A view at a revision never changes until compaction (every write goes
   * to a later revision), so the pages of one list, which all read at the list's revision, share
   * one listing, as etcd's range reads do, instead of each listing and sorting the whole prefix.
   */
  private lastListing: { prefix: string; rev: number; compactedRev: number; entries: StoreEntry[] } | undefined;

  constructor(startRev = 1) {
    this.rev = startRev;
  }

  /** The latest version of a key, or undefined. */
  get(key: string): Obj | undefined {
    const versions = this.data.get(key);
    const last = versions?.[versions.length - 1];
    return last?.obj ? clone(last.obj) : undefined;
  }

  /** Writes a key at a new revision (or at `atRev` when seeding) and stamps `metadata.resourceVersion`. */
  put(key: string, obj: Obj, atRev?: number): Obj {
    const rev = atRev !== undefined && atRev > this.rev ? atRev : this.rev + 1;
    this.rev = Math.max(this.rev, rev);
    const stored = clone(obj);
    const meta = stored.metadata;
    if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) (meta as Obj).resourceVersion = String(rev);
    const versions = this.data.get(key);
    const existed = Boolean(versions?.[versions.length - 1]?.obj);
    this.append(key, { rev, obj: stored });
    this.emit({ type: existed ? 'MODIFIED' : 'ADDED', key, rev, obj: stored });
    return clone(stored);
  }

  /** Removes a key at a new revision. */
  delete(key: string): void {
    const last = this.get(key);
    if (!last) return;
    this.rev += 1;
    this.append(key, { rev: this.rev, obj: null });
    this.emit({ type: 'DELETED', key, rev: this.rev, obj: last });
  }

  /** Every live key under `prefix` at revision `atRev` (default latest), sorted by key. */
  list(prefix: string, atRev?: number): StoreEntry[] {
    return this.listShared(prefix, atRev).map((e) => ({ key: e.key, obj: clone(e.obj) }));
  }

  /**
   * As `list`, but the objects are the stored ones, not copies: for a reader that only looks (a
   * paged list filters every object and copies only its page). Never modify them.
   */
  listShared(prefix: string, atRev?: number): readonly StoreEntry[] {
    const rev = atRev ?? this.rev;
    const last = this.lastListing;
    if (last && last.prefix === prefix && last.rev === rev && last.compactedRev === this.compactedRev) return last.entries;
    const out: StoreEntry[] = [];
    for (const [key, versions] of this.data) {
      if (!key.startsWith(prefix)) continue;
      const obj = versionAt(versions, rev);
      if (obj) out.push({ key, obj });
    }
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.lastListing = { prefix, rev, compactedRev: this.compactedRev, entries: out };
    return out;
  }

  /** Forgets history below the current revision, after a (simulated) unrelated write. */
  compact(): void {
    this.lastListing = undefined;
    this.rev += 1;
    this.compactedRev = this.rev;
    for (const [key, versions] of this.data) {
      const keep = versions.filter((v) => v.rev >= this.compactedRev);
      const older = versions.filter((v) => v.rev < this.compactedRev);
      const base = older[older.length - 1];
      if (base && base.obj) keep.unshift(base);
      if (keep.length === 0) this.data.delete(key);
      else this.data.set(key, keep);
    }
    this.events = this.events.filter((e) => e.rev >= this.compactedRev);
  }

  /** Events after `rev`, oldest first (for a watch that resumes). */
  eventsSince(rev: number): StoreEvent[] {
    return this.events.filter((e) => e.rev > rev);
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The revision of the latest write under `prefix` (0 before any): lets a reader keep what it
   * derived from those keys (the registry, from CRDs and TPRs) until one of them changes.
   */
  changedUnder(prefix: string): number {
    let rev = this.prefixRevs.get(prefix);
    if (rev === undefined) {
      rev = 0;
      for (const [key, versions] of this.data) if (key.startsWith(prefix)) rev = Math.max(rev, versions[versions.length - 1]?.rev ?? 0);
      this.prefixRevs.set(prefix, rev);
    }
    return rev;
  }

  private append(key: string, version: Version): void {
    for (const [prefix, rev] of this.prefixRevs) if (key.startsWith(prefix) && version.rev > rev) this.prefixRevs.set(prefix, version.rev);
    const versions = this.data.get(key) ?? [];
    versions.push(version);
    versions.sort((a, b) => a.rev - b.rev);
    this.data.set(key, versions);
  }

  private emit(event: StoreEvent): void {
    this.events.push(event);
    if (this.events.length > 10_000) this.events.shift();
    for (const listener of this.listeners) listener(event);
  }
}

function versionAt(versions: Version[], rev: number): Obj | null {
  let found: Obj | null = null;
  for (const v of versions) {
    if (v.rev > rev) break;
    found = v.obj;
  }
  return found;
}
