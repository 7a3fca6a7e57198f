/**
 * Installing the Calico CRDs on the target before any Calico object is written.
 *
 * A v2.4 cluster runs Kubernetes 1.7, which only knows `apiextensions.k8s.io/v1beta1`; 1.22 and
 * later only know `v1`. So the CRD form follows the server, and a CRD is only usable once the
 * apiserver reports it `Established`: writes sent before that get a plain-text 404 (§6.4, §6.6).
 * CRDs that already exist are never replaced: another installer (Calico's own manifests, an
 * operator) may own them, and replacing a CRD can change pruning or scope under existing data.
 */
import { CalicoMigrateError, type ErrorCode } from '../errors.js';
import { isRecord } from '../input/dump.js';
import { CALICO_CRD_GROUP, CALICO_CRDS, CRDS_V1, CRDS_V1BETA1, crdName, type CalicoCrd } from '../datastore/calico-resources.js';
import { isConflict, type KubeObject, type ResourceType } from '../datastore/kube-api.js';
import type { KubeClient } from '../datastore/kube-client.js';
import type { TargetVersion } from '../model/target.js';

export type CrdApiVersion = 'apiextensions.k8s.io/v1' | 'apiextensions.k8s.io/v1beta1';

/** Label every object this tool installs carries, so operators can find (and remove) them. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'calico-migrate';
/** Annotation naming the calico-migrate version that installed a CRD. */
export const INSTALLED_BY_ANNOTATION = 'calico-migrate.projectcalico.org/installed-by';

/** Error code of every failure here (the error list has no target-specific code for CRDs yet). */
const CRD_ERROR: ErrorCode = 'E_TARGET_STATE';

/**
 * The CRD object for a Calico kind. The v1 form carries a root schema that preserves unknown
 * fields, because v1 CRDs prune every field their schema does not list and Calico's data must go
 * through untouched. The v1beta1 form needs no schema: v1beta1 defaults to preserving unknown
 * fields. `spec.version` is what 1.7–1.10 read; `versions` is what 1.11+ read (they must agree).
 */
