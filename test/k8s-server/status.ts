/**
 * `Status` bodies and the errors that produce them, shaped exactly like the real kube-apiserver
 * (key order `kind, apiVersion, metadata, status, message, reason, details, code`; empty fields left out).
 */
import { goQuote, type Obj } from './json.js';

/** One `details.causes[]` entry. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** `Status.details`. `kind` holds the plural resource for most errors, the Kind for 422. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A group plus a plural resource (`qualifiedResource`) or a Kind (`qualifiedKind`). */
export interface GroupThing {
  group: string;
  name: string;
}

/** `<name>.<group>`, or `<name>` for the core group. */
export function qualified(gt: GroupThing): string {
  return gt.group === '' ? gt.name : `${gt.name}.${gt.group}`;
}

/** An API error answered with a `Status` body. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  /** `metadata.continue` of the Status (410 paging only). */
  readonly continueToken: string | undefined;

  constructor(code: number, reason: string, message: string, details?: StatusDetails, continueToken?: string) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.continueToken = continueToken;
  }

  /** The Status body, key order as the real server writes it. */
  toStatus(): Obj {
    const body: Obj = { kind: 'Status', apiVersion: 'v1', metadata: this.continueToken ? { continue: this.continueToken } : {} };
    body.status = 'Failure';
    if (this.message) body.message = this.message;
    if (this.reason) body.reason = this.reason;
    if (this.details) body.details = detailsBody(this.details);
    body.code = this.code;
    return body;
  }

  /** Response headers implied by the Status (`Retry-After`). */
  headers(): Record<string, string> {
    const after = this.details?.retryAfterSeconds ?? 0;
    return after > 0 ? { 'Retry-After': String(after) } : {};
  }
}

/** An error answered as plain text (no Status), e.g. `404 page not found`. */
export class PlainError extends Error {
  readonly code: number;
  readonly extraHeaders: Record<string, string>;

  constructor(code: number, text: string, extraHeaders: Record<string, string> = {}) {
    super(text);
    this.code = code;
    this.extraHeaders = extraHeaders;
  }
}

function detailsBody(d: StatusDetails): Obj {
  const out: Obj = {};
  if (d.name) out.name = d.name;
  if (d.group) out.group = d.group;
  if (d.kind) out.kind = d.kind;
  if (d.uid) out.uid = d.uid;
  if (d.causes && d.causes.length > 0) out.causes = d.causes.map(causeBody);
  if (d.retryAfterSeconds && d.retryAfterSeconds > 0) out.retryAfterSeconds = d.retryAfterSeconds;
  return out;
}

function causeBody(c: StatusCause): Obj {
  const out: Obj = {};
  if (c.reason) out.reason = c.reason;
  if (c.message) out.message = c.message;
  if (c.field) out.field = c.field;
  return out;
}

function resourceDetails(gr: GroupThing, name: string): StatusDetails {
  return { name, group: gr.group, kind: gr.name };
}

/** 404 NotFound for a named object: `<res>.<group> "<name>" not found`. */
export function notFound(gr: GroupThing, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(gr)} ${goQuote(name)} not found`, resourceDetails(gr, name));
}

/** 404 Status for an unknown resource inside a served group/version. */
export function resourceNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** The plain-text 404 of Go's `http.NotFound`. */
export function pageNotFound(): PlainError {
  return new PlainError(404, '404 page not found\n', { 'X-Content-Type-Options': 'nosniff' });
}

/** 409 AlreadyExists. */
export function alreadyExists(gr: GroupThing, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(gr)} ${goQuote(name)} already exists`, resourceDetails(gr, name));
}

/** 409 Conflict with the optimistic-lock text, or a given storage error text. */
export function conflict(gr: GroupThing, name: string, why?: string): ApiError {
  const text = why ?? 'the object has been modified; please apply your changes to the latest version and try again';
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} ${goQuote(name)}: ${text}`, resourceDetails(gr, name));
}

/** The storage error text of a failed precondition. */
export function preconditionText(key: string, detail: string): string {
  return `StorageError: invalid object, Code: 4, Key: ${key}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: ${detail}`;
}

/** 400 BadRequest (no details). */
export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** 401 Unauthorized. */
export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

/** 403 Forbidden, `<res>.<group> "<name>" is forbidden: <why>`. A missing resource means a non-resource path. */
export function forbidden(gr: GroupThing | undefined, name: string, why: string): ApiError {
  if (!gr) return new ApiError(403, 'Forbidden', `forbidden: ${why}`, {});
  const prefix = name ? `${qualified(gr)} ${goQuote(name)}` : qualified(gr);
  return new ApiError(403, 'Forbidden', `${prefix} is forbidden: ${why}`, resourceDetails(gr, name));
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(gr: GroupThing, message: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message, { group: gr.group, kind: gr.name });
}

/** 410 Expired for a compacted continue token, carrying a fresh token. */
export function expiredContinue(freshToken: string): ApiError {
  const message =
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';
  return new ApiError(410, 'Expired', message, undefined, freshToken);
}

/** 410 Expired for a list at a compacted resourceVersion. */
export function expiredResourceVersion(): ApiError {
  return new ApiError(410, 'Expired', 'The resourceVersion for the provided list is too old.');
}

/** 415 UnsupportedMediaType with the accepted list. */
export function unsupportedMediaType(accepted: readonly string[]): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
}

/** 406 NotAcceptable. */
export function notAcceptable(accepted: readonly string[]): ApiError {
  return new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`);
}

