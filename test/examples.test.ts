/**
 * The examples stay true: the RBAC manifests are exactly what `calico-migrate rbac` prints for them,
 * and the Job runs the CI flow (apply a plan, --yes, JSON, no prompt) as the ServiceAccount that RBAC
 * binds, with the run's state kept in the cluster (no volume for it, nothing to copy out).
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT, runCli } from './_helpers/cli.js';

for (const [file, args] of [
  ['rbac-v2.5-kubernetes-1.7.yaml', ['--to', 'v2.5', '--source', 'kubernetes', '--kubernetes-version', '1.7']],
  ['rbac-v3.0-kubernetes-1.16.yaml', ['--to', 'v3.0', '--source', 'kubernetes', '--kubernetes-version', '1.16']],
] as const) {
  test(`examples: ${file} is exactly the output of calico-migrate rbac ${args.join(' ')}`, async (t) => {
    const run = await runCli(['rbac', ...args]);
    t.is(run.code, 0, run.stderr);
    t.is(run.stdout, await readFile(join(REPO_ROOT, 'examples', file), 'utf8'));
  });
}

test('examples: the Job applies a plan non-interactively as the calico-migrate ServiceAccount, its state kept in the cluster', async (t) => {
  const job = YAML.parse(await readFile(join(REPO_ROOT, 'examples', 'job-apply-v2.5.yaml'), 'utf8')) as {
    kind: string;
    metadata: { namespace: string };
    spec: { template: { spec: { serviceAccountName: string; containers: { args: string[]; env: { name: string; value: string }[]; volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[] }[] } } };
  };
  t.is(job.kind, 'Job');
  const pod = job.spec.template.spec;
  const rbac = YAML.parseAllDocuments(await readFile(join(REPO_ROOT, 'examples', 'rbac-v2.5-kubernetes-1.7.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
  const sa = rbac.find((o) => o.kind === 'ServiceAccount');
  t.is<string | undefined, string | undefined>(pod.serviceAccountName, sa?.metadata.name);
  t.is<string | undefined, string | undefined>(job.metadata.namespace, sa?.metadata.namespace);
  const container = pod.containers[0];
  const args = container?.args ?? [];
  t.deepEqual(args.slice(0, 4), ['apply', '--plan', '/plan/plan.json', '--yes']);
  t.true(args.includes('json'));
  // No local state: no --journal, --state-dir or --state local, and no scratch volume that dies with the pod.
  t.false(args.some((a) => ['--journal', '--state-dir', '--state'].includes(a)), args.join(' '));
  t.deepEqual(container?.volumeMounts.map((m) => m.name), ['plan']);
  // The RBAC it runs under creates the state's namespace and grants Secrets there, and only there.
  t.true(rbac.some((o) => o.kind === 'Namespace' && o.metadata.name === 'calico-migrate'));
  const roles = rbac as unknown as { kind: string; metadata: { namespace?: string }; rules?: { resources: string[]; verbs: string[] }[] }[];
  const secretGrants = roles.filter((o) => o.rules?.some((r) => r.resources.includes('secrets')));
  t.deepEqual(secretGrants.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}`), ['Role/calico-migrate']);
  t.true(container?.env.some((e) => e.name === 'CI' && e.value === 'true'));
  // The arguments are ones the CLI accepts: --help of apply lists each option used.
  const help = await runCli(['apply', '--help']);
  for (const a of args.filter((x) => x.startsWith('--'))) t.true(help.stdout.includes(a), `apply accepts ${a}`);
});
