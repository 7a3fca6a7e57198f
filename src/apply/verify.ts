/**
 * After writing, everything is read back and planned again: every entry must now be unchanged
 * (the live object holds exactly what the plan writes). Any other answer is a difference, and an
 * error: something refused, rewrote or pruned what was written.
 */
import type { KubeClient } from '../datastore/kube-client.js';
import { buildEntries } from '../plan/build.js';
import type { Desired } from '../plan/desired.js';
import { readTarget } from '../plan/live.js';

export async function verifyWritten(client: KubeClient, desired: Desired): Promise<string[]> {
  const live = await readTarget(client, desired);
  return buildEntries(desired, live)
    .filter((e) => e.action !== 'unchanged')
    .map((e) => (e.action === 'create' ? `${e.key} is not on the cluster` : e.action === 'missing' ? `${e.key}: ${e.reason ?? 'Node missing'}` : `${e.key} differs from what was written`));
}
