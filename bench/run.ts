/**
 * `npm run bench`: the tool's speed and memory as ratios to floors measured in the same run, from
 * the built CLI as a user runs it (`bin/calico-migrate.js`, a whole process each time), median of 3
 * runs of wall time and peak RSS (GNU time's maximum resident set size). Writes the table to stdout
 * and, with `--write`, to BENCHMARKS.md with the machine it ran on.
 *
 *   npm run bench                 # every row at full size (about 10 minutes on 2 cores)
 *   npm run bench -- --quick      # 1 run each, 30k keys instead of 308k: a smoke run of the harness
 *   npm run bench -- --write      # also rewrite BENCHMARKS.md
 *
 * Speed is measured here, never asserted in a timed test; this is not part of `.ci/run`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { syntheticFlatDump } from './synthetic.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'calico-migrate.js');
const TIME = '/usr/bin/time';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false }, write: { type: 'boolean', default: false } } });
const RUNS = flags.quick ? 1 : 3;
const FULL = flags.quick ? 30_000 : 308_000;
const GROWTH = flags.quick ? [1_000, 10_000, 30_000] : [1_000, 10_000, 30_000, 100_000, 308_000];

interface Sample {
  readonly seconds: number;
  readonly rssMiB: number;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs a command RUNS times under GNU time; median wall time and median peak RSS. Exit codes in `ok` are accepted. */
function measure(cmd: string, args: readonly string[], ok: readonly number[] = [0], cwd = work): Sample {
  const seconds: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < RUNS; i++) {
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

function row(what: string, m: Sample, floorName: string, floor: Sample, target: string, met: boolean): void {
  const ratio = m.seconds / floor.seconds;
  rows.push([what, `${m.seconds.toFixed(2)} s, ${m.rssMiB.toFixed(0)} MiB`, `${floorName}: ${floor.seconds.toFixed(2)} s, ${floor.rssMiB.toFixed(0)} MiB`, `${ratio.toFixed(1)}x`, target, met ? 'met' : '**not met**']);
  process.stderr.write(`  ${what}: ${m.seconds.toFixed(2)} s (${ratio.toFixed(1)}x), ${m.rssMiB.toFixed(0)} MiB\n`);
}

function dumpOf(keys: number): string {
  const path = join(work, `dump-${keys}.json`);
  writeFileSync(path, syntheticFlatDump(keys));
  return path;
}

/** The floor for a dump: node reading it with JSON.parse and writing it back with JSON.stringify. */
function jsonFloor(dump: string): Sample {
  const script = join(work, 'floor.mjs');
  writeFileSync(script, "import { readFileSync, writeFileSync } from 'node:fs';\nwriteFileSync(process.argv[3], JSON.stringify(JSON.parse(readFileSync(process.argv[2], 'utf8'))));\n");
  return measure(process.execPath, [script, dump, join(work, 'floor.out')]);
}

const convert = (dump: string, args: readonly string[]): Sample =>
  // Exit 3 (blocked) is an answer, not a failure: a large etcd keyspace with Calico IPAM is blocked for the Kubernetes datastore.
  measure(process.execPath, [BIN, 'convert', '--from-file', dump, ...args], [0, 3]);

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
  const floor = jsonFloor(dump);
  const cases: [string, string[], number][] = [
    ['--to v2.5', ['--to', 'v2.5', '--report', 'r.json', '--node-patches', 'p.sh'], 3],
    ['--to v3.0 --form crd', ['--to', 'v3.0', '--form', 'crd', '--report', 'r.json', '--node-patches', 'p.sh'], 3],
    ['--to v3.0 --form calicoctl (YAML)', ['--to', 'v3.0', '--form', 'calicoctl', '--report', 'r.json', '--ipam-out', 'i.jsonl'], 4],
  ];
  for (const [label, args, limit] of cases) {
    const m = convert(dump, [...args, '-o', 'yaml']);
    row(`convert ${label} with the report, ${FULL} keys`, m, 'JSON.parse + stringify', floor, `at most ${limit}x`, m.seconds <= limit * floor.seconds);
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
    const m = convert(dump, ['--to', 'v2.5', '--report', 'r.json', '--node-patches', 'p.sh']);
    perKey.set(keys, (m.seconds / keys) * 1e6);
    rows.push([`convert --to v2.5, ${keys} keys`, `${m.seconds.toFixed(2)} s, ${m.rssMiB.toFixed(0)} MiB`, '', `${((m.seconds / keys) * 1e6).toFixed(1)} µs/key`, '', '']);
    rmSync(dump);
  }
  const last = GROWTH[GROWTH.length - 1]!;
  const base = GROWTH.includes(30_000) ? 30_000 : GROWTH[0]!;
  const growth = perKey.get(last)! / perKey.get(base)!;
  rows.push([`time per key at ${last} / at ${base}`, '', '', `${growth.toFixed(2)}x`, 'at most 1.5x', growth <= 1.5 ? 'met' : '**not met**']);
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
  benchStartup();
  benchConvert();
  benchGrowth();
  const text = `Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}${flags.quick ? ' (quick run: 1 run each, smaller sizes)' : ''}.\n\n${table()}${notes.map((n) => `\n${n}\n`).join('')}`;
  process.stdout.write(text);
  if (flags.write) {
    const path = join(ROOT, 'BENCHMARKS.md');
    const doc = readFileSync(path, 'utf8');
    const marker = '<!-- bench:table -->';
    const at = doc.indexOf(marker);
    writeFileSync(path, `${at < 0 ? doc : doc.slice(0, at)}${marker}\n\n${text}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
