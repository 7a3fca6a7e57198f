/**
 * `npm run bench`: the tool's speed and memory as ratios to floors measured in the same run, from
 * the built CLI as a user runs it (`bin/calico-migrate.js`, a whole process each time), median of 3
 * runs of wall time and peak RSS (GNU time's maximum resident set size). Where a case's runs are
 * paired with runs of its floor (convert, apply), the ratio is the median of the pairs' ratios.
 * Writes the table to stdout and, with `--write`, to BENCHMARKS.md with the machine it ran on.
 *
 *   npm run bench                 # every row at full size (about 10 minutes on 2 cores)
 *   npm run bench -- --quick      # 1 run each, 30k keys instead of 308k: a smoke run of the harness
 *   npm run bench -- --write      # also rewrite BENCHMARKS.md
 *   npm run bench -- --only live  # one group: startup, convert, growth, live, apply, etcd-apply
 *
 * Speed is measured here, never asserted in a timed test; this is not part of `.ci/run`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { Etcd3 } from 'etcd3';
import { startControlPlane } from '../test/_helpers/control-plane.js';
import { startEtcd } from '../test/_helpers/etcd.js';
import { syntheticFlatDump, syntheticKeys, syntheticPolicyDump } from './synthetic.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'calico-migrate.js');
const TIME = '/usr/bin/time';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false }, write: { type: 'boolean', default: false }, only: { type: 'string' } } });
const RUNS = flags.quick ? 1 : 3;
const FULL = flags.quick ? 30_000 : 308_000;
const GROWTH = flags.quick ? [1_000, 10_000, 30_000] : [1_000, 10_000, 30_000, 100_000, 308_000];

interface Sample {
  readonly seconds: number;
  readonly rssMiB: number;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const medianSample = (xs: readonly Sample[]): Sample => ({ seconds: median(xs.map((x) => x.seconds)), rssMiB: median(xs.map((x) => x.rssMiB)) });

/** One run of a command under GNU time (standard output in work/stdout.txt). Exit codes in `ok` are accepted. */
function once(cmd: string, args: readonly string[], ok: readonly number[] = [0, 2]): Sample {
  return measureRuns(cmd, args, ok, 1);
}

/** Runs a command RUNS times under GNU time; median wall time and median peak RSS. Exit codes in `ok` are accepted. */
function measure(cmd: string, args: readonly string[], ok: readonly number[] = [0]): Sample {
  return measureRuns(cmd, args, ok, RUNS);
}

function measureRuns(cmd: string, args: readonly string[], ok: readonly number[], runs: number, cwd = work): Sample {
  const seconds: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = join(work, 'time.txt');
    // Standard output goes to a file, as an operator's `> list.yaml` does.
    const stdout = openSync(join(work, 'stdout.txt'), 'w');
    const r = spawnSync(TIME, ['-f', '%e %M', '-o', out, cmd, ...args], { cwd, stdio: ['ignore', stdout, 'pipe'], maxBuffer: 1 << 30 });
    closeSync(stdout);
    const code = r.status ?? -1;
    const text = readFileSync(out, 'utf8').trim().split('\n').pop() ?? '';
    if (!ok.includes(code)) throw new Error(`${cmd} ${args.join(' ')} exited ${code}: ${r.stderr.toString().slice(-2000)}`);
    const [s, kb] = text.split(' ').map(Number);
    seconds.push(s!);
    rss.push(kb! / 1024);
  }
  return { seconds: median(seconds), rssMiB: median(rss) };
}

const work = mkdtempSync(join(tmpdir(), 'calico-migrate-bench-'));
const rows: string[][] = [];
const notes: string[] = [];

/**
 * The median of the runs' ratios: each run of a case is paired with the run of its floor made next
 * to it, so the machine's speed, which drifts over minutes, moves both sides of each ratio alike.
 */
function pairedRatio(subject: readonly number[], floor: readonly number[]): number {
  return median(subject.map((s, i) => s / floor[i]!));
}

