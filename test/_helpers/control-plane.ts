/**
 * A REAL Kubernetes control plane for the test suite: the kube-apiserver built from Go modules by
 * `npm run peers` (see peers/README.md), on loopback, with its own etcd (never one an etcd test
 * wipes), TLS, RBAC authorization, a token file with an admin and an unprivileged user, and
 * service-account keys generated at run time. Nothing of kube-controller-manager runs, so no test may
 * rely on namespace deletion, garbage collection or a default ServiceAccount.
 *
 * One control plane per test file (`test.before`), stopped in `test.after.always`; the tests of a
 * file that share it run serially, and each file's cluster is its own, so whole-cluster snapshots
 * see only that file's writes. A missing binary fails the test with the command that builds it:
 * nothing is skipped.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import YAML from 'yaml';
import { missingPeerMessage, peerPaths, type PeerPaths } from '../../peers/build.mjs';
import { exited, freePorts, logTail, openssl, spawnWatchdog, startEtcd, waitForExit, type EtcdServer } from './etcd.js';

export interface ApiResponse {
  readonly status: number;
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
}

export interface ControlPlane {
  /** `https://127.0.0.1:PORT` */
  readonly url: string;
  readonly caFile: string;
  readonly ca: string;
  /** What `/version` reports (gitVersion), e.g. `v1.33.13`. */
  readonly version: string;
  /** A user in `system:masters`. */
  readonly adminToken: string;
  /** A user with no role bound (only what every authenticated user may do). */
  readonly userToken: string;
  readonly userName: string;
  readonly etcd: EtcdServer;
  readonly dir: string;
  readonly logFile: string;
  readonly peers: PeerPaths;
  /** Writes a kubeconfig for this server and `token` to `path` (mode 0600); returns `path`. */
  writeKubeconfig(path: string, token: string): string;
  /** One request as `token` (the admin by default). */
  api(method: string, path: string, body?: unknown, options?: { token?: string; contentType?: string }): Promise<ApiResponse>;
  /** The real kubectl as `token` (the admin by default). */
  kubectl(args: readonly string[], options?: { token?: string; stdin?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** The peers, or an Error that says how to build them. */
export function builtPeers(): PeerPaths {
  const p = peerPaths();
  const missing = [p.kubeApiserver, p.calicoctl, p.calicoCrds].filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing. ${missingPeerMessage('A real peer')}`);
  return p;
}

function apiRequest(url: string, ca: string, method: string, path: string, body: unknown, token: string | undefined, contentType = 'application/json'): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      `${url}${path}`,
      {
        method,
        ca,
        headers: {
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(data !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(data) } : {}),
        },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, json: <T>() => JSON.parse(text) as T }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

async function makeCertificates(dir: string): Promise<{ caFile: string; certFile: string; keyFile: string; saPub: string; saKey: string }> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '7', '-subj', '/CN=calico-migrate test cluster CA'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n');
  await Promise.all([
    openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver'], dir),
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'], dir),
  ]);
  await Promise.all([
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '1', '-out', 'server.crt', '-days', '7', '-extfile', 'server.ext'], dir),
    openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir),
  ]);
  return { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), saPub: join(dir, 'sa.pub'), saKey: join(dir, 'sa.key') };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function kubeconfigYaml(url: string, ca: string, token: string): string {
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'real', cluster: { server: url, 'certificate-authority-data': Buffer.from(ca).toString('base64') } }],
    users: [{ name: 'user', user: { token } }],
    contexts: [{ name: 'real', context: { cluster: 'real', user: 'user' } }],
    'current-context': 'real',
  });
}

/**
 * Waits until /readyz answers 200 and namespace kube-system exists (a post-start hook makes it,
 * which /readyz does not wait for). False when the process exited first; throws at the deadline.
 */
async function waitReady(child: ChildProcess, url: string, ca: string, token: string, logFile: string, deadline: number, timeoutMs: number): Promise<boolean> {
  let last = '';
  for (;;) {
    if (exited(child)) return false;
    if (Date.now() > deadline) throw new Error(`kube-apiserver was not ready within ${timeoutMs} ms (last /readyz: ${last})\n--- log tail ---\n${logTail(logFile, 40)}`);
    try {
      const r = await apiRequest(url, ca, 'GET', '/readyz', undefined, token);
      last = `${r.status} ${r.body.slice(0, 200)}`;
      if (r.status === 200) {
        const ns = await apiRequest(url, ca, 'GET', '/api/v1/namespaces/kube-system', undefined, token);
        if (ns.status === 200) return true;
        last = `kube-system: ${ns.status}`;
      }
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(200);
  }
}

export interface StartControlPlaneOptions {
  /** How long to wait for /readyz (default 120 s: a loaded 2-core machine is slow to start it). */
  readonly startTimeoutMs?: number;
}

export async function startControlPlane(options: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  const peers = builtPeers();
  const dir = mkdtempSync(join(tmpdir(), 'calico-migrate-kube-'));
  let etcd: EtcdServer | undefined;
  let child: ChildProcess | undefined;
  let dog: ChildProcess | undefined;
  const logFile = join(dir, 'kube-apiserver.log');
  try {
    // One after the other, so that a failure of either leaves nothing running behind.
    etcd = await startEtcd({ enableV2: false });
    const certs = await makeCertificates(dir);
    const adminToken = randomBytes(16).toString('hex');
    const userToken = randomBytes(16).toString('hex');
    const userName = 'unprivileged';
    const tokenFile = join(dir, 'tokens.csv');
    writeFileSync(tokenFile, `${adminToken},admin,uid-admin,"system:masters"\n${userToken},${userName},uid-unprivileged,"calico-migrate-testers"\n`, { mode: 0o600 });
    const ca = readFileSync(certs.caFile, 'utf8');
    const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
    let url = '';
    // A free port can be taken by another test's server before kube-apiserver binds it: then it
    // exits at once saying so, and it is started again on another port.
    for (let attempt = 1; ; attempt++) {
      const port = (await freePorts(1))[0] ?? 0;
      const args = [
        `--etcd-servers=${etcd.endpoint}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--cert-dir=${join(dir, 'certs')}`,
        `--tls-cert-file=${certs.certFile}`,
        `--tls-private-key-file=${certs.keyFile}`,
        `--client-ca-file=${certs.caFile}`,
        `--token-auth-file=${tokenFile}`,
        '--authorization-mode=RBAC',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${certs.saPub}`,
        `--service-account-signing-key-file=${certs.saKey}`,
        '--service-cluster-ip-range=10.96.0.0/24',
        '--endpoint-reconciler-type=none',
        '--profiling=false',
        '--v=1',
      ];
      // A fresh log per attempt: the retry decision reads only this attempt's lines.
      const fd = openSync(logFile, 'w');
      try {
        child = spawn(peers.kubeApiserver, args, { cwd: dir, stdio: ['ignore', fd, fd] });
      } finally {
        closeSync(fd);
      }
      child.on('error', () => undefined);
      child.unref();
      if (child.pid === undefined) throw new Error(`could not run ${peers.kubeApiserver}`);
      dog = spawnWatchdog(child.pid, dir);
      url = `https://127.0.0.1:${port}`;
      const ready = await waitReady(child, url, ca, adminToken, logFile, deadline, options.startTimeoutMs ?? 120_000);
      if (ready) break;
      if (dog.pid !== undefined && !exited(dog)) dog.kill('SIGKILL');
      if (attempt >= 3 || !/address already in use/.test(logTail(logFile, 40))) {
        throw new Error(`kube-apiserver exited early (code ${String(child.exitCode)})\n--- log tail ---\n${logTail(logFile, 40)}`);
      }
    }
    if (!child || !dog) throw new Error('kube-apiserver was not started');
    const version = (await apiRequest(url, ca, 'GET', '/version', undefined, adminToken)).json<{ gitVersion: string }>().gitVersion;
    const proc = child;
    const watchdog = dog;
    const etcdRef = etcd;
    let stopping: Promise<void> | undefined;
    const cp: ControlPlane = {
      url,
      ca,
      caFile: certs.caFile,
      version,
      adminToken,
      userToken,
      userName,
      etcd: etcdRef,
      dir,
      logFile,
      peers,
      writeKubeconfig: (path, token) => {
        writeFileSync(path, kubeconfigYaml(url, ca, token), { mode: 0o600 });
        return path;
      },
      api: (method, path, body, o = {}) => apiRequest(url, ca, method, path, body, o.token ?? adminToken, o.contentType),
      kubectl: (kargs, o = {}) => {
        const kc = join(dir, `kubeconfig-${o.token === undefined ? 'admin' : createTokenLabel(o.token)}`);
        if (!existsSync(kc)) writeFileSync(kc, kubeconfigYaml(url, ca, o.token ?? adminToken), { mode: 0o600 });
        return runKubectl(kc, dir, kargs, o.stdin);
      },
      stop: () => {
        stopping ??= (async () => {
          try {
            if (!exited(proc)) {
              proc.kill('SIGTERM');
              if (!(await waitForExit(proc, 15_000))) {
                proc.kill('SIGKILL');
                await waitForExit(proc, 5_000);
              }
            }
          } finally {
            if (watchdog.pid !== undefined && !exited(watchdog)) {
              try {
                process.kill(watchdog.pid, 'SIGKILL');
              } catch {
                // already gone
              }
            }
            await etcdRef.stop();
            rmSync(dir, { recursive: true, force: true });
          }
        })();
        return stopping;
      },
    };
    return cp;
  } catch (e) {
    if (child && !exited(child)) {
      child.kill('SIGKILL');
      await waitForExit(child, 5_000);
    }
    if (dog?.pid !== undefined && !exited(dog)) dog.kill('SIGKILL');
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

function createTokenLabel(token: string): string {
  return token.replace(/[^A-Za-z0-9]/g, '').slice(0, 16);
}

export function runKubectl(kubeconfig: string, home: string, args: readonly string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfig };
    const child = execFile('kubectl', [...args, '--cache-dir', join(home, 'kubectl-cache')], { env, timeout: 120_000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

/** Fields the server sets on every write, which an exact-state comparison must leave out. */
const SERVER_FIELDS = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields'] as const;

function stripServerFields(o: Record<string, unknown>): Record<string, unknown> {
  const meta = { ...(o['metadata'] as Record<string, unknown>) };
  for (const f of SERVER_FIELDS) delete meta[f];
  return { ...o, metadata: meta };
}

/**
 * Every object of every listable resource type, as `kubectl get -o json` shows it, without the
 * server-set fields `uid`, `resourceVersion`, `creationTimestamp`, `generation` and `managedFields`.
 * Left out, because the apiserver changes them by itself: its own identity Leases (renewed every
 * 10 s), and Events.
 */
export async function clusterSnapshot(cp: ControlPlane): Promise<Record<string, Record<string, unknown>[]>> {
  const types = await cp.kubectl(['api-resources', '--verbs=list', '-o', 'name']);
  if (types.code !== 0) throw new Error(types.stderr);
  const names = types.stdout.split('\n').filter((n) => n !== '' && n !== 'events' && n !== 'events.events.k8s.io' && n !== 'componentstatuses').sort();
  const r = await cp.kubectl(['get', names.join(','), '-A', '-o', 'json']);
  if (r.code !== 0) throw new Error(r.stderr);
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const item of (JSON.parse(r.stdout) as { items: Record<string, unknown>[] }).items) {
    const meta = item['metadata'] as { name: string; namespace?: string; labels?: Record<string, string> };
    if (item['kind'] === 'Lease' && meta.labels?.['apiserver.kubernetes.io/identity'] === 'kube-apiserver') continue;
    const key = `${String(item['apiVersion'])}/${String(item['kind'])}`;
    (out[key] ??= []).push(stripServerFields(item));
  }
  for (const list of Object.values(out)) list.sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
  return out;
}

function objectKey(o: Record<string, unknown>): string {
  const m = o['metadata'] as { name: string; namespace?: string };
  return `${m.namespace ?? ''}/${m.name}`;
}

/** Creates Nodes (no kubelet runs: they stay as created). Objects may come from a fixture's Node dump. */
export async function createNodes(cp: ControlPlane, nodes: readonly (string | { metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown })[]): Promise<void> {
  for (const n of nodes) {
    const body = typeof n === 'string'
      ? { apiVersion: 'v1', kind: 'Node', metadata: { name: n } }
      : { apiVersion: 'v1', kind: 'Node', metadata: { name: n.metadata.name, ...(n.metadata.labels ? { labels: n.metadata.labels } : {}), ...(n.metadata.annotations ? { annotations: n.metadata.annotations } : {}) }, ...(n.spec ? { spec: n.spec } : {}) };
    const r = await cp.api('POST', '/api/v1/nodes', body);
    if (r.status !== 201) throw new Error(`creating Node ${body.metadata.name}: ${r.status} ${r.body}`);
  }
}
