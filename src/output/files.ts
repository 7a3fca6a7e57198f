/** Files the tool writes (plans, journals' backups, reports), written atomically. */
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
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
    await rm(tmp, { force: true });
    throw new CalicoMigrateError('E_OUTPUT_WRITE', `${path}: cannot write (${(e as Error).message})`, { cause: e });
  }
}

async function writePieces(path: string, pieces: Iterable<string | Uint8Array>, mode: number): Promise<void> {
  const handle = await open(path, 'w', mode);
  try {
    for (const piece of pieces) {
      // A write may take less than it is given: the rest follows until the piece is all written.
      const bytes = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
      for (let done = 0; done < bytes.length; ) done += (await handle.write(bytes, done)).bytesWritten;
    }
  } finally {
    await handle.close();
  }
}
