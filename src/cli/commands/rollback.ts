/**
 * `calico-migrate rollback`: undoes the applies a journal recorded — restores what they overwrote,
 * deletes what they created, removes CRDs they installed that are empty again — and nothing else.
 * It takes the migration lock like apply, asks first on a terminal, and needs --yes without one.
 * Exit codes: 0 rolled back, 3 some objects kept (changed since) or failed, 1 error.
 */
import { checkAccess, describeRefusals } from '../../apply/access-check.js';
import { rollbackUnderLock } from '../../apply/engine.js';
import { lockTarget } from '../../apply/lock.js';
import { permissionsFor } from '../../apply/permissions.js';
import { installedCrds, writtenKeys } from '../../apply/rollback.js';
import { kubernetesDestination } from '../../destination/kubernetes.js';
import { CalicoMigrateError, EXIT } from '../../errors.js';
import type { TargetVersion } from '../../model/target.js';
import { serialize } from '../../output/serialize.js';
import { sameCluster } from '../../plan/file.js';
import { clusterId } from '../migration.js';
import { canPrompt } from '../../ui/progress.js';
import type { CliIo } from '../io.js';
import { resolveSource } from '../source.js';
import { resolveDestination } from '../destination.js';
import type { Destination } from '../../destination/types.js';
import { findRun, otherRuns, othersText, readRuns, withStore, type FoundRun, type OtherRun, type StateChoice } from '../run-state.js';
import type { StateStore } from '../../state/types.js';
import { cutOverState } from '../../apply/cut-over.js';
import { giveBackPause } from '../pause.js';

export interface RollbackCliOptions {
  readonly journal?: string;
  readonly stateDir: string;
  readonly yes: boolean;
  readonly force: boolean;
  readonly forceUnlock: boolean;
  readonly lockWaitSeconds: number;
  readonly lockTtlSeconds: number;
  readonly output: 'text' | 'json';
  readonly source: Readonly<Record<string, unknown>>;
  /** Destination flags (`--target-datastore-type`, …): where the apply wrote. */
  readonly destination?: Readonly<Record<string, unknown>>;
  /** Local journal files, or the runs kept in the target (`run` picks one of those). */
  readonly state?: StateChoice; readonly run?: string;
}

/** The state's connection stays open while the rollback appends to the run's journal. */
export async function runRollback(opts: RollbackCliOptions, io: CliIo): Promise<number> {
  return withStore(opts.state, opts.source, opts.destination ?? {}, io, (store) => rollbackRun(opts, io, store));
}

async function rollbackRun(opts: RollbackCliOptions, io: CliIo, store: StateStore | undefined): Promise<number> {
  // The runs kept in the target are read once: for the one to roll back, and for the others still in place.
  const where = { choice: opts.state ?? 'local', ...(store ? { store, runs: await readRuns(store) } : {}), stateDir: opts.stateDir, cwd: io.cwd };
  const found = await findRun({ ...where, ...(opts.run ? { run: opts.run } : {}), ...(opts.journal ? { journal: opts.journal } : {}) });
  if (!found) throw new CalicoMigrateError('E_USAGE', store ? `no run is kept in ${store.describe()}` : `no journal found in ${opts.stateDir}; give --journal FILE (the apply printed its path), or --state target`);
  const { records, location: path } = found;
  const todo = writtenKeys(records);
  const crds = installedCrds(records).length;
  const begin = records.find((r) => r.t === 'begin');
  const target: TargetVersion = begin?.t === 'begin' && (begin.target === 'v2.5' || begin.target === 'v3.0') ? begin.target : 'v2.5';
  const lines = [`journal ${path}: ${todo.length} write(s) to undo${crds > 0 ? `, and ${crds} CRD(s) it installed, if empty` : ''}`, ...todo.map((w) => `  ${w.before === null ? 'delete ' : 'restore'} ${w.key}`)];
  if (todo.length === 0 && crds === 0) {
    const others = await otherRuns(where, found);
    if (opts.output === 'json') io.stdout.write(serialize({ result: 'nothing-to-do', exitCode: EXIT.ok, journal: path, steps: [], ...(others.length > 0 ? { others } : {}) }, 'json'));
    else io.stdout.write(`${lines[0]}\nnothing to roll back (exit 0)\n${othersText(others)}`);
    return EXIT.ok;
  }
  if (!opts.yes) {
    if (!canPrompt(io)) throw new CalicoMigrateError('E_USAGE', 'refusing to roll back without confirmation: there is no terminal to ask on; run again with --yes');
    io.stdout.write(`${lines.join('\n')}\n`);
    const { confirmApply } = await import('../../ui/confirm.js');
    if (!(await confirmApply(`Roll back ${todo.length} write(s)?`, async () => lines.join('\n'), io))) {
      io.stdout.write('cancelled; nothing was changed (exit 1)\n');
      return EXIT.error;
    }
  }
  const recorded = begin?.t === 'begin' ? { server: begin.server, id: begin.cluster } : undefined;
  const opened = await openDestination(opts, io, target);
  try {
    const here = { server: opened.destination.address, id: opened.id };
    // The journal's writes undone somewhere else would be writes, not undos.
    if (recorded && !sameCluster(recorded, here)) {
      throw new CalicoMigrateError('E_USAGE', `${path} records an apply to ${recorded.server}${recorded.id ? ` (${opened.idName} ${recorded.id})` : ''}, but the settings point at ${here.server}${here.id ? ` (${opened.idName} ${here.id})` : ''}; ${opened.fix}`);
    }
    await opened.check?.();
    const refusal = await opened.refusal?.();
    if (refusal) throw new CalicoMigrateError('E_USAGE', refusal);
    const code = await undo(opts, io, found, opened.destination, await otherRuns(where, found));
    const resumed = await giveBackPause(records, found, opts.source, io);
    if (resumed) io.stderr.write(`${resumed.line}\n`);
    return resumed && !resumed.ok && code === EXIT.ok ? EXIT.blocked : code;
  } finally {
    opened.close();
  }
}

