/** Writing responses: JSON like Go's encoder, plain text, errors and `Warning` headers. */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ApiResponse } from './core.js';
import { encodeGo } from './json.js';
import { ApiError, internalError, PlainError } from './status.js';

function baseHeaders(): Record<string, string> {
  return { 'Audit-Id': randomUUID(), 'Cache-Control': 'no-cache, private' };
}

/** Writes a JSON body encoded like Go. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, warnings: string[] = []): void {
  const text = encodeGo(body);
  res.writeHead(status, { ...baseHeaders(), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  if (warnings.length > 0 && !res.headersSent) res.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
  res.end(text);
}

/** Writes a handler response, with one `Warning: 299 - "…"` header per warning. */
export function sendWithWarnings(res: ServerResponse, r: ApiResponse): void {
  const text = encodeGo(r.body);
  const headers: Record<string, string | string[]> = { ...baseHeaders(), 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...(r.headers ?? {}) };
  if (r.warnings && r.warnings.length > 0) headers.Warning = r.warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(r.status, headers);
  res.end(text);
}

/** Writes a plain-text body. */
export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...baseHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Writes an error: a Status for API errors, plain text for `PlainError`, a 500 InternalError otherwise. */
export function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof PlainError) return sendText(res, err.code, err.message, err.extraHeaders);
  const apiErr = err instanceof ApiError ? err : internalError(err instanceof Error ? err.message : String(err));
  sendJson(res, apiErr.code, apiErr.toStatus(), apiErr.headers());
}

/** The media type of a header value, without parameters, lower-case. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** True when an `Accept` header admits JSON. */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((part) => {
    const t = mediaType(part);
    return t === '' || t === '*/*' || t === 'application/*' || t === 'application/json' || t === 'application/yaml' || t.endsWith('+json');
  });
}