function row(what: string, m: Sample, floorName: string, floor: Sample, target: string, met: boolean, ratio = m.seconds / floor.seconds): void {
  rows.push([what, `${m.seconds.toFixed(2)} s, ${m.rssMiB.toFixed(0)} MiB`, `${floorName}: ${floor.seconds.toFixed(2)} s, ${floor.rssMiB.toFixed(0)} MiB`, `${ratio.toFixed(2)}x`, target, met ? 'met' : '**not met**']);
  process.stderr.write(`  ${what}: ${m.seconds.toFixed(2)} s (${ratio.toFixed(2)}x), ${m.rssMiB.toFixed(0)} MiB\n`);
}

function dumpOf(keys: number): string {
  const path = join(work, `dump-${keys}.json`);
  writeFileSync(path, syntheticFlatDump(keys));
  return path;
}

/** One run of the floor for a dump: node reading it with JSON.parse and writing it back with JSON.stringify. */
function jsonFloor(dump: string): Sample {
  const script = join(work, 'floor.mjs');
  writeFileSync(script, "import { readFileSync, writeFileSync } from 'node:fs';\nwriteFileSync(process.argv[3], JSON.stringify(JSON.parse(readFileSync(process.argv[2], 'utf8'))));\n");
  return once(process.execPath, [script, dump, join(work, 'floor.out')], [0]);
}

/** One run of convert. */
const convertOnce = (dump: string, args: readonly string[]): Sample =>
  // Exit 3 (blocked) is an answer, not a failure: a large etcd keyspace with Calico IPAM is blocked for the Kubernetes datastore.
  once(process.execPath, [BIN, 'convert', '--from-file', dump, ...args], [0, 3]);

/** RUNS runs of convert, each right after a run of the floor: medians of each side, and the median of the runs' ratios. */
function convertAndFloor(dump: string, args: readonly string[]): { m: Sample; floor: Sample; ratio: number } {
  const ours: Sample[] = [];
  const floors: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    floors.push(jsonFloor(dump));
    ours.push(convertOnce(dump, args));
  }
  return { m: medianSample(ours), floor: medianSample(floors), ratio: pairedRatio(ours.map((o) => o.seconds), floors.map((f) => f.seconds)) };
}

function benchStartup(): void {
  process.stderr.write('startup\n');
  const floor = measure(process.execPath, ['-e', '0']);
  for (const arg of ['--version', '--help']) {
    const m = measure(process.execPath, [BIN, arg]);
    row(`calico-migrate ${arg}`, m, 'node -e 0', floor, 'at most 5x', m.seconds <= 5 * floor.seconds);
  }
}

function benchConvert(): void {
  process.stderr.write(`convert, ${FULL} keys\n`);
  const dump = dumpOf(FULL);
  const cases: [string, string[], number][] = [
    ['--to v2.5', ['--to', 'v2.5', '--report', 'r.json', '--node-patches', 'p.sh'], 3],
    ['--to v3.0 --form crd', ['--to', 'v3.0', '--form', 'crd', '--report', 'r.json', '--node-patches', 'p.sh'], 3],
    ['--to v3.0 --form calicoctl (YAML)', ['--to', 'v3.0', '--form', 'calicoctl', '--report', 'r.json', '--ipam-out', 'i.jsonl'], 4],
  ];
  for (const [label, args, limit] of cases) {
    // The floor is measured beside each run of each case: this machine's speed drifts over minutes.
    const { m, floor, ratio } = convertAndFloor(dump, [...args, '-o', 'yaml']);
    row(`convert ${label} with the report, ${FULL} keys`, m, 'JSON.parse + stringify', floor, `at most ${limit}x`, ratio <= limit, ratio);
    const rssMet = m.rssMiB <= 4 * floor.rssMiB && m.rssMiB <= 1536;
    rows.push([`  peak RSS of the above`, `${m.rssMiB.toFixed(0)} MiB`, `${floor.rssMiB.toFixed(0)} MiB`, `${(m.rssMiB / floor.rssMiB).toFixed(1)}x`, 'at most 4x and 1.5 GiB', rssMet ? 'met' : '**not met**']);
  }
  rmSync(dump);
}

