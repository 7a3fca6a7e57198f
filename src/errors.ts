/**
 * Infrastructure and usage errors. Data problems are never thrown: they become report entries.
 * Exit codes are shared by every command and mapped in one place (`cli/main.ts`).
 */

export const EXIT = {
  /** Done; nothing blocking. */
  ok: 0,
  /** Usage or runtime error (bad flags, unreadable or unrecognised input, I/O failure). */
  error: 1,
  /** Changes pending (for `plan`). */
  changesPending: 2,
  /** Blocked: some records are errors or blockers; everything else was still written. */
  blocked: 3,
} as const;

export type ErrorCode =
  | 'E_USAGE'
  | 'E_INPUT_READ'
  | 'E_INPUT_FORMAT'
  | 'E_OUTPUT_WRITE'
  | 'E_SOURCE_UNREACHABLE'
  | 'E_SOURCE_TLS'
  | 'E_SOURCE_AUTH'
  | 'E_SOURCE_FORBIDDEN'
  | 'E_SOURCE_API_DISABLED'
  | 'E_SOURCE_NOT_CALICO'
  | 'E_SOURCE_UNSUPPORTED'
  | 'E_SOURCE_PROTOCOL'
  | 'E_STEP_REGISTRY'
  | 'E_TARGET_UNREACHABLE'
  | 'E_TARGET_STATE'
  | 'E_INTERNAL';

/** An error with a stable code and a one-line message meant for the operator. */
export class CalicoMigrateError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CalicoMigrateError';
    this.code = code;
  }
}
