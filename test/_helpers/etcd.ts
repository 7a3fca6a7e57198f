/**
 * Test harness for a REAL etcd (Debian's etcd-server 3.4, `etcd` on PATH or `ETCD_BIN`).
 *
 * `startEtcd()` runs a single-member etcd on free loopback ports with a temporary directory that holds
 * the data dir, the log file (`etcd.log`) and, for TLS, certificates generated at run time with the
 * `openssl` CLI. `stop()` sends SIGTERM to the PID, waits for the exit (SIGKILL after a timeout) and
 * removes the temporary directory. If the test process dies first, an `exit` hook and a detached
 * watchdog shell (which notices the closed pipe even after SIGKILL) stop etcd and remove the directory.
 *
 * Facts about etcd 3.4.23 this harness relies on (all checked against the real binary):
 * - `--enable-v2` defaults to false; without it `/v2/keys/...` answers `404 page not found` (text/plain).
 * - The v2 and v3 keyspaces are separate, and so are v2 and v3 auth: enabling v3 auth does not
 *   protect the v2 keys API, and v2 auth does not protect v3. The `auth` option enables BOTH.
 * - v2 auth: after `PUT /v2/auth/enable` the `guest` role still has read/write on `/*`, so anonymous
 *   requests keep working until guest's permissions are revoked (this harness revokes them).
 *   A recursive v2 read of `/calico` needs a permission pattern that is a prefix of `/calico` itself
 *   (`/calico*` or `/*`); `/calico/*` is not enough and gives 401 errorCode 110.
 * - v2 basic auth runs bcrypt on EVERY request (about 60 ms here, also for a wrong password), so bulk
 *   writes after auth are slow: use the `seedV2`/`seedV3` options, which load data before auth is on.
 * - v3 auth via the JSON gateway is token based (`/v3/auth/authenticate`, then `Authorization: <token>`);
 *   a request without a token answers HTTP 400 `etcdserver: user name is empty`. `/health` still
 *   answers `{"health":"true"}` without credentials when auth is on.
 * - `--trusted-ca-file` alone already makes etcd require client certificates; so the CA is only passed
 *   when `clientCertAuth` is set. With client-cert auth the v3 JSON gateway dials etcd's own gRPC port
 *   using the SERVER certificate as its client certificate, so that certificate needs the `clientAuth`
 *   extended key usage as well, or every `/v3/...` call fails with gRPC code 14.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, Socket, type AddressInfo } from 'node:net';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The message part that tells a developer or CI how to get an etcd binary. */
export const ETCD_INSTALL_HINT =
  'Install etcd 3.4 with `apt-get install -y etcd-server` (Debian/Ubuntu; provides /usr/bin/etcd), ' +
  'or set ETCD_BIN=/path/to/etcd. The etcd tests never skip: they fail until etcd is available.';

/** Options for {@link startEtcd}. */
export interface StartEtcdOptions {
  /** Serve clients over HTTPS with a server certificate for 127.0.0.1/localhost signed by a test CA. */
  readonly tls?: boolean;
  /** Require client certificates signed by the test CA (`--client-cert-auth --trusted-ca-file`). Implies `tls`. */
  readonly clientCertAuth?: boolean;
  /**
   * Enable user/password auth in BOTH the v2 auth store (guest access revoked) and v3 auth, with
   * `root` plus this user (read/write on every key). If `user` is `root`, only root is created.
   */
  readonly auth?: { readonly user: string; readonly password: string };
  /** Pass `--enable-v2` (default true). With false, `/v2/keys/` answers the plain-text `404 page not found`. */
  readonly enableV2?: boolean;
  /** How long to wait for `/health` (default 20 000 ms). */
  readonly startTimeoutMs?: number;
  /** Binary to run instead of `ETCD_BIN` or `etcd` on PATH. */
  readonly binary?: string;
  /**
   * A v2 recursive GET body (object or JSON text) loaded with {@link loadV2Dump} BEFORE auth is enabled.
   * Use it with `auth`: every authenticated v2 request costs a bcrypt check (about 60 ms here), so
   * loading the 80-leaf fixture after auth takes over 5 s instead of about 0.1 s.
   */
  readonly seedV2?: unknown;
  /** Key-value pairs loaded with {@link loadV3Kvs} before auth is enabled. */
  readonly seedV3?: Iterable<V3Kv> | ReadonlyMap<string, string> | Readonly<Record<string, string>>;
}

