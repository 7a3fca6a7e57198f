/**
 * The package as npm publishes it: `npm pack` of this checkout (with the dist/ the test command
 * built), installed into an empty project from the tarball, runs from node_modules/.bin with no
 * TypeScript loader and no development dependency: --version, and a convert of a bundled sample.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../_helpers/cli.js';

const run = promisify(execFile);

test('npm pack: the tarball installs into an empty project and its bin runs the compiled CLI', async (t) => {
  t.timeout(240_000);
  t.true(existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js')), 'dist/ is built by the test command (npm run build) before the tests');
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-pack-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // --ignore-scripts: the dist/ of this checkout is what is packed (prepare would rebuild the same).
  await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: REPO_ROOT });
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
  const tarball = join(dir, `calico-migrate-${pkg.version}.tgz`);
  t.true(existsSync(tarball));

  const app = join(dir, 'app');
  await run('mkdir', [app]);
  await writeFile(join(app, 'package.json'), '{"name":"operator-tools","version":"1.0.0","private":true}\n');
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app, maxBuffer: 1 << 24 });
  const installed = join(app, 'node_modules', 'calico-migrate');
  // What the package holds: the compiled code and the samples, not the TypeScript sources or the tests.
  t.deepEqual((await readdir(installed)).sort(), ['CHANGELOG.md', 'README.md', 'bin', 'dist', 'fixtures', 'package.json']);
  t.false(existsSync(join(installed, 'dist', 'test')));
  // The development tools were not installed with it (@types/node is, by the Kubernetes client).
  for (const dev of ['tsx', 'typescript', 'ava', '@inquirer/testing', 'esbuild']) {
    t.truthy(pkg.devDependencies[dev]);
    t.false(existsSync(join(app, 'node_modules', dev)), `${dev} is a development dependency`);
  }

  const bin = join(app, 'node_modules', '.bin', 'calico-migrate');
  const version = await run(bin, ['--version'], { cwd: app });
  t.is(version.stdout.trim(), pkg.version);

  const sample = join(installed, 'fixtures', 'sources', 'etcd-typical', 'etcd-v2.json');
  const converted = await run(bin, ['convert', '--from-file', sample, '--to', 'v3.0', '--form', 'calicoctl'], { cwd: app, maxBuffer: 1 << 24 });
  t.is(converted.stdout, await readFile(join(REPO_ROOT, 'fixtures', 'golden', 'etcd-typical', 'v3.0-calicoctl.yaml'), 'utf8'));
  t.regex(converted.stderr, /objects written to stdout as YAML documents/);

  // The Kubernetes client ships as one bundled module (scripts/bundle.mjs), not an import of the
  // package's 900 modules, and it runs from the installed package: a plan against a port fetch refuses
  // gets as far as the request, and says why it could not reach the server.
  const client = await readFile(join(installed, 'dist', 'src', 'datastore', 'client-node.js'), 'utf8');
  t.regex(client, /^\/\/ @kubernetes\/client-node \d+\.\d+\.\d+ and its dependencies \(but undici\), bundled/);
  t.false(/from\s*["']@kubernetes\/client-node/.test(client));
  const kubeconfig = join(app, 'kubeconfig');
  await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:10080", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: abc}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n');
  const planned = await run(bin, ['plan', '--from-file', sample, '--to', 'v2.5', '--kubeconfig', kubeconfig], { cwd: app }).then(
    () => undefined,
    (e: { code: number; stderr: string }) => e,
  );
  t.is(planned?.code, 1);
  t.regex(planned?.stderr ?? '', /cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:10080 to get \/version \(fetch failed: bad port\)/);
});
