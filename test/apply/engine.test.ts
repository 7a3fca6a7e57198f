/**
 * The apply engine over a destination it knows only through the Destination interface: the stages
 * in order, what a dry run skips, and what `finish` guarantees whatever stopped the stages (the
 * journal's end record, the lock released, the outcome as a value). The destination here records
 * calls in memory; the engine's Kubernetes destination is proven by the end-to-end suites against
 * the emulated and the real API server.
 */
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rollbackUnderLock, startApply, type ApplyEngineInput, type ApplyOutcome } from '../../src/apply/engine.js';
import { Journal, readJournal } from '../../src/apply/journal.js';
import { LockHeldError, type LockHandle, type LockInfo } from '../../src/apply/lock.js';
import type { Destination } from '../../src/destination/types.js';
import type { Plan, PlanEntry } from '../../src/plan/types.js';

const ENTRY: PlanEntry = {
  key: 'IPPool/p', kind: 'IPPool', name: 'p', action: 'create', resourceVersion: '', owned: false, origins: ['/calico/v1/ipam/v4/pool/10.0.0.0-16'],
  resource: { group: 'crd.projectcalico.org', version: 'v1', plural: 'ippools', kind: 'IPPool', namespaced: false },
  desired: { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'p' }, spec: { cidr: '10.0.0.0/16' } },
};
const PLAN = { target: 'v3.0', cluster: { server: 'https://example.invalid', gitVersion: 'v1.33.13', id: 'uid-1' }, entries: [ENTRY], findings: [], hash: 'h'.repeat(64) } as unknown as Plan;
const INFO: LockInfo = { kind: 'Lease', holder: 'other/1/x', reason: 'apply', acquired: '2026-01-01T00:00:00.000000Z', renewed: '2026-01-01T00:00:00.000000Z', durationSeconds: 60, expires: '2099-01-01T00:00:00.000000Z', stale: false, host: 'elsewhere', pid: 1, resourceVersion: '1' };

/** A destination that records what the engine asks of it; `fail` makes one operation throw. */
function recorder(fail: { write?: boolean; lockHeld?: boolean } = {}) {
  const calls: string[] = [];
  let released = 0;
  const lock: LockHandle = {
    info: INFO, lost: false,
    renew: async () => undefined,
    startRenewing: () => void calls.push('renewing'),
    stop: async () => void calls.push('stop-renewing'),
    release: async () => {
      released++;
      return { outcome: 'released' };
    },
  };
  const destination: Destination = {
    address: 'https://example.invalid',
    ensureSchema: async (kinds, o) => {
      calls.push(`schema ${[...kinds].join(',')}`);
      if (!o.dryRun) await o.onCreated('ippools.crd.projectcalico.org', 'apiextensions.k8s.io/v1');
      return { created: ['ippools.crd.projectcalico.org'], alreadyPresent: [] };
    },
    write: async (w) => {
      calls.push(`write ${w.entries.map((e) => e.key).join(',')}${w.dryRun ? ' (dry run)' : ''}`);
      if (fail.write) return w.entries.map((e) => ({ key: e.key, action: e.action, outcome: 'failed', error: '500 InternalError' }));
      return w.entries.map((e) => ({ key: e.key, action: e.action, outcome: w.dryRun ? 'validated' : 'created', resourceVersion: '7' }));
    },
    verify: async () => {
      calls.push('verify');
      return [];
    },
    acquireLock: async () => {
      calls.push('lock');
      if (fail.lockHeld) throw new LockHeldError(INFO, new Date('2026-01-01T00:00:00Z'));
      return lock;
    },
    forceUnlock: async () => undefined,
    readLock: async () => undefined,
    undo: async (w) => {
      calls.push(`undo ${w.key}`);
      return { key: w.key, outcome: w.before === null ? 'deleted' : 'restored' };
    },
    removeSchema: async (records) => {
      calls.push('remove schema');
      return records.flatMap((r) => (r.t === 'crd-created' ? [{ key: `CustomResourceDefinition/${r.name}`, outcome: 'deleted' as const }] : []));
    },
  };
  return { destination, calls, released: () => released };
}

async function run(dir: string, d: Destination, dryRun: boolean): Promise<{ outcome: ApplyOutcome; titles: string[]; journal: string }> {
  const path = join(dir, 'j.journal');
  const journal = dryRun ? undefined : await Journal.open(path, 'me/2/y');
  const input: ApplyEngineInput = {
    plan: PLAN, hash: PLAN.hash, paths: { plan: join(dir, 'p.plan.json'), backup: join(dir, 'p.backup.yaml') }, writes: [ENTRY],
    desired: { objects: [], nodePatches: [] } as unknown as ApplyEngineInput['desired'], live: { objects: new Map(), nodes: new Map(), unserved: new Set(), specSchemas: new Map() },
    destination: d, ...(journal ? { journal } : {}),
    options: { to: 'v3.0', dryRun, overwrite: false, concurrency: 4, lockTtlSeconds: 60, lockWaitSeconds: 0, forceUnlock: false },
  };
  const r = startApply(input);
  const titles: string[] = [];
  try {
    for (const s of r.stages) {
      if (s.skip) {
        titles.push(`${s.title} (skipped: ${s.skip})`);
        continue;
      }
      const line = await s.run(() => undefined);
      titles.push(line ? `${s.title}: ${line}` : s.title);
    }
    return { outcome: await r.finish(), titles, journal: dryRun ? '' : await readFile(path, 'utf8') };
  } catch (e) {
    return { outcome: await r.finish(e), titles, journal: dryRun ? '' : await readFile(path, 'utf8') };
  }
}

