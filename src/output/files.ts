/** Files the tool writes (plans, journals' backups, reports), written atomically. */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writevSync } from 'node:fs';
import { mkdir, open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CalicoMigrateError } from '../errors.js';

/** Writes a file atomically: a temporary sibling, then a rename. The text may come in pieces (strings, or bytes). */
export async function writeFileAtomic(path: string, text: string | Iterable<string | Uint8Array>, mode = 0o644): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    if (typeof text === 'string') await writeFile(tmp, text, { mode });
    else await writePieces(tmp, text, mode);
    await rename(tmp, path);
  } catch (e) {
    // The temporary file may not be there to remove (its directory could not be made): the error
    // reported is the one that stopped the write.
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new CalicoMigrateError('E_OUTPUT_WRITE', `${path}: cannot write (${(e as Error).message})`, { cause: e });
  }
}

async function writePieces(path: string, pieces: Iterable<string | Uint8Array>, mode: number): Promise<void> {
  const handle = await open(path, 'w', mode);
  // One write in flight while the next piece is made: a large report is made and written at once.
  let inflight: Promise<void> | undefined;
  try {
    for (const piece of pieces) {
      const bytes = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
      await inflight;
      inflight = writeAll(handle, bytes);
      // Settled by the next await (or the one below); a failure is not left unobserved meanwhile.
      inflight.catch(() => undefined);
    }
    await inflight;
  } finally {
    await inflight?.catch(() => undefined);
    await handle.close();
  }
}

/** Writes all of `bytes`: a write may take less than it is given, and the rest follows. */
async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length; ) done += (await handle.write(bytes, done)).bytesWritten;
}

/** Bytes gathered before one write: a download's pieces are small (64 KiB), a system call each was a cost. */
const GATHER = 1 << 20;

/**
 * A file written atomically from bytes as they come (a download): a temporary sibling written
 * synchronously, gathered pieces at a time, renamed over `path` by `commit`; `restart` empties it
 * again, `abort` removes it. Errors name the path.
 */
export function atomicFileWriter(path: string, mode = 0o644): { restart(): void; write(chunk: Uint8Array): void; commit(): void; abort(): void } {
  const tmp = `${path}.tmp-${process.pid}`;
  const failed = (e: unknown) => new CalicoMigrateError('E_OUTPUT_WRITE', `${path}: cannot write (${(e as Error).message})`, { cause: e });
  let fd: number | undefined;
  let pending: Uint8Array[] = [];
  let size = 0;
  const opened = (): number => {
    if (fd === undefined) {
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(tmp, 'w', mode);
    }
    return fd;
  };
  const flush = (): void => {
    const f = opened();
    let pieces = pending;
    pending = [];
    size = 0;
    while (pieces.length > 0) {
      // A write may take less than it is given: what it left is written next.
      let written = writevSync(f, pieces);
      let i = 0;
      while (i < pieces.length && written >= pieces[i]!.length) written -= pieces[i++]!.length;
      pieces = pieces.slice(i);
      if (written > 0) pieces[0] = pieces[0]!.subarray(written);
    }
  };
  const close = (): void => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };
  return {
    restart() {
      // Opened again at the next write, which empties it ('w').
      pending = [];
      size = 0;
      try {
        close();
      } catch (e) {
        throw failed(e);
      }
    },
    write(chunk) {
      pending.push(chunk);
      size += chunk.length;
      if (size < GATHER) return;
      try {
        flush();
      } catch (e) {
        throw failed(e);
      }
    },
    commit() {
      try {
        flush();
        close();
        renameSync(tmp, path);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw failed(e);
      }
    },
    abort() {
      pending = [];
      try {
        close();
      } finally {
        rmSync(tmp, { force: true });
      }
    },
  };
}
