/**
 * The journal on disk: owner-only, one record per line, a torn last line (a crash mid-append) cut
 * before the next run appends; and which keys a rollback undoes: only writes the journal confirms,
 * or unanswered ones, never keys whose attempts all failed or found the object as planned.
 */
import test from 'ava';
import { appendFile, mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capped, Journal, plannedWrites, readJournal, withWrites, type JournalRecord } from '../../src/apply/journal.js';
import { journalStatus } from '../../src/apply/status.js';
import { installedCrds, writtenKeys } from '../../src/apply/rollback.js';

const RESOURCE = { group: 'crd.projectcalico.org', version: 'v1', plural: 'ippools', kind: 'IPPool', namespaced: false };

test('journal: created owner-only; a torn last line is cut before the next run appends, and every record stays readable', async (t) => {
  const path = join(await mkdtemp(join(tmpdir(), 'journal-')), 'plan.journal');
  const a = await Journal.open(path, 'run-a');
  await a.append({ t: 'intent', key: 'IPPool/p', action: 'create', resource: RESOURCE, before: null });
  await a.close();
  t.is((await stat(path)).mode & 0o777, 0o600);
  await appendFile(path, '{"t":"done","key":"IPPool/p","act'); // the crash
  t.is((await readJournal(path)).length, 1, 'a torn last line is ignored when read');
  const b = await Journal.open(path, 'run-b');
  await b.append({ t: 'end', outcome: 'failed', message: 'resumed' });
  await b.append({ t: 'end', outcome: 'applied' });
  await b.close();
  const records = await readJournal(path);
  t.deepEqual(records.map((r) => [r.t, r.run]), [['intent', 'run-a'], ['end', 'run-b'], ['end', 'run-b']]);
  t.false((await readFile(path, 'utf8')).includes('"act\n'), 'the fragment is gone');
});

const at = (t: string, rest: Record<string, unknown>): JournalRecord => ({ t, time: '2026-01-01T00:00:00.000Z', run: 'r', ...rest }) as unknown as JournalRecord;

test('journal: rollback undoes confirmed and unanswered writes, never failed ones or ones found already as planned', (t) => {
  const records = [
    at('intent', { key: 'IPPool/created', action: 'create', resource: RESOURCE, before: null }),
    at('done', { key: 'IPPool/created', action: 'create', outcome: 'created', resourceVersion: '7' }),
    at('intent', { key: 'IPPool/failed', action: 'create', resource: RESOURCE, before: null }),
    at('failed', { key: 'IPPool/failed', action: 'create', error: '403' }),
    at('intent', { key: 'IPPool/raced', action: 'create', resource: RESOURCE, before: null }),
    at('done', { key: 'IPPool/raced', action: 'create', outcome: 'unchanged', resourceVersion: '9' }),
    at('intent', { key: 'IPPool/unanswered', action: 'create', resource: RESOURCE, before: null }),
    at('intent', { key: 'IPPool/retried', action: 'create', resource: RESOURCE, before: null }),
    at('failed', { key: 'IPPool/retried', action: 'create', error: '500' }),
    at('intent', { key: 'IPPool/retried', action: 'create', resource: RESOURCE, before: null }),
    at('done', { key: 'IPPool/retried', action: 'create', outcome: 'created', resourceVersion: '11' }),
  ];
  t.deepEqual(writtenKeys(records).map((w) => [w.key, w.confirmed, w.lastVersion]), [
    ['IPPool/created', true, '7'],
    ['IPPool/unanswered', false, undefined],
    ['IPPool/retried', true, '11'],
  ]);
  const undone = [...records, at('rollback', { key: 'IPPool/created', outcome: 'deleted' })];
  t.deepEqual(writtenKeys(undone).map((w) => w.key), ['IPPool/unanswered', 'IPPool/retried'], 'keys already undone are skipped');
});

