/** The library entry point composes the stages as the CLI does. */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { convertDumps, decodeDump, isIpamObject, serializeCalicoctl } from '../src/index.js';
import { REPO_ROOT, runCli } from './_helpers/cli.js';

test('library: decodeDump + convertDumps + serialize give the CLI output', async (t) => {
  const file = 'fixtures/sources/etcd-typical/etcd-v2.json';
  const dump = decodeDump(file, await readFile(join(REPO_ROOT, file), 'utf8'));
  const { objects, report, blocked } = convertDumps([dump], 'v3.0', 'calicoctl');
  // The calicoctl form copies Calico IPAM (for the etcd v3 datastore), so nothing blocks etcd-typical.
  t.false(blocked);
  t.is(report.summary.records, 80);
  const cli = await runCli(['convert', '--from-file', file, '--to', 'v3.0', '--form', 'calicoctl']);
  // The IPAM keys are not calicoctl resources: the CLI leaves them off stdout, as the library caller must.
  t.is(serializeCalicoctl(objects.filter((o) => !isIpamObject(o)), 'yaml'), cli.stdout);
  t.is(objects.filter(isIpamObject).length, 12);
});

test('library: the plan stages compose against a live cluster (desired → live → entries → diff → server dry run)', async (t) => {
  const { startCluster, KDD_FILES } = await import('./_helpers/cluster.js');
  const lib = await import('../src/index.js');
  const c = await startCluster({ gitVersion: 'v1.33.0' });
  try {
    const dumps = await Promise.all(KDD_FILES.map(async (f) => lib.decodeDump(f, await readFile(f, 'utf8'))));
    const { objects, report } = lib.convertDumps(dumps, 'v2.5', 'crd');
    const settings = lib.resolveSettings({ flags: { datastoreType: 'kubernetes', kubeconfig: c.kubeconfig }, env: {} }).settings;
    const client = lib.KubeClient.fromSettings(settings, {});
    const desired = lib.desiredFrom(objects, report, 'v2.5', 'calico-migrate test');
    const live = await lib.readTarget(client, desired);
    const entries = lib.buildEntries(desired, live);
    t.deepEqual(lib.summarize(entries), { create: 14, update: 0, unchanged: 0, conflict: 0, missing: 0 });
    t.regex(lib.planDiff(entries, live), /^\+\+\+ desired\/IPPool\/192-168-0-0-16$/m);
    // The CRDs do not exist yet, so the server cannot validate the objects: each says so.
    const results = await lib.writeEntries({ client, planHash: 'test', entries: lib.writesOf(entries, false), live, overwrite: false, dryRun: true, concurrency: 4 });
    t.true(results.every((r) => r.outcome === 'not-validated'), JSON.stringify(results.slice(0, 2)));
  } finally {
    await c.stop();
  }
});
