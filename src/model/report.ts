/**
 * The accounting report: every source record appears exactly once in `records` with one
 * disposition. Its JSON form is the `--report` file; the schema is documented in the README.
 */

export type Disposition = 'converted' | 'skipped' | 'error';
export type Severity = 'error' | 'warning' | 'info';

/** One source record's fate. `code` is set for skipped and error records (and may be for converted). */
export interface RecordOutcome {
  readonly origin: string;
  readonly file: string;
  readonly disposition: Disposition;
  /** Ids (`Kind/name`) of the target objects this record fed; converted records only. */
  readonly targets?: readonly string[];
  readonly code?: string;
  readonly message?: string;
  /** What the operator can do about it (error and skipped records). */
  readonly hint?: string;
  /** For `invalid-target` errors: the converted object, as YAML, that failed validation. */
  readonly converted?: string;
}

/** Something the operator should read: `error` issues block, warnings and info do not. */
export interface Issue {
  readonly severity: Severity;
  readonly code: string;
  readonly origin?: string;
  readonly message: string;
  readonly hint?: string;
}

/** A record whose name in the target differs from its name in the source. */
export interface Rename {
  readonly kind: string;
  readonly from: string;
  readonly to: string;
  readonly origin: string;
}

export interface SourceFileInfo {
  readonly path: string;
  readonly format: string;
  readonly sha256: string;
  readonly records: number;
}

export interface SourceInfo {
  /** `files` for dumps, `live` for a datastore read directly. */
  readonly type: 'files' | 'live';
  /** The dumps read; for a live read, the one snapshot (its path names the datastore). */
  readonly files: readonly SourceFileInfo[];
  /** For a live read: what pins the snapshot (etcd index, revision, resourceVersions). */
  readonly fingerprint?: Readonly<Record<string, string>>;
}

export interface ReportSummary {
  readonly records: number;
  readonly converted: number;
  readonly skipped: number;
  readonly errors: number;
  readonly warnings: number;
  /** Issues of severity `error` (blockers), including those about records that were skipped. */
  readonly blockers: number;
  readonly objects: number;
}

export interface Report {
  readonly tool: { readonly name: 'calico-migrate'; readonly reportVersion: 1 };
  readonly source: SourceInfo;
  readonly target: string;
  /** `crd` (Kubernetes datastore storage) or `calicoctl` (projectcalico.org/v3 resources). */
  readonly form: string;
  readonly steps: readonly string[];
  readonly summary: ReportSummary;
  readonly records: readonly RecordOutcome[];
  readonly renames: readonly Rename[];
  readonly issues: readonly Issue[];
}