function benchGrowth(): void {
  process.stderr.write('growth\n');
  const perKey = new Map<number, number>();
  for (const keys of GROWTH) {
    const dump = dumpOf(keys);
    const m = measure(process.execPath, [BIN, 'convert', '--from-file', dump, '--to', 'v2.5', '--report', 'r.json', '--node-patches', 'p.sh'], [0, 3]);
    perKey.set(keys, (m.seconds / keys) * 1e6);
    rows.push([`convert --to v2.5, ${keys} keys`, `${m.seconds.toFixed(2)} s, ${m.rssMiB.toFixed(0)} MiB`, '', `${((m.seconds / keys) * 1e6).toFixed(1)} µs/key`, '', '']);
    rmSync(dump);
  }
  const last = GROWTH[GROWTH.length - 1]!;
  const base = GROWTH.includes(30_000) ? 30_000 : GROWTH[0]!;
  const growth = perKey.get(last)! / perKey.get(base)!;
  rows.push([`time per key at ${last} / at ${base}`, '', '', `${growth.toFixed(2)}x`, 'at most 1.5x', growth <= 1.5 ? 'met' : '**not met**']);
}

/** A Kubernetes API server to apply to: the project's API test server, or the real kube-apiserver of the test suite. */
interface Server {
  readonly kubeconfig: string;
  stop(): Promise<void>;
}

type ServerKind = 'API test server' | 'real kube-apiserver';

