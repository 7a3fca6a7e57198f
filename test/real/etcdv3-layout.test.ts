/**
 * Calico's own calicoctl (v3.31.0, `DATASTORE_TYPE=etcdv3`) reads what the tool's etcd v3 layout
 * writes: every fixture's calicoctl form, written as keys and values with
 * src/destination/etcdv3-layout.ts straight into a real etcd v3 keyspace (as calico-upgrade wrote
 * them, through the backend), comes back from `calicoctl get` equal to the converted objects, the
 * policies under their plain names. And the keys are the ones calicoctl itself uses: an object it
 * creates lands on the key the layout computes. The Calico IPAM the copy writes reads back through
 * `calicoctl ipam show`.
 */
import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdKeyOf, etcdValueOf } from '../../src/destination/etcdv3-layout.js';
import type { TargetObject } from '../../src/model/target.js';
import { assertCalicoctlReads, run, wipe, type Obj } from '../_helpers/calicoctl.js';
import { REPO_ROOT, runCli } from '../_helpers/cli.js';
import { builtPeers } from '../_helpers/control-plane.js';
import { loadV3Kvs, startEtcd, v3Call, type EtcdServer } from '../_helpers/etcd.js';
import { convertedItems } from '../_helpers/items.js';
import { SCENARIOS, fromFileArgs } from '../_helpers/scenarios.js';

let etcd: EtcdServer | undefined;
test.before(async () => {
  etcd = await startEtcd({ enableV2: false });
});
test.after.always(async () => {
  await etcd?.stop();
});

/** Every key under a prefix, from the v3 JSON gateway. */
async function keysUnder(server: EtcdServer, prefix: string): Promise<string[]> {
  const end = Buffer.from(prefix);
  end[end.length - 1] = (end[end.length - 1] ?? 0) + 1;
  const r = await v3Call(server, '/v3/kv/range', { key: Buffer.from(prefix).toString('base64'), range_end: end.toString('base64'), keys_only: true });
  return ((r['kvs'] as { key: string }[] | undefined) ?? []).map((kv) => Buffer.from(kv.key, 'base64').toString()).sort();
}

