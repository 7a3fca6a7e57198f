/**
 * The etcd role `calico-migrate rbac --target-datastore-type etcdv3` prints is enough, and not
 * more than needed: against a real etcd with authentication on, a user holding exactly the printed
 * grants applies the etcd-typical conversion (objects, Calico IPAM, lock, run state), sees it with
 * status and rolls it back; without the IPAM grant the apply is refused by etcd.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3, Range } from 'etcd3';
import { REPO_ROOT, runCli } from '../_helpers/cli.js';
import { startEtcd, type EtcdServer } from '../_helpers/etcd.js';

const V2_DUMP = `${REPO_ROOT}/fixtures/sources/etcd-typical/etcd-v2.json`;
let etcd: EtcdServer | undefined;
let dir = '';
test.before(async () => {
  etcd = await startEtcd({ enableV2: false, auth: { user: 'root', password: 'root-pw' } });
  dir = await mkdtemp(join(tmpdir(), 'calico-migrate-etcd-role-'));
});
test.after.always(async () => {
  await etcd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The printed role created as root, through the etcd3 client (the test has no etcdctl), with `skip` left out. */
async function createRole(name: string, script: string, skip?: string): Promise<void> {
  const root = new Etcd3({ hosts: etcd?.endpoint ?? '', auth: { username: 'root', password: 'root-pw' } });
  try {
    const role = await root.role(name).create();
    for (const m of script.matchAll(/^etcdctl role grant-permission \S+ --prefix=true (read|readwrite) (\S+)$/gm)) {
      if (m[2] === skip) continue;
      await role.grant({ permission: m[1] === 'readwrite' ? 'Readwrite' : 'Read', range: Range.prefix(m[2] ?? '') });
    }
    await (await root.user(name).create(`${name}-pw`)).addRole(name);
  } finally {
    root.close();
  }
}

test.serial('etcd role: exactly the printed grants apply, show and roll back a migration; without the IPAM grant etcd refuses the apply', async (t) => {
  const rbac = await runCli(['rbac', '--mode', 'rollback', '--target-datastore-type', 'etcdv3', '--target-etcd-endpoints', etcd?.endpoint ?? ''], dir, {});
  t.is(rbac.code, 0, rbac.stderr);
  t.regex(rbac.stdout, /^etcdctl role add calico-migrate$/m);
  t.is([...rbac.stdout.matchAll(/^etcdctl role grant-permission /gm)].length, 3);
  await createRole('calico-migrate', rbac.stdout);
  const as = (user: string) => ['--target-datastore-type', 'etcdv3', '--target-etcd-endpoints', etcd?.endpoint ?? '', '--target-etcd-username', user, '--target-etcd-password', `${user}-pw`];
  const apply = await runCli(['apply', '--to', 'v3.0', '--from-file', V2_DUMP, ...as('calico-migrate'), '--yes', '-o', 'json'], dir, {});
  t.is(apply.code, 0, apply.stdout + apply.stderr);
  t.deepEqual((JSON.parse(apply.stdout) as { summary: Record<string, number> }).summary, { created: 39 });
  const status = await runCli(['status', ...as('calico-migrate'), '-o', 'json'], dir, {});
  t.like(JSON.parse(status.stdout) as object, { status: { lastOutcome: 'applied', planned: 39 } });
  const rollback = await runCli(['rollback', ...as('calico-migrate'), '--yes', '-o', 'json'], dir, {});
  t.is(rollback.code, 0, rollback.stdout + rollback.stderr);

  const other = await runCli(['rbac', '--mode', 'rollback', '--name', 'no-ipam', '--target-datastore-type', 'etcdv3', '--target-etcd-endpoints', etcd?.endpoint ?? ''], dir, {});
  await createRole('no-ipam', other.stdout, '/calico/ipam/v2/');
  const refused = await runCli(['apply', '--to', 'v3.0', '--from-file', V2_DUMP, ...as('no-ipam'), '--yes', '-o', 'json'], dir, {});
  t.not(refused.code, 0, refused.stdout);
  t.regex(refused.stdout + refused.stderr, /permission denied/i);
});
