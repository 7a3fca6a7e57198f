/**
 * A small HTTP(S) GET client on node:http/https, for the etcd v2 keys API: CA, client
 * certificate and basic auth, a timeout, and errors classified for the operator (unreachable,
 * TLS, HTTP answer). Global fetch cannot take client certificates without an extra agent package.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';

export interface TlsFiles {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /**
   * The SHA-256 of the body's bytes, worked out while they arrived: for a large read it costs
   * nothing after the last byte. When the bytes are valid UTF-8 (the body holds no U+FFFD), they
   * are exactly `body` encoded again, and the hash is that text's.
   */
  readonly sha256: string;
  readonly validUtf8: boolean;
}

/** Why a request got no HTTP answer: the connection, or the TLS handshake. */
export class TransportError extends Error {
  readonly kind: 'unreachable' | 'tls' | 'timeout';
  readonly detail: string;
  constructor(kind: TransportError['kind'], detail: string) {
    super(detail);
    this.name = 'TransportError';
    this.kind = kind;
    this.detail = detail;
  }
}

const TLS_CODES = /CERT|SSL|TLS|EPROTO|ALTNAME|SELF_SIGNED|VERIFY/;

function classify(e: NodeJS.ErrnoException): TransportError {
  const code = e.code ?? '';
  const detail = code ? `${code}: ${e.message}` : e.message;
  if (TLS_CODES.test(code) || /certificate|handshake|tls|ssl/i.test(e.message)) return new TransportError('tls', detail);
  return new TransportError('unreachable', detail);
}

/** Where the body of an answer goes instead of into memory (export's file). */
export interface BodySink {
  /** Takes the next bytes; a throw stops the request with that error. */
  write(chunk: Buffer): void;
}

export interface HttpOptions {
  readonly tls?: TlsFiles;
  readonly auth?: { user: string; password: string };
  readonly timeoutMs?: number;
  /**
   * Asked once the status is known: a sink takes the body as it arrives, and the answer then has
   * an empty body and hash; without one the body is kept, as for every other answer.
   */
  readonly bodyTo?: (status: number) => BodySink | undefined;
}

export function httpGet(url: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  return httpRequest('GET', url, options);
}

/** One request; `form` is sent as application/x-www-form-urlencoded (the etcd v2 keys API's writes). */
export function httpRequest(method: 'GET' | 'PUT' | 'DELETE', url: string, options: HttpOptions & { form?: Readonly<Record<string, string>> } = {}): Promise<HttpAnswer> {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.auth) headers['authorization'] = `Basic ${Buffer.from(`${options.auth.user}:${options.auth.password}`).toString('base64')}`;
  const payload = options.form ? new URLSearchParams(options.form).toString() : undefined;
  if (payload !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = lib.request(
      u,
      { method, headers, timeout: options.timeoutMs ?? 10_000, ...(u.protocol === 'https:' ? { ca: options.tls?.ca, cert: options.tls?.cert, key: options.tls?.key } : {}) },
      (res) => {
        const sink = options.bodyTo?.(res.statusCode ?? 0);
        if (sink) {
          res.on('data', (c: Buffer) => {
            try {
              sink.write(c);
            } catch (e) {
              req.destroy();
              reject(e);
            }
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '', sha256: '', validUtf8: false }));
          res.on('error', (e: NodeJS.ErrnoException) => reject(classify(e)));
          return;
        }
        const hash = createHash('sha256');
        const decoder = new StringDecoder('utf8');
        let body = '';
        let replaced = false;
        const decoded = (text: string): void => {
          // A U+FFFD in the text is an invalid byte replaced (or one that was sent as such): either way the bytes are not re-encodable as they came.
          replaced ||= text.includes('\ufffd');
          body += text;
        };
        res.on('data', (c: Buffer) => {
          hash.update(c);
          decoded(decoder.write(c));
        });
        res.on('end', () => {
          decoded(decoder.end());
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, sha256: hash.digest('hex'), validUtf8: !replaced });
        });
        res.on('error', (e: NodeJS.ErrnoException) => reject(classify(e)));
      },
    );
    // `timeout` only fires on idleness; the overall deadline also stops a server that trickles.
    const limit = options.timeoutMs ?? 10_000;
    const overall = setTimeout(() => req.destroy(new TransportError('timeout', `no complete answer within ${limit} ms`)), limit * 3);
    overall.unref();
    req.on('timeout', () => req.destroy(new TransportError('timeout', `no answer within ${limit} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => reject(e instanceof TransportError ? e : classify(e)));
    req.on('close', () => clearTimeout(overall));
    req.end(payload);
  });
}
