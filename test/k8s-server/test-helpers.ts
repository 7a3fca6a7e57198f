/** Helpers for the test server's own tests: plain `fetch` calls and small waits. */
import type { K8sTestServer } from './server.js';

/** A response with its body read as text and, when possible, as JSON. */
export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

/** Request options of {@link call}. */
export interface CallOptions {
  body?: unknown;
  contentType?: string;
  token?: string | null;
  headers?: Record<string, string>;
}

/** Calls the server with `fetch` (bearer token `t` unless `token` says otherwise). */
export async function call(server: K8sTestServer, method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const token = options.token === undefined ? 't' : options.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] = options.contentType ?? 'application/json';
  }
  const res = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    json = {};
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Polls until `check` is true (or throws after `timeoutMs`). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached in time');
}

/** A cluster-scoped CRD body (preserving unknown fields unless a schema is given). */
export function crdBody(plural: string, kind: string, group = 'crd.projectcalico.org', scope: 'Cluster' | 'Namespaced' = 'Cluster', schema?: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.${group}` },
    spec: {
      group, names: { kind, plural }, scope,
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}

/** Narrows a nested value for assertions. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let node = value;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** TLS material for {@link tlsCall}. */
export interface TlsCallOptions extends CallOptions {
  ca?: string;
  cert?: string;
  key?: string;
}

/** Like {@link call}, over HTTPS with `node:https` (custom CA and optional client certificate). */
export async function tlsCall(server: K8sTestServer, method: string, path: string, options: TlsCallOptions = {}): Promise<CallResult> {
  const { request } = await import('node:https');
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const token = options.token === undefined ? 't' : options.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  if (body !== undefined) headers['Content-Type'] = options.contentType ?? 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, headers, ca: options.ca ?? server.ca, ...(options.cert ? { cert: options.cert } : {}), ...(options.key ? { key: options.key } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        let json: Record<string, unknown> = {};
        try {
          const parsed: unknown = JSON.parse(text);
          if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
        } catch {
          json = {};
        }
        resolve({ status: res.statusCode ?? 0, headers: h, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
