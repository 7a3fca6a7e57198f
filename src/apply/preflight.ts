/**
 * The preflight checks of `plan` and `apply`: everything that is known to make a migration fail,
 * lose data or cut nodes off, looked at before the first write, and reported as findings with
 * stable codes (severity `error` blocks the apply). The checks themselves are in
 * `preflight-checks.ts`; this file runs them, keeps their order stable, contains their failures
 * and applies `--ignore-preflight`.
 */
import { KubeApiError } from '../datastore/kube-api.js';
import type { KubeClient } from '../datastore/kube-client.js';
import { CalicoMigrateError } from '../errors.js';
import type { Mode } from './permissions.js';
import type { Report } from '../model/report.js';
import type { TargetObject, TargetVersion } from '../model/target.js';
import type { Finding } from '../plan/types.js';
import type { CrdApi } from './crds.js';
import {
  checkCalicoNode,
  checkConversion,
  checkCrds,
  checkKubernetesVersion,
  checkLock,
  checkPermissions,
  checkPodCidrs,
  checkTprApi,
  finding,
  type CheckContext,
  type ClusterView,
} from './preflight-checks.js';

export interface PreflightInput {
  readonly client: KubeClient;
  readonly target: TargetVersion;
  readonly mode: Mode;
  /** Where the source was read from: a live datastore type, or dump files. */
  readonly source: 'etcdv2' | 'etcdv3' | 'kubernetes' | 'files';
  /** The source is (or was dumped from) a Calico v2.4 Kubernetes datastore (TPRs). */
  readonly sourceIsKdd: boolean;
  /** The conversion report: its blockers (issues of severity error) and error records block the apply. */
  readonly report: Report;
  /** The converted objects to be written (IPPools among them). */
  readonly objects: readonly TargetObject[];
  /** Codes of findings the operator chose to ignore (--ignore-preflight): reported as info, never blocking. */
  readonly ignore?: readonly string[];
  /** Where the run's state will be kept (its Secrets need permissions too). */
  readonly state?: 'local' | 'target';
}

/**
 * What the preflight learnt about the cluster and the later stages reuse, so that the plan and
 * the apply choose the same lock object, DaemonSet API and CRD API as the checks did. When the
 * cluster could not be read at all, `gitVersion` is `''` and the rest are defaults; a
 * `preflight-check-failed` finding then blocks.
 */
export interface PreflightFacts {
  gitVersion: string;
  minor: number;
  lockResource: 'leases' | 'configmaps';
  daemonSetGroup: 'apps' | 'extensions';
  calicoNodeImage?: string;
  crdApi?: CrdApi;
}

/** Prefix of the message of a finding downgraded by --ignore-preflight. */
export const IGNORED_PREFIX = 'ignored (--ignore-preflight): ';

interface Outcome {
  readonly findings: readonly Finding[];
  readonly image?: string;
  readonly crdApi?: CrdApi;
}

interface Check {
  /** Named in `preflight-check-failed` findings. */
  readonly name: string;
  readonly run: (ctx: CheckContext) => Promise<Outcome>;
}

/** In report order. */
const CHECKS: readonly Check[] = [
  { name: 'kubernetes-version', run: async (c) => ({ findings: checkKubernetesVersion(c) }) },
  { name: 'thirdpartyresources', run: async (c) => ({ findings: await checkTprApi(c) }) },
  { name: 'calico-node', run: checkCalicoNode },
  { name: 'permissions', run: async (c) => ({ findings: await checkPermissions(c) }) },
  { name: 'crds', run: checkCrds },
  { name: 'conversion', run: async (c) => ({ findings: checkConversion(c) }) },
  { name: 'pod-cidrs', run: async (c) => ({ findings: await checkPodCidrs(c) }) },
  { name: 'lock', run: async (c) => ({ findings: await checkLock(c) }) },
];

/**
 * Runs every check and returns the findings ordered by check, then by message, so that two runs
 * against the same cluster give the same list (plans are hashed and diffed). A request that fails
 * inside one check (unreachable server, 401, 403, 5xx after retries) becomes a blocking
 * `preflight-check-failed` finding for that check, not an exception: the other checks still say
 * what they know, and the caller decides. Programming errors still throw.
 */
