/**
 * The real-peer pins: versions.json agrees with peers/go.mod, each cache entry is named by program,
 * version and pin digest, and a missing peer fails with the command that builds it.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { missingPeerMessage, missingPeers, peerPaths, versions } from '../peers/build.mjs';
import { builtPeers } from './_helpers/control-plane.js';
import { REPO_ROOT } from './_helpers/cli.js';

test('peers: versions.json names the module versions go.mod requires', async (t) => {
  const mod = await readFile(`${REPO_ROOT}/peers/go.mod`, 'utf8');
  t.regex(mod, new RegExp(`^\\s+k8s\\.io/kubernetes ${versions.kubernetes.version.replace(/\./g, '\\.')}\\b`, 'm'));
  t.regex(mod, new RegExp(`^\\s+github\\.com/projectcalico/calico ${versions.calico.pseudoVersion}\\b`, 'm'));
  // Every staging module is replaced at the release matching the Kubernetes version.
  const staging = versions.kubernetes.version.replace(/^v1\./, 'v0.');
  for (const m of ['k8s.io/api', 'k8s.io/apiserver', 'k8s.io/apiextensions-apiserver', 'k8s.io/client-go', 'k8s.io/component-base']) {
    t.regex(mod, new RegExp(`^\\s+${m.replace(/[./]/g, '\\$&')} => ${m.replace(/[./]/g, '\\$&')} ${staging.replace(/\./g, '\\.')}$`, 'm'));
  }
});

test('peers: each cache entry is named by program, version and pin digest', (t) => {
  const prev = process.env['CALICO_MIGRATE_PEERS_CACHE'];
  process.env['CALICO_MIGRATE_PEERS_CACHE'] = '/nonexistent/peers';
  try {
    const p = peerPaths();
    t.regex(basename(dirname(p.kubeApiserver)), new RegExp(`^kube-apiserver-${versions.kubernetes.version.replace(/\./g, '\\.')}-[0-9a-f]{12}$`));
    t.regex(basename(dirname(p.calicoctl)), new RegExp(`^calicoctl-${versions.calico.version.replace(/\./g, '\\.')}-[0-9a-f]{12}$`));
    t.true(p.kubeApiserver.startsWith('/nonexistent/peers/'));
    t.is(missingPeers(p).length, 3);
    const e = t.throws(() => builtPeers());
    t.regex(e?.message ?? '', /npm run peers/);
    t.regex(missingPeerMessage('x'), /Build the real peers with `npm run peers`/);
  } finally {
    if (prev === undefined) delete process.env['CALICO_MIGRATE_PEERS_CACHE'];
    else process.env['CALICO_MIGRATE_PEERS_CACHE'] = prev;
  }
});
