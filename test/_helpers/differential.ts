/**
 * The same requests against the real kube-apiserver and the project's emulated one, answers
 * normalised so that only what should be equal is compared: values that differ by nature (uids,
 * resourceVersions, timestamps, continue tokens, ports) become placeholders, `managedFields` go.
 */
import { request } from 'node:https';

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: unknown;
}

export interface Endpoint {
  readonly url: string;
  readonly ca: string;
}

export function call(e: Endpoint, token: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(`${e.url}${path}`, {
      method,
      ca: e.ca,
      headers: { accept: 'application/json', authorization: `Bearer ${token}`, 'user-agent': 'calico-migrate-differential/1', ...(data !== undefined ? { 'content-type': contentType } : {}) },
      timeout: 30_000,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        const ct = String(res.headers['content-type'] ?? '').split(';')[0] ?? '';
        let parsed: unknown = text;
        if (ct === 'application/json') {
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
        }
        resolve({ status: res.statusCode ?? 0, contentType: ct, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

const PLACEHOLDER: Readonly<Record<string, string>> = {
  uid: '<uid>',
  resourceVersion: '<rv>',
  creationTimestamp: '<time>',
  deletionTimestamp: '<time>',
  lastTransitionTime: '<time>',
  acquireTime: '<time>',
  renewTime: '<time>',
  continue: '<continue>',
};

/** The answer with the values that differ by nature replaced (and `managedFields` removed). */
export function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value !== 'object' || value === null) return typeof value === 'string' ? value.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>') : value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'managedFields') continue;
    const p = PLACEHOLDER[k];
    out[k] = p !== undefined && typeof v === 'string' && v !== '' ? p : normalise(v);
  }
  return out;
}
