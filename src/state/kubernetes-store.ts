/**
 * Run state in the cluster: Secrets (a backup holds cluster data) in the tool's own namespace,
 * `calico-migrate` (created when missing), so that its RBAC can grant Secrets there alone. Each
 * journal chunk, plan part and backup part is a Secret of its own, created once and never changed:
 *
 *   run-<run>-journal-<seq>            data["records.gz"]: JSON lines, gzip
 *   run-<run>-plan-<digest>-<part>     data["content.gz"]: the plan JSON, gzip, split below 1 MiB
 *   run-<run>-backup-<gen>-<part>      data.content: before-images, one generation per apply run
 *
 * all labelled with the run and (a prefix of) the plan hash, and marked `immutable` (servers from
 * 1.21 refuse every change; older ones ignore the field). What earlier builds kept uncompressed is
 * still read: plans as `run-<run>-plan-<part>` with data.content, journal chunks with data.records
 * (a run begun by an earlier build goes on with compressed chunks after its own).
 */
import { NAMESPACES, SECRETS } from '../datastore/calico-resources.js';
import { KubeApiError, type KubeObject } from '../datastore/kube-api.js';
import type { KubeClient } from '../datastore/kube-client.js';
import { CalicoMigrateError } from '../errors.js';
import { mapLimit } from '../util.js';
import { gzipText, PARALLEL_PARTS, packText, splitText, unpackText, wholeStream, type RunInfo, type StateStore, type StoredPart } from './types.js';

export const STATE_NAMESPACE = 'calico-migrate';
const L = 'calico-migrate.projectcalico.org/';
const RUN = `${L}run`;
const PLAN = `${L}plan`;
const PART = `${L}part`;
/** On a compressed plan part: the digest of its stream, how many parts the stream has, and which one this is. */
const PACKED = `${L}packed`;
const COUNT = `${L}parts`;
const INDEX = `${L}index`;
const PACKED_KEY = 'content.gz';
/** A journal chunk's lines, gzip; `records` held them uncompressed in earlier builds. */
const JOURNAL_KEY = 'records.gz';
const LEGACY_JOURNAL_KEY = 'records';
/** Decoded bytes per Secret: under the 1 MiB limit with room for keys and metadata. */
const MAX_PART = 768 * 1024;

const pad = (n: number, w: number) => String(n).padStart(w, '0');

function dataOf(o: KubeObject, key: string): string {
  const data = (o['data'] as Record<string, string> | undefined) ?? {};
  return Buffer.from(data[key] ?? '', 'base64').toString('utf8');
}

/** A journal chunk's lines as text: compressed, or as an earlier build kept them. */
async function journalText(o: KubeObject): Promise<string> {
  const packed = (o['data'] as Record<string, string> | undefined)?.[JOURNAL_KEY];
  return packed === undefined ? dataOf(o, LEGACY_JOURNAL_KEY) : unpackText([Buffer.from(packed, 'base64')]);
}

/** The compressed plan parts among stored Secrets, as `wholeStream` takes them. */
function packedParts(secrets: readonly KubeObject[]): StoredPart<Buffer>[] {
  return secrets.flatMap((s) => {
    const labels = s.metadata.labels ?? {};
    const digest = labels[PACKED];
    const data = (s['data'] as Record<string, string> | undefined)?.[PACKED_KEY];
    if (digest === undefined || data === undefined) return [];
    return [{ digest, count: Number(labels[COUNT]), index: Number(labels[INDEX]), bytes: Buffer.from(data, 'base64') }];
  });
}

/** A plan kept uncompressed by an earlier build (its parts' text, joined), or undefined. */
function legacyPlan(secrets: readonly KubeObject[]): string | undefined {
  const parts = secrets.filter((s) => s.metadata.labels?.[PACKED] === undefined);
  return parts.length === 0 ? undefined : parts.map((s) => dataOf(s, 'content')).join('');
}

export class KubernetesStateStore implements StateStore {
  readonly maxJournalChunk = MAX_PART;
  readonly kind = 'kubernetes' as const;
  private readonly client: KubeClient;
  private namespaceReady = false;
  private readonly nextSeq = new Map<string, number>();

  constructor(client: KubeClient) {
    this.client = client;
  }

  describe(run?: string): string {
    return `Secrets ${run ? `run-${run}-* ` : ''}in namespace ${STATE_NAMESPACE} on ${this.client.server}`;
  }

