#!/usr/bin/env node
// Builds the real upstream programs the test suite talks to: kube-apiserver and
// calicoctl, pinned by peers/go.mod and peers/go.sum, plus Calico's own CRD
// manifests from the same module. Idempotent: a binary already in the cache for
// the same pins is kept, and a second run builds nothing.
//
//   node peers/build.mjs            build what is missing, print each path and version
//   node peers/build.mjs --check    build nothing; exit 1 naming what is missing
//
// The cache lives outside the work tree so that a fresh clone (as CI makes) reuses
// it: $CALICO_MIGRATE_PEERS_CACHE, or ~/.cache/calico-migrate/peers. Each entry is
// keyed by the program's version and a digest of go.mod, go.sum and the build
// recipe, so a change of pin builds a new entry beside the old one.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// Bump when the way a binary is built changes (flags, ldflags), so old entries are not reused.
const RECIPE = 1;

export const versions = JSON.parse(fs.readFileSync(path.join(here, 'versions.json'), 'utf8'));

export function cacheRoot() {
  return process.env.CALICO_MIGRATE_PEERS_CACHE || path.join(os.homedir(), '.cache', 'calico-migrate', 'peers');
}

function pinDigest() {
  const h = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'versions.json']) h.update(fs.readFileSync(path.join(here, f)));
  h.update(`recipe ${RECIPE}`);
  return h.digest('hex').slice(0, 12);
}

/** Where each peer lives (whether or not it is built yet). */
export function peerPaths() {
  const d = pinDigest();
  const root = cacheRoot();
  const k = versions.kubernetes.version;
  const c = versions.calico.version;
  return {
    kubeApiserver: path.join(root, `kube-apiserver-${k}-${d}`, 'kube-apiserver'),
    calicoctl: path.join(root, `calicoctl-${c}-${d}`, 'calicoctl'),
    calicoCrds: path.join(root, `calico-crds-${c}-${d}`),
    kubernetesVersion: k,
    calicoVersion: c,
  };
}

/** The message a test prints when a peer is missing: how to build it. */
export function missingPeerMessage(what) {
  return `${what} is not built. Build the real peers with \`npm run peers\` ` +
    `(Go ${'>='} 1.24 and the Go module proxy; about 5 minutes cold on 2 cores), then run the tests again.`;
}

function goEnv() {
  return {
    ...process.env,
    CGO_ENABLED: '0',
    GOTOOLCHAIN: 'local',
    GOFLAGS: '-mod=readonly -buildvcs=false',
  };
}

function go(args, opts = {}) {
  const r = spawnSync('go', args, { cwd: here, env: goEnv(), stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });
  if (r.error) throw new Error(`go ${args.join(' ')}: ${r.error.message} (is Go installed and on PATH?)`);
  if (r.status !== 0) throw new Error(`go ${args.join(' ')} exited with ${r.status}`);
  return r.stdout;
}

function moduleInfo(mod) {
  return JSON.parse(go(['list', '-m', '-json', mod]));
}

