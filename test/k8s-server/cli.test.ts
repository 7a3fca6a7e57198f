/** The stand-alone entry point: `node --import tsx test/k8s-server/main.ts …` prints the URL and a kubeconfig path. */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

interface Started {
  child: ChildProcess;
  url: string;
  kubeconfig: string;
  stderr: () => string;
}

function start(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/k8s-server/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed; stderr: ${err}`)), 20_000);
    child.on('exit', (code) => reject(new Error(`exited ${String(code)}: ${err}`)));
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const url = /^url: (\S+)$/m.exec(out)?.[1];
      const kubeconfig = /^kubeconfig: (\S+)$/m.exec(out)?.[1];
      if (url && kubeconfig) {
        clearTimeout(timer);
        resolve({ child, url, kubeconfig, stderr: () => err });
      }
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

test('main.ts serves seeded dump files, writes a kubeconfig and stops on SIGTERM', async (t) => {
  const seeds = ['tprs.yaml', 'nodes.yaml'].flatMap((f) => ['--seed', `fixtures/sources/kdd-typical/${f}`]);
  const s = await start(['--port', '0', '--version', 'v1.7.16', ...seeds, '--token', 't']);
  try {
    t.regex(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    t.regex(s.stderr(), /seeded 16 objects from fixtures\/sources\/kdd-typical\/tprs\.yaml/);
    const config = YAML.parse(await readFile(s.kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[]; users: { user: { token: string } }[] };
    t.is(config.clusters[0]?.cluster.server, s.url);
    t.is(config.users[0]?.user.token, 't');
    t.is((await stat(s.kubeconfig)).mode & 0o777, 0o600);
    const pools = await fetch(`${s.url}/apis/projectcalico.org/v1/namespaces/kube-system/ippools`, { headers: { Authorization: 'Bearer t' } });
    const body = (await pools.json()) as { items: { metadata: { name: string } }[] };
    t.deepEqual(body.items.map((i) => i.metadata.name), ['192-168-0-0-16']);
    const nodes = await fetch(`${s.url}/api/v1/nodes`, { headers: { Authorization: 'Bearer t' } });
    t.is(((await nodes.json()) as { items: unknown[] }).items.length, 3);
    t.is((await fetch(`${s.url}/api/v1/nodes`)).status, 401);
  } finally {
    t.is(await stop(s.child), 0);
  }
  await t.throwsAsync(stat(s.kubeconfig), { code: 'ENOENT' });
});

test('main.ts --tls embeds the CA in the kubeconfig', async (t) => {
  const s = await start(['--tls', '--token', 't=alice']);
  try {
    t.regex(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const config = YAML.parse(await readFile(s.kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
    const ca = Buffer.from(config.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString();
    t.true(ca.startsWith('-----BEGIN CERTIFICATE-----'));
  } finally {
    t.is(await stop(s.child), 0);
  }
});
