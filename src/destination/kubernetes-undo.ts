/**
 * Undoing an apply on a Kubernetes API, one journaled write at a time: each undo is conditional on
 * the object still being what the apply left (its plan annotation and the resourceVersion the
 * journal recorded, or the Node annotation values it set); anything changed since is kept unless
 * `force`. A CRD the apply installed is deleted only when it holds no object any more.
 */
import { isNotFound, type KubeObject } from '../datastore/kube-api.js';
import type { KubeClient } from '../datastore/kube-client.js';
import { CALICO_CRD_GROUP, CRDS_V1, CRDS_V1BETA1, NODES } from '../datastore/calico-resources.js';
import { NODE_KEYS_ANNOTATION, writtenByPlan } from '../plan/ownership.js';
import type { JournalRecord, NodeBefore } from '../apply/journal.js';
import { CRD_KEY_PREFIX, installedCrds, isNodeBefore, keyNames, type RollbackStep, type Written } from '../apply/rollback.js';

interface UndoContext {
  readonly client: KubeClient;
  readonly force: boolean;
}

/** The before-image as a body to write back: no server-set fields except the resourceVersion to replace. */
function restoreBody(before: KubeObject, resourceVersion: string | undefined): KubeObject {
  const { uid: _u, creationTimestamp: _c, generation: _g, resourceVersion: _r, selfLink: _s, ...metadata } = before.metadata;
  void [_u, _c, _g, _r, _s];
  return { ...before, metadata: { ...metadata, ...(resourceVersion ? { resourceVersion } : {}) } };
}

async function undoObject(o: UndoContext, w: Written, hashes: ReadonlySet<string>): Promise<RollbackStep> {
  const resource = w.resource;
  if (!resource) return { key: w.key, outcome: 'failed', detail: 'the journal does not say where it was written' };
  const { name, namespace } = keyNames(w.key);
  const live = await o.client.get(resource, name, namespace);
  const ours = live !== undefined && hashes.has(writtenByPlan(live) ?? '') && (w.lastVersion === undefined || live.metadata.resourceVersion === w.lastVersion);
  // An unanswered write is undone only if the object shows it happened; --force never reaches further.
  if (!w.confirmed && !ours) return { key: w.key, outcome: 'already-gone', detail: 'the write the apply was making when it stopped never reached the server' };
  if (w.before === null) {
    if (!live) return { key: w.key, outcome: 'already-gone' };
    if (!ours && !o.force) return { key: w.key, outcome: 'kept', detail: 'it changed after the apply created it (or another apply wrote it); rerun with --force to delete it anyway' };
    await o.client.delete(resource, name, { ...(namespace ? { namespace } : {}), ...(live.metadata.resourceVersion ? { resourceVersion: live.metadata.resourceVersion } : {}) });
    return { key: w.key, outcome: 'deleted' };
  }
  if (isNodeBefore(w.before)) return { key: w.key, outcome: 'failed', detail: 'a Node before-image for a Calico object' };
  if (!live && !o.force) return { key: w.key, outcome: 'kept', detail: 'it was deleted after the apply wrote it; rerun with --force to create it again from the backup' };
  if (live && !ours && !o.force) return { key: w.key, outcome: 'kept', detail: 'it changed after the apply wrote it; rerun with --force to restore the backup anyway' };
  if (!live) await o.client.create(resource, restoreBody(w.before, undefined));
  else await o.client.replace(resource, restoreBody(w.before, live.metadata.resourceVersion));
  return { key: w.key, outcome: 'restored' };
}

async function undoNode(o: UndoContext, w: Written, before: NodeBefore): Promise<RollbackStep> {
  const { name } = keyNames(w.key);
  const live = await o.client.get(NODES, name);
  if (!live) return { key: w.key, outcome: 'already-gone', detail: 'the Node no longer exists' };
  const current = live.metadata.annotations ?? {};
  const keys = Object.keys(before.annotations);
  if (keys.every((k) => (current[k] ?? null) === before.annotations[k])) return { key: w.key, outcome: 'already-gone', detail: 'the annotations already hold their earlier values' };
  const untouched = w.after !== undefined && keys.every((k) => (current[k] ?? null) === (w.after?.[k] ?? null));
  if (!untouched && !w.confirmed) return { key: w.key, outcome: 'already-gone', detail: 'the patch the apply was making when it stopped never reached the Node' };
  if (!untouched && !o.force) return { key: w.key, outcome: 'kept', detail: 'its annotations changed after the apply set them; rerun with --force to restore them anyway' };
  await o.client.mergePatch(NODES, name, { metadata: { resourceVersion: live.metadata.resourceVersion, annotations: { ...before.annotations, [NODE_KEYS_ANNOTATION]: before.nodeKeys } } });
  return { key: w.key, outcome: 'restored' };
}

/** Deletes the CRDs the journal's runs installed, when they hold nothing any more. */
export async function removeCrds(client: KubeClient, records: readonly JournalRecord[]): Promise<RollbackStep[]> {
  const o = { client, records };
  const steps: RollbackStep[] = [];
  for (const r of installedCrds(o.records).reverse()) {
    const crdType = r.apiVersion.endsWith('v1beta1') ? CRDS_V1BETA1 : CRDS_V1;
    const key = `${CRD_KEY_PREFIX}${r.name}`;
    const plural = r.name.slice(0, r.name.length - CALICO_CRD_GROUP.length - 1);
    try {
      if (!(await o.client.get(crdType, r.name))) {
        steps.push({ key, outcome: 'already-gone' });
        continue;
      }
      const held = await o.client.list({ group: CALICO_CRD_GROUP, version: 'v1', plural, kind: '', namespaced: false }).then((l) => l.items.length, (e: unknown) => (isNotFound(e) ? 0 : Promise.reject(e)));
      if (held > 0) {
        steps.push({ key, outcome: 'kept', detail: `it holds ${held} object(s) the apply did not create; deleting it would delete them` });
        continue;
      }
      await o.client.delete(crdType, r.name);
      steps.push({ key, outcome: 'deleted' });
    } catch (e) {
      steps.push({ key, outcome: 'failed', detail: e instanceof Error ? e.message : String(e) });
    }
  }
  return steps;
}

/** Undoes one journaled write (a Calico object, or a Node's annotations). */
export function undoKubernetesWrite(client: KubeClient, w: Written, o: { readonly planHashes: ReadonlySet<string>; readonly force: boolean }): Promise<RollbackStep> {
  const ctx = { client, force: o.force };
  return isNodeBefore(w.before) ? undoNode(ctx, w, w.before) : undoObject(ctx, w, o.planHashes);
}