function buildDate(info) {
  // The module's commit time, so that the same pins give the same binary.
  return new Date(info.Time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function buildInto(out, pkg, ldflags) {
  const dir = path.dirname(out);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const started = Date.now();
  go(['build', '-trimpath', '-o', tmp, '-ldflags', ldflags, pkg], { stdio: ['ignore', 'inherit', 'inherit'] });
  fs.renameSync(tmp, out);
  return (Date.now() - started) / 1000;
}

function versionOf(bin, args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
}

export function kubeApiserverVersion(bin) {
  return versionOf(bin, ['--version']);
}

export function calicoctlVersion(bin) {
  // `calicoctl version` also asks the datastore for the cluster's version; the
  // client line is all that is needed here.
  return versionOf(bin, ['version']).split('\n').find((l) => /^Client Version:/.test(l))?.replace(/^Client Version:\s*/, '') ?? '';
}

function buildKubeApiserver(p) {
  const info = moduleInfo(versions.kubernetes.module);
  const v = versions.kubernetes.version;
  if (info.Version !== v) throw new Error(`peers/go.mod selects ${versions.kubernetes.module} ${info.Version}, versions.json says ${v}`);
  const [major, minor] = v.replace(/^v/, '').split('.');
  const commit = info.Origin?.Hash ?? '';
  const x = (pkg) => [
    `-X ${pkg}.gitVersion=${v}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitCommit=${commit}`,
    `-X ${pkg}.gitTreeState=clean`,
    `-X ${pkg}.buildDate=${buildDate(info)}`,
  ];
  const ldflags = ['-s', '-w', ...x('k8s.io/component-base/version'), ...x('k8s.io/client-go/pkg/version')].join(' ');
  return buildInto(p.kubeApiserver, versions.kubernetes.package, ldflags);
}

function buildCalicoctl(p) {
  const info = moduleInfo(versions.calico.module);
  if (info.Version !== versions.calico.pseudoVersion) {
    throw new Error(`peers/go.mod selects ${versions.calico.module} ${info.Version}, versions.json says ${versions.calico.pseudoVersion}`);
  }
  const pkg = 'github.com/projectcalico/calico/pkg/buildinfo';
  const ldflags = [
    '-s', '-w',
    `-X ${pkg}.Version=${versions.calico.version}`,
    `-X ${pkg}.GitRevision=${info.Origin?.Hash ?? versions.calico.pseudoVersion.split('-').pop()}`,
    `-X ${pkg}.BuildDate=${buildDate(info)}`,
  ].join(' ');
  return buildInto(p.calicoctl, versions.calico.package, ldflags);
}

function copyCrds(p) {
  // `go list -m` names no Dir until the module is in the module cache: download it first.
  const info = JSON.parse(go(['mod', 'download', '-json', `${versions.calico.module}@${versions.calico.pseudoVersion}`]));
  if (!info.Dir) throw new Error(`go mod download gave no directory for ${versions.calico.module}`);
  const src = path.join(info.Dir, versions.calico.crdDir);
  const tmp = `${p.calicoCrds}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  for (const f of fs.readdirSync(src).filter((n) => n.endsWith('.yaml')).sort()) {
    fs.writeFileSync(path.join(tmp, f), fs.readFileSync(path.join(src, f)));
  }
  fs.renameSync(tmp, p.calicoCrds);
}

function crdCount(dir) {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.yaml')).length;
}

export function missingPeers(p = peerPaths()) {
  const missing = [];
  if (!fs.existsSync(p.kubeApiserver)) missing.push(`kube-apiserver ${p.kubernetesVersion} (${p.kubeApiserver})`);
  if (!fs.existsSync(p.calicoctl)) missing.push(`calicoctl ${p.calicoVersion} (${p.calicoctl})`);
  if (!fs.existsSync(p.calicoCrds)) missing.push(`Calico CRDs ${p.calicoVersion} (${p.calicoCrds})`);
  return missing;
}

function main() {
  const p = peerPaths();
  if (process.argv.includes('--check')) {
    const missing = missingPeers(p);
    if (missing.length) {
      console.error(`missing: ${missing.join('; ')}\n${missingPeerMessage('A peer')}`);
      process.exit(1);
    }
  } else if (missingPeers(p).length > 0) {
    // Go is needed only to build: with every peer in the cache, a machine without Go is fine.
    try {
      execFileSync('go', ['version'], { stdio: 'ignore' });
    } catch {
      console.error('Go is not on PATH: the real peers are built from Go modules (see peers/README.md).');
      process.exit(1);
    }
    if (!fs.existsSync(p.kubeApiserver)) {
      console.error(`building kube-apiserver ${p.kubernetesVersion} ...`);
      console.error(`  built in ${buildKubeApiserver(p).toFixed(0)} s`);
    }
    if (!fs.existsSync(p.calicoctl)) {
      console.error(`building calicoctl ${p.calicoVersion} ...`);
      console.error(`  built in ${buildCalicoctl(p).toFixed(0)} s`);
    }
    if (!fs.existsSync(p.calicoCrds)) copyCrds(p);
  }
  console.log(`kube-apiserver  ${p.kubeApiserver}  ${kubeApiserverVersion(p.kubeApiserver)}`);
  console.log(`calicoctl       ${p.calicoctl}  ${calicoctlVersion(p.calicoctl)}`);
  console.log(`calico CRDs     ${p.calicoCrds}  ${crdCount(p.calicoCrds)} manifests`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    console.error(`npm run peers: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
