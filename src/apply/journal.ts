/**
 * The apply journal: one JSON record per line, appended and flushed to disk before and after every
 * write (owner-only permissions, next to the plan). An apply killed at any point leaves a journal
 * that says what it meant to write and what it knows it wrote; a re-run converges to the plan, and
 * `rollback` undoes exactly what the journal records: it restores the before-image of everything it
 * overwrote and deletes everything it created. A torn last line (a crash mid-append) is ignored.
 */
import { open, readFile } from 'node:fs/promises';
import type { KubeObject, ResourceType } from '../datastore/kube-client.js';
import { CalicoMigrateError } from '../errors.js';
import { isRecord } from '../input/dump.js';
import type { StateStore } from '../state/types.js';
import type { PlanAction } from '../plan/types.js';
import type { LockInfo } from './lock.js';

/** A Node's state before a patch: the values of the keys the plan sets (null = absent), and this tool's key list. */
export interface NodeBefore {
  readonly annotations: Readonly<Record<string, string | null>>;
  readonly nodeKeys: string | null;
}

export type JournalRecord =
  | { readonly t: 'begin'; readonly time: string; readonly run: string; readonly planHash: string; readonly planFile?: string; readonly target: string; readonly server: string; readonly cluster?: string; readonly overwrite: boolean; readonly writes: readonly { readonly key: string; readonly action: PlanAction }[]; readonly backupFile?: string }
  | { readonly t: 'crd-created'; readonly time: string; readonly run: string; readonly name: string; readonly apiVersion: string }
  | { readonly t: 'intent'; readonly time: string; readonly run: string; readonly key: string; readonly action: PlanAction; readonly resource?: ResourceType; readonly before: KubeObject | NodeBefore | null; readonly after?: Readonly<Record<string, string>> }
  | { readonly t: 'done'; readonly time: string; readonly run: string; readonly key: string; readonly action: PlanAction; readonly outcome: string; readonly resourceVersion: string }
  | { readonly t: 'failed'; readonly time: string; readonly run: string; readonly key: string; readonly action: PlanAction; readonly error: string }
  | { readonly t: 'force-unlock'; readonly time: string; readonly run: string; readonly removed: LockInfo | null; readonly automatic: boolean }
  | { readonly t: 'verify'; readonly time: string; readonly run: string; readonly ok: boolean; readonly differences: readonly string[]; readonly omitted?: number }
  | { readonly t: 'end'; readonly time: string; readonly run: string; readonly outcome: 'applied' | 'failed' | 'interrupted' | 'nothing-to-do'; readonly message?: string }
  | { readonly t: 'rollback'; readonly time: string; readonly run: string; readonly key: string; readonly outcome: 'deleted' | 'restored' | 'already-gone' | 'kept' | 'failed'; readonly detail?: string }
  | { readonly t: 'rollback-end'; readonly time: string; readonly run: string; readonly outcome: 'rolled-back' | 'incomplete'; readonly message?: string }
  /** The cut-over: the v1 ready flag about to be set to false (`before`: its value, null when absent). */
  | { readonly t: 'pause'; readonly time: string; readonly run: string; readonly flag: string; readonly before: string | null }
  /** The v1 ready flag given back (`moved`: someone else had changed it, so it was left as it was). */
  | { readonly t: 'resume'; readonly time: string; readonly run: string; readonly flag: string; readonly outcome: 'restored' | 'already-restored' | 'moved'; readonly now?: string | null; readonly reason: string }
  /** The writes planned again after the pause, and what had changed since the plan. */
  | { readonly t: 'replan'; readonly time: string; readonly run: string; readonly writes: readonly { readonly key: string; readonly action: PlanAction }[]; readonly changes: readonly string[]; readonly omitted?: number }
  /** More planned writes of the `begin` or `replan` record just before (a long list spans several records, each a small line). */
  | { readonly t: 'writes'; readonly time: string; readonly run: string; readonly writes: readonly { readonly key: string; readonly action: PlanAction }[] }
  /** `complete`: ClusterInformation datastoreReady set to true; calico/node v3 owns the datastore. */
  | { readonly t: 'cut-over-complete'; readonly time: string; readonly run: string };

/** A record before its time and run are stamped. */
export type JournalEntry = JournalRecord extends infer R ? (R extends JournalRecord ? Omit<R, 'time' | 'run'> : never) : never;

/** Where an open journal's records go: a local file, or a state store in the target. */
interface JournalSink {
  write(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * An open journal. Every append is durable before it returns: on disk (fdatasync) for a local
 * file; in a state store, as new chunks. Appends that arrive while a chunk is being stored go
 * together into the next one (group commit), so concurrent writers share the round trips and an
 * intent is still stored before its write; `appendAll` stores a whole batch's records (the write
 * stage's intents before the batch's writes, then their outcomes) in one append. A chunk holds at
 * most `maxChunk` bytes of records (a state store's object size limit), so a large batch is
 * stored as several chunks, one after another, before the append returns.
 */
export class Journal {
  /** Where it is, for people: the file's path, or the store's description. */
  readonly path: string;
  readonly run: string;
  private readonly sink: JournalSink;
  private readonly now: () => Date;
  private readonly maxChunk: number;
  private pending: string[] = [];
  private flushing: Promise<void> | undefined;

  private constructor(path: string, run: string, sink: JournalSink, now: () => Date, maxChunk = Infinity) {
    this.path = path;
    this.run = run;
    this.sink = sink;
    this.now = now;
    this.maxChunk = maxChunk;
  }

  /**
   * Opens (creating with mode 0600, or appending to) the journal at `path`. A torn last line (a crash
   * during an append) is cut off first, so that the next record starts on a line of its own.
   */
  static async open(path: string, run: string, now: () => Date = () => new Date()): Promise<Journal> {
    try {
      const handle = await open(path, 'a+', 0o600);
      const { size } = await handle.stat();
      if (size > 0) {
        const text = (await handle.readFile()).toString('utf8');
        if (!text.endsWith('\n')) {
          await handle.truncate(Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1), 'utf8'));
          await handle.datasync();
        }
      }
      const sink: JournalSink = {
        write: async (lines) => {
          await handle.write(lines.join(''));
          await handle.datasync();
        },
        close: () => handle.close(),
      };
      return new Journal(path, run, sink, now);
    } catch (e) {
      throw new CalicoMigrateError('E_OUTPUT_WRITE', `${path}: cannot open the journal (${(e as Error).message})`, { cause: e });
    }
  }

