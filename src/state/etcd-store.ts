/**
 * Run state in an etcd v3 destination, under the tool's own prefix, outside `/calico/`:
 *
 *   /calico-migrate/state/<run>/journal/<seq>                     JSON lines
 *   /calico-migrate/state/<run>/plan.gz/<digest>/<count>/<part>   the plan JSON, gzip, split
 *   /calico-migrate/state/<run>/backup/<gen>/<part>               before-images, one generation per apply run
 *   /calico-migrate/state/<run>/meta                              {"planHash": …}
 *
 * Each key is created once (a transaction that requires it absent) and never changed; parts stay
 * well below etcd's request size limit (1.5 MiB by default). Plans kept by earlier builds,
 * uncompressed under `<run>/plan/<part>`, are still read.
 */
import type { Etcd3 } from 'etcd3';
import { CalicoMigrateError } from '../errors.js';
import { mapLimit } from '../util.js';
import { PARALLEL_PARTS, packText, splitText, unpackText, wholeStream, type RunInfo, type StateStore, type StoredPart } from './types.js';

export const STATE_PREFIX = '/calico-migrate/state/';
const MAX_PART = 512 * 1024;
const pad = (n: number, w: number) => String(n).padStart(w, '0');

export class EtcdStateStore implements StateStore {
  readonly maxJournalChunk = MAX_PART;
  readonly kind = 'etcd' as const;
  private readonly etcd: Etcd3;
  private readonly address: string;
  private readonly nextSeq = new Map<string, number>();

  constructor(etcd: Etcd3, address: string) {
    this.etcd = etcd;
    this.address = address;
  }

  describe(run?: string): string {
    return `etcd keys ${STATE_PREFIX}${run ? `${run}/` : ''}… on ${this.address}`;
  }

  private async create(key: string, value: string | Buffer): Promise<boolean> {
    const r = await this.etcd.if(key, 'Create', '==', 0).then(this.etcd.put(key).value(value)).commit();
    return r.succeeded;
  }

  private async keys(prefix: string): Promise<string[]> {
    return (await this.etcd.getAll().prefix(prefix).keys()).sort();
  }

  /** The values under a prefix in key order, fetched a few at a time (one range could exceed the client's 4 MiB answer limit). */
  private async values(prefix: string): Promise<string[]> {
    return (await this.entries(prefix)).map(([, v]) => v);
  }

  private async entries(prefix: string): Promise<[string, string][]> {
    return (await this.byteEntries(prefix)).map(([k, v]) => [k, v.toString('utf8')]);
  }

  /** The keys and values (as stored, bytes) under a prefix, in key order, a few at a time. */
  private async byteEntries(prefix: string): Promise<[string, Buffer][]> {
    const keys = await this.keys(prefix);
    const out: [string, Buffer][] = [];
    for (let i = 0; i < keys.length; i += 32) {
      const batch = keys.slice(i, i + 32);
      const got = await Promise.all(batch.map(async (k) => [k, (await this.etcd.get(k).buffer()) ?? Buffer.alloc(0)] as [string, Buffer]));
      out.push(...got);
    }
    return out;
  }

  private async meta(run: string, planHash: string): Promise<void> {
    await this.create(`${STATE_PREFIX}${run}/meta`, JSON.stringify({ planHash }));
  }

  async appendJournal(run: string, planHash: string, lines: readonly string[]): Promise<void> {
    await this.meta(run, planHash);
    let seq = this.nextSeq.get(run) ?? (await this.keys(`${STATE_PREFIX}${run}/journal/`)).length;
    for (let attempt = 0; attempt < 4; attempt++) {
      if (await this.create(`${STATE_PREFIX}${run}/journal/${pad(seq, 8)}`, lines.join(''))) {
        this.nextSeq.set(run, seq + 1);
        return;
      }
      // Someone appended meanwhile: after theirs, then.
      seq = (await this.keys(`${STATE_PREFIX}${run}/journal/`)).length;
    }
    throw new CalicoMigrateError('E_OUTPUT_WRITE', `${this.describe(run)}: the journal kept moving under this run's appends`);
  }