/** Credentials configured by the `auth` option. */
export interface EtcdCredentials {
  readonly user: string;
  readonly password: string;
  /** Password of `root` (equal to `password` when `user` is `root`). */
  readonly rootPassword: string;
}

/** A running etcd started by {@link startEtcd}. */
export interface EtcdServer {
  /** Client URL, `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  readonly endpoint: string;
  /** The member's data directory (inside {@link EtcdServer.tempDir}). */
  readonly dataDir: string;
  /** Temporary directory with the data dir, `etcd.log` and certificates; removed by `stop()`. */
  readonly tempDir: string;
  /** etcd's stdout and stderr (zap JSON lines at warn level and above). */
  readonly logFile: string;
  readonly pid: number;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly enableV2: boolean;
  readonly clientCertAuth: boolean;
  /** CA certificate that signed the server and client certificates (TLS only). */
  readonly caFile?: string;
  /** Client certificate signed by the test CA, for `ETCD_CERT_FILE` (TLS only). */
  readonly certFile?: string;
  /** Key of the client certificate, for `ETCD_KEY_FILE` (TLS only). */
  readonly keyFile?: string;
  /** Present when the `auth` option was given. */
  readonly auth?: EtcdCredentials;
  /** Current contents of the log file (empty string once the temp dir is gone). */
  readLog(): string;
  /** SIGTERM, wait for exit (SIGKILL after 10 s), remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** One HTTP answer from etcd. */
export interface EtcdHttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Options for {@link etcdRequest}. */
export interface EtcdRequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Raw request body. */
  readonly body?: string;
  /** Sent as `application/x-www-form-urlencoded` (v2 keys API writes). */
  readonly form?: Readonly<Record<string, string>>;
  /** Sent as `application/json` (v2 auth API, v3 JSON gateway). */
  readonly json?: unknown;
  /**
   * Basic-auth credentials. Default: the server's `auth` user when it has one. `null` sends none.
   */
  readonly credentials?: { readonly user: string; readonly password: string } | null;
  /** Present the test client certificate (default true when the server has one). */
  readonly clientCert?: boolean;
  /** Trust the test CA (default true when the server has one); false uses Node's default trust store. */
  readonly trustCa?: boolean;
  readonly timeoutMs?: number;
}

/** A node of a v2 keys API answer (`GET /v2/keys/...`). */
export interface EtcdV2Node {
  readonly key?: string;
  readonly value?: string;
  readonly dir?: boolean;
  readonly nodes?: readonly EtcdV2Node[];
  readonly ttl?: number;
  readonly expiration?: string;
  readonly createdIndex?: number;
  readonly modifiedIndex?: number;
}

/** What a v2 dump load wrote. */
export interface V2LoadResult {
  readonly leaves: number;
  /** Empty directories created with `dir=true` (non-empty ones appear implicitly). */
  readonly emptyDirs: number;
  /** `X-Etcd-Index` after the last write. */
  readonly etcdIndex: number;
}

/** A v3 key-value pair for {@link loadV3Kvs}. */
export interface V3Kv {
  readonly key: string | Uint8Array;
  readonly value: string | Uint8Array;
}

const running = new Set<{ readonly pid: number; readonly tempDir: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const r of running) {
      try {
        process.kill(r.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      try {
        rmSync(r.tempDir, { recursive: true, force: true });
      } catch {
        // the watchdog retries
      }
    }
  });
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves the etcd binary: `ETCD_BIN` if set (it must be an executable file), else `etcd` on PATH.
 * Throws an Error that says how to install etcd.
 */