  /** A journal kept in a state store in the target, as chunks of the run `runId`. */
  static remote(store: StateStore, runId: string, planHash: string, run: string, now: () => Date = () => new Date()): Journal {
    return new Journal(store.describe(runId), run, { write: (lines) => store.appendJournal(runId, planHash, lines), close: async () => undefined }, now, store.maxJournalChunk);
  }

  append(entry: JournalEntry): Promise<void> {
    return this.appendAll([entry]);
  }

  /** Appends several records with one durable store (or as few as the chunk size allows). */
  async appendAll(entries: readonly JournalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const time = this.now().toISOString();
    for (const entry of entries) this.pending.push(`${JSON.stringify({ ...entry, time, run: this.run })}\n`);
    try {
      await this.flush();
    } catch (e) {
      throw new CalicoMigrateError('E_OUTPUT_WRITE', `${this.path}: cannot write the journal (${(e as Error).message}); stopping before the next write`, { cause: e });
    }
  }

  /** Stores what is pending; one store at a time, each taking everything that waits. */
  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        while (this.pending.length > 0) await this.sink.write(this.pending.splice(0, this.chunkLength()));
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  /** How many pending lines the next chunk takes: as many as fit in `maxChunk`, at least one. */
  private chunkLength(): number {
    let size = 0;
    for (let i = 0; i < this.pending.length; i++) {
      size += Buffer.byteLength(this.pending[i]!, 'utf8');
      if (size > this.maxChunk) return Math.max(1, i);
    }
    return this.pending.length;
  }

  async close(): Promise<void> {
    await this.flushing?.catch(() => undefined);
    await this.sink.close();
  }
}

/** A planned write as the journal lists it. */
export interface PlannedWrite {
  readonly key: string;
  readonly action: PlanAction;
}

/** Planned writes per record, and list entries (differences, changes) kept per record: every line stays far below a chunk. */
export const WRITES_PER_RECORD = 2000;
export const LIST_LIMIT = 1000;

/** A `begin` or `replan` record and the `writes` records that continue its list, to append together. */
export function withWrites(head: Extract<JournalEntry, { t: 'begin' | 'replan' }>, writes: readonly PlannedWrite[]): JournalEntry[] {
  const list = writes.map((w) => ({ key: w.key, action: w.action }));
  const more: JournalEntry[] = [];
  for (let i = WRITES_PER_RECORD; i < list.length; i += WRITES_PER_RECORD) more.push({ t: 'writes', writes: list.slice(i, i + WRITES_PER_RECORD) });
  return [{ ...head, writes: list.slice(0, WRITES_PER_RECORD) }, ...more];
}

/** The planned writes of the `begin` or `replan` record at `index`, with the `writes` records that follow it. */
export function plannedWrites(records: readonly JournalRecord[], index: number): PlannedWrite[] {
  const head = records[index];
  if (!head || (head.t !== 'begin' && head.t !== 'replan')) return [];
  const out = [...head.writes];
  for (let i = index + 1; i < records.length; i++) {
    const r = records[i];
    if (r?.t !== 'writes') break;
    for (const w of r.writes) out.push(w);
  }
  return out;
}

/** At most LIST_LIMIT entries of a list for one record, and how many were left out. */
export function capped(list: readonly string[]): { list: string[]; omitted?: number } {
  return list.length <= LIST_LIMIT ? { list: [...list] } : { list: list.slice(0, LIST_LIMIT), omitted: list.length - LIST_LIMIT };
}

/** Parses journal lines; a torn final line (a crash during an append) is ignored, any other bad line is an error. */
export function parseJournal(lines: readonly string[], where: string): JournalRecord[] {
  const records: JournalRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const v: unknown = JSON.parse(line);
      if (!isRecord(v) || typeof v['t'] !== 'string') throw new Error('not a journal record');
      records.push(v as unknown as JournalRecord);
    } catch (e) {
      const last = lines.slice(i + 1).every((l) => l.trim() === '');
      if (!last) throw new CalicoMigrateError('E_INPUT_FORMAT', `${where}: line ${i + 1} is not a journal record (${(e as Error).message})`);
    }
  });
  return records;
}

/** A run's journal kept in a state store. */
export async function readStoredJournal(store: StateStore, runId: string): Promise<JournalRecord[]> {
  return parseJournal(await store.readJournalLines(runId), store.describe(runId));
}

/** Reads a journal; a torn final line (a crash during an append) is ignored, any other bad line is an error. */
export async function readJournal(path: string): Promise<JournalRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CalicoMigrateError('E_INPUT_READ', `${path}: cannot read the journal (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  return parseJournal(text.split('\n'), path);
}
