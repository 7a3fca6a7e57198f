/**
 * What the rest of the tool knows of the Kubernetes API without its client: object and resource
 * shapes, the error a refused call becomes, and names. Kept apart from `kube-client.ts` so that a
 * run against etcd never loads @kubernetes/client-node.
 */

/** A resource the client can address. `group` is `''` for the core group. */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** An object as the API returns it: plain JSON. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
    readonly uid?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly [key: string]: unknown;
  };
  readonly [key: string]: unknown;
}

export interface WriteOptions {
  /** Send `dryRun=All`: the server validates and admits the write but persists nothing. */
  readonly dryRun?: boolean;
}

/** A refused or failed API call: HTTP status, Status reason and message, and what it was about. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  readonly apiMessage: string | undefined;
  readonly verb: string;
  readonly resource: string;
  readonly server: string;
  constructor(status: number, verb: string, resource: string, reason: string | undefined, apiMessage: string | undefined, options?: { cause?: unknown; server?: string }) {
    super(`${options?.server ? `${options.server}: ` : ''}${verb} ${resource}: ${status}${reason ? ` ${reason}` : ''}${apiMessage ? `: ${apiMessage}` : ''}`, options);
    this.server = options?.server ?? '';
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.apiMessage = apiMessage;
    this.verb = verb;
    this.resource = resource;
  }
}

export function isNotFound(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 404;
}

/** 409: AlreadyExists on create, Conflict on a stale resourceVersion. */
export function isConflict(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 409;
}

export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** `plural.group` (or just the plural for the core group), as RBAC and error messages name it. */
export function resourceName(t: Pick<ResourceType, 'group' | 'plural'>): string {
  return t.group === '' ? t.plural : `${t.plural}.${t.group}`;
}