export function crdManifest(crd: CalicoCrd, apiVersion: CrdApiVersion, toolVersion: string): KubeObject {
  const metadata = {
    name: crdName(crd),
    labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
    annotations: { [INSTALLED_BY_ANNOTATION]: `calico-migrate ${toolVersion}` },
  };
  const names = { kind: crd.kind, listKind: `${crd.kind}List`, plural: crd.plural, singular: crd.singular };
  const common = { group: CALICO_CRD_GROUP, names, scope: crd.scope };
  if (apiVersion === 'apiextensions.k8s.io/v1beta1') {
    return { apiVersion, kind: 'CustomResourceDefinition', metadata, spec: { ...common, version: 'v1', versions: [{ name: 'v1', served: true, storage: true }] } };
  }
  const schema = { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
  return { apiVersion, kind: 'CustomResourceDefinition', metadata, spec: { ...common, versions: [{ name: 'v1', served: true, storage: true, schema }] } };
}

/** How to talk about CRDs to this server. */
export interface CrdApi {
  readonly apiVersion: CrdApiVersion;
  readonly resource: ResourceType;
  /** The server's gitVersion, for messages. */
  readonly gitVersion: string;
  /**
   * Whether the server honours `dryRun=All` (1.13+). Older servers ignore the parameter and
   * would really write, so a dry run there sends no writes at all.
   */
  readonly serverDryRun: boolean;
}

/**
 * Picks the CRD API by server version and discovery: v1beta1 below 1.16 (v1 does not exist
 * there), v1 from 1.16 (v1beta1 is gone in 1.22), the other one only when the preferred one is
 * not served.
 */
export async function chooseCrdApi(client: KubeClient): Promise<CrdApi> {
  const version = await client.version();
  const served = (await client.groups()).get(CRDS_V1.group) ?? [];
  const modern = version.major > 1 || version.minor >= 16;
  const order = modern ? [CRDS_V1, CRDS_V1BETA1] : [CRDS_V1BETA1, CRDS_V1];
  const resource = order.find((r) => served.includes(r.version));
  if (!resource) {
    throw new CalicoMigrateError(CRD_ERROR, `the Kubernetes API at ${client.server} (${version.gitVersion}) serves neither apiextensions.k8s.io/v1 nor v1beta1, so the Calico CRDs cannot be installed`);
  }
  const serverDryRun = version.major > 1 || version.minor >= 13;
  return { apiVersion: resource.version === 'v1' ? 'apiextensions.k8s.io/v1' : 'apiextensions.k8s.io/v1beta1', resource, gitVersion: version.gitVersion, serverDryRun };
}

/**
 * The CRDs for the kinds actually written, in installation order, so a migration installs only
 * what it writes into. Kinds that are not Calico CRD kinds (e.g. Node) are ignored.
 */
export function crdsNeeded(target: TargetVersion, kinds: Iterable<string>): CalicoCrd[] {
  const wanted = new Set(kinds);
  return CALICO_CRDS[target].filter((c) => wanted.has(c.kind));
}

/** One condition of a CRD's status, as far as messages need it. */
export interface CrdCondition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

export type CrdStateName = 'established' | 'pending' | 'absent' | 'terminating';

/** What the cluster has for one CRD (pending: exists, not Established yet). */
export interface CrdState {
  readonly crd: CalicoCrd;
  readonly name: string;
  readonly state: CrdStateName;
  readonly conditions: readonly CrdCondition[];
}

/** Which CRDs to look at, and the CRD API when the caller already chose it. */
export interface CrdSelection {
  /** Default: every CRD of the target. */
  readonly crds?: readonly CalicoCrd[];
  readonly api?: CrdApi;
}

function conditionsOf(obj: KubeObject): CrdCondition[] {
  const status = obj['status'];
  const list = isRecord(status) ? status['conditions'] : undefined;
  if (!Array.isArray(list)) return [];
  const out: CrdCondition[] = [];
  for (const c of list) {
    if (!isRecord(c) || typeof c['type'] !== 'string' || typeof c['status'] !== 'string') continue;
    const reason = c['reason'];
    const message = c['message'];
    out.push({ type: c['type'], status: c['status'], ...(typeof reason === 'string' && reason ? { reason } : {}), ...(typeof message === 'string' && message ? { message } : {}) });
  }
  return out;
}

function stateOf(crd: CalicoCrd, obj: KubeObject | undefined): CrdState {
  const name = crdName(crd);
  if (!obj) return { crd, name, state: 'absent', conditions: [] };
  const conditions = conditionsOf(obj);
  const deleting = obj.metadata['deletionTimestamp'];
  if (deleting !== undefined && deleting !== null) return { crd, name, state: 'terminating', conditions };
  const established = conditions.some((c) => c.type === 'Established' && c.status === 'True');
  return { crd, name, state: established ? 'established' : 'pending', conditions };
}

/** The state of each CRD of the target (or of `crds`), for preflight and plan. */
export async function inspectCrds(client: KubeClient, target: TargetVersion, selection: CrdSelection = {}): Promise<CrdState[]> {
  const api = selection.api ?? (await chooseCrdApi(client));
  const crds = selection.crds ?? CALICO_CRDS[target];
  // One GET each, all at once: the states come back in the order asked.
  return Promise.all(crds.map(async (crd) => stateOf(crd, await client.get(api.resource, crdName(crd)))));
}

/** One line per CRD: its name and conditions, so a stuck install says why (e.g. a name conflict). */
export function describeCrdStates(states: readonly CrdState[]): string {
  return states
    .map((s) => {
      if (s.state === 'absent') return `${s.name} (absent)`;
      const conds = s.conditions.map((c) => `${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}${c.message ? `: ${c.message}` : ''}`);
      return `${s.name} (${s.state === 'terminating' ? 'terminating; ' : ''}${conds.length ? conds.join('; ') : 'no conditions yet'})`;
    })
    .join(', ');
}

export interface EnsureCrdsOptions extends CrdSelection {
  /** Called as soon as a CRD is created (before waiting for it), so that a journal can record it at once. */
  readonly onCreated?: (name: string, apiVersion: CrdApiVersion) => Promise<void>;
  /** Validate the creates on the server (`dryRun=All`, 1.13+) or not at all; never persist, never wait. */
  readonly dryRun: boolean;
  /** How long to wait for every CRD to be Established. */
  readonly timeoutMs: number;
  /**
   * The pause between two looks once the first seconds have passed. Before that the looks come
   * sooner (servers establish a CRD within tens to hundreds of ms): every 25 ms for a second, then
   * doubling up to 100 ms.
   */
  readonly pollMs: number;
  /** Recorded in the installed-by annotation. */
  readonly toolVersion: string;
  readonly onProgress?: (message: string) => void;
}

export interface EnsureCrdsResult {
  /** CRD names created (or, in a dry run, that would be created). */
  readonly created: string[];
  /** CRD names that already existed (or were created by someone else meanwhile); left as they are. */
  readonly alreadyPresent: string[];
  readonly api: CrdApi;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * While waiting for CRDs to be Established: a look every FIRST_LOOK_MS for the first
 * FIRST_LOOKS_MS (a server establishes a new CRD within tens to hundreds of ms, and a look at
 * 100 ms intervals overshot by 50 ms on average), then pauses doubling up to QUICK_LOOK_MAX_MS
 * until QUICK_LOOKS_MS, then `pollMs`. A look asks only for the CRDs still pending.
 */
const FIRST_LOOK_MS = 25;
const FIRST_LOOKS_MS = 1000;
const QUICK_LOOK_MAX_MS = 100;
const QUICK_LOOKS_MS = 3000;

function terminatingError(states: readonly CrdState[]): CalicoMigrateError {
  const what = states.length === 1 ? 'CRD' : 'CRDs';
  return new CalicoMigrateError(CRD_ERROR, `${what} ${states.map((s) => s.name).join(', ')} ${states.length === 1 ? 'is' : 'are'} being deleted; wait until ${states.length === 1 ? 'it is' : 'they are'} gone, then run again (the deletion removes all ${states.length === 1 ? 'its' : 'their'} objects)`);
}

/**
 * Makes sure the CRDs exist and are Established, creating the missing ones. Only after this may
 * objects of those kinds be written. A 409 on create means someone else created it meanwhile,
 * which is as good. Throws when a CRD is being deleted or is not Established within `timeoutMs`.
 */
export async function ensureCrds(client: KubeClient, target: TargetVersion, options: EnsureCrdsOptions): Promise<EnsureCrdsResult> {
  const api = options.api ?? (await chooseCrdApi(client));
  const progress = options.onProgress ?? (() => undefined);
  const states = await inspectCrds(client, target, { ...options, api });
  const terminating = states.filter((s) => s.state === 'terminating');
  if (terminating.length > 0) throw terminatingError(terminating);

  const created: string[] = [];
  const alreadyPresent = states.filter((s) => s.state !== 'absent').map((s) => s.name);
  // The missing CRDs are created at once (each recorded as soon as it exists), so that the server
  // establishes them side by side and their records share a journal append. Every create is
  // settled before anything is reported or thrown: none is still under way, unrecorded, when the
  // stage ends. Reported in the CRDs' order, whatever order the answers came in.
  const absent = states.filter((x) => x.state === 'absent');
  const outcomes = await Promise.allSettled(
    absent.map(async (s): Promise<'created' | 'present' | 'not sent'> => {
      if (options.dryRun && !api.serverDryRun) return 'not sent';
      try {
        await client.create(api.resource, crdManifest(s.crd, api.apiVersion, options.toolVersion), { dryRun: options.dryRun });
      } catch (e) {
        if (!isConflict(e)) throw e;
        return 'present';
      }
      if (!options.dryRun) await options.onCreated?.(s.name, api.apiVersion);
      return 'created';
    }),
  );
  let failure: { reason: unknown } | undefined;
  outcomes.forEach((o, i) => {
    const name = absent[i]!.name;
    if (o.status === 'rejected') {
      failure ??= o;
      return;
    }
    if (o.value === 'present') {
      progress(`CRD ${name} was created by someone else meanwhile; using it`);
      alreadyPresent.push(name);
      return;
    }
    if (o.value === 'not sent') progress(`would create CRD ${name} (${api.apiVersion}; ${api.gitVersion} has no server-side dry run, nothing sent)`);
    else progress(options.dryRun ? `would create CRD ${name} (${api.apiVersion}; accepted by the server's dry run)` : `created CRD ${name} (${api.apiVersion})`);
    created.push(name);
  });
  if (failure) throw failure.reason;
  if (options.dryRun) return { created, alreadyPresent, api };

  let waiting = states.map((s) => s.crd);
  let reported = '';
  let pause = Math.min(FIRST_LOOK_MS, options.pollMs);
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  for (;;) {
    const now = await inspectCrds(client, target, { crds: waiting, api });
    const bad = now.filter((s) => s.state === 'terminating');
    if (bad.length > 0) throw terminatingError(bad);
    const gone = now.filter((s) => s.state === 'absent');
    if (gone.length > 0) throw new CalicoMigrateError(CRD_ERROR, `CRD ${gone.map((s) => s.name).join(', ')} was deleted while waiting for it to be Established`);
    const pending = now.filter((s) => s.state !== 'established');
    if (pending.length === 0) break;
    if (Date.now() >= deadline) {
      throw new CalicoMigrateError(CRD_ERROR, `CRDs not Established after ${options.timeoutMs} ms: ${describeCrdStates(pending)}`);
    }
    const names = pending.map((s) => s.name).join(', ');
    if (names !== reported) progress(`waiting for ${names} to be Established`);
    reported = names;
    waiting = pending.map((s) => s.crd);
    await sleep(Math.max(1, Math.min(pause, deadline - Date.now())));
    const waited = Date.now() - started;
    pause = waited < FIRST_LOOKS_MS ? pause : waited < QUICK_LOOKS_MS ? Math.min(pause * 2, QUICK_LOOK_MAX_MS, options.pollMs) : options.pollMs;
  }
  progress(`CRDs Established: ${states.map((s) => s.name).join(', ')}`);
  return { created, alreadyPresent, api };
}
