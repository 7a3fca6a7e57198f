/**
 * The accounting report: every source record appears exactly once in `records` with one
 * disposition. Its JSON form is the `--report` file; the schema is documented in the README.
 */

/**
 * `converted-with-loss`: the record was written, but some of its fields were not (a field the
 * parser does not know, or one the target cannot hold); `lost` names each.
 */
export type Disposition = 'converted' | 'converted-with-loss' | 'skipped' | 'error';

/** True for the dispositions that write the record (with or without loss). */
export function isConverted(d: Disposition): boolean {
  return d === 'converted' || d === 'converted-with-loss';
}

/** A field of a source value that was not carried into the target. */
export interface LostField {
  /** Path inside the record's value, e.g. `ports[0].name`, `inbound_rules[1].log_prefix`, `spec.foo`. */
  readonly path: string;
  /** The value that was not carried (JSON). */
  readonly value: unknown;
  /** `unknown-field`: no Calico release this tool reads defines it; `field-not-carried`: the target cannot hold it. */
  readonly code: 'unknown-field' | 'field-not-carried';
  readonly reason: string;
}
export type Severity = 'error' | 'warning' | 'info';

/** One source record's fate. `code` is set for skipped and error records (and may be for converted). */
export interface RecordOutcome {
  readonly origin: string;
  readonly file: string;
  readonly disposition: Disposition;
  /** Ids (`Kind/name`) of the target objects this record fed; converted records only. */
  readonly targets?: readonly string[];
  /** Fields not carried into the target (`converted-with-loss` records only). */
  readonly lost?: readonly LostField[];
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
  /** Objects written because of this issue alone (a standalone object no converted record names). */
  readonly targets?: readonly string[];
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
  /** `converted` + `convertedWithLoss` + `skipped` + `errors`. */
  readonly records: number;
  readonly converted: number;
  readonly convertedWithLoss: number;
  readonly skipped: number;
  readonly errors: number;
  readonly warnings: number;
  /** Issues of severity `error` (blockers), including those about records that were skipped. */
  readonly blockers: number;
  readonly objects: number;
}

export interface Report {
  readonly tool: { readonly name: 'calico-migrate'; readonly reportVersion: 2 };
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