  private async ensureNamespace(): Promise<void> {
    if (this.namespaceReady) return;
    if (!(await this.client.get(NAMESPACES, STATE_NAMESPACE))) {
      try {
        await this.client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: STATE_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'calico-migrate' } } });
      } catch (e) {
        if (!(e instanceof KubeApiError && e.status === 409)) throw e;
      }
    }
    this.namespaceReady = true;
  }

  private async list(selector: string): Promise<KubeObject[]> {
    try {
      return (await this.client.list(SECRETS, { namespace: STATE_NAMESPACE, labelSelector: selector })).items;
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) return [];
      throw e;
    }
  }

  private async put(name: string, labels: Record<string, string>, data: Record<string, string | Buffer>): Promise<void> {
    await this.ensureNamespace();
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, (typeof v === 'string' ? Buffer.from(v, 'utf8') : v).toString('base64')]));
    await this.client.create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: STATE_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'calico-migrate', ...labels } }, type: 'Opaque', immutable: true, data: encoded });
  }

  private labels(run: string, planHash: string, part: string): Record<string, string> {
    return { [RUN]: run, [PLAN]: planHash.slice(0, 40), [PART]: part };
  }

  private async parts(run: string, part: string): Promise<KubeObject[]> {
    return (await this.list(`${RUN}=${run},${PART}=${part}`)).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  }

  async appendJournal(run: string, planHash: string, lines: readonly string[]): Promise<void> {
    let seq = this.nextSeq.get(run);
    // Compressed while the sequence number is looked up: JSON lines shrink about tenfold, and every
    // chunk is a request the API server takes (and keeps in its etcd) while the writes go on.
    const packing = gzipText(lines.join(''));
    // Awaited below; a failure is not left unobserved while the sequence is looked up.
    packing.catch(() => undefined);
    if (seq === undefined) seq = (await this.parts(run, 'journal')).length;
    const records = await packing;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.put(`run-${run}-journal-${pad(seq, 6)}`, this.labels(run, planHash, 'journal'), { [JOURNAL_KEY]: records });
        this.nextSeq.set(run, seq + 1);
        return;
      } catch (e) {
        // Someone appended meanwhile (a rollback from another machine, say): after theirs, then.
        if (!(e instanceof KubeApiError && e.status === 409) || attempt >= 3) throw e;
        seq = (await this.parts(run, 'journal')).length;
      }
    }
  }

  async readJournalLines(run: string): Promise<string[]> {
    const texts = await Promise.all((await this.parts(run, 'journal')).map(journalText));
    return texts.flatMap((text) => text.split('\n').filter((l) => l !== '').map((l) => `${l}\n`));
  }

  async savePlan(run: string, planHash: string, text: string): Promise<void> {
    const stored = await this.parts(run, 'plan');
    // A plan is saved once (the run is named by its hash): a whole copy already kept will do.
    if (wholeStream(packedParts(stored)) !== undefined || legacyPlan(stored) === text) return;
    const packed = await packText(text, MAX_PART);
    const have = new Set(stored.map((s) => s.metadata.name));
    // A few parts at a time; only the ones missing, so a save cut short is completed by the next one.
    await this.ensureNamespace();
    await mapLimit(packed.parts, PARALLEL_PARTS, async (bytes, i) => {
      const name = `run-${run}-plan-${packed.digest}-${pad(i, 3)}`;
      const labels = { ...this.labels(run, planHash, 'plan'), [PACKED]: packed.digest, [COUNT]: String(packed.parts.length), [INDEX]: String(i) };
      if (have.has(name)) return;
      try {
        await this.put(name, labels, { [PACKED_KEY]: bytes });
      } catch (e) {
        // Saved meanwhile by another run of the same plan: a part's name is its stream's digest and
        // its place in it, so what is there is these very bytes.
        if (!(e instanceof KubeApiError && e.status === 409)) throw e;
      }
    });
  }

  async loadPlan(run: string): Promise<string | undefined> {
    const stored = await this.parts(run, 'plan');
    const whole = wholeStream(packedParts(stored));
    return whole ? unpackText(whole) : legacyPlan(stored);
  }

  async addBackup(run: string, planHash: string, text: string): Promise<void> {
    const existing = await this.parts(run, 'backup');
    const gen = new Set(existing.map((s) => s.metadata.name.split('-').slice(-2, -1)[0])).size;
    await this.ensureNamespace();
    await mapLimit(splitText(text, MAX_PART), PARALLEL_PARTS, (p, i) => this.put(`run-${run}-backup-${pad(gen, 4)}-${pad(i, 3)}`, this.labels(run, planHash, 'backup'), { content: p }));
  }

  /** The backup's generations, each joined from its parts. */
  async loadBackup(run: string): Promise<string[]> {
    const byGen = new Map<string, string[]>();
    for (const s of await this.parts(run, 'backup')) {
      const gen = s.metadata.name.split('-').slice(-2, -1)[0] ?? '';
      byGen.set(gen, [...(byGen.get(gen) ?? []), dataOf(s, 'content')]);
    }
    return [...byGen.keys()].sort().map((g) => (byGen.get(g) ?? []).join(''));
  }

  async runs(): Promise<RunInfo[]> {
    const chunks = await this.list(`${PART}=journal`);
    const out = new Map<string, RunInfo>();
    for (const s of chunks) {
      const run = s.metadata.labels?.[RUN] ?? '';
      const prev = out.get(run);
      out.set(run, { run, planHash: s.metadata.labels?.[PLAN] ?? '', chunks: (prev?.chunks ?? 0) + 1 });
    }
    return [...out.values()].sort((a, b) => (a.run < b.run ? -1 : 1));
  }

  async forget(run: string): Promise<number> {
    if (!/^[0-9a-f]{12}$/.test(run)) throw new CalicoMigrateError('E_USAGE', `${JSON.stringify(run)} is not a run id (12 hex digits, as status --all lists them)`);
    const all = await this.list(`${RUN}=${run}`);
    for (const s of all) await this.client.delete(SECRETS, s.metadata.name, { namespace: STATE_NAMESPACE });
    this.nextSeq.delete(run);
    return all.length;
  }
}
