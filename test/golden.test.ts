/**
 * End-to-end goldens: `convert --to v2.5` on every bundled scenario must match the committed
 * List, report and stderr summary byte for byte. `UPDATE_GOLDEN=1 npm test` rewrites them;
 * review the diff like code.
 */
import test from 'ava';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runCli } from './_helpers/cli.js';
import { SCENARIOS, fromFileArgs } from './_helpers/scenarios.js';

const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

async function golden(path: string, actual: string): Promise<string> {
  const full = join(REPO_ROOT, path);
  if (UPDATE) {
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, actual);
    return actual;
  }
  return readFile(full, 'utf8');
}

for (const scenario of SCENARIOS) {
  test(`golden: ${scenario.name} converts to v2.5 exactly as committed`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-golden-'));
    const reportPath = join(dir, 'report.json');
    const run = await runCli(['convert', ...fromFileArgs(scenario.files), '--to', 'v2.5', '--report', reportPath]);
    t.is(run.code, scenario.exit, run.stderr);
    const report = await readFile(reportPath, 'utf8');
    const summary = run.stderr.replace(reportPath, '<report>');
    const base = `fixtures/golden/${scenario.name}`;
    t.is(run.stdout, await golden(`${base}/v2.5.yaml`, run.stdout), 'List output differs from the golden');
    t.is(report, await golden(`${base}/v2.5-report.json`, report), 'report differs from the golden');
    t.is(summary, await golden(`${base}/v2.5-summary.txt`, summary), 'stderr summary differs from the golden');
  });

  test(`golden: ${scenario.name} output is deterministic across runs and formats`, async (t) => {
    const a = await runCli(['convert', ...fromFileArgs(scenario.files), '--to', 'v2.5', '-o', 'json']);
    const b = await runCli(['convert', ...fromFileArgs([...scenario.files].reverse()), '--to', 'v2.5', '-o', 'json']);
    t.is(a.stdout, b.stdout, 'file order must not change the List');
    const yamlRun = await runCli(['convert', ...fromFileArgs(scenario.files), '--to', 'v2.5']);
    const { parse } = await import('yaml');
    t.deepEqual(parse(yamlRun.stdout), JSON.parse(a.stdout), 'YAML and JSON outputs must hold the same objects');
  });
}
