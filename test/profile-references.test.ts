/**
 * No endpoint loses its profile during the upgrade window (calicoctl form, an etcd datastore): every
 * profile a converted workload or host endpoint references is in the same List, including the
 * namespace profiles `kns.<ns>` that kube-controllers v3 would otherwise only create once it runs.
 */
import test from 'ava';
import { runCli } from './_helpers/cli.js';
import { SCENARIOS, fromFileArgs } from './_helpers/scenarios.js';
import { convertedItems } from './_helpers/items.js';

interface Item { kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec?: { profiles?: string[] } }

for (const scenario of SCENARIOS) {
  test(`profile references: every profile an endpoint of ${scenario.name} references is written beside it (calicoctl form)`, async (t) => {
    const run = await runCli(['convert', ...fromFileArgs(scenario.files), '--to', 'v3.0', '--form', 'calicoctl', '-o', 'json']);
    t.not(run.code, 1, run.stderr);
    const items = convertedItems<Item>(run.stdout);
    const profiles = new Set(items.filter((i) => i.kind === 'Profile').map((i) => i.metadata.name));
    const endpoints = items.filter((i) => i.kind === 'WorkloadEndpoint' || i.kind === 'HostEndpoint');
    const missing = endpoints.flatMap((e) => (e.spec?.profiles ?? []).filter((p) => !profiles.has(p)).map((p) => `${e.kind}/${e.metadata.name} → ${p}`));
    t.deepEqual(missing, []);
    for (const p of items.filter((i) => i.kind === 'Profile' && i.metadata.name.startsWith('kns.'))) {
      t.is(p.metadata.annotations?.['calico-migrate.projectcalico.org/owner'], 'kube-controllers', `${p.metadata.name} is marked as the controller's`);
    }
  });
}