async function startServer(kind: ServerKind): Promise<Server> {
  const kubeconfig = join(work, `kubeconfig-${Math.random().toString(36).slice(2)}`);
  if (kind === 'real kube-apiserver') {
    const cp = await startControlPlane();
    cp.writeKubeconfig(kubeconfig, cp.adminToken);
    return { kubeconfig, stop: () => cp.stop() };
  }
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'k8s-server', 'main.ts'), '--tls', '--token', 'bench', '--kubeconfig', kubeconfig], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('kubeconfig:')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the API test server exited (${code})`)));
  });
  return {
    kubeconfig,
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const kubectl = (kubeconfig: string, args: readonly string[]): string => execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 1 << 30 }).toString();

/** The CRDs calico-migrate installed, without server fields, for kubectl's server. */
function crdsOf(kubeconfig: string): string {
  const list = JSON.parse(kubectl(kubeconfig, ['get', 'crd', '-o', 'json'])) as { items: { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown }[] };
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: list.items.map((c) => ({ apiVersion: c.apiVersion, kind: c.kind, metadata: { name: c.metadata.name }, spec: c.spec })) });
}

/** Waits until every CRD is Established (kubectl wait fails on a CRD that has no conditions yet). */
async function established(kubeconfig: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const list = JSON.parse(kubectl(kubeconfig, ['get', 'crd', '-o', 'json'])) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
    if (list.items.every((c) => c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the CRDs were not established within 60 s');
}

async function benchApply(kind: ServerKind, sizes: readonly number[], rollbackAt: number): Promise<void> {
  for (const n of sizes) {
    process.stderr.write(`apply to the ${kind}, ${n} policies\n`);
    const dump = join(work, `policies-${n}.json`);
    writeFileSync(dump, syntheticPolicyDump(n));
    const list = join(work, `list-${n}.yaml`);
    writeFileSync(list, execFileSync(process.execPath, [BIN, 'convert', '--from-file', dump, '--to', 'v2.5'], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }));
    const crds = join(work, 'crds.json');
    const ours: Sample[] = [];
    const write: number[] = [];
    const verify: number[] = [];
    const plans: Sample[] = [];
    const rollbacks: Sample[] = [];
    const theirs: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      const server = await startServer(kind);
      try {
        ours.push(once(process.execPath, [BIN, 'apply', '--from-file', dump, '--to', 'v2.5', '--yes', '--kubeconfig', server.kubeconfig, '-o', 'json']));
        const result = JSON.parse(readFileSync(join(work, 'stdout.txt'), 'utf8')) as { result: string; timings: Record<string, number> };
        if (result.result !== 'applied') throw new Error(`apply answered ${result.result}`);
        write.push(result.timings['Write'] ?? NaN);
        verify.push(result.timings['Verify'] ?? NaN);
        if (i === 0) writeFileSync(crds, crdsOf(server.kubeconfig));
        if (n === rollbackAt) {
          plans.push(once(process.execPath, [BIN, 'plan', '--from-file', dump, '--to', 'v2.5', '--kubeconfig', server.kubeconfig, '-o', 'json']));
          rollbacks.push(once(process.execPath, [BIN, 'rollback', '--yes', '--kubeconfig', server.kubeconfig]));
        }
      } finally {
        await server.stop();
      }
      const other = await startServer(kind);
      try {
        kubectl(other.kubeconfig, ['apply', '--validate=false', '-f', crds]);
        await established(other.kubeconfig);
        theirs.push(once('kubectl', ['--kubeconfig', other.kubeconfig, 'apply', '--validate=false', '-f', list]));
      } finally {
        await other.stop();
      }
    }
    const m = medianSample(ours);
    const k = medianSample(theirs);
    const w = median(write);
    // Each of our runs against the kubectl run next to it.
    const ratio = pairedRatio(ours.map((o) => o.seconds), theirs.map((x) => x.seconds));
    const writeRatio = pairedRatio(write, theirs.map((x) => x.seconds));
    row(`apply --to v2.5 of ${n} policies to the ${kind}, whole command`, m, 'kubectl apply -f of the same List', k, 'at most 1/3 of kubectl', ratio <= 1 / 3, ratio);
    rows.push([`  its Write stage`, `${w.toFixed(2)} s`, `${k.seconds.toFixed(2)} s`, `${writeRatio.toFixed(2)}x`, 'at most 1/3 of kubectl', writeRatio <= 1 / 3 ? 'met' : '**not met**']);
    rows.push([`  its Verify stage (list calls)`, `${median(verify).toFixed(2)} s`, `Write: ${w.toFixed(2)} s`, `${(median(verify) / w).toFixed(2)}x`, 'at most 2x Write', median(verify) <= 2 * w ? 'met' : '**not met**']);
    if (plans.length > 0) {
      const p = medianSample(plans);
      const r = medianSample(rollbacks);
      rows.push([`  plan of the applied ${n} (nothing to do)`, `${p.seconds.toFixed(2)} s, ${p.rssMiB.toFixed(0)} MiB`, `Write: ${w.toFixed(2)} s`, `${(p.seconds / w).toFixed(2)}x`, 'at most 2x Write', p.seconds <= 2 * w ? 'met' : '**not met**']);
      rows.push([`  rollback of the ${n}`, `${r.seconds.toFixed(2)} s, ${r.rssMiB.toFixed(0)} MiB`, `Write: ${w.toFixed(2)} s`, `${(r.seconds / w).toFixed(2)}x`, 'at most 2x Write', r.seconds <= 2 * w ? 'met' : '**not met**']);
    }
    rmSync(dump);
  }
}

/** The floor for the etcd v3 destination: a plain loop of conditional puts (create only if absent) of the same keys and values. */
const ETCD_PUT_FLOOR = `import { Etcd3 } from ${JSON.stringify(join(ROOT, 'node_modules', 'etcd3', 'lib', 'index.js'))};
import { readFileSync } from 'node:fs';
const client = new Etcd3({ hosts: process.argv[2] });
for (const [key, value] of JSON.parse(readFileSync(process.argv[3], 'utf8'))) {
  const r = await client.if(key, 'Create', '==', 0).then(client.put(key).value(value)).commit();
  if (!r.succeeded) throw new Error(key + ' exists');
}
client.close();
`;

/** apply --to v3.0 to Calico v3's etcd v3 datastore (state kept there, the default) against the loop of conditional puts. */
async function benchEtcdApply(sizes: readonly number[]): Promise<void> {
  const script = join(work, 'etcd-put-floor.mjs');
  writeFileSync(script, ETCD_PUT_FLOOR);
  for (const n of sizes) {
    process.stderr.write(`apply to etcd v3, ${n} policies\n`);
    const dump = join(work, `policies-${n}.json`);
    writeFileSync(dump, syntheticPolicyDump(n));
    const kvs = join(work, `kvs-${n}.json`);
    const ours: Sample[] = [];
    const write: number[] = [];
    const verify: number[] = [];
    const theirs: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      const etcd = await startEtcd({ enableV2: false });
      try {
        ours.push(once(process.execPath, [BIN, 'apply', '--from-file', dump, '--to', 'v3.0', '--target-datastore-type', 'etcdv3', '--target-etcd-endpoints', etcd.endpoint, '--yes', '-o', 'json']));
        const result = JSON.parse(readFileSync(join(work, 'stdout.txt'), 'utf8')) as { result: string; timings: Record<string, number> };
        if (result.result !== 'applied') throw new Error(`apply answered ${result.result}`);
        write.push(result.timings['Write'] ?? NaN);
        verify.push(result.timings['Verify'] ?? NaN);
        if (i === 0) {
          // The floor writes exactly the Calico keys and values the apply wrote.
          const client = new Etcd3({ hosts: etcd.endpoint, grpcOptions: { 'grpc.max_receive_message_length': -1 } });
          try {
            writeFileSync(kvs, JSON.stringify(Object.entries(await client.getAll().prefix('/calico/').strings())));
          } finally {
            client.close();
          }
        }
      } finally {
        await etcd.stop();
      }
      const other = await startEtcd({ enableV2: false });
      try {
        theirs.push(once(process.execPath, [script, other.endpoint, kvs]));
      } finally {
        await other.stop();
      }
    }
    const m = medianSample(ours);
    const k = medianSample(theirs);
    const w = median(write);
    // Each of our runs against the loop's run next to it.
    const ratio = pairedRatio(ours.map((o) => o.seconds), theirs.map((x) => x.seconds));
    const writeRatio = pairedRatio(write, theirs.map((x) => x.seconds));
    row(`apply --to v3.0 of ${n} policies to etcd v3, whole command`, m, 'a loop of conditional puts of the same keys', k, 'at most 1/3 of the loop', ratio <= 1 / 3, ratio);
    rows.push([`  its Write stage`, `${w.toFixed(2)} s`, `${k.seconds.toFixed(2)} s`, `${writeRatio.toFixed(2)}x`, 'at most 1/3 of the loop', writeRatio <= 1 / 3 ? 'met' : '**not met**']);
    rows.push([`  its Verify stage (range reads)`, `${median(verify).toFixed(2)} s`, `Write: ${w.toFixed(2)} s`, `${(median(verify) / w).toFixed(2)}x`, 'at most 2x Write', median(verify) <= 2 * w ? 'met' : '**not met**']);
    rmSync(dump);
    rmSync(kvs);
  }
}

/** PUTs every key into an etcd's v2 keyspace, 64 at a time over kept connections. */
async function seedV2(endpoint: string, keys: readonly [string, string][]): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let next = 0;
  const put = (key: string, value: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const body = `value=${encodeURIComponent(value)}`;
      const path = `/v2/keys${key.split('/').map(encodeURIComponent).join('/')}`;
      const req = httpRequest(`${endpoint}${path}`, { method: 'PUT', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 || res.statusCode === 201 ? resolve() : reject(new Error(`PUT ${key}: ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(Array.from({ length: 64 }, async () => {
    for (let i = next++; i < keys.length; i = next++) await put(keys[i]![0], keys[i]![1]);
  }));
  agent.destroy();
}

