/**
 * The Kubernetes resources a migration writes or reads on the target cluster: the Calico CRDs of
 * each target version (all `crd.projectcalico.org/v1`), and the built-in resources around them.
 * Shared by planning, CRD installation, preflight checks, RBAC generation and writing.
 */
import type { TargetObject, TargetVersion } from '../model/target.js';
import type { ResourceType } from './kube-client.js';

export const CALICO_CRD_GROUP = 'crd.projectcalico.org';

/** One Calico CRD: its names and scope, as Calico's own manifests declare them. */
export interface CalicoCrd {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly scope: 'Cluster' | 'Namespaced';
}

const crd = (kind: string, plural: string, scope: CalicoCrd['scope'] = 'Cluster'): CalicoCrd => ({ kind, plural, singular: kind.toLowerCase(), scope });

/**
 * The CRDs each target's objects need, in the order they are installed. v2.5/v2.6: the five CRDs
 * of Calico's v2.5 upgrade manifests. v3.0: those of the v3.0 Kubernetes-datastore manifest.
 */
export const CALICO_CRDS: Readonly<Record<TargetVersion, readonly CalicoCrd[]>> = {
  'v2.5': [
    crd('GlobalFelixConfig', 'globalfelixconfigs'),
    crd('GlobalBGPConfig', 'globalbgpconfigs'),
    crd('IPPool', 'ippools'),
    crd('BGPPeer', 'bgppeers'),
    crd('GlobalNetworkPolicy', 'globalnetworkpolicies'),
  ],
  'v3.0': [
    crd('ClusterInformation', 'clusterinformations'),
    crd('FelixConfiguration', 'felixconfigurations'),
    crd('BGPConfiguration', 'bgpconfigurations'),
    crd('IPPool', 'ippools'),
    crd('BGPPeer', 'bgppeers'),
    crd('GlobalNetworkPolicy', 'globalnetworkpolicies'),
    crd('NetworkPolicy', 'networkpolicies', 'Namespaced'),
  ],
};

/** The resource type of a Calico CRD's objects. */
export function crdResource(c: CalicoCrd): ResourceType {
  return { group: CALICO_CRD_GROUP, version: 'v1', plural: c.plural, kind: c.kind, namespaced: c.scope === 'Namespaced' };
}

/** `<plural>.crd.projectcalico.org`: the CRD object's name. */
export function crdName(c: CalicoCrd): string {
  return `${c.plural}.${CALICO_CRD_GROUP}`;
}

export const NAMESPACES: ResourceType = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };
export const NODES: ResourceType = { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false };
export const CONFIGMAPS: ResourceType = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
export const SECRETS: ResourceType = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
export const LEASES: ResourceType = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true };
export const CRDS_V1: ResourceType = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };
export const CRDS_V1BETA1: ResourceType = { group: 'apiextensions.k8s.io', version: 'v1beta1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };
export const DAEMONSETS_APPS_V1: ResourceType = { group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true };
export const DAEMONSETS_EXTENSIONS: ResourceType = { group: 'extensions', version: 'v1beta1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true };

/** The resource type a converted object is written to (CRD form only), or undefined for Nodes. */
export function resourceOf(o: Pick<TargetObject, 'apiVersion' | 'kind'>, to: TargetVersion): ResourceType | undefined {
  if (o.apiVersion === 'v1' && o.kind === 'Node') return undefined;
  const c = CALICO_CRDS[to].find((x) => x.kind === o.kind);
  return c && o.apiVersion === `${CALICO_CRD_GROUP}/v1` ? crdResource(c) : undefined;
}

/** The TPR kinds Calico v2.4 stores, by group and plural. */
export const TPR_KINDS = [
  { group: 'projectcalico.org', plural: 'globalconfigs', kind: 'GlobalConfig' },
  { group: 'projectcalico.org', plural: 'ippools', kind: 'IpPool' },
  { group: 'projectcalico.org', plural: 'globalbgppeers', kind: 'GlobalBgpPeer' },
  { group: 'projectcalico.org', plural: 'globalbgpconfigs', kind: 'GlobalBgpConfig' },
  { group: 'alpha.projectcalico.org', plural: 'systemnetworkpolicies', kind: 'SystemNetworkPolicy' },
] as const;

/** The v2.5/v2.6 CRDs; if they already hold data, a migration may have run before. */
export const V25_CRD_PLURALS = ['globalfelixconfigs', 'globalbgpconfigs', 'ippools', 'bgppeers', 'globalnetworkpolicies'] as const;
