/** Finding the journal a command works on: `--journal`, or the newest one in the state directory. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CalicoMigrateError } from '../../errors.js';
import { resolvePath, type CliIo } from '../io.js';

export async function findJournal(journal: string | undefined, stateDir: string, io: CliIo): Promise<string | undefined> {
  if (journal) return resolvePath(io.cwd, journal);
  const dir = resolvePath(io.cwd, stateDir);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.journal'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CalicoMigrateError('E_INPUT_READ', `${dir}: cannot list the state directory (${(e as Error).message})`, { cause: e });
  }
  const dated = await Promise.all(names.map(async (n) => ({ path: join(dir, n), mtime: (await stat(join(dir, n))).mtimeMs })));
  dated.sort((a, b) => b.mtime - a.mtime || (a.path < b.path ? -1 : 1));
  return dated[0]?.path;
}
