/**
 * The migration lock against the Kubernetes API test server: a Lease on 1.33, a ConfigMap on 1.7
 * (no coordination.k8s.io there). Clocks are injected to make locks stale without waiting.
 */
import test from 'ava';
import { acquireLock, forceUnlock, LockHeldError, LockLostError, microTime, readLock, type AcquireOptions } from '../../src/apply/lock.js';
import { KubeClient } from '../../src/datastore/kube-client.js';
import { resolveSettings } from '../../src/datastore/settings.js';
import { startK8sServer, type K8sTestServer } from '../k8s-server/index.js';

interface Variant {
  readonly kind: 'Lease' | 'ConfigMap';
  readonly gitVersion: string;
  server?: K8sTestServer;
  client?: KubeClient;
}

const VARIANTS: Variant[] = [
  { kind: 'Lease', gitVersion: 'v1.33.0' },
  { kind: 'ConfigMap', gitVersion: 'v1.7.16' },
];

const T0 = new Date('2026-12-04T16:06:11.123Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

test.before(async () => {
  for (const v of VARIANTS) {
    v.server = await startK8sServer({ gitVersion: v.gitVersion, tokens: { t: 'op' } });
    const { settings } = resolveSettings({ flags: { datastoreType: 'kubernetes', k8sAPIEndpoint: v.server.url, k8sToken: 't' }, env: {} });
    v.client = KubeClient.fromSettings(settings, {});
  }
});

test.after.always(async () => {
  for (const v of VARIANTS) await v.server?.stop();
});

function ctx(v: Variant): { server: K8sTestServer; client: KubeClient } {
  if (!v.server || !v.client) throw new Error('server not started');
  return { server: v.server, client: v.client };
}

/** The lock object as the server stores it. */
function stored(v: Variant): Record<string, unknown> | undefined {
  const { server } = ctx(v);
  return v.kind === 'Lease'
    ? server.state.get('coordination.k8s.io/v1', 'Lease', 'calico-migrate', 'kube-system')
    : server.state.get('v1', 'ConfigMap', 'calico-migrate-lock', 'kube-system');
}

function field(obj: Record<string, unknown> | undefined, ...path: string[]): unknown {
  let node: unknown = obj;
  for (const key of path) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}

function opts(holder: string, extra: Partial<AcquireOptions> = {}): AcquireOptions {
  return { holder, reason: `apply plan of ${holder}`, ttlSeconds: 30, host: 'test-host', pid: 4242, planHash: 'sha256:abc', now: () => T0, ...extra };
}

test('microTime has exactly six fractional digits', (t) => {
  t.is(microTime(T0), '2026-12-04T16:06:11.123000Z');
  t.regex(microTime(new Date(0)), MICRO);
});

for (const v of VARIANTS) {
  const title = (s: string): string => `${s} (${v.kind}, ${v.gitVersion})`;

  test.serial(title('acquire, read, renew and release; the stored times are MicroTime'), async (t) => {
    const { client } = ctx(v);
    await forceUnlock(client);
    let clock = T0;
    const lock = await acquireLock(client, opts('run-a', { now: () => clock }));
    t.like(lock.info, {
      kind: v.kind, holder: 'run-a', reason: 'apply plan of run-a', acquired: '2026-12-04T16:06:11.123000Z', renewed: '2026-12-04T16:06:11.123000Z',
      durationSeconds: 30, expires: '2026-12-04T16:06:41.123000Z', stale: false, host: 'test-host', pid: 4242, planHash: 'sha256:abc',
    });
    t.deepEqual(await readLock(client, T0), lock.info);
    const obj = stored(v);
    if (v.kind === 'Lease') {
      t.like(obj, { spec: { holderIdentity: 'run-a', leaseDurationSeconds: 30, acquireTime: '2026-12-04T16:06:11.123000Z', renewTime: '2026-12-04T16:06:11.123000Z' } });
      t.deepEqual(field(obj, 'metadata', 'annotations'), {
        'calico-migrate.projectcalico.org/reason': 'apply plan of run-a', 'calico-migrate.projectcalico.org/holder-host': 'test-host',
        'calico-migrate.projectcalico.org/holder-pid': '4242', 'calico-migrate.projectcalico.org/plan-hash': 'sha256:abc',
      });
    } else {
      t.deepEqual(field(obj, 'data'), {
        holder: 'run-a', reason: 'apply plan of run-a', acquireTime: '2026-12-04T16:06:11.123000Z', renewTime: '2026-12-04T16:06:11.123000Z',
        leaseDurationSeconds: '30', host: 'test-host', pid: '4242', planHash: 'sha256:abc',
      });
    }
    const rv = lock.info.resourceVersion;
    clock = at(10.5);
    await lock.renew();
    t.like(lock.info, { renewed: '2026-12-04T16:06:21.623000Z', expires: '2026-12-04T16:06:51.623000Z', acquired: '2026-12-04T16:06:11.123000Z', stale: false });
    t.not(lock.info.resourceVersion, rv);
    t.regex(String(field(stored(v), ...(v.kind === 'Lease' ? ['spec', 'renewTime'] : ['data', 'renewTime']))), MICRO);
    t.false((await readLock(client, at(35)))?.stale ?? true, 'the renewal moved the expiry');
    t.deepEqual(await lock.release(), { outcome: 'released' });
    t.is(await readLock(client, T0), undefined);
    t.is(stored(v), undefined);
    await t.throwsAsync(lock.renew(), { instanceOf: LockLostError });
  });

  test.serial(title('a second acquire with waitMs 0 fails at once with LockHeldError naming holder, reason and expiry'), async (t) => {
    const { client } = ctx(v);
    await forceUnlock(client);
    const first = await acquireLock(client, opts('run-a'));
    const err = await t.throwsAsync(acquireLock(client, opts('run-b', { now: () => at(5) })), { instanceOf: LockHeldError });
    t.is(err?.info.holder, 'run-a');
    t.is(err?.message, `the migration lock (${v.kind === 'Lease' ? 'Lease kube-system/calico-migrate' : 'ConfigMap kube-system/calico-migrate-lock'}) is held by "run-a" (on host test-host, pid 4242) for "apply plan of run-a" since 2026-12-04T16:06:11.123000Z; it expires at 2026-12-04T16:06:41.123000Z (in 25 s) unless renewed. Wait for that run to finish and try again, or, only if you are sure that holder is dead, run again with --force-unlock`);
    t.is((await readLock(client, at(5)))?.holder, 'run-a', 'the failed attempt changed nothing');
    t.deepEqual(await first.release(), { outcome: 'released' });
  });

  test.serial(title('a second acquire with waitMs polls and succeeds once the first releases'), async (t) => {
    const { client, server } = ctx(v);
    await forceUnlock(client);
    const first = await acquireLock(client, opts('run-a', { now: () => new Date() }));
    server.clearRequests();
    const releasing = new Promise<void>((resolve) => setTimeout(() => void first.release().then(() => resolve()), 150));
    const started = Date.now();
    const second = await acquireLock(client, opts('run-b', { now: () => new Date(), waitMs: 5000, pollMs: 25 }));
    await releasing;
    t.true(Date.now() - started >= 100);
    t.is(second.info.holder, 'run-b');
    t.true(server.requests.filter((r) => r.method === 'GET').length >= 2, 'it polled');
    t.deepEqual(await second.release(), { outcome: 'released' });
  });

  test.serial(title('the wait gives up after waitMs with LockHeldError'), async (t) => {
    const { client } = ctx(v);
    await forceUnlock(client);
    const first = await acquireLock(client, opts('run-a'));
    const slept: number[] = [];
    const sleep = async (ms: number): Promise<void> => {
      slept.push(ms);
    };
    await t.throwsAsync(acquireLock(client, opts('run-b', { waitMs: 100, pollMs: 40, sleep })), { instanceOf: LockHeldError });
    t.deepEqual(slept, [40, 40, 20]);
    await first.release();
  });

  test.serial(title('a stale lock is shown as stale, taken over, and its old holder then loses it'), async (t) => {
    const { client } = ctx(v);
    await forceUnlock(client);
    const crashed = await acquireLock(client, opts('run-a'));
    t.false((await readLock(client, at(30)))?.stale ?? true, 'fresh until renewTime + duration');
    const seen = await readLock(client, at(31));
    t.like(seen, { holder: 'run-a', stale: true, expires: '2026-12-04T16:06:41.123000Z' });
    const taker = await acquireLock(client, opts('run-b', { now: () => at(31) }));
    t.like(taker.info, { holder: 'run-b', acquired: microTime(at(31)), stale: false });
    if (v.kind === 'Lease') t.is(field(stored(v), 'spec', 'leaseTransitions'), 1);
    const err = await t.throwsAsync(crashed.renew(), { instanceOf: LockLostError });
    t.is(err?.info?.holder, 'run-b');
    t.true(crashed.lost);
    t.like(await crashed.release(), { outcome: 'taken', by: { holder: 'run-b' } });
    t.is((await readLock(client, at(31)))?.holder, 'run-b', 'the old holder did not delete the new lock');
    await taker.release();
  });

  test.serial(title('racing acquires: exactly one wins a free lock, and exactly one wins a stale one'), async (t) => {
    const { client } = ctx(v);
    await forceUnlock(client);
    const names = ['r1', 'r2', 'r3', 'r4', 'r5'];
    const free = await Promise.allSettled(names.map((n) => acquireLock(client, opts(n))));
    const winners = free.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    t.is(winners.length, 1);
    t.true(free.every((r) => r.status === 'fulfilled' || r.reason instanceof LockHeldError));
    t.is((await readLock(client, T0))?.holder, winners[0]?.info.holder);
    const stale = await Promise.allSettled(names.map((n) => acquireLock(client, opts(`${n}-late`, { now: () => at(60) }))));
    const takers = stale.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    t.is(takers.length, 1);
    t.true(stale.every((r) => r.status === 'fulfilled' || r.reason instanceof LockHeldError));
    t.is((await readLock(client, at(60)))?.holder, takers[0]?.info.holder);
    await takers[0]?.release();
  });

  test.serial(title('the same holder takes its own fresh lock back (a crashed run of the same id)'), async (t) => {
    const { client } = ctx(v);
    await forceUnlock(client);
    const before = await acquireLock(client, opts('run-a'));
    const again = await acquireLock(client, opts('run-a', { now: () => at(2), pid: 5555 }));
    t.like(again.info, { holder: 'run-a', acquired: microTime(at(2)), pid: 5555 });
    if (v.kind === 'Lease') t.is(field(stored(v), 'spec', 'leaseTransitions'), 0);
    await t.throwsAsync(before.renew(), { instanceOf: LockLostError });
    await again.release();
  });

  test.serial(title('background renewal keeps the lock fresh; stop() ends it'), async (t) => {
    const { client } = ctx(v);
    await forceUnlock(client);
    let clock = T0;
    const lock = await acquireLock(client, opts('run-a', { now: () => clock }));
    const lost: unknown[] = [];
    clock = at(25);
    lock.startRenewing(10, (e) => lost.push(e));
    await waitUntil(() => lock.info.renewed === microTime(at(25)));
    clock = at(50);
    t.false((await readLock(client, at(50)))?.stale ?? true);
    await t.throwsAsync(acquireLock(client, opts('run-b', { now: () => at(50) })), { instanceOf: LockHeldError });
    await lock.stop();
    const rv = lock.info.resourceVersion;
    clock = at(60);
    await new Promise((r) => setTimeout(r, 50));
    t.is(lock.info.resourceVersion, rv, 'no renewals after stop()');
    t.deepEqual(lost, []);
    t.deepEqual(await lock.release(), { outcome: 'released' });
  });

  test.serial(title('force-unlock: returns what it removed; the old holder renewing afterwards gets LockLostError, onLost fires once'), async (t) => {
    const { client } = ctx(v);
    await forceUnlock(client);
    t.is(await forceUnlock(client, T0), undefined, 'no lock, nothing removed');
    const a = await acquireLock(client, opts('run-a'));
    const removed = await forceUnlock(client, at(100));
    t.deepEqual(removed, { ...a.info, stale: true });
    const b = await acquireLock(client, opts('run-b', { now: () => at(100) }));
    const err = await t.throwsAsync(a.renew(), { instanceOf: LockLostError });
    t.regex(err?.message ?? '', /now held by "run-b"/);
    t.is(err?.info?.holder, 'run-b');
    t.deepEqual(await b.release(), { outcome: 'released' });

    const c = await acquireLock(client, opts('run-c'));
    await forceUnlock(client);
    const lost: unknown[] = [];
    c.startRenewing(10, (e) => lost.push(e));
    await waitUntil(() => lost.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    t.is(lost.length, 1);
    t.true(lost[0] instanceof LockLostError);
    t.regex((lost[0] as Error).message, /deleted/);
    t.true(c.lost);
    t.deepEqual(await c.release(), { outcome: 'already-gone' });
  });
}

test.serial('the lock kind follows what the server serves', async (t) => {
  const [lease, cm] = VARIANTS;
  if (!lease || !cm) throw new Error('variants');
  const l = await acquireLock(ctx(lease).client, opts('x'));
  const c = await acquireLock(ctx(cm).client, opts('x'));
  t.is(l.info.kind, 'Lease');
  t.is(c.info.kind, 'ConfigMap');
  t.is(ctx(cm).server.state.list('v1', 'ConfigMap', 'kube-system').length, 1);
  t.false(ctx(cm).server.requests.some((r) => r.path.includes('coordination.k8s.io/v1/namespaces')), 'no Lease calls on 1.7');
  await l.release();
  await c.release();
});

async function waitUntil(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