test('journal: a key written again after a rollback undid it is undone again, from the later write\'s before-image; one the rollback kept stays', (t) => {
  const older = { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'changed', resourceVersion: '3' } };
  const newer = { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'changed', resourceVersion: '40' } };
  const records = [
    at('crd-created', { name: 'ippools.crd.projectcalico.org', apiVersion: 'apiextensions.k8s.io/v1' }),
    at('intent', { key: 'IPPool/created', action: 'create', resource: RESOURCE, before: null }),
    at('done', { key: 'IPPool/created', action: 'create', outcome: 'created', resourceVersion: '7' }),
    at('intent', { key: 'IPPool/changed', action: 'update', resource: RESOURCE, before: older }),
    at('done', { key: 'IPPool/changed', action: 'update', outcome: 'updated', resourceVersion: '8' }),
    at('intent', { key: 'IPPool/kept', action: 'create', resource: RESOURCE, before: null }),
    at('done', { key: 'IPPool/kept', action: 'create', outcome: 'created', resourceVersion: '9' }),
    at('rollback', { key: 'IPPool/kept', outcome: 'kept' }),
    at('rollback', { key: 'IPPool/changed', outcome: 'restored' }),
    at('rollback', { key: 'IPPool/created', outcome: 'deleted' }),
    at('rollback', { key: 'CustomResourceDefinition/ippools.crd.projectcalico.org', outcome: 'deleted' }),
  ];
  t.deepEqual(writtenKeys(records).map((w) => w.key), ['IPPool/kept'], 'after the rollback only what it kept is left');
  t.deepEqual(installedCrds(records), []);
  const again = [
    ...records,
    at('crd-created', { name: 'ippools.crd.projectcalico.org', apiVersion: 'apiextensions.k8s.io/v1' }),
    at('intent', { key: 'IPPool/changed', action: 'update', resource: RESOURCE, before: newer }),
    at('done', { key: 'IPPool/changed', action: 'update', outcome: 'updated', resourceVersion: '41' }),
    at('intent', { key: 'IPPool/created', action: 'create', resource: RESOURCE, before: null }),
    at('done', { key: 'IPPool/created', action: 'create', outcome: 'created', resourceVersion: '42' }),
  ];
  t.deepEqual(
    writtenKeys(again).map((w) => [w.key, w.before === null ? null : (w.before as { metadata: { resourceVersion: string } }).metadata.resourceVersion, w.lastVersion]),
    [
      ['IPPool/kept', null, '9'],
      ['IPPool/changed', '40', '41'],
      ['IPPool/created', null, '42'],
    ],
    'the later apply\'s writes are undone, each to what it found',
  );
  t.deepEqual(installedCrds(again).map((r) => r.name), ['ippools.crd.projectcalico.org'], 'the CRD installed again is the next rollback\'s to remove');
});

test('status: after a rollback and a second apply of the plan that stopped part-way, only the second apply\'s writes count as done', (t) => {
  const keys = ['IPPool/a', 'IPPool/b', 'IPPool/c'];
  const begin = at('begin', { planHash: 'h'.repeat(64), target: 'v2.5', server: 'https://k', overwrite: false, writes: keys.map((key) => ({ key, action: 'create' })) });
  const applied = (key: string, v: string) => [at('intent', { key, action: 'create', resource: RESOURCE, before: null }), at('done', { key, action: 'create', outcome: 'created', resourceVersion: v })];
  const records = [
    begin,
    ...keys.flatMap((k, i) => applied(k, String(i + 1))),
    at('end', { outcome: 'applied' }),
    ...keys.map((key) => at('rollback', { key, outcome: 'deleted' })),
    at('rollback-end', { outcome: 'rolled-back' }),
    begin,
    ...applied('IPPool/a', '10'),
    at('intent', { key: 'IPPool/b', action: 'create', resource: RESOURCE, before: null }),
    at('failed', { key: 'IPPool/b', action: 'create', error: '500' }),
    at('end', { outcome: 'failed' }),
  ];
  const s = journalStatus(records);
  t.is(s.runs, 2);
  t.is(s.lastOutcome, 'failed');
  t.deepEqual(s.done, ['IPPool/a']);
  t.deepEqual(s.failed, ['IPPool/b']);
  t.deepEqual(s.remaining, ['IPPool/b', 'IPPool/c']);
  t.is(s.undoable, 1);
});

test('status: a cut-over paused, given back and paused again shows the open pause and what it will give back', (t) => {
  const flag = 'etcd v2 key /calico/v1/Ready';
  const records = [
    at('pause', { flag, before: 'true' }),
    at('resume', { flag, outcome: 'restored', reason: 'abort' }),
    at('pause', { flag, before: null }),
  ];
  t.deepEqual(journalStatus(records).cutOver, { flag, before: null, paused: true, completed: false });
  t.deepEqual(journalStatus(records.slice(0, 2)).cutOver, { flag, before: 'true', paused: false, completed: false });
});

test('journal: a run of 20,000 planned writes is a begin record and continuations, each line small; status counts them all', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-journal-'));
  const path = join(dir, 'journal.jsonl');
  const journal = await Journal.open(path, 'run-1');
  const writes = Array.from({ length: 20_000 }, (_, i) => ({ key: `GlobalNetworkPolicy/ns-${i % 100}.policy-${i}`, action: 'create' as const }));
  await journal.appendAll(withWrites({ t: 'begin', planHash: 'h'.repeat(64), target: 'v2.5', server: 'https://k', overwrite: false, writes: [] }, writes));
  await journal.appendAll(writes.slice(0, 3).map((w) => ({ t: 'intent' as const, key: w.key, action: w.action, before: null })));
  await journal.append({ t: 'done', key: writes[0]!.key, action: 'create', outcome: 'created', resourceVersion: '7' });
  await journal.close();
  const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');
  t.true(lines.every((l) => Buffer.byteLength(l) < 256 * 1024), `longest line ${Math.max(...lines.map((l) => l.length))} bytes`);
  const records = await readJournal(path);
  t.is(records.filter((r) => r.t === 'writes').length, 9);
  t.deepEqual(plannedWrites(records, 0), writes);
  const s = journalStatus(records);
  t.is(s.planned, 20_000);
  t.deepEqual(s.done, [writes[0]!.key]);
  t.is(s.remaining.length, 19_999);
  t.deepEqual(capped(Array.from({ length: 1500 }, (_, i) => `d${i}`)).omitted, 500);
});
