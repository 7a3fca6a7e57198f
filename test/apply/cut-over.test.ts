/** The cut-over's pure parts: what a plan pins through the pause, what changed, where a cut-over stands. */
import test from 'ava';
import { cutOverState, isHandedOverKey, isVolatileOrigin, pauseOf, pinnedPart, volatileChanges } from '../../src/apply/cut-over.js';
import type { JournalRecord } from '../../src/apply/journal.js';
import { makePlan } from '../../src/plan/file.js';
import type { Plan, PlanEntry } from '../../src/plan/types.js';
import { TOOL_ANNOTATION } from '../../src/plan/ownership.js';

const entry = (kind: string, name: string): PlanEntry => ({ key: `${kind}/${name}`, kind, name, action: 'create', desired: { apiVersion: 'projectcalico.org/v3', kind, metadata: { name } }, resourceVersion: '', owned: false, origins: [] });

function plan(records: Record<string, string>, entries: PlanEntry[]): Plan {
  return makePlan({ tool: { name: 'calico-migrate', version: 't' }, target: 'v3.0', form: 'calicoctl', steps: [], source: { type: 'live', files: [], records }, cluster: { server: 'http://etcd', gitVersion: 'etcd v3', id: '1' }, cutOver: true, entries, findings: [] });
}

test('cut-over: IPAM and workload endpoints are what keeps changing until the pause; the rest is pinned', (t) => {
  t.true(isVolatileOrigin('/calico/ipam/v2/handle/k8s-pod-network.a'));
  t.true(isVolatileOrigin('/calico/v1/host/node-1/workload/k8s/default.web/endpoint/eth0'));
  t.false(isVolatileOrigin('/calico/v1/host/node-1/endpoint/eth0'), 'host endpoints are configuration');
  t.false(isVolatileOrigin('/calico/v1/policy/tier/default/policy/p'));
  const a = plan({ '/calico/v1/policy/tier/default/policy/p': '1', '/calico/ipam/v2/handle/h': '1', '/calico/ipam/v2/handle/gone': '1' }, [entry('GlobalNetworkPolicy', 'p'), entry('IPAMHandle', 'h'), entry('WorkloadEndpoint', 'w')]);
  const b = plan({ '/calico/v1/policy/tier/default/policy/p': '1', '/calico/ipam/v2/handle/h': '2', '/calico/ipam/v2/handle/new': '1' }, [entry('GlobalNetworkPolicy', 'p'), entry('IPAMHandle', 'h'), entry('IPAMHandle', 'new')]);
  t.deepEqual(pinnedPart(a).entries.map((e) => e.key), ['GlobalNetworkPolicy/p']);
  t.deepEqual(Object.keys(pinnedPart(a).source.records), ['/calico/v1/policy/tier/default/policy/p']);
  t.deepEqual(volatileChanges(a, b), ['changed  /calico/ipam/v2/handle/h', 'added    /calico/ipam/v2/handle/new', 'removed  /calico/ipam/v2/handle/gone']);
});

test('cut-over: where it stands, from ClusterInformation; which keys calico/node v3 owns after complete', (t) => {
  const info = (ready: boolean, owned: boolean) => ({ apiVersion: 'projectcalico.org/v3', kind: 'ClusterInformation', metadata: { name: 'default', ...(owned ? { annotations: { [TOOL_ANNOTATION]: 'calico-migrate t' } } : {}) }, spec: { datastoreReady: ready } });
  t.is(cutOverState(undefined), 'none');
  t.is(cutOverState(info(false, true)), 'pending');
  t.is(cutOverState(info(true, true)), 'complete');
  t.is(cutOverState(info(true, false)), 'foreign');
  t.true(isHandedOverKey('/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-26'));
  t.true(isHandedOverKey('/calico/resources/v3/projectcalico.org/nodes/node-9'));
  t.false(isHandedOverKey('/calico/resources/v3/projectcalico.org/ippools/p'));
});

test('cut-over: the pause a journal holds is the last one not given back', (t) => {
  const r = (x: Record<string, unknown>) => ({ time: 't', run: 'r', ...x }) as unknown as JournalRecord;
  t.is(pauseOf([]), undefined);
  t.deepEqual(pauseOf([r({ t: 'pause', flag: 'f', before: 'true' })]), { flag: 'f', before: 'true' });
  t.is(pauseOf([r({ t: 'pause', flag: 'f', before: 'true' }), r({ t: 'resume', flag: 'f', outcome: 'restored', reason: 'x' })]), undefined);
  t.deepEqual(pauseOf([r({ t: 'pause', flag: 'f', before: 'true' }), r({ t: 'resume', flag: 'f', outcome: 'restored', reason: 'x' }), r({ t: 'pause', flag: 'f', before: null })]), { flag: 'f', before: null });
});
