/**
 * Authentication (client certificate, bearer token, optional anonymous) and a configurable
 * authorization policy with the real 403 message text.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RequestInfo } from './request-info.js';
import { forbidden, type ApiError } from './status.js';

/** An authenticated (or anonymous) caller. */
export interface UserInfo {
  name: string;
  groups: string[];
  /** How the caller authenticated. */
  via: 'token' | 'cert' | 'anonymous';
}

/** A token's identity: a user name, or a name with groups. */
export type TokenIdentity = string | { user: string; groups?: string[] };

/** Authentication settings. */
export interface AuthOptions {
  /** Bearer token → identity. */
  tokens?: Record<string, TokenIdentity>;
  /** Treat requests without credentials as `system:anonymous` (real default) instead of answering 401. Default false. */
  anonymous?: boolean;
}

/** One allow rule, RBAC-like. Omitted fields match anything; `'*'` matches anything too. */
export interface PolicyRule {
  /** User names the rule applies to. With neither users nor groups, it applies to everyone. */
  users?: string[];
  groups?: string[];
  verbs?: string[];
  /** API groups (`''` is core). */
  apiGroups?: string[];
  /** Resources, optionally with a subresource (`nodes/status`). */
  resources?: string[];
  /** Namespaces; `''` matches cluster-scoped requests. */
  namespaces?: string[];
  names?: string[];
  /** Non-resource paths; a trailing `*` is a prefix match. */
  nonResourceURLs?: string[];
}

/** What a policy decides from. */
export interface AuthzAttributes {
  user: UserInfo;
  info: RequestInfo;
}

/** A policy decision. */
export interface AuthzDecision {
  allowed: boolean;
  /** Appended to the 403 message as `: <reason>` when denied. */
  reason?: string;
}

/**
 * An authorization policy: `'allow-all'` (default), `'deny-all'`, `{ rules }` (allow-list; like RBAC,
 * authenticated users may always read discovery, `/version` and health paths and create
 * SelfSubjectAccessReviews, anonymous users `/version` and health paths), or a function.
 * Members of `system:masters` are always allowed, as on a real server.
 */
export type Policy = 'allow-all' | 'deny-all' | { rules: PolicyRule[] } | ((attrs: AuthzAttributes) => boolean | AuthzDecision);

type AuthResult = { ok: true; user: UserInfo } | { ok: false };

/** Authenticates a request: client certificate first, then bearer token, then anonymous. */
export function authenticate(req: IncomingMessage, options: AuthOptions): AuthResult {
  let presented = false;
  const cert = certUser(req);
  if (cert === 'bad') presented = true;
  else if (cert) return { ok: true, user: cert };
  const token = bearerToken(req);
  if (token !== undefined) {
    presented = true;
    const identity = options.tokens?.[token];
    if (identity !== undefined) return { ok: true, user: tokenUser(identity) };
  }
  if (presented || !options.anonymous) return { ok: false };
  return { ok: true, user: { name: 'system:anonymous', groups: ['system:unauthenticated'], via: 'anonymous' } };
}

function tokenUser(identity: TokenIdentity): UserInfo {
  const name = typeof identity === 'string' ? identity : identity.user;
  const groups = typeof identity === 'string' ? [] : (identity.groups ?? []);
  return { name, groups: withAuthenticated(groups), via: 'token' };
}

function withAuthenticated(groups: string[]): string[] {
  return groups.includes('system:authenticated') ? groups : [...groups, 'system:authenticated'];
}

function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1] ? match[1].trim() : undefined;
}

function certUser(req: IncomingMessage): UserInfo | 'bad' | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  if (!socket.authorized) return 'bad';
  const subject: Record<string, unknown> = { ...cert.subject };
  const cn = asList(subject.CN)[0];
  if (!cn) return 'bad';
  return { name: cn, groups: withAuthenticated(asList(subject.O)), via: 'cert' };
}

function asList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

const AUTHENTICATED_DEFAULTS: PolicyRule[] = [
  { groups: ['system:authenticated'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/openapi', '/openapi/*', '/version', '/version/', '/healthz', '/livez', '/readyz'] },
  { groups: ['system:authenticated'], verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'] },
  { groups: ['system:unauthenticated'], nonResourceURLs: ['/version', '/version/', '/healthz', '/livez', '/readyz'] },
];

/** Decides whether a request is allowed. */
export function authorize(policy: Policy, attrs: AuthzAttributes): AuthzDecision {
  if (attrs.user.groups.includes('system:masters')) return { allowed: true };
  if (policy === 'allow-all') return { allowed: true };
  if (policy === 'deny-all') return { allowed: false };
  if (typeof policy === 'function') {
    const decision = policy(attrs);
    return typeof decision === 'boolean' ? { allowed: decision } : decision;
  }
  const rules = [...AUTHENTICATED_DEFAULTS, ...policy.rules];
  return { allowed: rules.some((r) => ruleMatches(r, attrs)) };
}

function ruleMatches(rule: PolicyRule, { user, info }: AuthzAttributes): boolean {
  if (!subjectMatches(rule, user)) return false;
  if (!info.isResourceRequest) {
    return rule.nonResourceURLs !== undefined && rule.nonResourceURLs.some((u) => pathMatches(u, info.path)) && matchAny(rule.verbs, info.verb);
  }
  if (rule.nonResourceURLs !== undefined && rule.resources === undefined) return false;
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  return (
    matchAny(rule.verbs, info.verb) &&
    matchAny(rule.apiGroups, info.apiGroup) &&
    matchAny(rule.resources, resource) &&
    matchAny(rule.namespaces, info.namespace) &&
    (info.name === '' && rule.names !== undefined ? false : matchAny(rule.names, info.name))
  );
}

function subjectMatches(rule: PolicyRule, user: UserInfo): boolean {
  if (rule.users === undefined && rule.groups === undefined) return true;
  return (rule.users ?? []).some((u) => u === '*' || u === user.name) || (rule.groups ?? []).some((g) => user.groups.includes(g));
}

function matchAny(allowed: string[] | undefined, value: string): boolean {
  return allowed === undefined || allowed.includes('*') || allowed.includes(value);
}

function pathMatches(pattern: string, path: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  return pattern === path;
}

/** The 403 of a denied request, in the real message format. */
export function forbiddenError(attrs: AuthzAttributes, reason?: string): ApiError {
  const { user, info } = attrs;
  const suffix = reason ? `: ${reason}` : '';
  if (!info.isResourceRequest) {
    return forbidden(undefined, '', `User ${JSON.stringify(user.name)} cannot ${info.verb} path ${JSON.stringify(info.path)}${suffix}`);
  }
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const scope = info.namespace ? `in the namespace ${JSON.stringify(info.namespace)}` : 'at the cluster scope';
  const why = `User ${JSON.stringify(user.name)} cannot ${info.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(info.apiGroup)} ${scope}${suffix}`;
  return forbidden({ group: info.apiGroup, name: info.resource }, info.name, why);
}