for (const scenario of SCENARIOS) {
  test.serial(`etcd v3 layout: calicoctl reads back every object of ${scenario.name} written with the layout, and calicoctl ipam show every IPAM block it copies`, async (t) => {
    const peers = builtPeers();
    const server = etcd!;
    await wipe(server);
    const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-layout-'));
    const ipamFile = join(dir, 'ipam.jsonl');
    const objects = convertedItems<TargetObject>((await runCli(['convert', ...fromFileArgs(scenario.files), '--to', 'v3.0', '--form', 'calicoctl', '-o', 'json', '--ipam-out', ipamFile])).stdout);
    const kvs = new Map(objects.map((o, i) => [etcdKeyOf(o), etcdValueOf(o, { uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, creationTimestamp: '2026-12-05T00:00:00Z' })]));
    t.is(kvs.size, objects.length, 'one key per object');
    // The fixture's Calico IPAM, as the copy writes it.
    const ipam = (await readFile(ipamFile, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { key: string; value: string });
    await rm(dir, { recursive: true, force: true });
    for (const { key, value } of ipam) kvs.set(key, value);
    await loadV3Kvs(server, kvs);
    const env = { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: server.endpoint, HOME: tmpdir() };
    await assertCalicoctlReads(t, peers.calicoctl, env, objects as unknown as Obj[], scenario.name);
    const blocks = ipam.flatMap(({ key, value }) => (key.includes('/assignment/') ? [JSON.parse(value) as { cidr: string; allocations: (number | null)[] }] : []));
    if (blocks.length > 0) {
      const shown = await run(peers.calicoctl, ['ipam', 'show', '--show-blocks'], env);
      t.is(shown.code, 0, shown.stderr);
      for (const b of blocks) {
        const used = b.allocations.filter((a) => a !== null).length;
        t.regex(shown.stdout, new RegExp(`Block\\s*\\|\\s*${b.cidr.replace(/[.]/g, '\\.')}\\s*\\|\\s*\\d+\\s*\\|\\s*${used} \\(`), `${scenario.name}: block ${b.cidr} with ${used} in use: ${shown.stdout}`);
      }
    }
  });
}

test.serial('etcd v3 layout: an object calicoctl creates lands on the key the layout computes (one per kind)', async (t) => {
  const peers = builtPeers();
  const server = etcd!;
  await wipe(server);
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-layout-'));
  try {
    const s = SCENARIOS.find((x) => x.name === 'etcd-v26') ?? SCENARIOS[0];
    const objects = convertedItems<TargetObject>((await runCli(['convert', ...fromFileArgs(s?.files ?? []), '--to', 'v3.0', '--form', 'calicoctl', '-o', 'json'])).stdout);
    const oneOfEach = [...new Map(objects.map((o) => [o.kind, o])).values()];
    const file = join(dir, 'one-of-each.json');
    await writeFile(file, JSON.stringify(oneOfEach));
    const created = await run(peers.calicoctl, ['create', '-f', file], { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: server.endpoint, HOME: dir });
    t.is(created.code, 0, created.stderr);
    const stored = await keysUnder(server, '/calico/resources/v3/projectcalico.org/');
    for (const o of oneOfEach) t.true(stored.includes(etcdKeyOf(o)), `${o.kind}/${o.metadata.name} is stored at ${etcdKeyOf(o)}; calicoctl stored: ${stored.join(', ')}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.serial('etcd v3 road: what `apply --target-datastore-type etcdv3` writes, calicoctl reads back equal, policies under their plain names', async (t) => {
  const peers = builtPeers();
  const server = etcd!;
  await wipe(server);
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-road-'));
  try {
    const file = `${REPO_ROOT}/fixtures/sources/etcd-v26/etcd-v2.json`;
    // etcd-v26 has one record that does not convert (a port name Calico refuses), which blocks an
    // apply: the dump without that endpoint is applied, and compared with its own conversion.
    const dump = JSON.parse(await readFile(file, 'utf8')) as unknown;
    const withoutBad = JSON.parse(JSON.stringify(dump), (_k, v: unknown) => (Array.isArray(v) ? v.filter((n) => !(typeof n === 'object' && n !== null && (n as { key?: string }).key === '/calico/v1/host/storage-01/endpoint/eth1')) : v)) as unknown;
    const fixed = join(dir, 'etcd-v26-fixed.json');
    await writeFile(fixed, JSON.stringify(withoutBad));
    const expected = convertedItems<TargetObject>((await runCli(['convert', '--from-file', fixed, '--to', 'v3.0', '--form', 'calicoctl', '-o', 'json'])).stdout);
    t.true(expected.length > 20);
    const apply = await runCli(['apply', '--to', 'v3.0', '--from-file', fixed, '--target-datastore-type', 'etcdv3', '--target-etcd-endpoints', server.endpoint, '--yes', '-o', 'json'], dir, {});
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    const env = { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: server.endpoint, HOME: dir };
    // The tool's ownership annotations are on every object; the comparison allows exactly those.
    await assertCalicoctlReads(t, peers.calicoctl, env, expected as unknown as Obj[], 'etcd-v26 applied');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.serial('etcd v3 road: the Calico IPAM that apply copies is what calicoctl ipam show reads: the pool usage, each block, an allocated address in use and a free one not assigned', async (t) => {
  const peers = builtPeers();
  const server = etcd!;
  await wipe(server);
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-ipam-'));
  try {
    const file = `${REPO_ROOT}/fixtures/sources/etcd-typical/etcd-v2.json`;
    const apply = await runCli(['apply', '--to', 'v3.0', '--from-file', file, '--target-datastore-type', 'etcdv3', '--target-etcd-endpoints', server.endpoint, '--yes', '-o', 'json'], dir, {});
    t.is(apply.code, 0, apply.stdout + apply.stderr);
    const env = { DATASTORE_TYPE: 'etcdv3', ETCD_ENDPOINTS: server.endpoint, HOME: dir };
    const show = await run(peers.calicoctl, ['ipam', 'show'], env);
    t.is(show.code, 0, show.stderr);
    // etcd-typical: one pool, three blocks holding 2 + 5 + 2 addresses.
    t.regex(show.stdout, /IP Pool\s*\|\s*192\.168\.0\.0\/16\s*\|\s*65536\s*\|\s*9 \(0%\)/, show.stdout);
    const blocks = await run(peers.calicoctl, ['ipam', 'show', '--show-blocks'], env);
    t.is(blocks.code, 0, blocks.stderr);
    for (const [cidr, used] of [['192.168.116.0/26', 2], ['192.168.205.0/26', 5], ['192.168.84.0/26', 2]] as const) {
      t.regex(blocks.stdout, new RegExp(`Block\\s*\\|\\s*${cidr.replace(/\./g, '\\.')}\\s*\\|\\s*64\\s*\\|\\s*${used} \\(`), `${cidr}: ${blocks.stdout}`);
    }
    const ip = await run(peers.calicoctl, ['ipam', 'show', '--ip=192.168.205.4'], env);
    t.is(ip.code, 0, ip.stderr);
    t.regex(ip.stdout, /IP 192\.168\.205\.4 is in use/, ip.stdout);
    const free = await run(peers.calicoctl, ['ipam', 'show', '--ip=192.168.205.5'], env);
    t.regex(free.stdout, /^192\.168\.205\.5 is not assigned/m, free.stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
