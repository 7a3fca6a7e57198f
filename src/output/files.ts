/** Files the tool writes (plans, journals' backups, reports), written atomically. */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CalicoMigrateError } from '../errors.js';

/** Writes a file atomically: a temporary sibling, then a rename. */
export async function writeFileAtomic(path: string, text: string, mode = 0o644): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, text, { mode });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new CalicoMigrateError('E_OUTPUT_WRITE', `${path}: cannot write (${(e as Error).message})`, { cause: e });
  }
}
