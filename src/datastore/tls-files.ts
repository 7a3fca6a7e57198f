/** Reads the certificate and key files a setting names; a missing file is an error naming the setting. */
import { readFile } from 'node:fs/promises';
import { CalicoMigrateError } from '../errors.js';

export async function readSettingFile(setting: string, path: string | undefined): Promise<Buffer | undefined> {
  if (path === undefined || path === '') return undefined;
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new CalicoMigrateError('E_USAGE', `${setting} ${path}: cannot read (${why})`, { cause: e });
  }
}