/** The floor for an etcd v3 read: the etcd3 client reading the prefix in pages of 1,000 and writing etcdctl's JSON. */
const V3_FLOOR = `import { Etcd3 } from ${JSON.stringify(join(ROOT, 'node_modules', 'etcd3', 'lib', 'index.js'))};
import { writeFileSync } from 'node:fs';
const client = new Etcd3({ hosts: process.argv[2], grpcOptions: { 'grpc.max_receive_message_length': -1 } });
const kvs = [];
let from = '/calico/';
const end = '/calico0';
for (;;) {
  const page = await client.getAll().inRange({ start: from, end }).limit(1000).sort('Key', 'Ascend').exec();
  for (const kv of page.kvs) kvs.push({ key: kv.key.toString('base64'), value: kv.value.toString('base64') });
  if (page.kvs.length < 1000) break;
  from = page.kvs[page.kvs.length - 1].key.toString('utf8') + '\\0';
}
writeFileSync(process.argv[3], JSON.stringify({ kvs, count: kvs.length }));
client.close();
`;

async function benchLiveReads(): Promise<void> {
  const keys: [string, string][] = [];
  syntheticKeys(FULL, (k, v) => keys.push([k, v]));
  process.stderr.write(`live reads, ${keys.length} keys: seeding etcd v2 and v3\n`);
  const etcd = await startEtcd({ enableV2: true });
  const client = new Etcd3({ hosts: etcd.endpoint });
  try {
    await seedV2(etcd.endpoint, keys);
    for (let i = 0; i < keys.length; i += 500) await Promise.all(keys.slice(i, i + 500).map(([k, v]) => client.put(k).value(v)));
    const out = join(work, 'export.json');
    const curl = measure('curl', ['-sS', '-o', out, `${etcd.endpoint}/v2/keys/calico?recursive=true`]);
    const v2 = measure(process.execPath, [BIN, 'export', '--datastore-type', 'etcdv2', '--etcd-endpoints', etcd.endpoint, '--out', out]);
    row(`export of an etcd v2 keyspace, ${keys.length} keys`, v2, 'curl of the same keys', curl, 'at most 1.5x', v2.seconds <= 1.5 * curl.seconds);
    const script = join(work, 'v3-floor.mjs');
    writeFileSync(script, V3_FLOOR);
    const paged = measure(process.execPath, [script, etcd.endpoint, out]);
    const v3 = measure(process.execPath, [BIN, 'export', '--datastore-type', 'etcdv3', '--etcd-endpoints', etcd.endpoint, '--out', out]);
    row(`export of an etcd v3 keyspace, ${keys.length} keys`, v3, 'etcd3 client, pages of 1,000', paged, 'at most 1.5x', v3.seconds <= 1.5 * paged.seconds);
  } finally {
    client.close();
    await etcd.stop();
  }
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${execFileSync('uname', ['-sr']).toString().trim()}`;
}

function table(): string {
  const head = ['what', 'measured (median of ' + RUNS + ')', 'floor in the same run', 'ratio', 'target', ''];
  const lines = [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}

try {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const only = flags.only;
  if (!only || only === 'startup') benchStartup();
  if (!only || only === 'convert') benchConvert();
  if (!only || only === 'growth') benchGrowth();
  if (!only || only === 'live') await benchLiveReads();
  if (!only || only === 'apply') {
    await benchApply('API test server', flags.quick ? [1_000] : [1_000, 5_000, 20_000], flags.quick ? 1_000 : 20_000);
    await benchApply('real kube-apiserver', flags.quick ? [1_000] : [5_000], flags.quick ? 1_000 : 5_000);
  }
  if (!only || only === 'etcd-apply') {
    await benchEtcdApply(flags.quick ? [1_000] : [1_000, 5_000, 20_000]);
  }
  const text = `Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}${flags.quick ? ' (quick run: 1 run each, smaller sizes)' : ''}. The convert and apply ratios are medians of each run's ratio to the floor's run next to it.\n\n${table()}${notes.map((n) => `\n${n}\n`).join('')}`;
  process.stdout.write(text);
  if (flags.write) {
    const path = join(ROOT, 'BENCHMARKS.md');
    const doc = readFileSync(path, 'utf8');
    const marker = '<!-- bench:table -->';
    const at = doc.indexOf(marker);
    // A run of some rows (--only) adds its table below the last full one; a full run replaces them all.
    if (flags.only && at >= 0) writeFileSync(path, `${doc.trimEnd()}\n\nRows measured on their own (\`--only ${flags.only}\`):\n\n${text}`);
    else writeFileSync(path, `${at < 0 ? doc : doc.slice(0, at)}${marker}\n\n${text}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
