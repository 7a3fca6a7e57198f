/** The request and response shapes handlers share, and the server core they run against. */
import type { AuthzDecision, UserInfo } from './auth.js';
import type { Registry } from './registry.js';
import type { RequestInfo } from './request-info.js';
import type { Features, HookContext } from './resources.js';
import type { Store } from './store.js';

/** A parsed API request. */
export interface ApiRequest {
  method: string;
  info: RequestInfo;
  query: URLSearchParams;
  /** Media type without parameters, lower-case ('' when absent). */
  contentType: string;
  body: Buffer;
  userAgent: string | undefined;
  user: UserInfo;
}

/** A JSON response (encoded like Go), with optional `Warning` headers. */
export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  warnings?: string[];
}

/** What handlers work with. */
export interface Core {
  store: Store;
  registry: Registry;
  features: Features;
  hooks: HookContext;
  /** Runs the authorization policy for a user and request. */
  authorize(user: UserInfo, info: RequestInfo): AuthzDecision;
}
