/**
 * End-to-end goldens: `convert --to v2.5` on every bundled scenario must match the committed
 * List, report and stderr summary byte for byte. `UPDATE_GOLDEN=1 npm test` rewrites them;
 * review the diff like code.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runCli } from './_helpers/cli.js';
import { SCENARIOS, fromFileArgs } from './_helpers/scenarios.js';
import { convertedItems } from './_helpers/items.js';

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

/** Every target and form a scenario is converted to; the golden file stem for each. */
const TARGETS: readonly { args: readonly string[]; stem: string }[] = [
  { args: ['--to', 'v2.5'], stem: 'v2.5' },
  { args: ['--to', 'v3.0', '--form', 'crd'], stem: 'v3.0-crd' },
  { args: ['--to', 'v3.0', '--form', 'calicoctl'], stem: 'v3.0-calicoctl' },
];

for (const scenario of SCENARIOS) {
  for (const target of TARGETS) {
    test(`golden: ${scenario.name} converts with ${target.args.join(' ')} exactly as committed`, async (t) => {
      const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-golden-'));
      const reportPath = join(dir, 'report.json');
      const patchPath = join(dir, 'node-patches.sh');
      const run = await runCli(['convert', ...fromFileArgs(scenario.files), ...target.args, '--report', reportPath, '--node-patches', patchPath]);
      t.not(run.code, 1, run.stderr);
      const report = await readFile(reportPath, 'utf8');
      // The exit code is part of the golden summary, so a change of verdict shows in review.
      const summary = `exit ${run.code}\n${run.stderr.replace(reportPath, '<report>').replace(patchPath, '<node-patches>')}`;
      const base = `fixtures/golden/${scenario.name}/${target.stem}`;
      t.is(run.stdout, await golden(`${base}.yaml`, run.stdout), 'List output differs from the golden');
      t.is(report, await golden(`${base}-report.json`, report), 'report differs from the golden');
      t.is(summary, await golden(`${base}-summary.txt`, summary), 'stderr summary and exit code differ from the golden');
      // Node annotation patches are kubectl commands, never Node objects in the List.
      const items = convertedItems<{ apiVersion: string; kind: string }>(run.stdout);
      t.false(items.some((i) => i.apiVersion === 'v1' && i.kind === 'Node'), 'the List holds no Kubernetes Node');
      // The script is always written; only one with commands has a golden.
      const patches = await readFile(patchPath, 'utf8');
      const patchGolden = join(REPO_ROOT, `${base}-node-patches.sh`);
      if (/^kubectl patch node /m.test(patches)) t.is(patches, await golden(`${base}-node-patches.sh`, patches), 'Node patch commands differ from the golden');
      else {
        t.regex(patches, /^# This conversion has no Node annotation changes: nothing to do\.$/m);
        if (UPDATE) await rm(patchGolden, { force: true });
        else t.false(existsSync(patchGolden), 'a Node patch golden exists, but no patches were written');
      }
    });
  }

  test(`golden: ${scenario.name} output is deterministic across runs and formats`, async (t) => {
    const a = await runCli(['convert', ...fromFileArgs(scenario.files), '--to', 'v3.0', '--form', 'calicoctl', '-o', 'json']);
    const b = await runCli(['convert', ...fromFileArgs([...scenario.files].reverse()), '--to', 'v3.0', '--form', 'calicoctl', '-o', 'json']);
    t.is(a.stdout, b.stdout, 'file order must not change the List');
    const yamlRun = await runCli(['convert', ...fromFileArgs(scenario.files), '--to', 'v3.0', '--form', 'calicoctl']);
    t.deepEqual(convertedItems(yamlRun.stdout), JSON.parse(a.stdout), 'YAML and JSON outputs must hold the same objects');
  });
}