export async function runPreflight(input: PreflightInput): Promise<{ findings: Finding[]; facts: PreflightFacts }> {
  let cluster: ClusterView;
  try {
    cluster = await readCluster(input.client);
  } catch (e) {
    if (!isRequestFailure(e)) throw e;
    const unread = failed('cluster discovery', e, `${input.client.server}'s version and API groups could not be read, so no check of the cluster ran`);
    const findings = [unread, ...byMessage(checkConversion({ input }))];
    return { findings: applyIgnore(findings, input.ignore), facts: { gitVersion: '', minor: 0, lockResource: 'leases', daemonSetGroup: 'apps' } };
  }
  const ctx: CheckContext = { input, cluster };
  const outcomes = await Promise.all(CHECKS.map((check) => guarded(check, ctx)));
  const facts: PreflightFacts = { gitVersion: cluster.gitVersion, minor: cluster.minor, lockResource: cluster.lockResource, daemonSetGroup: cluster.daemonSetGroup };
  for (const o of outcomes) {
    if (o.image !== undefined) facts.calicoNodeImage = o.image;
    if (o.crdApi !== undefined) facts.crdApi = o.crdApi;
  }
  return { findings: applyIgnore(outcomes.flatMap((o) => byMessage(o.findings)), input.ignore), facts };
}

/**
 * The preflight of a destination that is not a Kubernetes cluster (an etcd v3 datastore): what the
 * conversion found blocking, plus the destination's own `extra` findings, with --ignore-preflight
 * applied. No cluster checks: there is no cluster.
 */
export function datastorePreflight(report: Report, extra: readonly Finding[], ignore: readonly string[] = []): Finding[] {
  return withIgnored([...checkConversion({ input: { report } as PreflightInput }), ...extra], ignore);
}

/** Findings in message order with --ignore-preflight applied (an ignored one becomes info). */
export function withIgnored(findings: readonly Finding[], ignore: readonly string[] = []): Finding[] {
  return applyIgnore(byMessage(findings), ignore);
}

/** True when a finding blocks the apply (any of severity `error`, after --ignore-preflight). */
export function isBlocking(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

async function readCluster(client: KubeClient): Promise<ClusterView> {
  const version = await client.version();
  const groups = await client.groups();
  const serves = (group: string, v: string): boolean => (groups.get(group) ?? []).includes(v);
  return {
    gitVersion: version.gitVersion,
    major: version.major,
    minor: version.minor,
    groups,
    // The same rules as lockTarget (lock-object.ts) and the 1.9 move of DaemonSets to apps/v1.
    lockResource: serves('coordination.k8s.io', 'v1') ? 'leases' : 'configmaps',
    daemonSetGroup: serves('apps', 'v1') ? 'apps' : 'extensions',
  };
}

async function guarded(check: Check, ctx: CheckContext): Promise<Outcome> {
  try {
    return await check.run(ctx);
  } catch (e) {
    if (!isRequestFailure(e)) throw e;
    return { findings: [failed(`${check.name} check`, e)] };
  }
}

/** What KubeClient throws for a refused or failed request (anything else is a bug and propagates). */
function isRequestFailure(e: unknown): e is KubeApiError | CalicoMigrateError {
  return e instanceof KubeApiError || e instanceof CalicoMigrateError;
}

function failed(what: string, e: KubeApiError | CalicoMigrateError, consequence?: string): Finding {
  const hint =
    e instanceof KubeApiError && e.status === 401
      ? 'the Kubernetes API did not accept the credentials (HTTP 401): check the token, client certificate or kubeconfig'
      : e instanceof KubeApiError && e.status === 403
        ? 'these credentials may not make that request: see the permission-denied findings, and `calico-migrate rbac`'
        : 'check that the Kubernetes API is reachable and healthy, then run again';
  return finding('error', 'preflight-check-failed', `the ${what} failed: ${e.message}${consequence ? `; ${consequence}` : ''}`, hint);
}

function byMessage(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
}

/**
 * Codes that can never be ignored: records that could not be converted would leave a half-written
 * target, and a failed check hides what it would have found.
 */
export const NOT_IGNORABLE: ReadonlySet<string> = new Set(['conversion-errors', 'preflight-check-failed']);

function applyIgnore(findings: readonly Finding[], ignore: readonly string[] = []): Finding[] {
  const codes = new Set(ignore.filter((c) => !NOT_IGNORABLE.has(c)));
  return findings.map((f) => (codes.has(f.code) ? { ...f, severity: 'info', message: `${IGNORED_PREFIX}${f.message}` } : f));
}
