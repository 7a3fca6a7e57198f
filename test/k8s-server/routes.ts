/** Routing of authenticated, authorized requests: discovery, resource handlers, SelfSubjectAccessReview, fault answers. */
import type { ServerResponse } from 'node:http';
import type { ApiRequest, ApiResponse, Core } from './core.js';
import { deleteCollection, deleteObject } from './delete.js';
import { apiGroup, apiGroupList, apiVersions, openApiV3, resourceList, versionInfo } from './discovery.js';
import type { FaultAction } from './faults.js';
import { objAt, strAt, type Obj } from './json.js';
import { decodeBody } from './objects.js';
import { getObject, listObjects, watchObjects } from './read.js';
import type { RequestInfo } from './request-info.js';
import type { ResourceDef } from './resources.js';
import { sendError, sendJson, sendText, sendWithWarnings } from './respond.js';
import {
  ApiError, internalError, invalid, pageNotFound, resourceNotFound, serverTimeout, serviceUnavailable, timeoutError, tooManyRequests,
} from './status.js';
import { createObject, patchObject, updateObject } from './write.js';

/** What routing needs from the running server. */
export interface RouteContext {
  core: Core;
  /** `127.0.0.1:<port>`, reported by `/api`. */
  address: string;
  /** Serve `/openapi/v3`. */
  openapi: boolean;
  /** Stop functions of open watches (called on server stop). */
  watchers: Set<() => void>;
}

/** Answers a fault's error. */
export function faultError(res: ServerResponse, action: Extract<FaultAction, { type: 'error' }>, info: RequestInfo): void {
  const after = action.retryAfterSeconds;
  const headers: Record<string, string> = after !== undefined && after > 0 ? { 'Retry-After': String(after) } : {};
  if (action.status === 429) {
    const seconds = after ?? 1;
    if (action.form === 'status') return sendError(res, tooManyRequests(action.message ?? 'Too many requests, please try again later.', seconds));
    return sendText(res, 429, `${action.message ?? 'Too many requests, please try again later.'}\n`, { 'Retry-After': String(seconds) });
  }
  if (action.form === 'text') return sendText(res, action.status, `${action.message ?? 'injected fault'}\n`, headers);
  if (action.status === 500 && action.reason === 'ServerTimeout') {
    return sendError(res, serverTimeout({ group: info.apiGroup, name: info.resource || 'unknown' }, info.verb));
  }
  let err: ApiError;
  if (action.status === 500) err = internalError(action.message ?? 'injected fault');
  else if (action.status === 503) err = serviceUnavailable(action.message ?? 'the server is currently unable to handle the request', after ?? 0);
  else err = timeoutError(action.message ?? 'request did not complete within the allotted timeout');
  sendJson(res, err.code, err.toStatus(), { ...err.headers(), ...headers });
}

const METHOD_NOT_ALLOWED = (): ApiError => new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});

/** Non-resource paths: /version, health, discovery, OpenAPI. */
export function serveNonResource(rt: RouteContext, req: ApiRequest, res: ServerResponse): void {
  const { registry, features } = rt.core;
  const path = req.info.path.replace(/\/+$/, '') || '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, pageNotFound());
  if (path === '/version') return sendJson(res, 200, versionInfo(features));
  if (path === '/healthz' || path === '/livez' || path === '/readyz') return sendText(res, 200, 'ok');
  if (path === '/api') return sendJson(res, 200, apiVersions(rt.address));
  if (path === '/apis') return sendJson(res, 200, apiGroupList(registry));
  const parts = path.split('/').filter((p) => p !== '');
  if (parts[0] === 'api' && parts.length === 2) return sendDiscovery(res, resourceList(registry, '', parts[1] ?? ''));
  if (parts[0] === 'apis' && parts.length === 2) return sendDiscovery(res, apiGroup(registry, parts[1] ?? ''));
  if (parts[0] === 'apis' && parts.length === 3) return sendDiscovery(res, resourceList(registry, parts[1] ?? '', parts[2] ?? ''));
  if (rt.openapi && (path === '/openapi/v3' || path.startsWith('/openapi/v3/'))) return sendDiscovery(res, openApiV3(registry, features, path));
  sendError(res, pageNotFound());
}

function sendDiscovery(res: ServerResponse, body: Obj | undefined): void {
  if (body) sendJson(res, 200, body);
  else sendError(res, pageNotFound());
}

