/**
 * The interactive migration in a real pseudo-terminal: util-linux `script` gives the real
 * executable a terminal (so stdin and stdout are TTYs, the live progress renderer runs and the
 * confirmation prompt is asked), the test answers the prompt with the keys a person would press,
 * and the objects must then be on the cluster. Nothing is mocked: the terminal, the prompt and the
 * CLI are the real ones; the cluster is the Kubernetes API test server emulating 1.7.16 with the
 * kdd-typical ThirdPartyResources; and a cut-over to an etcd v3 datastore on a real etcd.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { access, constants, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Etcd3 } from 'etcd3';
import { join } from 'node:path';
import { REPO_ROOT } from '../_helpers/cli.js';
import { KDD_FILES, startCluster, writes } from '../_helpers/cluster.js';
import { etcdRequest, startEtcd } from '../_helpers/etcd.js';

const SCRIPT = '/usr/bin/script';
const V25_KINDS = ['GlobalFelixConfig', 'GlobalBGPConfig', 'IPPool', 'BGPPeer', 'GlobalNetworkPolicy'] as const;

/** Single quotes for sh. */
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
/** The terminal's output without colours and cursor movements, for matching. */
const plain = (s: string): string => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\u001b\][^\u0007]*\u0007/g, '');

test.serial('pty: the interactive apply in a real terminal (util-linux script): the prompt appears, up, up, Enter chooses Apply, exit 0 and the objects exist', async (t) => {
  try {
    await access(SCRIPT, constants.X_OK);
  } catch {
    t.fail(`${SCRIPT} is missing: this test needs util-linux's \`script\` to run the CLI in a pseudo-terminal (Debian: apt-get install bsdutils)`);
    return;
  }
  const c = await startCluster({ gitVersion: 'v1.7.16', files: KDD_FILES });
  try {
    const command = `stty cols 120 rows 40; exec ${quote(process.execPath)} ${quote(join(REPO_ROOT, 'bin/calico-migrate.js'))} apply --to v2.5`;
    // A clean environment: the cluster's settings, no CI (which would refuse to prompt), no pager.
    const env = { KUBECONFIG: c.env['KUBECONFIG'] ?? '', DATASTORE_TYPE: c.env['DATASTORE_TYPE'] ?? '', PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: c.dir, TERM: 'xterm-256color', PAGER: '', NO_COLOR: '1' };
    const child = spawn(SCRIPT, ['-qfec', command, '/dev/null'], { cwd: c.dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let errors = '';
    child.stdout.on('data', (d: Buffer) => (screen += d.toString()));
    child.stderr.on('data', (d: Buffer) => (errors += d.toString()));
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve((exit = { code, signal }))));
    const until = async (re: RegExp, timeoutMs: number): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (!re.test(plain(screen))) {
        if (exit) throw new Error(`the command exited (${JSON.stringify(exit)}) before the terminal showed ${re}: ${plain(screen).slice(-1500)}${errors}`);
        if (Date.now() > deadline) throw new Error(`the terminal never showed ${re} within ${timeoutMs} ms: ${plain(screen).slice(-1500)}${errors}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    try {
      await until(/Apply 14 change\(s\) to https:\/\/127\.0\.0\.1:\d+\?/, 40_000);
      t.deepEqual(writes(c.server), [], 'nothing is written before the answer');
      t.regex(plain(screen), /❯ Cancel/, 'Cancel is the default');
      t.regex(plain(screen), /create 14, update 0, unchanged 0, conflict 0/, 'the summary is shown before the question');
      // Up twice (Cancel → Show the full diff → Apply), then Enter.
      child.stdin.write('\u001b[A\u001b[A\r');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 45_000);
      const ended = await exited.finally(() => clearTimeout(timeout));
      t.deepEqual(ended, { code: 0, signal: null }, plain(screen).slice(-2000) + errors);
    } finally {
      if (!exit) child.kill('SIGKILL');
      child.stdin.end();
    }
    const shown = plain(screen);
    t.regex(shown, /✔ Apply 14 change\(s\) to .*Apply/);
    t.regex(shown, /Verify: all 14 objects read back as planned/);
    t.regex(shown, /result: applied \(exit 0\)/);
    const names = V25_KINDS.flatMap((kind) => c.server.state.list('crd.projectcalico.org/v1', kind).map((o) => `${kind}/${String((o['metadata'] as { name?: string } | undefined)?.name)}`)).sort();
    t.deepEqual(names, [
      'BGPPeer/10-0-0-1',
      'BGPPeer/2001-0db8-0000-0000-0000-0000-0000-0001',
      'GlobalBGPConfig/asnumber',
      'GlobalBGPConfig/loglevel',
      'GlobalBGPConfig/nodemeshenabled',
      'GlobalFelixConfig/calicoversion',
      'GlobalFelixConfig/clusterguid',
      'GlobalFelixConfig/clustertype',
      'GlobalFelixConfig/ipinipenabled',
      'GlobalFelixConfig/logseverityscreen',
      'GlobalFelixConfig/reportingintervalsecs',
      'GlobalNetworkPolicy/allow-dns-egress',
      'GlobalNetworkPolicy/restrict-redis',
      'IPPool/192-168-0-0-16',
    ]);
    const posts = c.server.requests.filter((q) => q.method === 'POST' && q.path.startsWith('/apis/crd.projectcalico.org/'));
    t.is(posts.filter((q) => q.status === 201).length, 14);
  } finally {
    await c.stop();
  }
});

test.serial('pty: the interactive cut-over to an etcd v3 datastore: nothing is paused or written before the answer; Apply pauses the v2.x agents, writes and verifies', async (t) => {
  const etcd = await startEtcd({ seedV2: JSON.parse(await readFile(join(REPO_ROOT, 'fixtures/sources/etcd-typical/etcd-v2.json'), 'utf8')) as unknown });
  const dir = await mkdtemp(join(tmpdir(), 'calico-migrate-pty-etcd-'));
  const client = new Etcd3({ hosts: etcd.endpoint });
  const ready = async () => (JSON.parse((await etcdRequest(etcd, '/v2/keys/calico/v1/Ready')).body) as { node?: { value?: string } }).node?.value;
  try {
    const command = `stty cols 120 rows 40; exec ${quote(process.execPath)} ${quote(join(REPO_ROOT, 'bin/calico-migrate.js'))} apply --to v3.0 --target-datastore-type etcdv3 --target-etcd-endpoints ${quote(etcd.endpoint)} --cut-over --pause-settle 0`;
    const env = { DATASTORE_TYPE: 'etcdv2', ETCD_ENDPOINTS: etcd.endpoint, PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, TERM: 'xterm-256color', PAGER: '', NO_COLOR: '1' };
    const child = spawn(SCRIPT, ['-qfec', command, '/dev/null'], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => (screen += d.toString()));
    child.stderr.on('data', (d: Buffer) => (screen += d.toString()));
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve((exit = { code, signal }))));
    try {
      const deadline = Date.now() + 40_000;
      while (!/Apply 40 change\(s\) to http:\/\/127\.0\.0\.1:\d+\?/.test(plain(screen))) {
        if (exit || Date.now() > deadline) throw new Error(`no prompt (${JSON.stringify(exit)}): ${plain(screen).slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      t.is(await ready(), 'true', 'nothing is paused before the answer');
      t.deepEqual(await client.getAll().prefix('/calico/').keys(), [], 'nothing is written before the answer');
      t.regex(plain(screen), /pause-partial-on-v2\.4/, 'what the pause does not freeze is said before the question');
      child.stdin.write('\u001b[A\u001b[A\r');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 45_000);
      const ended = await exited.finally(() => clearTimeout(timeout));
      t.deepEqual(ended, { code: 0, signal: null }, plain(screen).slice(-2000));
    } finally {
      if (!exit) child.kill('SIGKILL');
      child.stdin.end();
    }
    const shown = plain(screen);
    t.regex(shown, /Pause v2 agents: etcd v2 http:\/\/127\.0\.0\.1:\d+ \/calico\/v1\/Ready false \(was true\)/);
    t.regex(shown, /Verify: all 40 objects read back as planned/);
    t.regex(shown, /result: applied \(exit 0\)/);
    t.is(await ready(), 'false');
    t.is((await client.getAll().prefix('/calico/').keys()).length, 40);
  } finally {
    client.close();
    await etcd.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
