/**
 * A Kubernetes API as the destination: CRDs as the schema, resourceVersion preconditions for the
 * writes, a Lease (a ConfigMap before 1.14) as the lock.
 */
import { crdsNeeded, ensureCrds } from '../apply/crds.js';
import { acquireLock, forceUnlock, readLock } from '../apply/lock.js';
import { verifyWritten } from '../apply/verify.js';
import { writeEntries } from '../apply/write.js';
import type { KubeClient } from '../datastore/kube-client.js';
import { CalicoMigrateError } from '../errors.js';
import type { TargetVersion } from '../model/target.js';
import { TOOL_VERSION } from '../version.js';
import { removeCrds, undoKubernetesWrite } from './kubernetes-undo.js';
import type { Destination } from './types.js';

/** `to` picks the CRD set the schema stage installs; a destination opened only to read the lock (status) needs none. */
export function kubernetesDestination(client: KubeClient, address: string, to?: TargetVersion): Destination {
  return {
    address,
    ensureSchema: async (kinds, o) => {
      if (!to) throw new CalicoMigrateError('E_INTERNAL', 'this Kubernetes destination was opened without a target version, so it cannot install CRDs');
      const r = await ensureCrds(client, to, { crds: crdsNeeded(to, kinds), dryRun: o.dryRun, timeoutMs: 120_000, pollMs: 500, toolVersion: TOOL_VERSION, onCreated: o.onCreated });
      return { created: r.created, alreadyPresent: r.alreadyPresent };
    },
    write: (w) => writeEntries({ client, ...w }),
    verify: (desired) => verifyWritten(client, desired),
    acquireLock: (l) => acquireLock(client, l),
    forceUnlock: () => forceUnlock(client),
    readLock: () => readLock(client),
    undo: (w, o) => undoKubernetesWrite(client, w, o),
    removeSchema: (records) => removeCrds(client, records),
  };
}
