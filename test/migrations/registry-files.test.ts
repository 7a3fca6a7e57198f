/**
 * Every step file is registered under its own id, and steps stay pure: they import only model,
 * naming and pure helper modules, and never touch clocks, randomness, the environment or I/O.
 */
import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STEPS } from '../../migrations/index.js';
import { REPO_ROOT } from '../_helpers/cli.js';

const STEP_FILE = /^(\d{4}-[a-z0-9-]+)\.ts$/;
const ALLOWED_IMPORTS = [
  /^\.\/[a-z0-9-]+\.js$/,
  /^\.\.\/shared\/[a-z0-9-]+\.js$/,
  /^\.\.\/\.\.\/src\/(model\/[a-z0-9-]+|names|net|util|selector|migrate\/step|v3\/felix-config|v3\/ipam)\.js$/,
];
const FORBIDDEN = [/\bDate\b/, /Math\.random/, /process\./, /\basync\b/, /\bawait\b/, /\brequire\(/, /\bfetch\(/];

for (const version of Object.keys(STEPS) as (keyof typeof STEPS)[]) {
  test(`registry: every step file in migrations/${version} is registered, in file-name order`, async (t) => {
    const files = (await readdir(join(REPO_ROOT, 'migrations', version))).sort();
    const ids = files.flatMap((f) => STEP_FILE.exec(f)?.[1] ?? []);
    t.deepEqual(STEPS[version].map((s) => s.id), ids);
  });

}

for (const folder of [...Object.keys(STEPS), 'shared']) {
  test(`purity: migrations/${folder} imports only pure modules and uses no clock, randomness, environment or I/O`, async (t) => {
    const dir = join(REPO_ROOT, 'migrations', folder);
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ts'))) {
      const text = await readFile(join(dir, file), 'utf8');
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      for (const m of code.matchAll(/from\s+'([^']+)'/g)) {
        const spec = m[1] ?? '';
        t.true(ALLOWED_IMPORTS.some((re) => re.test(spec)), `${file} imports ${spec}`);
      }
      for (const re of FORBIDDEN) t.false(re.test(code), `${file} matches ${re}`);
    }
  });
}
