/** File and stream I/O for the CLI, kept out of the pure stages. */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CalicoMigrateError } from '../errors.js';
import { decodeDump, type DecodedDump, type InputFormat } from '../input/dump.js';

/** Where a command writes; tests pass buffers, the executable passes process streams. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly cwd: string;
  /** The environment the datastore settings are read from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the default calicoctl config file is looked for (default /etc/calico/calicoctl.cfg). */
  readonly defaultConfigPath?: string;
}

export async function readDumps(paths: readonly string[], cwd: string, format?: InputFormat): Promise<DecodedDump[]> {
  const dumps: DecodedDump[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(resolvePath(cwd, path), 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
      throw new CalicoMigrateError('E_INPUT_READ', `${path}: cannot read (${why})`, { cause: e });
    }
    dumps.push(decodeDump(path, text, format));
  }
  return dumps;
}

export function resolvePath(cwd: string, path: string): string {
  return path.startsWith('/') ? path : join(cwd, path);
}

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

/** Files this tool writes into an --out-dir: `NNN-kind-name.yaml|json`. */
const OUT_FILE = /^\d{3,}-[a-z0-9.-]+\.(yaml|json)$/;

/**
 * Prepares an output directory: created when missing; when it exists it may only hold files
 * this tool wrote before (they are replaced), so a re-run never mixes old and new objects and
 * never deletes anything else.
 */
export async function prepareOutDir(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      await mkdir(dir, { recursive: true });
      return;
    }
    throw new CalicoMigrateError('E_OUTPUT_WRITE', `${dir}: cannot read the output directory (${(e as Error).message})`, { cause: e });
  }
  const foreign = entries.filter((e) => !OUT_FILE.test(e));
  if (foreign.length > 0) {
    throw new CalicoMigrateError('E_OUTPUT_WRITE', `${dir}: the output directory holds files this tool did not write (${foreign.slice(0, 3).join(', ')}); use an empty or new directory`);
  }
  await Promise.all(entries.map((e) => rm(join(dir, e))));
}