test('engine: lock, backup, schema, write, verify, unlock in that order; the journal begins and ends; the lock is released', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-engine-'));
  try {
    const r = recorder();
    const { outcome, titles, journal } = await run(dir, r.destination, false);
    t.deepEqual(titles.map((x) => x.split(':')[0]), ['Lock', 'Backup', 'Ensure CRDs', 'Write', 'Verify', 'Unlock']);
    t.deepEqual(r.calls, ['lock', 'renewing', 'schema IPPool', 'write IPPool/p', 'verify']);
    t.like(outcome, { verdict: 'applied', rejected: 0, differences: [] });
    t.is(r.released(), 1);
    const records = journal.trim().split('\n').map((l) => (JSON.parse(l) as { t: string }).t);
    t.deepEqual(records, ['begin', 'crd-created', 'verify', 'end']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('engine: a dry run takes no lock, keeps no journal, writes with dryRun and skips verify', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-engine-'));
  try {
    const r = recorder();
    const { outcome, titles } = await run(dir, r.destination, true);
    t.deepEqual(titles, ['Lock (skipped: dry run: nothing is written)', 'Backup (skipped: dry run: nothing is written)', 'Ensure CRDs: 1 would be created, 0 present', 'Write: 1 validated', 'Verify (skipped: dry run: nothing was written)', 'Unlock (skipped: dry run)']);
    t.deepEqual(r.calls, ['schema IPPool', 'write IPPool/p (dry run)']);
    t.is(outcome.verdict, 'dry-run');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('engine: a failed write stops the stages; finish records the failure, releases the lock and says failed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-engine-'));
  try {
    const r = recorder({ write: true });
    const { outcome, journal } = await run(dir, r.destination, false);
    t.is(outcome.verdict, 'failed');
    t.regex(outcome.message ?? '', /1 write\(s\) failed: IPPool\/p: 500 InternalError/);
    t.false(r.calls.includes('verify'));
    t.deepEqual(r.calls.slice(-1), ['stop-renewing']);
    t.is(r.released(), 1, 'the lock is released although Unlock never ran');
    const end = JSON.parse(journal.trim().split('\n').at(-1) ?? '{}') as { t: string; outcome: string };
    t.like(end, { t: 'end', outcome: 'failed' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('engine: a lock held by a live holder elsewhere blocks before anything is written', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-engine-'));
  try {
    const r = recorder({ lockHeld: true });
    const { outcome } = await run(dir, r.destination, false);
    t.is(outcome.verdict, 'blocked');
    t.regex(outcome.message ?? '', /the migration lock \(Lease/);
    t.deepEqual(r.calls, ['lock']);
    t.deepEqual(outcome.results, []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('engine: rollback under the lock undoes the journal writes newest first, then the schema, journals each step and releases the lock', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-engine-'));
  try {
    const r = recorder();
    const path = join(dir, 'j.journal');
    const j = await Journal.open(path, 'me/2/y');
    await j.append({ t: 'begin', planHash: 'h', target: 'v3.0', server: 's', overwrite: false, writes: [{ key: 'IPPool/a', action: 'create' }, { key: 'IPPool/b', action: 'update' }] });
    await j.append({ t: 'crd-created', name: 'ippools.crd.projectcalico.org', apiVersion: 'apiextensions.k8s.io/v1' });
    await j.append({ t: 'intent', key: 'IPPool/a', action: 'create', before: null });
    await j.append({ t: 'done', key: 'IPPool/a', action: 'create', outcome: 'created', resourceVersion: '5' });
    await j.append({ t: 'intent', key: 'IPPool/b', action: 'update', before: { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'b' } } });
    await j.append({ t: 'done', key: 'IPPool/b', action: 'update', outcome: 'updated', resourceVersion: '6' });
    await j.append({ t: 'end', outcome: 'applied' });
    await j.close();
    const steps = await rollbackUnderLock({ destination: r.destination, records: await readJournal(path), journal: await Journal.open(path, 'me/3/z'), reason: 'rollback', force: false, forceUnlock: false, lockTtlSeconds: 60, lockWaitSeconds: 0 });
    t.deepEqual(steps.map((x) => `${x.outcome} ${x.key}`), ['restored IPPool/b', 'deleted IPPool/a', 'deleted CustomResourceDefinition/ippools.crd.projectcalico.org']);
    t.deepEqual(r.calls, ['lock', 'renewing', 'undo IPPool/b', 'undo IPPool/a', 'remove schema', 'stop-renewing']);
    t.is(r.released(), 1);
    const tail = (await readJournal(path)).slice(-4).map((x) => x.t);
    t.deepEqual(tail, ['rollback', 'rollback', 'rollback', 'rollback-end']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