/** The destination the settings name, its identity, and (on a cluster) the permission check a rollback needs. */
async function openDestination(opts: RollbackCliOptions, io: CliIo, target: TargetVersion): Promise<{ destination: Destination; id: string | undefined; idName: string; fix: string; check?: () => Promise<void>; refusal?: () => Promise<string | undefined>; close: () => void }> {
  const settings = await resolveDestination(opts.destination ?? {}, io);
  if (settings.settings.datastoreType === 'etcdv3') {
    const { EtcdV3Destination } = await import('../../destination/etcdv3.js');
    const etcd = await EtcdV3Destination.open(settings.settings);
    // After `complete`, calico/node v3 allocates from the IPAM this rollback would delete.
    const refusal = async () => (!opts.force && cutOverState(await etcd.readClusterInformation()) === 'complete' ? 'the cut-over was completed: calico/node v3 owns this datastore, and a rollback would delete live IPAM (blocks, handles, affinities) that running pods hold addresses from, so Calico could hand the same addresses out twice. Roll calico/node back to v2.x and run calico-migrate abort first; then rollback --force if you must' : undefined);
    return { destination: etcd, id: await etcd.identity(), idName: 'etcd cluster id', fix: 'point --target-etcd-endpoints at the etcd the apply wrote to', refusal, close: () => etcd.close() };
  }
  const resolved = await resolveSource(opts.source, io);
  const { KubeClient } = await import('../../datastore/kube-client.js');
  const client = KubeClient.fromSettings(resolved.settings, io.env ?? process.env);
  const version = await client.version();
  return {
    destination: kubernetesDestination(client, client.server, target),
    id: await clusterId(client),
    idName: 'kube-system uid',
    fix: 'point the kubeconfig at the cluster the apply wrote to',
    check: async () => {
      const lockKind = await lockTarget(client);
      const access = await checkAccess(client, permissionsFor({ source: 'files', target, mode: 'rollback', state: opts.state ?? 'local', lockResource: lockKind.kind === 'Lease' ? 'leases' : 'configmaps', daemonSetGroup: version.minor >= 9 ? 'apps' : 'extensions' }).filter((p) => p.verb !== 'create' || p.resource !== 'customresourcedefinitions'));
      if (access.refused.length > 0) throw new CalicoMigrateError('E_TARGET_STATE', `the account may not do everything a rollback needs: ${describeRefusals(access.refused).join('; ')}`);
    },
    close: () => undefined,
  };
}

async function undo(opts: RollbackCliOptions, io: CliIo, found: FoundRun, destination: Destination, others: readonly OtherRun[]): Promise<number> {
  const { records, location: path } = found;
  const journal = await found.open();
  const steps = await rollbackUnderLock({
    destination,
    records,
    journal,
    reason: `rollback of ${path}`,
    force: opts.force,
    forceUnlock: opts.forceUnlock,
    lockTtlSeconds: opts.lockTtlSeconds,
    lockWaitSeconds: opts.lockWaitSeconds,
    onStep: (s) => {
      if (opts.output === 'text') io.stderr.write(`${s.outcome.padEnd(12)} ${s.key}${s.detail ? `: ${s.detail}` : ''}\n`);
    },
  });
  const incomplete = steps.filter((s) => s.outcome === 'kept' || s.outcome === 'failed');
  const exitCode = incomplete.length > 0 ? EXIT.blocked : EXIT.ok;
  if (opts.output === 'json') {
    io.stdout.write(serialize({ result: incomplete.length > 0 ? 'incomplete' : 'rolled-back', exitCode, journal: path, steps, ...(others.length > 0 ? { others } : {}) }, 'json'));
  } else {
    const counts = Object.entries(steps.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s.outcome]: (acc[s.outcome] ?? 0) + 1 }), {}));
    io.stdout.write(`rollback of ${path}: ${counts.map(([k, n]) => `${n} ${k}`).join(', ')}\n${incomplete.map((s) => `  ${s.outcome} ${s.key}: ${s.detail ?? ''}`).join('\n')}${incomplete.length > 0 ? '\n' : ''}result: ${incomplete.length > 0 ? 'incomplete' : 'rolled back'} (exit ${exitCode})\n${othersText(others)}`);
  }
  return exitCode;
}
