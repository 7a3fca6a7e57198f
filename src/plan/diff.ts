/**
 * Content diffs of a plan: for each object, a unified diff of the YAML (sorted keys) of what a
 * migration is about — labels, annotations without bookkeeping, spec — between the live object
 * (empty when absent) and the desired one as the server will store it (CRD schema defaults filled
 * in); for a Node, of the annotations the plan sets. Pure,
 * except `externalDiff`, which hands two directories to the program named by
 * CALICO_MIGRATE_EXTERNAL_DIFF, as kubectl does with KUBECTL_EXTERNAL_DIFF.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { KubeObject } from '../datastore/kube-client.js';
import { CalicoMigrateError } from '../errors.js';
import { serialize } from '../output/serialize.js';
import type { LiveTarget } from './live.js';
import { contentOf } from './ownership.js';
import { isNodePatch, type PlanEntry } from './types.js';

export interface DiffOptions {
  /** Lines of context around each change (default 3). */
  readonly context?: number;
  /** ANSI colours (only on a terminal, and never with NO_COLOR). */
  readonly color?: boolean;
}

/** The YAML a diff compares for one side of an entry; '' for an absent object. */
export function comparable(entry: PlanEntry, live: LiveTarget | undefined, side: 'live' | 'desired'): string {
  if (isNodePatch(entry)) {
    const keys = Object.keys(entry.desired.metadata.annotations ?? {});
    if (side === 'desired') return serialize({ metadata: { annotations: entry.desired.metadata.annotations ?? {} } }, 'yaml');
    if (entry.action === 'missing') return '';
    const current = entry.liveAnnotations ?? Object.fromEntries(keys.map((k) => [k, live?.nodes.get(entry.name)?.metadata.annotations?.[k] ?? null]));
    return serialize({ metadata: { annotations: Object.fromEntries(Object.entries(current).filter(([, v]) => v !== null)) } }, 'yaml');
  }
  // The desired side as the server will store it: with the defaults its CRD schema fills in, which
  // the live object shows too, so that they are not shown as removals.
  const desired = entry.storedSpec === undefined ? entry.desired : { ...entry.desired, spec: entry.storedSpec };
  const o: KubeObject | undefined = side === 'desired' ? desired : live?.objects.get(entry.key);
  if (!o) return '';
  const c = contentOf(o);
  return serialize({ metadata: { name: o.metadata.name, ...(Object.keys(c.labels).length > 0 ? { labels: c.labels } : {}), ...(Object.keys(c.annotations).length > 0 ? { annotations: c.annotations } : {}) }, spec: c.spec }, 'yaml');
}

const COLOURS: readonly [RegExp, string][] = [
  [/^(---|\+\+\+) /, '\u001b[1m'],
  [/^@@/, '\u001b[36m'],
  [/^\+/, '\u001b[32m'],
  [/^-/, '\u001b[31m'],
];

function colour(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const c = COLOURS.find(([re]) => re.test(line));
      return c && line !== '' ? `${c[1]}${line}\u001b[0m` : line;
    })
    .join('\n');
}

/** The unified diff of one entry ('' when there is nothing to show). */
export function entryDiff(entry: PlanEntry, live: LiveTarget | undefined, options: DiffOptions = {}): string {
  if (entry.action === 'unchanged') return '';
  const before = comparable(entry, live, 'live');
  const after = comparable(entry, live, 'desired');
  if (before === after) return '';
  const patch = createTwoFilesPatch(`live/${entry.key}`, `desired/${entry.key}`, before, after, undefined, undefined, { context: options.context ?? 3, headerOptions: FILE_HEADERS_ONLY });
  return options.color ? colour(patch) : patch;
}

/** Every entry's diff, in plan order. */
export function planDiff(entries: readonly PlanEntry[], live: LiveTarget | undefined, options: DiffOptions = {}): string {
  return entries.map((e) => entryDiff(e, live, options)).filter((d) => d !== '').join('');
}

/** File name of an entry inside the LIVE/DESIRED directories. */
function fileName(entry: PlanEntry): string {
  return `${entry.kind}.${entry.namespace ? `${entry.namespace}.` : ''}${entry.name}.yaml`.replace(/[/\\]/g, '_');
}

/**
 * Runs `command LIVE DESIRED` (the command split on whitespace, like KUBECTL_EXTERNAL_DIFF) on two
 * directories holding one file per changed entry; returns what it printed. Its exit status 1 means
 * "differences", as for diff(1); only 2 and above, or a failure to start, are errors.
 */
export async function externalDiff(command: string, entries: readonly PlanEntry[], live: LiveTarget | undefined): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-diff-'));
  try {
    const liveDir = join(dir, 'LIVE');
    const desiredDir = join(dir, 'DESIRED');
    await mkdir(liveDir);
    await mkdir(desiredDir);
    for (const e of entries.filter((x) => x.action !== 'unchanged')) {
      await writeFile(join(liveDir, fileName(e)), comparable(e, live, 'live'));
      await writeFile(join(desiredDir, fileName(e)), comparable(e, live, 'desired'));
    }
    const [program, ...args] = command.trim().split(/\s+/);
    if (!program) throw new CalicoMigrateError('E_USAGE', 'CALICO_MIGRATE_EXTERNAL_DIFF is empty');
    return await new Promise<string>((resolve, reject) => {
      const child = spawn(program, [...args, liveDir, desiredDir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', (e) => reject(new CalicoMigrateError('E_USAGE', `CALICO_MIGRATE_EXTERNAL_DIFF: cannot run ${program} (${e.message})`, { cause: e })));
      child.on('close', (code) => {
        if (code !== null && code > 1) reject(new CalicoMigrateError('E_USAGE', `CALICO_MIGRATE_EXTERNAL_DIFF: ${program} exited ${code}${err ? `: ${err.trim()}` : ''}`));
        else resolve(out);
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
