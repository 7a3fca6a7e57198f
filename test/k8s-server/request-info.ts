/**
 * Parses a request path the way the real server's `RequestInfoFactory` does, before any handler
 * runs: authorization works from this alone, so a 403 does not depend on whether a resource exists.
 */

/** What a request addresses. */
export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  /** Kubernetes verb for resource requests (get, list, watch, create, update, patch, delete, deletecollection); lower-case HTTP method otherwise. */
  verb: string;
  apiPrefix: 'api' | 'apis' | '';
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path segments after the resource name, beyond a subresource. */
  extra: string[];
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** Builds the RequestInfo of a method, path and query. */
export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const base: RequestInfo = {
    isResourceRequest: false, path, verb: method.toLowerCase(), apiPrefix: '', apiGroup: '', apiVersion: '',
    namespace: '', resource: '', subresource: '', name: '', extra: [],
  };
  const parts = path.split('/').filter((p) => p !== '').map(safeDecode);
  const prefix = parts[0];
  if (prefix !== 'api' && prefix !== 'apis') return base;
  let rest = parts.slice(1);
  base.apiPrefix = prefix;
  if (prefix === 'apis') {
    if (rest.length < 1) return base;
    base.apiGroup = rest[0] ?? '';
    rest = rest.slice(1);
  }
  if (rest.length < 1) return base;
  base.apiVersion = rest[0] ?? '';
  rest = rest.slice(1);
  if (rest.length < 1) return base;
  return resourceInfo(base, method, rest, query);
}

function resourceInfo(info: RequestInfo, method: string, partsIn: string[], query: URLSearchParams): RequestInfo {
  let parts = partsIn;
  info.isResourceRequest = true;
  if (parts[0] === 'namespaces' && parts.length > 1) {
    info.namespace = parts[1] ?? '';
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) parts = parts.slice(2);
  }
  info.resource = parts[0] ?? '';
  info.name = parts[1] ?? '';
  info.subresource = parts[2] ?? '';
  info.extra = parts.slice(3);
  info.verb = verbFor(method, info.name !== '', query);
  return info;
}

function verbFor(method: string, named: boolean, query: URLSearchParams): string {
  switch (method.toUpperCase()) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default: {
      const watch = query.get('watch');
      if (watch === 'true' || watch === '1') return 'watch';
      return named ? 'get' : 'list';
    }
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
