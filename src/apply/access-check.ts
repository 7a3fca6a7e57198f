/**
 * The preflight permission check: asks the API server, with one SelfSubjectAccessReview per
 * permission, whether the current credentials may do everything a run needs, so that a missing
 * grant is reported up front with the verb and resource, instead of as a 403 halfway through a
 * migration. The answer comes from the cluster's real authorizer chain, not from reading RBAC
 * objects (which would miss other authorizers and need extra read rights).
 */
import { mapLimit } from '../util.js';
import { KubeApiError } from '../datastore/kube-api.js';
import type { KubeClient } from '../datastore/kube-client.js';
import { describePermission, type Permission } from './permissions.js';

/** A permission the server said no to, with the authorizer's reason when it gave one. */
export interface RefusedPermission {
  readonly permission: Permission;
  readonly reason?: string;
}

export interface AccessReport {
  /** In the order given. */
  readonly allowed: Permission[];
  /** In the order given. */
  readonly refused: RefusedPermission[];
  /**
   * Set when the check itself could not run (the review API answered 403 or 404: a server or
   * proxy that forbids or does not serve SelfSubjectAccessReviews). Then `allowed` and `refused`
   * are empty: nothing is known, which is not the same as everything being refused.
   */
  readonly unavailable?: string;
}

export interface CheckAccessOptions {
  /** Reviews in flight at once (default 4): enough to be quick, few enough not to trip API Priority and Fairness. */
  readonly concurrency?: number;
}

/**
 * Reviews every permission (at most `concurrency` at a time) and sorts them into allowed and
 * refused. A 403 or 404 from the review API becomes `unavailable` rather than an exception, since
 * a run can still go on and fail on its first real refusal. Any other failure (unreachable
 * server, retries exhausted) is thrown as the client threw it.
 */
export async function checkAccess(client: Pick<KubeClient, 'canI' | 'server'>, perms: readonly Permission[], options: CheckAccessOptions = {}): Promise<AccessReport> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  let unavailable: string | undefined;
  let failure: { error: unknown } | undefined;
  const results = await mapLimit(
    perms,
    concurrency,
    async (p): Promise<{ allowed: boolean; reason?: string } | undefined> => {
      try {
        return await client.canI({ verb: p.verb, group: p.group, resource: p.resource, ...(p.namespace === undefined ? {} : { namespace: p.namespace }), ...(p.name === undefined ? {} : { name: p.name }) });
      } catch (e) {
        if (e instanceof KubeApiError && (e.status === 403 || e.status === 404)) unavailable ??= unavailableMessage(client.server, e);
        else failure ??= { error: e };
        return undefined;
      }
    },
    () => unavailable !== undefined || failure !== undefined,
  );

  if (failure) throw failure.error;
  if (unavailable !== undefined) return { allowed: [], refused: [], unavailable };
  const allowed: Permission[] = [];
  const refused: RefusedPermission[] = [];
  perms.forEach((permission, i) => {
    const r = results[i];
    if (r?.allowed) allowed.push(permission);
    else refused.push({ permission, ...(r?.reason ? { reason: r.reason } : {}) });
  });
  return { allowed, refused };
}

function unavailableMessage(server: string, e: KubeApiError): string {
  const what = e.status === 403 ? 'refused to create a SelfSubjectAccessReview' : 'does not serve SelfSubjectAccessReviews (authorization.k8s.io/v1)';
  const detail = e.apiMessage ?? e.reason;
  return `cannot check permissions in advance: the Kubernetes API at ${server} ${what} (HTTP ${e.status}${detail ? `: ${detail}` : ''}); the run will stop at the first request it is not allowed to make`;
}

/** One line per refused permission, `verb resource (scope): why [— reason]`, for summaries and errors. */
export function describeRefusals(refused: readonly RefusedPermission[]): string[] {
  return refused.map((r) => `${describePermission(r.permission)}: ${r.permission.why}${r.reason ? ` (server: ${r.reason})` : ''}`);
}
