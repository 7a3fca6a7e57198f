/** Files the tool writes (plans, journals' backups, reports), written atomically. */
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CalicoMigrateError } from '../errors.js';

/** Writes a file atomically: a temporary sibling, then a rename. The text may come in pieces. */
export async function writeFileAtomic(path: string, text: string | Iterable<string>, mode = 0o644): Promise<void> {
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

async function writePieces(path: string, pieces: Iterable<string>, mode: number): Promise<void> {
  const handle = await open(path, 'w', mode);
  try {
    for (const piece of pieces) await handle.write(piece);
  } finally {
    await handle.close();
  }
}
