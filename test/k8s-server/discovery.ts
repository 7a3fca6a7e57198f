/** `/version`, legacy discovery (`/api`, `/api/v1`, `/apis`, `/apis/<g>`, `/apis/<g>/<v>`) and OpenAPI v3. */
import { createHash } from 'node:crypto';
import type { Obj } from './json.js';
import type { GroupVersionResources, Registry } from './registry.js';
import type { Features, ResourceDef } from './resources.js';

/** `GET /version`. The 1.33+ emulation fields appear only for those versions. */
export function versionInfo(features: Features): Obj {
  const out: Obj = { major: String(features.major), minor: String(features.minor) };
  if (features.major > 1 || features.minor >= 33) {
    Object.assign(out, { emulationMajor: String(features.major), emulationMinor: String(features.minor), minCompatibilityMajor: String(features.major), minCompatibilityMinor: String(features.minor - 1) });
  }
  Object.assign(out, {
    gitVersion: features.gitVersion, gitCommit: '0123456789abcdef0123456789abcdef01234567', gitTreeState: 'clean',
    buildDate: '2025-04-23T00:00:00Z', goVersion: features.minor >= 33 ? 'go1.24.2' : 'go1.8.3', compiler: 'gc', platform: 'linux/amd64',
  });
  return out;
}

/** base64 of the first 8 bytes of SHA-256(`<group>/<version>/<Kind>`). */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

function apiResources(defs: ResourceDef[]): Obj[] {
  const out: Obj[] = [];
  for (const def of defs) {
    const custom = def.origin !== 'builtin';
    const entry: Obj = { name: def.plural, singularName: def.singular, namespaced: def.namespaced, kind: def.kind };
    entry.verbs = custom ? def.verbs : [...def.verbs].sort();
    if (def.shortNames.length > 0) entry.shortNames = def.shortNames;
    if (def.categories.length > 0) entry.categories = def.categories;
    if (def.plural !== 'selfsubjectaccessreviews') entry.storageVersionHash = storageVersionHash(def.group, def.version, def.kind);
    out.push(entry);
    for (const sub of def.subresources) {
      out.push({ name: `${def.plural}/${sub}`, singularName: '', namespaced: def.namespaced, kind: def.kind, verbs: ['get', 'patch', 'update'] });
    }
  }
  return out;
}

/** `GET /api`. */
export function apiVersions(serverAddress: string): Obj {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

/** `GET /api/v1` and `GET /apis/<g>/<v>`; undefined when the group/version is not served. */
export function resourceList(registry: Registry, group: string, version: string): Obj | undefined {
  const gv = registry.groupVersions().find((g) => g.group === group && g.version === version);
  if (!gv) return undefined;
  if (group === '') return { kind: 'APIResourceList', groupVersion: 'v1', resources: apiResources(gv.resources) };
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/${version}`, resources: apiResources(gv.resources) };
}

function groupBody(name: string, gvs: GroupVersionResources[]): Obj {
  const versions = gvs.map((g) => ({ groupVersion: `${name}/${g.version}`, version: g.version }));
  return { name, versions, preferredVersion: versions[0] };
}

function namedGroups(registry: Registry): Map<string, GroupVersionResources[]> {
  const groups = new Map<string, GroupVersionResources[]>();
  for (const gv of registry.groupVersions()) {
    if (gv.group === '') continue;
    groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv]);
  }
  return groups;
}

/** `GET /apis`. */
export function apiGroupList(registry: Registry): Obj {
  const groups = [...namedGroups(registry)].map(([name, gvs]) => groupBody(name, gvs));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** `GET /apis/<g>`; undefined when not served. */
export function apiGroup(registry: Registry, group: string): Obj | undefined {
  const gvs = namedGroups(registry).get(group);
  return gvs ? { kind: 'APIGroup', apiVersion: 'v1', ...groupBody(group, gvs) } : undefined;
}

function gvPath(gv: GroupVersionResources): string {
  return gv.group ? `apis/${gv.group}/${gv.version}` : 'api/v1';
}

function gvDocument(gv: GroupVersionResources, gitVersion: string): Obj {
  const paths: Obj = {};
  const params = ['fieldValidation', 'dryRun', 'fieldManager', 'force'].map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true } }));
  for (const def of gv.resources) {
    if (def.plural === 'selfsubjectaccessreviews') continue;
    const base = `/${gvPath(gv)}/${def.namespaced ? 'namespaces/{namespace}/' : ''}${def.plural}`;
    const gvk = { group: def.group, version: def.version, kind: def.kind };
    const op = (action: string): Obj => ({ 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk, parameters: params, responses: {} });
    paths[base] = { get: op('list'), post: op('post') };
    paths[`${base}/{name}`] = { get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: gitVersion }, paths, components: { schemas: {} } };
}

/** OpenAPI v3: the index (`/openapi/v3`) or one group/version document; undefined when unknown. */
export function openApiV3(registry: Registry, features: Features, path: string): Obj | undefined {
  const gvs = registry.groupVersions().filter((g) => g.resources.length > 0);
  if (path === '/openapi/v3' || path === '/openapi/v3/') {
    const index: Obj = {};
    for (const gv of gvs) {
      const hash = createHash('sha256').update(JSON.stringify(gvDocument(gv, features.gitVersion))).digest('hex').slice(0, 32).toUpperCase();
      index[gvPath(gv)] = { serverRelativeURL: `/openapi/v3/${gvPath(gv)}?hash=${hash}` };
    }
    return { paths: index };
  }
  const wanted = path.replace(/^\/openapi\/v3\//, '');
  const gv = gvs.find((g) => gvPath(g) === wanted);
  return gv ? gvDocument(gv, features.gitVersion) : undefined;
}
