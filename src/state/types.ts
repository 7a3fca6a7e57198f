/**
 * Where a migration's state lives: the journal, the plan and the backup of each run. A run is one
 * plan applied (again and again, and rolled back), named by the first 12 hex digits of the plan's
 * hash. `local` files suit a laptop and air-gapped work; a store in the target (Secrets in the
 * tool's own namespace, or keys under its own etcd prefix) survives the machine that ran the apply,
 * so that any machine can resume, report and roll back.
 *
 * Every store keeps the journal append-only, as small immutable chunks written in order (never a
 * rewrite of a growing object), and splits plans and backups below the store's size limit.
 * Plans are kept compressed (gzip): a plan's JSON repeats itself, and a 20,000-policy plan of 33 MB
 * is 0.5 MB compressed, one object instead of forty-odd.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
export interface RunInfo {
  readonly run: string;
  /** The plan hash the run's state is labelled with (a prefix of it, where labels are short). */
  readonly planHash: string;
  /** How many journal chunks it has. */
  readonly chunks: number;
}

export interface StateStore {
  readonly kind: 'kubernetes' | 'etcd';
  /** Where the state is, for people: namespace and server, or key prefix and endpoints. */
  describe(run?: string): string;
  /** The most bytes of journal lines one chunk may hold (the store's object or request size limit). */
  readonly maxJournalChunk: number;
  /** Appends journal lines (JSON records) as one new chunk, durably, after every earlier chunk. */
  appendJournal(run: string, planHash: string, lines: readonly string[]): Promise<void>;
  /** Every journal line of a run, in order. */
  readJournalLines(run: string): Promise<string[]>;
  /** Saves a run's plan (once: a plan does not change). */
  savePlan(run: string, planHash: string, text: string): Promise<void>;
  loadPlan(run: string): Promise<string | undefined>;
  /** Adds a part to a run's backup (the before-images of a run's writes; later parts add, never replace). */
  addBackup(run: string, planHash: string, text: string): Promise<void>;
  /** Every backup part of a run, in order. */
  loadBackup(run: string): Promise<string[]>;
  /** Every run whose state is kept. */
  runs(): Promise<RunInfo[]>;
  /** Removes everything of one run; how many objects or keys went. */
  forget(run: string): Promise<number>;
}

/** The run a plan's state is kept under. */
export function runIdOf(planHash: string): string {
  return planHash.slice(0, 12);
}

/** Parts of a plan or backup stored at once: a 20k-object plan is tens of parts, each a round trip. */
export const PARALLEL_PARTS = 8;

/** Splits text into parts of at most `max` UTF-8 bytes, never inside a character. */
export function splitText(text: string, max: number): string[] {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= max) return [text];
  const parts: string[] = [];
  let start = 0;
  while (start < buf.length) {
    let end = Math.min(buf.length, start + max);
    // Back off to a character boundary (UTF-8 continuation bytes are 10xxxxxx).
    while (end < buf.length && end > start && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
    parts.push(buf.subarray(start, end).toString('utf8'));
    start = end;
  }
  return parts;
}

/**
 * A text as kept compressed: the gzip of its UTF-8 bytes, cut into parts of at most `max` bytes.
 * `digest` names the compressed stream. Another zlib may compress the same text into other bytes,
 * so a save completed by another build of the tool never mixes its parts with these: each stream's
 * parts are stored under its digest, and only a whole stream is read back.
 */
export interface PackedText {
  readonly digest: string;
  readonly parts: readonly Buffer[];
}

const gzipped = promisify(gzip);
const gunzipped = promisify(gunzip);

export async function packText(text: string, max: number): Promise<PackedText> {
  const bytes = await gzipText(text);
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += max) parts.push(bytes.subarray(at, at + max));
  return { digest: createHash('sha256').update(bytes).digest('hex').slice(0, 12), parts };
}

/** The gzip of a text's UTF-8 bytes (compressed on the thread pool: concurrent writers are not held up). */
export async function gzipText(text: string): Promise<Buffer> {
  return gzipped(Buffer.from(text, 'utf8'));
}

/** The text of a packed stream's parts, in order. */
export async function unpackText(parts: readonly Uint8Array[]): Promise<string> {
  return (await gunzipped(Buffer.concat(parts))).toString('utf8');
}

/** One stored part of a packed stream: which stream, how many parts it has, which one this is. */
export interface StoredPart<T> {
  readonly digest: string;
  readonly count: number;
  readonly index: number;
  readonly bytes: T;
}

/** The parts of the first whole stream (by digest), in order; undefined when none is whole (a save cut short). */
export function wholeStream<T>(parts: readonly StoredPart<T>[]): T[] | undefined {
  const byDigest = new Map<string, StoredPart<T>[]>();
  for (const p of parts) {
    const same = byDigest.get(p.digest);
    if (same) same.push(p);
    else byDigest.set(p.digest, [p]);
  }
  for (const digest of [...byDigest.keys()].sort()) {
    const mine = byDigest.get(digest) ?? [];
    const count = mine[0]?.count ?? 0;
    const at: (T | undefined)[] = Array.from({ length: count }, () => undefined);
    for (const p of mine) if (p.count === count && p.index >= 0 && p.index < count) at[p.index] = p.bytes;
    if (count > 0 && at.every((b) => b !== undefined)) return at as T[];
  }
  return undefined;
}
