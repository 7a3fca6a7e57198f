/**
 * Runs the Kubernetes API test server on its own, for demos and debugging:
 *
 *   node --import tsx test/k8s-server/main.ts --port 0 --seed fixtures/sources/kdd-typical/tprs.yaml --token t
 *
 * Prints the URL and the path of a kubeconfig it wrote, then serves until SIGINT/SIGTERM (a kubeconfig
 * written to its own temp dir is removed then).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startK8sServer, type K8sServerOptions } from './server.js';
import { readSeedFile } from './seed.js';

const USAGE = `usage: main.ts [--port N] [--tls] [--version v1.7.16] [--token T[=user]]... [--anonymous]
               [--seed FILE]... [--kubeconfig PATH] [--establish-delay MS] [--heartbeat MS]`;

function parse(argv: string[]): { options: K8sServerOptions; seeds: string[]; kubeconfig: string | undefined; token: string | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      tls: { type: 'boolean', default: false },
      version: { type: 'string', default: 'v1.33.0' },
      token: { type: 'string', multiple: true, default: [] },
      anonymous: { type: 'boolean', default: false },
      seed: { type: 'string', multiple: true, default: [] },
      kubeconfig: { type: 'string' },
      'establish-delay': { type: 'string' },
      heartbeat: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const tokens: Record<string, { user: string; groups: string[] }> = {};
  for (const spec of values.token) {
    const [token, user] = spec.split('=', 2);
    if (token) tokens[token] = { user: user ?? 'admin', groups: ['system:masters'] };
  }
  const options: K8sServerOptions = { port: Number(values.port), tls: values.tls, gitVersion: values.version, tokens, anonymous: values.anonymous };
  if (values['establish-delay'] !== undefined) options.crdEstablishDelayMs = Number(values['establish-delay']);
  if (values.heartbeat !== undefined) options.nodeHeartbeatMs = Number(values.heartbeat);
  return { options, seeds: values.seed, kubeconfig: values.kubeconfig, token: Object.keys(tokens)[0] };
}

async function main(): Promise<void> {
  const { options, seeds, kubeconfig, token } = parse(process.argv.slice(2));
  const server = await startK8sServer(options);
  for (const file of seeds) {
    const result = server.seed(await readSeedFile(file));
    process.stderr.write(`seeded ${result.stored.length} objects from ${file}\n`);
    for (const s of result.skipped) process.stderr.write(`  skipped ${s.apiVersion}/${s.kind} ${s.name}: ${s.reason}\n`);
  }
  const ownDir = kubeconfig === undefined ? await mkdtemp(join(tmpdir(), 'k8s-test-server-')) : undefined;
  const path = kubeconfig ?? join(ownDir ?? '.', 'kubeconfig');
  await writeFile(path, server.kubeconfig(token ? { token } : {}), { mode: 0o600 });
  const stop = (): void => {
    server
      .stop()
      .then(() => (ownDir ? rm(ownDir, { recursive: true, force: true }) : undefined))
      .then(() => process.exit(0), () => process.exit(1));
  };
  // Before the URL is printed: whoever reads it may signal at once, and a signal that arrives before
  // its handler is installed kills the process without cleaning up.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.write(`url: ${server.url}\nkubeconfig: ${path}\n`);
  if (!options.tls && !options.anonymous) {
    process.stderr.write('note: kubectl sends credentials only over https; use --tls, or --anonymous for plain http\n');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