export function findEtcdBinary(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['ETCD_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (isExecutableFile(fromEnv)) return fromEnv;
    throw new Error(`ETCD_BIN=${fromEnv} is not an executable file. ${ETCD_INSTALL_HINT}`);
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'etcd');
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new Error(`etcd was not found on PATH (${env['PATH'] ?? ''}). ${ETCD_INSTALL_HINT}`);
}

/** Two distinct free TCP ports on 127.0.0.1 (both sockets are bound at the same time, then closed). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        const s = createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve(s));
      }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

interface TlsFiles {
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

export async function openssl(args: readonly string[], cwd: string): Promise<void> {
  try {
    await execFileAsync('openssl', [...args], { cwd });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error('openssl was not found on PATH; the TLS etcd tests generate certificates with it. Install it with `apt-get install -y openssl`.');
    }
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

/** Generates a CA, a server certificate (127.0.0.1, localhost) and a client certificate (P-256 keys). */
async function generateTlsFiles(dir: string): Promise<TlsFiles> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '7', '-subj', '/CN=calico-migrate test CA'], dir);
  // clientAuth too: etcd's v3 JSON gateway connects to its own gRPC server with this certificate.
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n',
  );
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n');
  await Promise.all([
    openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=etcd-server'], dir),
    openssl(['req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=calico-migrate-test-client'], dir),
  ]);
  const sign = (name: string, serial: string): string[] =>
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', serial, '-out', `${name}.crt`, '-days', '7', '-extfile', `${name}.ext`];
  await Promise.all([openssl(sign('server', '1'), dir), openssl(sign('client', '2'), dir)]);
  return {
    caFile: join(dir, 'ca.crt'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    clientCertFile: join(dir, 'client.crt'),
    clientKeyFile: join(dir, 'client.key'),
  };
}