  async readJournalLines(run: string): Promise<string[]> {
    return (await this.values(`${STATE_PREFIX}${run}/journal/`)).flatMap((v) => v.split('\n').filter((l) => l !== '').map((l) => `${l}\n`));
  }

  async savePlan(run: string, planHash: string, text: string): Promise<void> {
    await this.meta(run, planHash);
    const stored = await this.packedPlan(run);
    // A plan is saved once (the run is named by its hash): a whole copy already kept will do.
    if (wholeStream(stored) !== undefined) return;
    const legacy = await this.values(`${STATE_PREFIX}${run}/plan/`);
    if (legacy.length > 0 && legacy.join('') === text) return;
    const packed = await packText(text, MAX_PART);
    const prefix = `${STATE_PREFIX}${run}/plan.gz/${packed.digest}/${packed.parts.length}/`;
    // A few parts at a time; each is created only where it is absent, so a save cut short is
    // completed by the next one.
    await mapLimit(packed.parts, PARALLEL_PARTS, (bytes, i) => this.create(`${prefix}${pad(i, 4)}`, bytes));
  }

  async loadPlan(run: string): Promise<string | undefined> {
    const whole = wholeStream(await this.packedPlan(run));
    if (whole) return unpackText(whole);
    const parts = await this.values(`${STATE_PREFIX}${run}/plan/`);
    return parts.length === 0 ? undefined : parts.join('');
  }

  /** The compressed plan parts stored for a run (`<digest>/<count>/<part>` under `plan.gz/`). */
  private async packedPlan(run: string): Promise<StoredPart<Buffer>[]> {
    const prefix = `${STATE_PREFIX}${run}/plan.gz/`;
    return (await this.byteEntries(prefix)).map(([k, bytes]) => {
      const [digest = '', count = '', index = ''] = k.slice(prefix.length).split('/');
      return { digest, count: Number(count), index: Number(index), bytes };
    });
  }

  async addBackup(run: string, planHash: string, text: string): Promise<void> {
    await this.meta(run, planHash);
    const gens = new Set((await this.keys(`${STATE_PREFIX}${run}/backup/`)).map((k) => k.split('/').slice(-2, -1)[0]));
    await mapLimit(splitText(text, MAX_PART), PARALLEL_PARTS, (p, i) => this.create(`${STATE_PREFIX}${run}/backup/${pad(gens.size, 4)}/${pad(i, 4)}`, p));
  }

  async loadBackup(run: string): Promise<string[]> {
    const byGen = new Map<string, string[]>();
    for (const [k, v] of await this.entries(`${STATE_PREFIX}${run}/backup/`)) {
      const gen = k.split('/').slice(-2, -1)[0] ?? '';
      byGen.set(gen, [...(byGen.get(gen) ?? []), v]);
    }
    return [...byGen.keys()].sort().map((g) => (byGen.get(g) ?? []).join(''));
  }

  async runs(): Promise<RunInfo[]> {
    const out = new Map<string, { planHash: string; chunks: number }>();
    const kvs = await this.etcd.getAll().prefix(STATE_PREFIX).keys();
    for (const k of kvs) {
      const [run = '', part] = k.slice(STATE_PREFIX.length).split('/');
      const r = out.get(run) ?? { planHash: '', chunks: 0 };
      if (part === 'journal') r.chunks++;
      out.set(run, r);
    }
    for (const [run, r] of out) {
      const meta = await this.etcd.get(`${STATE_PREFIX}${run}/meta`).string();
      try {
        r.planHash = (JSON.parse(meta ?? '{}') as { planHash?: string }).planHash ?? '';
      } catch {
        r.planHash = '';
      }
    }
    return [...out.entries()].filter(([, r]) => r.chunks > 0).map(([run, r]) => ({ run, planHash: r.planHash, chunks: r.chunks })).sort((a, b) => (a.run < b.run ? -1 : 1));
  }

  async forget(run: string): Promise<number> {
    if (!/^[0-9a-f]{12}$/.test(run)) throw new CalicoMigrateError('E_USAGE', `${JSON.stringify(run)} is not a run id (12 hex digits, as status --all lists them)`);
    const r = await this.etcd.delete().prefix(`${STATE_PREFIX}${run}/`).exec();
    this.nextSeq.delete(run);
    return Number(r.deleted);
  }
}