/** 429 TooManyRequests in Status form. */
export function tooManyRequests(message: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds });
}

/** 500 InternalError: `Internal error occurred: <msg>`, the cause holding only the message. */
export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** 500 ServerTimeout (storage unreachable) with `Retry-After: 2`. */
export function serverTimeout(gr: GroupThing, operation: string): ApiError {
  const message = `The ${operation} operation against ${qualified(gr)} could not be completed at this time, please try again.`;
  return new ApiError(500, 'ServerTimeout', message, { name: operation, group: gr.group, kind: gr.name, retryAfterSeconds: 2 });
}

/** A reason-less 500 (a non-Status error inside the server). */
export function unknownError(message: string): ApiError {
  return new ApiError(500, '', message);
}

/** 503 ServiceUnavailable. */
export function serviceUnavailable(message: string, retryAfterSeconds = 0): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message, retryAfterSeconds > 0 ? { retryAfterSeconds } : undefined);
}

/** 504 Timeout (`details` is `{}`). */
export function timeoutError(message: string): ApiError {
  return new ApiError(504, 'Timeout', `Timeout: ${message}`, {});
}

/** Field error types and their texts (apimachinery `field.ErrorType`). */
export type FieldErrorType = 'Invalid' | 'Required' | 'NotSupported' | 'Forbidden' | 'TooLong' | 'TypeInvalid' | 'Duplicate' | 'NotFound';

const TYPE_TEXT: Record<FieldErrorType, [string, string]> = {
  Invalid: ['FieldValueInvalid', 'Invalid value'],
  Required: ['FieldValueRequired', 'Required value'],
  NotSupported: ['FieldValueNotSupported', 'Unsupported value'],
  Forbidden: ['FieldValueForbidden', 'Forbidden'],
  TooLong: ['FieldValueTooLong', 'Too long'],
  TypeInvalid: ['FieldValueTypeInvalid', 'Invalid value'],
  Duplicate: ['FieldValueDuplicate', 'Duplicate value'],
  NotFound: ['FieldValueNotFound', 'Not found'],
};

/** One field error. `value` is already formatted as Go prints it (e.g. `"Pool_1"`, `0x0`). */
export interface FieldError {
  type: FieldErrorType;
  field: string;
  value?: string;
  detail?: string;
}

/** `ErrorBody()`: `<Type text>[: <value>][: <detail>]`. Required, Forbidden and TooLong never show the value. */
export function fieldErrorBody(e: FieldError): string {
  const [, text] = TYPE_TEXT[e.type];
  const hidesValue = e.type === 'Required' || e.type === 'Forbidden' || e.type === 'TooLong' || e.value === undefined;
  let body = hidesValue ? text : `${text}: ${e.value ?? ''}`;
  if (e.detail) body += `: ${e.detail}`;
  return body;
}

/** `field.Error.Error()`: `<field>: <body>`. */
export function fieldErrorText(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/** An aggregate's text: one message as is, several as `[a, b]` (duplicates removed). */
export function aggregateText(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? (unique[0] ?? '') : `[${unique.join(', ')}]`;
}

/** 422 Invalid: `<Kind>.<group> "<name>" is invalid: <errors>` with one cause per error. */
export function invalid(gk: GroupThing, name: string, errors: readonly FieldError[]): ApiError {
  const causes = errors.map((e) => ({ reason: TYPE_TEXT[e.type][0], message: fieldErrorBody(e), field: e.field }));
  const head = `${qualified(gk)} ${goQuote(name)} is invalid`;
  const message = errors.length > 0 ? `${head}: ${aggregateText(errors.map(fieldErrorText))}` : head;
  return new ApiError(422, 'Invalid', message, { name, group: gk.group, kind: gk.name, causes });
}

/** 422 with the generic message (a JSON patch that cannot be applied). */
export function genericInvalid(): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

/** 409 from a server-side apply conflict: details carry only causes. */
export function applyConflict(message: string, causes: StatusCause[]): ApiError {
  return new ApiError(409, 'Conflict', message, { causes });
}

/** The success Status of a delete (no `code`). */
export function deleteSuccess(gr: GroupThing, name: string, uid: string): Obj {
  const details: Obj = { name };
  if (gr.group) details.group = gr.group;
  details.kind = gr.name;
  if (uid) details.uid = uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}
