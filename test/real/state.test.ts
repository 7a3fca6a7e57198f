/**
 * State that outlives the runner, against the real kube-apiserver: the real executable, run from
 * one directory with a fresh home (a Job-like process), is killed (SIGKILL) in the middle of its
 * writes; from a second empty directory status tells the truth and apply resumes the same run
 * without creating anything twice; from a third, rollback undoes both runs and forget removes the
 * run's Secrets, leaving the whole cluster exactly as before.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { REPO_ROOT, runCli } from '../_helpers/cli.js';
import { clusterSnapshot } from '../_helpers/control-plane.js';
import { fixtureNodes, startRealCluster, type RealCluster } from '../_helpers/real-cluster.js';

interface Rec { t: string; key?: string; outcome?: string; run?: string }

/** The journal records kept in the cluster's Secrets, in chunk order (read with kubectl and gunzip, as an operator could). */
async function keptRecords(c: RealCluster): Promise<Rec[]> {
  const r = await c.kubectl(['get', 'secrets', '-n', 'calico-migrate', '-l', 'calico-migrate.projectcalico.org/part=journal', '-o', 'json']);
  if (r.code !== 0) return [];
  const items = (JSON.parse(r.stdout) as { items: { metadata: { name: string }; data?: { 'records.gz'?: string } }[] }).items.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  return items.flatMap((s) => gunzipSync(Buffer.from(s.data?.['records.gz'] ?? '', 'base64')).toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Rec));
}

test.serial('real state: killed mid-write on one machine; status, resume and rollback from others, with the run kept in Secrets; the cluster ends exactly as before', async (t) => {
  const c = await startRealCluster({ nodes: await fixtureNodes({ calicoAnnotations: false }) });
  const dirs: string[] = [];
  const machine = async () => {
    const d = await mkdtemp(join(tmpdir(), 'calico-migrate-machine-'));
    dirs.push(d);
    return d;
  };
  try {
    // The namespace the rbac manifest creates, made first so that the snapshots compare the migration alone.
    t.is((await c.kubectl(['create', 'namespace', 'calico-migrate'])).code, 0);
    const keys: Record<string, string> = { '/calico/v1/config/LogSeverityScreen': 'Info' };
    for (let i = 0; i < 300; i++) keys[`/calico/v1/policy/tier/default/policy/p-${String(i).padStart(4, '0')}`] = JSON.stringify({ order: i, selector: `app == 'a${i}'`, inbound_rules: [], outbound_rules: [] });
    const file = join(c.dir, 'many.json');
    await writeFile(file, JSON.stringify(keys));
    const before = await clusterSnapshot(c.cp);

    const first = await machine();
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: first, KUBECONFIG: c.kubeconfig, DATASTORE_TYPE: 'kubernetes', NO_COLOR: '1' };
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/calico-migrate.js'), 'apply', '--to', 'v3.0', '--from-file', file, '--yes', '--concurrency', '2'], { cwd: first, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const written = async (): Promise<string[]> => {
      const r = await c.kubectl(['get', 'globalnetworkpolicies.crd.projectcalico.org', '-o', 'name', '--chunk-size', '500']);
      return r.code === 0 ? r.stdout.split('\n').filter((l) => l !== '').map((l) => l.slice(l.indexOf('/') + 1)) : [];
    };
    try {
      // Killed once some objects are written: inside the journal batch whose intents were stored first.
      for (let i = 0; i < 300 && (await written()).length < 20; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      child.kill('SIGKILL');
    }
    t.is(await exited, 'SIGKILL', output.slice(-2000));
    const killed = await keptRecords(c);
    const present = await written();
    t.true(present.length >= 20 && present.length < 300, `${present.length} policies written before the kill`);
    // Never a write before its intent: every object on the cluster has its intent in the journal.
    const intents = killed.filter((r) => r.t === 'intent').map((r) => r.key ?? '');
    for (const name of present) t.true(intents.includes(`GlobalNetworkPolicy/${name}`), `${name} was written without a stored intent`);
    t.true(killed.filter((r) => r.t === 'done').length < 301, 'the run was killed before it recorded every outcome');
    t.deepEqual(await readdir(first), [], 'nothing of the run is on the machine that ran it');

    const second = await machine();
    const status = await runCli(['status', '-o', 'json'], second, c.env);
    t.is(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as { status: { lastOutcome: string; planned: number; remaining: string[] } };
    t.is(s.status.lastOutcome, 'interrupted');
    t.is(s.status.planned, 301);
    const resumed = await runCli(['apply', '--to', 'v3.0', '--from-file', file, '--yes', '-o', 'json'], second, c.env);
    t.is(resumed.code, 0, resumed.stdout.slice(0, 2000) + resumed.stderr);
    const all = await keptRecords(c);
    const created = all.filter((r) => r.t === 'done' && r.outcome === 'created').map((r) => r.key ?? '');
    t.is(new Set(created).size, created.length, 'no object was created twice');
    t.is(new Set(all.filter((r) => r.t === 'begin').map((r) => r.run)).size, 2, 'both runs are in the one journal of the run');
    const count = await c.kubectl(['get', 'globalnetworkpolicies.crd.projectcalico.org', '-o', 'name', '--chunk-size', '500']);
    t.is(count.stdout.trim().split('\n').length, 300);

    const third = await machine();
    const rolled = await runCli(['rollback', '--yes', '-o', 'json'], third, c.env);
    t.is(rolled.code, 0, rolled.stdout.slice(0, 2000) + rolled.stderr);
    const run = /run-([0-9a-f]{12})-/.exec((JSON.parse(resumed.stdout) as { journal: string }).journal)?.[1] ?? '';
    const forgot = await runCli(['forget', run], third, c.env);
    t.is(forgot.code, 0, forgot.stdout + forgot.stderr);
    for (let i = 0; i < 100 && (await c.kubectl(['get', 'crd', '-o', 'name'])).stdout.includes('projectcalico'); i++) await new Promise((r) => setTimeout(r, 100));
    t.deepEqual(await clusterSnapshot(c.cp), before, 'rolled back and forgotten: the whole cluster exactly as before');
  } finally {
    await c.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
});
