/**
 * Behaviours a code review asked for, end to end: no server-side dry run where the server would
 * write for real; a plan identifies its cluster by kube-system's uid, not by the address it was
 * reached at; a target that refuses to be read blocks the plan with a finding, not a crash; a
 * rollback refuses another cluster; a new --state-dir is created.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cli, KDD_FILES, startCluster, TOKEN, writes } from '../_helpers/cluster.js';

const FROM_FILES = KDD_FILES.flatMap((f) => ['--from-file', f]);

test.serial('review: --dry-run=server is refused on Kubernetes 1.7 (it ignores dryRun=All and would write), before anything is sent', async (t) => {
  const c = await startCluster({ gitVersion: 'v1.7.16', files: KDD_FILES });
  try {
    const r = await cli(c, ['apply', '--to', 'v2.5', '--dry-run', 'server', '--yes']);
    t.is(r.code, 1);
    t.regex(r.stderr, /--dry-run=server needs Kubernetes 1\.13 or later: .* runs v1\.7\.16, which ignores dryRun=All and would write for real; use calico-migrate plan/);
    t.deepEqual(writes(c.server), []);
  } finally {
    await c.stop();
  }
});

test.serial('review: a plan made through one address applies through another address of the same cluster (kube-system uid), not through another cluster', async (t) => {
  const c = await startCluster({ gitVersion: 'v1.33.0', files: [KDD_FILES[2] ?? ''] });
  const other = await startCluster({ gitVersion: 'v1.33.0', files: [KDD_FILES[2] ?? ''] });
  try {
    const plan = await cli(c, ['plan', '--to', 'v2.5', ...FROM_FILES, '--out', 'plan.json']);
    t.is(plan.code, 2, plan.stdout);
    const pinned = JSON.parse(await readFile(join(c.dir, 'plan.json'), 'utf8')) as { cluster: { server: string; id?: string } };
    t.regex(pinned.cluster.id ?? '', /^[0-9a-f-]{36}$/);
    // The same server through `localhost` (its certificate names both).
    const viaLocalhost = join(c.dir, 'kubeconfig-localhost');
    await writeFile(viaLocalhost, (await readFile(c.kubeconfig, 'utf8')).replace(/127\.0\.0\.1/g, 'localhost'));
    const apply = await cli(c, ['apply', '--plan', 'plan.json', '--yes', '-o', 'json'], { KUBECONFIG: viaLocalhost });
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    t.is((JSON.parse(apply.stdout) as { result: string }).result, 'applied');
    // Another cluster is refused, naming both.
    await writeFile(join(other.dir, 'plan.json'), await readFile(join(c.dir, 'plan.json')));
    const elsewhere = await cli(other, ['apply', '--plan', 'plan.json', '--yes', '-o', 'json']);
    t.is(elsewhere.code, 3);
    const moved = (JSON.parse(elsewhere.stdout) as { moved: string[] }).moved;
    t.true(moved.some((m) => m.startsWith('the plan was made against another cluster')), moved.join('\n'));
    t.deepEqual(writes(other.server), []);
  } finally {
    await c.stop();
    await other.stop();
  }
});

test.serial('review: a target the account may not read blocks the plan with a target-unreadable finding (exit 3), not an internal error', async (t) => {
  const c = await startCluster({
    gitVersion: 'v1.33.0',
    files: [KDD_FILES[2] ?? ''],
    tokens: { [TOKEN]: 'limited' },
    // Everything is allowed except ippools (whose CRD exists, so that listing is refused, not 404).
    policy: ({ info }) => info.resource !== 'ippools',
  });
  try {
    c.server.seed([{ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'someone-elses' }, spec: { cidr: '10.9.0.0/16' } }]);
    const r = await cli(c, ['plan', '--to', 'v2.5', ...FROM_FILES]);
    t.is(r.code, 3, r.stdout + r.stderr);
    t.regex(r.stdout, /error +target-unreadable: the live objects cannot be read: .*list ippools\.crd\.projectcalico\.org: 403 Forbidden/);
    t.false(/internal error/.test(r.stderr));
  } finally {
    await c.stop();
  }
});

test.serial('review: rollback refuses a journal of another cluster; apply creates a new --state-dir', async (t) => {
  const a = await startCluster({ gitVersion: 'v1.33.0', files: [KDD_FILES[2] ?? ''] });
  const b = await startCluster({ gitVersion: 'v1.33.0', files: [KDD_FILES[2] ?? ''] });
  try {
    const apply = await cli(a, ['apply', '--to', 'v2.5', ...FROM_FILES, '--yes', '--state-dir', 'state/new', '-o', 'json']);
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    const journal = (JSON.parse(apply.stdout) as { journal: string }).journal;
    t.true(journal.startsWith(join(a.dir, 'state/new/')) && existsSync(journal));
    const r = await cli(b, ['rollback', '--journal', journal, '--yes']);
    t.is(r.code, 1);
    t.regex(r.stderr, /records an apply to https:\/\/127\.0\.0\.1:\d+ \(kube-system uid [0-9a-f-]+\), but the settings point at https:\/\/127\.0\.0\.1:\d+ \(kube-system uid [0-9a-f-]+\)/);
    t.deepEqual(writes(b.server), []);
  } finally {
    await a.stop();
    await b.stop();
  }
});
