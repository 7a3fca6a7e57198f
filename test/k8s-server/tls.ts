/**
 * Test PKI made at run time with the `openssl` CLI: a CA, a server certificate for 127.0.0.1 and
 * localhost, and client certificates (CN = user, O = groups) signed by the same CA.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate and its key, as files and PEM text. */
export interface CertPair {
  /** Certificate, PEM. */
  cert: string;
  /** Private key, PEM. */
  key: string;
  certFile: string;
  keyFile: string;
}

/** The generated CA and server certificate. */
export interface TestPki {
  dir: string;
  ca: CertPair;
  server: CertPair;
  /** Issues a client certificate signed by the CA. */
  issueClientCert(user: string, groups?: string[]): Promise<CertPair>;
  /** Removes the directory. */
  cleanup(): Promise<void>;
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { timeout: 20_000 });
}

async function pair(certFile: string, keyFile: string): Promise<CertPair> {
  return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8'), certFile, keyFile };
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** Creates a fresh CA and server certificate in a new temporary directory. */
export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-test-pki-'));
  const f = (name: string): string => join(dir, name);
  await openssl(['req', '-x509', ...EC, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=k8s-test-server-ca']);
  await writeFile(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await openssl(['req', ...EC, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=kube-apiserver']);
  await sign(dir, 'server', 'server.ext');
  const ca = await pair(f('ca.crt'), f('ca.key'));
  const server = await pair(f('server.crt'), f('server.key'));
  let serial = 0;
  return {
    dir, ca, server,
    async issueClientCert(user, groups = []) {
      serial += 1;
      const base = `client-${serial}`;
      const subject = [...groups.map((g) => `/O=${escapeSubject(g)}`), `/CN=${escapeSubject(user)}`].join('');
      await writeFile(f(`${base}.ext`), 'extendedKeyUsage=clientAuth\n');
      await openssl(['req', ...EC, '-keyout', f(`${base}.key`), '-out', f(`${base}.csr`), '-subj', subject, '-multivalue-rdn']);
      await sign(dir, base, `${base}.ext`);
      return pair(f(`${base}.crt`), f(`${base}.key`));
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function sign(dir: string, base: string, ext: string): Promise<void> {
  const f = (name: string): string => join(dir, name);
  await openssl([
    'x509', '-req', '-in', f(`${base}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f(`${base}.crt`), '-days', '2', '-extfile', f(ext),
  ]);
}

function escapeSubject(value: string): string {
  return value.replace(/([/+=\\])/g, '\\$1');
}
