/** Which resource a path addresses, combining built-ins with TPR- and CRD-derived resources. */
import { builtinDefs, builtinGroupVersions } from './builtins.js';
import { CRD_PREFIX, customResourceDefs } from './crd.js';
import { groupVersion, type Features, type ResourceDef } from './resources.js';
import type { Store } from './store.js';
import { TPR_PREFIX, tprInstanceDef } from './tpr.js';

/** A served group/version and its resources. */
export interface GroupVersionResources {
  group: string;
  version: string;
  resources: ResourceDef[];
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first, then others alphabetically. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const level = m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2;
    return [level, Number(m[1]), Number(m[3] ?? 0)];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa && pb) {
    for (let i = 0; i < 3; i += 1) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pb[i] ?? 0) - (pa[i] ?? 0);
    return 0;
  }
  if (pa) return -1;
  if (pb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const GROUP_ORDER = ['', 'apps', 'authorization.k8s.io', 'extensions', 'apiextensions.k8s.io', 'coordination.k8s.io'];

/** Resolves resources from the built-ins and from the TPR and CRD objects currently stored. */
export class Registry {
  private readonly builtins: ResourceDef[];
  private readonly builtinGvs: Set<string>;
  private derived: { at: string; defs: ResourceDef[] } | undefined;

  constructor(
    private readonly store: Store,
    private readonly features: Features,
  ) {
    this.builtins = builtinDefs(features);
    this.builtinGvs = new Set(builtinGroupVersions(features));
  }

  /** Every resource currently served (CRD resources from NamesAccepted on). */
  all(): ResourceDef[] {
    // Derived again only when a CRD or TPR object changed: every request resolves its resource here.
    const at = `${this.store.changedUnder(CRD_PREFIX)}/${this.features.tpr ? this.store.changedUnder(TPR_PREFIX) : 0}`;
    if (this.derived?.at !== at) {
      const tprs = this.features.tpr ? this.store.list(TPR_PREFIX).map((e) => tprInstanceDef(e.obj)).filter((d): d is ResourceDef => d !== undefined) : [];
      const crs = this.store.list(CRD_PREFIX).flatMap((e) => customResourceDefs(e.obj));
      this.derived = { at, defs: [...this.builtins, ...tprs, ...crs] };
    }
    return [...this.derived.defs];
  }

  /** The resource at `<group>/<version>/<plural>`. */
  resolve(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.all().find((d) => d.group === group && d.version === version && d.plural === plural);
  }

  /** The resource of an `apiVersion` and `kind`. */
  byKind(apiVersion: string, kind: string): ResourceDef | undefined {
    return this.all().find((d) => groupVersion(d) === apiVersion && d.kind === kind);
  }

  /** True when a built-in (or TPR) handler owns the group/version: unknown resources get a JSON 404. */
  isHandledGroupVersion(group: string, version: string): boolean {
    const gv = group ? `${group}/${version}` : version;
    if (this.builtinGvs.has(gv)) return true;
    return this.all().some((d) => d.origin === 'tpr' && d.group === group && d.version === version);
  }

  /** The discoverable group/versions, groups in priority order and versions by preference. */
  groupVersions(): GroupVersionResources[] {
    const map = new Map<string, GroupVersionResources>();
    const builtinGroupVersionList = [...this.builtinGvs];
    for (const gv of builtinGroupVersionList) {
      const [group, version] = gv.includes('/') ? (gv.split('/') as [string, string]) : ['', gv];
      map.set(gv, { group, version, resources: [] });
    }
    for (const def of this.all().filter((d) => d.discoverable)) {
      const gv = groupVersion(def);
      const entry = map.get(gv) ?? { group: def.group, version: def.version, resources: [] };
      entry.resources.push(def);
      map.set(gv, entry);
    }
    const rank = (g: string): number => {
      const i = GROUP_ORDER.indexOf(g);
      return i < 0 ? GROUP_ORDER.length : i;
    };
    return [...map.values()]
      .filter((gv) => gv.resources.length > 0 || this.builtinGvs.has(gv.group ? `${gv.group}/${gv.version}` : gv.version))
      .sort((a, b) => rank(a.group) - rank(b.group) || (a.group < b.group ? -1 : a.group > b.group ? 1 : compareVersions(a.version, b.version)));
  }
}