/** Where a request's resource is, or the 404 it gets (JSON inside built-in group/versions, plain text elsewhere). */
function resolveResource(core: Core, info: RequestInfo): ResourceDef {
  const def = core.registry.resolve(info.apiGroup, info.apiVersion, info.resource);
  const builtinGv = core.registry.isHandledGroupVersion(info.apiGroup, info.apiVersion);
  const miss = (): Error => (builtinGv && def?.origin !== 'crd' ? resourceNotFound() : pageNotFound());
  if (!def) throw miss();
  const crossNamespaceOk = info.name === '' && (info.verb === 'list' || info.verb === 'watch' || info.verb === 'deletecollection');
  if (def.namespaced && info.namespace === '' && !crossNamespaceOk) throw miss();
  if (!def.namespaced && info.namespace !== '' && def.plural !== 'namespaces') throw miss();
  if (info.subresource && !def.subresources.includes(info.subresource)) throw miss();
  if (info.extra.length > 0) throw miss();
  return def;
}

/** Serves a resource request (after authentication and authorization). */
export function serveResource(rt: RouteContext, req: ApiRequest, res: ServerResponse): void {
  const { core } = rt;
  const def = resolveResource(core, req.info);
  if (def.plural === 'selfsubjectaccessreviews') return sendWithWarnings(res, selfSubjectAccessReview(core, req));
  const verb = req.info.verb;
  if (req.info.subresource && !['get', 'update', 'patch'].includes(verb)) throw METHOD_NOT_ALLOWED();
  if (!req.info.subresource && !def.verbs.includes(verb) && !(def.terminating && ['create', 'update', 'patch'].includes(verb))) throw METHOD_NOT_ALLOWED();
  if (verb === 'watch') {
    watchObjects(core, req, def, res, (stop) => {
      rt.watchers.add(stop);
      res.on('close', () => rt.watchers.delete(stop));
    });
    return;
  }
  sendWithWarnings(res, dispatch(core, req, def, verb));
}

function dispatch(core: Core, req: ApiRequest, def: ResourceDef, verb: string): ApiResponse {
  switch (verb) {
    case 'get':
      return getObject(core, req, def);
    case 'list':
      return listObjects(core, req, def);
    case 'create':
      if (req.info.name) throw METHOD_NOT_ALLOWED();
      return createObject(core, req, def);
    case 'update':
      return updateObject(core, req, def);
    case 'patch':
      return patchObject(core, req, def);
    case 'delete':
      return deleteObject(core, req, def);
    case 'deletecollection':
      return deleteCollection(core, req, def);
    default:
      throw METHOD_NOT_ALLOWED();
  }
}

/** POST selfsubjectaccessreviews: the policy's answer for the caller, never stored (201). */
function selfSubjectAccessReview(core: Core, req: ApiRequest): ApiResponse {
  if (req.info.verb !== 'create' || req.info.name) throw METHOD_NOT_ALLOWED();
  const body = decodeBody(req.body, req.contentType);
  const spec = objAt(body, 'spec');
  const ra = objAt(spec, 'resourceAttributes');
  const nra = objAt(spec, 'nonResourceAttributes');
  if ((ra === undefined) === (nra === undefined)) {
    throw invalid({ group: 'authorization.k8s.io', name: 'SelfSubjectAccessReview' }, '', [{ type: 'Invalid', field: 'spec.resourceAttributes', value: '"null"', detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified' }]);
  }
  const info: RequestInfo = ra
    ? { isResourceRequest: true, path: '', verb: strAt(ra, 'verb') ?? '', apiPrefix: 'apis', apiGroup: strAt(ra, 'group') ?? '', apiVersion: strAt(ra, 'version') ?? '', namespace: strAt(ra, 'namespace') ?? '', resource: strAt(ra, 'resource') ?? '', subresource: strAt(ra, 'subresource') ?? '', name: strAt(ra, 'name') ?? '', extra: [] }
    : { isResourceRequest: false, path: strAt(nra, 'path') ?? '', verb: strAt(nra, 'verb') ?? '', apiPrefix: '', apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '', extra: [] };
  const decision = core.authorize(req.user, info);
  const status: Obj = { allowed: decision.allowed };
  if (decision.reason) status.reason = decision.reason;
  return { status: 201, body: { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status } };
}
