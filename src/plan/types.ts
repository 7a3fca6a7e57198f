/**
 * The plan: what `apply` would do to the live target, object by object, and why it may not. Plain
 * data, written to the plan file as JSON; the stages that build it are pure except the live read.
 */
import type { KubeObject, ResourceType } from '../datastore/kube-client.js';
import type { Severity } from '../model/report.js';
import type { OutputForm, TargetVersion } from '../model/target.js';

/**
 * Per object: `create` (absent), `update` (present, written by this tool, different), `unchanged`
 * (present with the same content, whoever wrote it), `conflict` (present, different, not written by
 * this tool: blocked unless --overwrite, which backs it up first), `missing` (a Node patch whose
 * Kubernetes Node does not exist: never created, a blocker).
 */
export type PlanAction = 'create' | 'update' | 'unchanged' | 'conflict' | 'missing';

export interface PlanEntry {
  /** `Kind/name` (or `Kind/namespace/name`): the object's identity. */
  readonly key: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly action: PlanAction;
  /** Where the object is written; absent for Node patches (core Nodes, merge-patched). */
  readonly resource?: ResourceType;
  /**
   * What is written: the whole object for Calico kinds (with ownership annotations, without the plan
   * hash, which is added at write time); for a Node, `metadata.name` and the annotations to set.
   */
  readonly desired: KubeObject;
  /** The live object's resourceVersion as read (`''` when absent). */
  readonly resourceVersion: string;
  /** For Node patches: the live values of the annotation keys this plan sets (`null` = absent). */
  readonly liveAnnotations?: Readonly<Record<string, string | null>>;
  /** The live object carries this tool's ownership annotation. */
  readonly owned: boolean;
  /** Source records that feed this object. */
  readonly origins: readonly string[];
  /** Why a conflict or missing entry is one. */
  readonly reason?: string;
  /**
   * The spec as the server stores it, when the CRD's schema defaults fields the desired object
   * does not set (Calico's own CRDs do): what "unchanged" and verify compare against.
   */
  readonly storedSpec?: unknown;
  /** Fields of the desired spec the CRD's schema would prune: a loss, so the plan blocks. */
  readonly pruned?: readonly string[];
}

/**
 * A patch of a Kubernetes Node's annotations (no resource: Nodes are merge-patched, never written
 * whole), as opposed to a Calico v3 Node object of an etcd datastore, which has one.
 */
export function isNodePatch(e: Pick<PlanEntry, 'resource'>): boolean {
  return e.resource === undefined;
}

/** A preflight or planning finding: severity `error` blocks the apply. */
export interface Finding {
  readonly severity: Severity;
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

export interface PlanSummary {
  readonly create: number;
  readonly update: number;
  readonly unchanged: number;
  readonly conflict: number;
  readonly missing: number;
}

export interface PlanSource {
  readonly type: 'files' | 'live';
  readonly files: readonly { readonly path: string; readonly format: string; readonly sha256: string }[];
  /** What pins the snapshot (etcd index / revision, list resourceVersions); informational. */
  readonly fingerprint?: Readonly<Record<string, string>>;
  /**
   * Digest of every record that is converted or an error, by origin: what the writes and blockers
   * depend on. A record that only feeds skips (runtime state, derived data) cannot change the plan.
   */
  readonly records: Readonly<Record<string, string>>;
}

/** The plan file. `hash` is SHA-256 over everything else (canonical JSON, sorted keys). */
export interface Plan {
  readonly planVersion: 1;
  readonly tool: { readonly name: string; readonly version: string };
  readonly target: TargetVersion;
  readonly form: OutputForm;
  readonly steps: readonly string[];
  readonly source: PlanSource;
  /**
   * The target cluster. `id` (the uid of namespace kube-system) identifies it whatever address it is
   * reached by (a workstation's URL, or the service address inside the cluster); `server` when unknown.
   */
  readonly cluster: { readonly server: string; readonly gitVersion: string; readonly id?: string };
  /** Planned for a cut-over (`--cut-over`, etcd v3 destination): the apply pauses the v2.x agents. */
  readonly cutOver?: true;
  readonly entries: readonly PlanEntry[];
  readonly findings: readonly Finding[];
  readonly summary: PlanSummary;
  readonly hash: string;
}