export function logTail(logFile: string, lines = 25): string {
  try {
    const all = readFileSync(logFile, 'utf8').trimEnd().split('\n');
    return all.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * A detached shell that holds the read end of a pipe from this process. When this process dies (even
 * by SIGKILL) the pipe closes, `read` returns and the shell stops etcd and removes the temp dir.
 */
export function spawnWatchdog(pid: number, tempDir: string): ChildProcess {
  const script = [
    'read -r _line',
    'kill -TERM "$1" 2>/dev/null',
    'i=0; while kill -0 "$1" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i+1)); done',
    'kill -KILL "$1" 2>/dev/null',
    'rm -rf "$2"',
  ].join('\n');
  const dog = spawn('/bin/sh', ['-c', script, 'etcd-test-watchdog', String(pid), tempDir], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  dog.on('error', () => undefined);
  if (dog.stdin instanceof Socket) dog.stdin.unref();
  dog.unref();
  return dog;
}

interface Launch {
  readonly child: ChildProcess;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly endpoint: string;
}

async function launch(binary: string, tempDir: string, dataDir: string, logFile: string, enableV2: boolean, tls: TlsFiles | undefined, clientCertAuth: boolean): Promise<Launch> {
  const [clientPort, peerPort] = await freePorts(2);
  if (clientPort === undefined || peerPort === undefined) throw new Error('could not get two free ports');
  const scheme = tls ? 'https' : 'http';
  const endpoint = `${scheme}://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'test',
    '--data-dir', dataDir,
    '--listen-client-urls', endpoint,
    '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `test=${peer}`,
    '--initial-cluster-state', 'new',
    '--log-level', 'warn',
    '--logger', 'zap',
  ];
  if (enableV2) args.push('--enable-v2');
  if (tls) {
    args.push('--cert-file', tls.serverCertFile, '--key-file', tls.serverKeyFile);
    // --trusted-ca-file alone already enforces client certificates in 3.4, so only with clientCertAuth.
    if (clientCertAuth) args.push('--trusted-ca-file', tls.caFile, '--client-cert-auth');
  }
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, args, { cwd: tempDir, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  child.on('error', () => undefined); // surfaces as an early exit / missing pid below
  child.unref();
  return { child, clientPort, peerPort, endpoint };
}

/**
 * Starts a single-member etcd on free loopback ports and waits until `/health` answers
 * `{"health":"true"}`. Rejects (with the log tail) after `startTimeoutMs`. The binary is `binary`,
 * `ETCD_BIN` or `etcd` on PATH; a missing binary rejects with {@link ETCD_INSTALL_HINT}.
 */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdServer> {
  const binary = options.binary ?? findEtcdBinary();
  if (options.binary !== undefined && !isExecutableFile(options.binary)) {
    throw new Error(`${options.binary} is not an executable file. ${ETCD_INSTALL_HINT}`);
  }
  const clientCertAuth = options.clientCertAuth === true;
  const useTls = options.tls === true || clientCertAuth;
  const enableV2 = options.enableV2 !== false;
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  const tempDir = mkdtempSync(join(tmpdir(), 'calico-migrate-etcd-'));
  const dataDir = join(tempDir, 'data');
  const logFile = join(tempDir, 'etcd.log');
  installExitHook();

  let tls: TlsFiles | undefined;
  try {
    tls = useTls ? await generateTlsFiles(tempDir) : undefined;
  } catch (e) {
    rmSync(tempDir, { recursive: true, force: true });
    throw e;
  }

  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const l = await launch(binary, tempDir, dataDir, logFile, enableV2, tls, clientCertAuth);
    const pid = l.child.pid;
    if (pid === undefined) {
      await waitForExit(l.child, 1000);
      rmSync(tempDir, { recursive: true, force: true });
      throw new Error(`could not run ${binary}. ${ETCD_INSTALL_HINT}`);
    }
    const entry = { pid, tempDir };
    running.add(entry);
    const dog = spawnWatchdog(pid, tempDir);

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        try {
          if (!exited(l.child)) {
            l.child.kill('SIGTERM');
            if (!(await waitForExit(l.child, 10_000))) {
              l.child.kill('SIGKILL');
              await waitForExit(l.child, 5_000);
            }
          }
        } finally {
          running.delete(entry);
          if (dog.pid !== undefined && !exited(dog)) {
            try {
              process.kill(dog.pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }
          rmSync(tempDir, { recursive: true, force: true });
        }
      })();
      return stopping;
    };

    const server: EtcdServer = {
      endpoint: l.endpoint,
      dataDir,
      tempDir,
      logFile,
      pid,
      clientPort: l.clientPort,
      peerPort: l.peerPort,
      enableV2,
      clientCertAuth,
      ...(tls ? { caFile: tls.caFile, certFile: tls.clientCertFile, keyFile: tls.clientKeyFile } : {}),
      readLog: () => {
        try {
          return readFileSync(logFile, 'utf8');
        } catch {
          return '';
        }
      },
      stop,
    };

    let lastError = '';
    let healthy = false;
    while (!healthy && Date.now() < deadline && !exited(l.child)) {
      try {
        const res = await etcdRequest(server, '/health', { timeoutMs: 1000, credentials: null });
        if (res.status === 200 && (JSON.parse(res.body) as { health?: unknown }).health === 'true') {
          healthy = true;
          break;
        }
        lastError = `HTTP ${res.status} ${res.body.trim()}`;
      } catch (e) {
        lastError = (e as Error).message;
      }
      await sleep(50);
    }
    if (healthy && !exited(l.child)) {
      let step = 'seeding';
      try {
        if (options.seedV2 !== undefined) await loadV2Dump(server, options.seedV2);
        if (options.seedV3 !== undefined) await loadV3Kvs(server, options.seedV3);
        if (!options.auth) return server;
        step = 'enabling auth';
        return { ...server, auth: await enableAuth(server, options.auth) };
      } catch (e) {
        const tail = logTail(logFile);
        await stop();
        throw new Error(`etcd started, but ${step} failed: ${(e as Error).message}\n--- etcd log tail ---\n${tail}`);
      }
    }
    const wasExit = exited(l.child);
    const tail = logTail(logFile);
    if (wasExit && attempt < 3 && /address already in use/.test(tail) && Date.now() < deadline) {
      // Lost the race for a free port: try again with new ports and a fresh data dir.
      await stopKeepingDir(l.child, entry, dog);
      rmSync(dataDir, { recursive: true, force: true });
      continue;
    }
    await stop();
    const why = wasExit
      ? `etcd exited early (code ${String(l.child.exitCode)}, signal ${String(l.child.signalCode)})`
      : `etcd did not become healthy within ${timeoutMs} ms (last /health result: ${lastError || 'none'})`;
    throw new Error(`${why}; command: ${binary}, endpoint ${l.endpoint}\n--- etcd log tail ---\n${tail}`);
  }
}

async function stopKeepingDir(child: ChildProcess, entry: { readonly pid: number; readonly tempDir: string }, dog: ChildProcess): Promise<void> {
  if (!exited(child)) {
    child.kill('SIGKILL');
    await waitForExit(child, 5000);
  }
  running.delete(entry);
  if (dog.pid !== undefined && !exited(dog)) {
    try {
      process.kill(dog.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Stops every given server (in parallel), ignoring `undefined` entries; for `test.after.always`. */
export async function stopAll(servers: ReadonlyArray<EtcdServer | undefined>): Promise<void> {
  await Promise.all(servers.map((s) => s?.stop()));
}

/**
 * One HTTP(S) request to the server's client URL. With TLS it trusts the test CA and presents the
 * test client certificate unless told otherwise; with auth it sends the test user's basic-auth
 * credentials unless `credentials` is `null` or different ones. Never throws on HTTP status codes.
 */
export function etcdRequest(server: EtcdServer, path: string, options: EtcdRequestOptions = {}): Promise<EtcdHttpResponse> {
  const url = new URL(path, server.endpoint);
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined = options.body;
  if (options.form !== undefined) {
    body = new URLSearchParams(options.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const creds = options.credentials === undefined ? server.auth : options.credentials;
  if (creds) headers['authorization'] = `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString('base64')}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const isHttps = url.protocol === 'https:';
  const tlsOptions = isHttps
    ? {
        ...(options.trustCa !== false && server.caFile !== undefined ? { ca: readFileSync(server.caFile) } : {}),
        ...(options.clientCert !== false && server.certFile !== undefined && server.keyFile !== undefined
          ? { cert: readFileSync(server.certFile), key: readFileSync(server.keyFile) }
          : {}),
      }
    : {};
  return new Promise((resolve, reject) => {
    const req = (isHttps ? httpsRequest : httpRequest)(
      url,
      { method: options.method ?? 'GET', headers, agent: false, ...tlsOptions },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`request to ${url.href} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

function keyPath(key: string): string {
  const k = key.startsWith('/') ? key.slice(1) : key;
  return '/v2/keys/' + k.split('/').map(encodeURIComponent).join('/');
}

function etcdIndexOf(res: EtcdHttpResponse): number {
  const h = res.headers['x-etcd-index'];
  return Number(Array.isArray(h) ? h[0] : h);
}

/** Sets a v2 key (`PUT /v2/keys/<key>`, form `value=`); throws unless etcd answers 200/201. */
export async function putV2(server: EtcdServer, key: string, value: string): Promise<EtcdHttpResponse> {
  const res = await etcdRequest(server, keyPath(key), { method: 'PUT', form: { value } });
  if (res.status !== 200 && res.status !== 201) throw new Error(`PUT ${key} -> HTTP ${res.status}: ${res.body}`);
  return res;
}

/** Creates an (empty) v2 directory (`PUT /v2/keys/<key>?dir=true`). */
export async function mkdirV2(server: EtcdServer, key: string): Promise<EtcdHttpResponse> {
  const res = await etcdRequest(server, keyPath(key), { method: 'PUT', form: { dir: 'true' } });
  if (res.status !== 200 && res.status !== 201) throw new Error(`mkdir ${key} -> HTTP ${res.status}: ${res.body}`);
  return res;
}

/** `GET /v2/keys/<key>?recursive=true&sorted=true`; the raw answer (status, headers, body). */
export function getV2(server: EtcdServer, key: string, options: Pick<EtcdRequestOptions, 'credentials' | 'clientCert' | 'trustCa'> = {}): Promise<EtcdHttpResponse> {
  return etcdRequest(server, `${keyPath(key)}?recursive=true&sorted=true`, options);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function rootNode(dump: unknown): EtcdV2Node {
  const doc: unknown = typeof dump === 'string' ? JSON.parse(dump) : dump;
  if (!isRecord(doc) || !isRecord(doc['node'])) throw new Error('not an etcd v2 GET body: no "node" object');
  return doc['node'] as EtcdV2Node;
}

/** Every leaf of a v2 GET body (parsed or JSON text) or node, as key → value. */
export function v2Leaves(dumpOrNode: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (n: EtcdV2Node): void => {
    if (n.dir === true) {
      for (const c of n.nodes ?? []) walk(c);
    } else if (n.key !== undefined) {
      out.set(n.key, n.value ?? '');
    }
  };
  walk(isRecord(dumpOrNode) && 'key' in dumpOrNode && !('action' in dumpOrNode) ? (dumpOrNode as EtcdV2Node) : rootNode(dumpOrNode));
  return out;
}

/** Every directory without children in a v2 GET body (parsed or JSON text) or node. */
export function v2EmptyDirs(dumpOrNode: unknown): string[] {
  const out: string[] = [];
  const walk = (n: EtcdV2Node): void => {
    if (n.dir !== true) return;
    if ((n.nodes ?? []).length === 0 && n.key !== undefined) out.push(n.key);
    for (const c of n.nodes ?? []) walk(c);
  };
  walk(isRecord(dumpOrNode) && 'key' in dumpOrNode && !('action' in dumpOrNode) ? (dumpOrNode as EtcdV2Node) : rootNode(dumpOrNode));
  return out;
}

/**
 * Writes every leaf of a v2 recursive GET body (parsed object or JSON text, e.g.
 * fixtures/sources/etcd-typical/etcd-v2.json) through the v2 keys API, in dump order, and creates its
 * empty directories. TTLs are NOT applied (keys must not expire during a test); indices are etcd's own.
 */
export async function loadV2Dump(server: EtcdServer, dump: unknown): Promise<V2LoadResult> {
  const leaves = v2Leaves(dump);
  const emptyDirs = v2EmptyDirs(dump);
  let etcdIndex = 0;
  for (const [key, value] of leaves) etcdIndex = etcdIndexOf(await putV2(server, key, value));
  for (const dir of emptyDirs) etcdIndex = etcdIndexOf(await mkdirV2(server, dir));
  return { leaves: leaves.size, emptyDirs: emptyDirs.length, etcdIndex };
}

const b64 = (x: string | Uint8Array): string => Buffer.from(typeof x === 'string' ? Buffer.from(x, 'utf8') : x).toString('base64');

/** Gets a v3 auth token through the JSON gateway (`/v3/auth/authenticate`). */
async function v3Token(server: EtcdServer, creds: { readonly user: string; readonly password: string }): Promise<string> {
  const res = await etcdRequest(server, '/v3/auth/authenticate', { method: 'POST', json: { name: creds.user, password: creds.password }, credentials: null });
  const token = (JSON.parse(res.body) as { token?: unknown }).token;
  if (res.status !== 200 || typeof token !== 'string') throw new Error(`v3 authenticate as ${creds.user} -> HTTP ${res.status}: ${res.body}`);
  return token;
}

/**
 * POSTs to the v3 JSON gateway (`/v3/...`; keys and values are base64 in the JSON). Uses the server's
 * auth user's token when the server has auth. Throws unless etcd answers 200; returns the parsed body.
 */
export async function v3Call(server: EtcdServer, path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const tok = token ?? (server.auth ? await v3Token(server, server.auth) : undefined);
  const res = await etcdRequest(server, path, { method: 'POST', json: body, credentials: null, ...(tok !== undefined ? { headers: { authorization: tok } } : {}) });
  if (res.status !== 200) throw new Error(`POST ${path} -> HTTP ${res.status}: ${res.body}`);
  const parsed: unknown = JSON.parse(res.body);
  if (!isRecord(parsed)) throw new Error(`POST ${path}: unexpected body ${res.body}`);
  return parsed;
}

/**
 * Writes key-value pairs through the v3 API (JSON gateway `/v3/kv/txn`, 100 puts per transaction),
 * with the test CA/client certificate and auth token as the server needs. Returns the final revision.
 */
export async function loadV3Kvs(server: EtcdServer, kvs: Iterable<V3Kv> | ReadonlyMap<string, string> | Readonly<Record<string, string>>): Promise<number> {
  const list: V3Kv[] =
    kvs instanceof Map
      ? [...(kvs as ReadonlyMap<string, string>)].map(([key, value]) => ({ key, value }))
      : Symbol.iterator in kvs
        ? [...(kvs as Iterable<V3Kv>)]
        : Object.entries(kvs as Readonly<Record<string, string>>).map(([key, value]) => ({ key, value }));
  const token = server.auth ? await v3Token(server, server.auth) : undefined;
  let revision = 0;
  for (let i = 0; i < list.length; i += 100) {
    const success = list.slice(i, i + 100).map((kv) => ({ request_put: { key: b64(kv.key), value: b64(kv.value) } }));
    const body = await v3Call(server, '/v3/kv/txn', { success }, token);
    const header = body['header'];
    revision = isRecord(header) ? Number(header['revision']) : revision;
  }
  return revision;
}

/**
 * Writes every kv of an `etcdctl get --prefix ... -w json` body (base64 keys and values; a missing
 * `value` is the empty string; leases are ignored), e.g. fixtures/sources/etcd-typical/etcd-v3.json.
 */
export async function loadV3Dump(server: EtcdServer, dump: unknown): Promise<number> {
  return loadV3Kvs(server, v3DumpKvs(dump));
}

/** Decodes the kvs of an `etcdctl ... -w json` body (parsed or JSON text) to key → value strings. */
export function v3DumpKvs(dump: unknown): Map<string, string> {
  const doc: unknown = typeof dump === 'string' ? JSON.parse(dump) : dump;
  if (!isRecord(doc) || !Array.isArray(doc['kvs'])) throw new Error('not an etcdctl -w json body: no "kvs" array');
  const out = new Map<string, string>();
  for (const kv of doc['kvs'] as unknown[]) {
    if (!isRecord(kv) || typeof kv['key'] !== 'string') throw new Error('kv without a base64 "key"');
    const value = typeof kv['value'] === 'string' ? kv['value'] : '';
    out.set(Buffer.from(kv['key'], 'base64').toString('utf8'), Buffer.from(value, 'base64').toString('utf8'));
  }
  return out;
}

/** The end of the key range that holds exactly the keys starting with `prefix` (etcdctl's `--prefix`). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    const byte = end[i] ?? 0;
    if (byte < 0xff) {
      end[i] = byte + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** Reads every v3 key under `prefix` through the JSON gateway; key → value, plus the store revision. */
export async function rangeV3(server: EtcdServer, prefix: string): Promise<{ kvs: Map<string, string>; revision: number }> {
  const p = Buffer.from(prefix, 'utf8');
  const body = await v3Call(server, '/v3/kv/range', { key: p.toString('base64'), range_end: prefixEnd(p).toString('base64') });
  const kvs = new Map<string, string>();
  for (const kv of Array.isArray(body['kvs']) ? (body['kvs'] as unknown[]) : []) {
    if (!isRecord(kv) || typeof kv['key'] !== 'string') continue;
    kvs.set(Buffer.from(kv['key'], 'base64').toString('utf8'), Buffer.from(typeof kv['value'] === 'string' ? kv['value'] : '', 'base64').toString('utf8'));
  }
  const header = body['header'];
  return { kvs, revision: isRecord(header) ? Number(header['revision']) : 0 };
}

const TEST_ROLE = 'calico-migrate-test';

async function enableAuth(server: EtcdServer, wanted: { readonly user: string; readonly password: string }): Promise<EtcdCredentials> {
  const rootPassword = wanted.user === 'root' ? wanted.password : randomBytes(12).toString('hex');
  const creds: EtcdCredentials = { user: wanted.user, password: wanted.password, rootPassword };
  const root = { user: 'root', password: rootPassword };
  const must = async (what: string, p: Promise<EtcdHttpResponse>, ok: readonly number[] = [200, 201]): Promise<void> => {
    const res = await p;
    if (!ok.includes(res.status)) throw new Error(`${what} -> HTTP ${res.status}: ${res.body}`);
  };

  // v3 auth (JSON gateway; no token needed before auth/enable).
  const v3 = (path: string, body: unknown): Promise<EtcdHttpResponse> => etcdRequest(server, path, { method: 'POST', json: body, credentials: null });
  await must('v3 add root', v3('/v3/auth/user/add', { name: 'root', password: rootPassword }));
  await must('v3 add role root', v3('/v3/auth/role/add', { name: 'root' }));
  await must('v3 grant root', v3('/v3/auth/user/grant', { user: 'root', role: 'root' }));
  if (wanted.user !== 'root') {
    await must('v3 add user', v3('/v3/auth/user/add', { name: wanted.user, password: wanted.password }));
    await must('v3 add role', v3('/v3/auth/role/add', { name: TEST_ROLE }));
    // key "\0" with range_end "\0" = every key.
    await must('v3 grant perm', v3('/v3/auth/role/grant', { name: TEST_ROLE, perm: { permType: 'READWRITE', key: 'AA==', range_end: 'AA==' } }));
    await must('v3 grant role', v3('/v3/auth/user/grant', { user: wanted.user, role: TEST_ROLE }));
  }
  await must('v3 auth enable', v3('/v3/auth/enable', {}));

  // v2 auth (a separate user store); only reachable with --enable-v2.
  if (server.enableV2) {
    const v2 = (path: string, body: unknown, asRoot: boolean): Promise<EtcdHttpResponse> =>
      etcdRequest(server, path, { method: 'PUT', json: body, credentials: asRoot ? root : null });
    await must('v2 add root', v2('/v2/auth/users/root', { user: 'root', password: rootPassword }, false));
    if (wanted.user !== 'root') {
      await must('v2 add role', v2(`/v2/auth/roles/${TEST_ROLE}`, { role: TEST_ROLE, permissions: { kv: { read: ['/*'], write: ['/*'] } } }, false));
      await must('v2 add user', v2(`/v2/auth/users/${encodeURIComponent(wanted.user)}`, { user: wanted.user, password: wanted.password, roles: [TEST_ROLE] }, false));
    }
    await must('v2 auth enable', v2('/v2/auth/enable', {}, false));
    // Enabling v2 auth leaves guest with read/write on /*; revoke it so anonymous requests get 401.
    await must('v2 revoke guest', v2('/v2/auth/roles/guest', { role: 'guest', revoke: { kv: { read: ['/*'], write: ['/*'] } } }, true));
  }
  return creds;
}
