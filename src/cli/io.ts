/** File and stream I/O for the CLI, kept out of the pure stages. */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CalicoMigrateError } from '../errors.js';
import { decodeDump, type DecodedDump, type InputFormat } from '../input/dump.js';
export { writeFileAtomic } from '../output/files.js';

import type { CliIo } from '../io.js';
export type { CliIo };

export async function readDumps(paths: readonly string[], cwd: string, format?: InputFormat): Promise<DecodedDump[]> {
  const dumps: DecodedDump[] = [];
  for (const path of paths) {
    let bytes: Buffer | undefined;
    try {
      bytes = await readFile(resolvePath(cwd, path));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
      throw new CalicoMigrateError('E_INPUT_READ', `${path}: cannot read (${why})`, { cause: e });
    }
    // The file's bytes are hashed as read: the hash of the text as UTF-8 is the same whenever the
    // bytes are UTF-8, and the text is not encoded again to find it (a large dump is 100 MB).
    const sha256 = isUtf8(bytes) ? createHash('sha256').update(bytes).digest('hex') : undefined;
    const text = bytes.toString('utf8');
    // The bytes are not held while the text is decoded.
    bytes = undefined;
    dumps.push(decodeDump(path, text, format, sha256));
  }
  return dumps;
}

/**
 * Writes text to a command's stream a piece at a time, in order, waiting whenever the stream asks
 * (a process stream into a slow pipe), so that large output is never all held at once.
 */
export async function writeStream(stream: CliIo['stdout'], pieces: Iterable<string>): Promise<void> {
  for (const piece of pieces) {
    const emitter = stream as Partial<NodeJS.EventEmitter>;
    if (stream.write(piece) === false && typeof emitter.once === 'function') await once(emitter as NodeJS.EventEmitter, 'drain');
  }
}

export function resolvePath(cwd: string, path: string): string {
  return path.startsWith('/') ? path : join(cwd, path);
}


/** The file in an --out-dir that lists what this tool wrote there. */
export const OUT_DIR_MANIFEST = '.calico-migrate-files';

/**
 * Writes one file per object into `dir`, replacing the whole set atomically: the new files are
 * written into a sibling temporary directory, which then takes the place of `dir`. An existing
 * `dir` must be empty or hold exactly what an earlier run listed in its manifest, so a re-run
 * never mixes old and new objects and never deletes anything this tool did not write.
 */
export async function writeOutDir(dir: string, files: readonly { name: string; text: string }[]): Promise<void> {
  let existing: string[] | undefined;
  try {
    existing = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CalicoMigrateError('E_OUTPUT_WRITE', `${dir}: cannot read the output directory (${(e as Error).message})`, { cause: e });
    }
  }
  if (existing && existing.length > 0) {
    let listed: string[] = [];
    try {
      listed = (await readFile(join(dir, OUT_DIR_MANIFEST), 'utf8')).split('\n').filter((l) => l !== '');
    } catch {
      // no manifest: nothing here was written by this tool
    }
    const foreign = existing.filter((e) => e !== OUT_DIR_MANIFEST && !listed.includes(e));
    if (foreign.length > 0) {
      throw new CalicoMigrateError('E_OUTPUT_WRITE', `${dir}: the output directory holds files this tool did not write (${foreign.slice(0, 3).join(', ')}); use an empty or new directory`);
    }
  }
  const stamp = `${process.pid}-${Date.now()}`;
  const staging = `${dir}.tmp-${stamp}`;
  const retired = `${dir}.old-${stamp}`;
  try {
    await mkdir(staging, { recursive: true });
    for (const f of files) await writeFile(join(staging, f.name), f.text, { mode: 0o644 });
    await writeFile(join(staging, OUT_DIR_MANIFEST), files.map((f) => `${f.name}\n`).join(''), { mode: 0o644 });
    if (existing) await rename(dir, retired);
    await rename(staging, dir);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    if (existing) await rename(retired, dir).catch(() => undefined);
    throw new CalicoMigrateError('E_OUTPUT_WRITE', `${dir}: cannot write the output directory (${(e as Error).message})`, { cause: e });
  }
  await rm(retired, { recursive: true, force: true });
}

/** Colour only on a terminal, and never with NO_COLOR set. */
export function colourAllowed(io: CliIo): boolean {
  return io.interactive?.isTTY === true && !(io.env ?? process.env)['NO_COLOR'];
}
