/**
 * The individual preflight checks (run and ordered by `preflight.ts`). Each one looks at one thing
 * that makes an apply unsafe or doomed, and says so as findings with stable codes, so that the
 * operator learns it before the first write rather than from a half-migrated cluster.
 */
import { DAEMONSETS_APPS_V1, DAEMONSETS_EXTENSIONS, NODES } from '../datastore/calico-resources.js';
import type { KubeObject } from '../datastore/kube-client.js';
import { CalicoMigrateError } from '../errors.js';
import { isRecord } from '../input/dump.js';
import type { Severity } from '../model/report.js';
import type { TargetVersion } from '../model/target.js';
import { cidrsOverlap, formatCidr, parseCidr, type Cidr } from '../net.js';
import type { Finding } from '../plan/types.js';
import { checkAccess, describeRefusals } from './access-check.js';
import { chooseCrdApi, crdsNeeded, describeCrdStates, inspectCrds, type CrdApi } from './crds.js';
import { describeKind } from './lock-object.js';
import { readLock } from './lock.js';
import { permissionsFor } from './permissions.js';
import type { PreflightInput } from './preflight.js';

/** What discovery told us, read once and shared by every check so they agree on the APIs to use. */
export interface ClusterView {
  readonly gitVersion: string;
  readonly major: number;
  readonly minor: number;
  readonly groups: ReadonlyMap<string, readonly string[]>;
  readonly lockResource: 'leases' | 'configmaps';
  readonly daemonSetGroup: 'apps' | 'extensions';
}

/** What every check gets: the caller's input and the cluster as discovery described it once. */
export interface CheckContext {
  readonly input: PreflightInput;
  readonly cluster: ClusterView;
}

/** A finding without an empty `hint` key (exactOptionalPropertyTypes; plans compare findings deeply). */
export function finding(severity: Severity, code: string, message: string, hint?: string): Finding {
  return { severity, code, message, ...(hint ? { hint } : {}) };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** 1. The server's version: CRDs, which every target stores its data in, arrived in 1.7. */
export function checkKubernetesVersion({ input, cluster }: CheckContext): Finding[] {
  const out = [finding('info', 'kubernetes-version', `${input.client.server} runs Kubernetes ${cluster.gitVersion}`)];
  if (cluster.major < 1 || (cluster.major === 1 && cluster.minor < 7)) {
    out.push(finding('error', 'kubernetes-too-old', `Kubernetes ${cluster.gitVersion} is older than 1.7: Calico ${input.target} keeps its data in CustomResourceDefinitions, which Kubernetes 1.7 introduced`,
      'upgrade Kubernetes to 1.7 first; with a Calico v2.4 Kubernetes datastore, not beyond 1.7 before migrating (1.8 removes the ThirdPartyResources holding its data)'));
  }
  return out;
}

/**
 * 2. ThirdPartyResources: a v2.4 Kubernetes datastore lives in them, and Kubernetes 1.8 deletes
 * them with their data. Discovery says whether `extensions/v1beta1` still serves them.
 */
export async function checkTprApi({ input, cluster }: CheckContext): Promise<Finding[]> {
  if (!input.sourceIsKdd) return [];
  const served = (cluster.groups.get('extensions') ?? []).includes('v1beta1') && (await input.client.resources('extensions', 'v1beta1')).includes('thirdpartyresources');
  if (served) {
    return [finding('warning', 'tpr-source', `do not upgrade Kubernetes to 1.8 or later before this migration has been applied and verified: 1.8 removes ThirdPartyResources and deletes their data, which is the source (Calico v2.4's Kubernetes datastore)`,
      `keep the cluster at ${cluster.gitVersion} until the migration is applied and calico/node runs ${input.target}; take a dump now (calico-migrate export) as a fallback`)];
  }
  if (input.source === 'kubernetes') {
    return [finding('error', 'tpr-api-gone', `${input.client.server} (Kubernetes ${cluster.gitVersion}) no longer serves ThirdPartyResources: the Calico v2.4 data they held is gone from the cluster, so the live source cannot be trusted`,
      'convert from a dump taken before the Kubernetes upgrade instead (--from-file), or restore the cluster from a backup taken before it')];
  }
  if (input.source === 'files') {
    return [finding('info', 'tpr-api-absent', `${input.client.server} (Kubernetes ${cluster.gitVersion}) no longer serves ThirdPartyResources; the source is the dump files, which is the only copy of the v2.4 data left`)];
  }
  return [];
}

/** The image of the `calico-node` container (else the first container) of a DaemonSet. */
export function calicoNodeImage(ds: KubeObject): string | undefined {
  const template = isRecord(ds['spec']) ? ds['spec']['template'] : undefined;
  const podSpec = isRecord(template) ? template['spec'] : undefined;
  const containers = isRecord(podSpec) && Array.isArray(podSpec['containers']) ? podSpec['containers'].filter(isRecord) : [];
  const container = containers.find((c) => c['name'] === 'calico-node') ?? containers[0];
  const image = container?.['image'];
  return typeof image === 'string' && image !== '' ? image : undefined;
}

/**
 * The release an image tag names: `quay.io/calico/node:v2.4.1` → [2, 4, 1]; registry ports,
 * `@sha256:` digests and suffixes such as `-rc1` are tolerated (a pre-release of v3.0.0 already
 * reads v3 data, so it counts as 3.0.0). Undefined for `latest`, a digest alone, or no tag.
 */
export function imageVersion(image: string): readonly [number, number, number] | undefined {
  const withoutDigest = image.split('@')[0] ?? '';
  const last = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  if (colon < 0) return undefined;
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+._].*)?$/.exec(last.slice(colon + 1));
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

const TARGET_RELEASE: Readonly<Record<TargetVersion, readonly [number, number, number]>> = { 'v2.5': [2, 5, 0], 'v3.0': [3, 0, 0] };

function atLeast(v: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = v[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/**
 * 3. The calico-node DaemonSet: calico/node at the target version reads only the migrated data,
 * so rolling it out before the migration leaves nodes without pools and peers.
 */
export async function checkCalicoNode({ input, cluster }: CheckContext): Promise<{ findings: Finding[]; image?: string }> {
  const type = cluster.daemonSetGroup === 'apps' ? DAEMONSETS_APPS_V1 : DAEMONSETS_EXTENSIONS;
  const ds = await input.client.get(type, 'calico-node', 'kube-system');
  if (!ds) {
    return { findings: [finding('info', 'no-calico-node-daemonset', 'there is no DaemonSet kube-system/calico-node, so the running calico/node version is unknown', `if calico/node runs under another name, make sure it is still older than ${input.target} before applying`)] };
  }
  const image = calicoNodeImage(ds);
  const version = image === undefined ? undefined : imageVersion(image);
  const shown = image ?? '(no container image)';
  if (!version) {
    return { findings: [finding('warning', 'calico-node-version-unknown', `cannot tell which calico/node version kube-system/calico-node runs: its image ${shown} names no version tag`,
      `check by hand that calico/node is still older than ${input.target}; migrate before rolling out ${input.target}`)], ...(image ? { image } : {}) };
  }
  const v = `v${version.join('.')}`;
  if (atLeast(version, TARGET_RELEASE[input.target])) {
    return { image: shown, findings: [finding('error', 'calico-node-already-upgraded',
      `kube-system/calico-node already runs calico/node ${v} (${shown}), at or past the target ${input.target}: migrate before rolling out calico/node ${input.target}; nodes running ${v} without migrated data have no IP pools, BGP peers or policy and lose connectivity`,
      `the order is: apply this migration, verify it, then roll out calico/node ${input.target}. If the data was already migrated by other means, run again with --ignore-preflight calico-node-already-upgraded`)] };
  }
  return { image: shown, findings: [finding('info', 'calico-node-version', `kube-system/calico-node runs calico/node ${v} (${shown})`)] };
}

/** 4. Every permission the run needs, asked of the cluster's own authorizers. */
export async function checkPermissions({ input, cluster }: CheckContext): Promise<Finding[]> {
  const perms = permissionsFor({ source: input.source, target: input.target, mode: input.mode, lockResource: cluster.lockResource, daemonSetGroup: cluster.daemonSetGroup, ...(input.state ? { state: input.state } : {}) });
  const access = await checkAccess(input.client, perms);
  if (access.unavailable !== undefined) return [finding('warning', 'access-check-unavailable', access.unavailable)];
  const hint = `\`calico-migrate rbac --to ${input.target}\` prints a ClusterRole (and a Role in kube-system) granting every permission a run needs; bind it to these credentials`;
  return describeRefusals(access.refused).map((line) => finding('error', 'permission-denied', `not allowed to ${line}`, hint));
}

/** 5. The CRDs the objects go into: usable, creatable, or stuck. */
export async function checkCrds({ input }: CheckContext): Promise<{ findings: Finding[]; crdApi?: CrdApi }> {
  let api: CrdApi;
  try {
    api = await chooseCrdApi(input.client);
  } catch (e) {
    if (e instanceof CalicoMigrateError && e.code === 'E_TARGET_STATE') return { findings: [finding('error', 'crd-api-missing', e.message, 'the target needs a Kubernetes API server that serves apiextensions.k8s.io (1.7 or later)')] };
    throw e;
  }
  const crds = crdsNeeded(input.target, input.objects.map((o) => o.kind));
  const states = crds.length === 0 ? [] : await inspectCrds(input.client, input.target, { crds, api });
  const findings: Finding[] = [];
  for (const s of states) {
    if (s.state === 'terminating') {
      findings.push(finding('error', 'crd-terminating', `CRD ${s.name} is being deleted: ${describeCrdStates([s])}`, 'wait until it is gone (its deletion removes all its objects), then run again'));
    } else if (s.state === 'pending') {
      findings.push(finding('warning', 'crd-not-established', `CRD ${s.name} exists but is not Established: ${describeCrdStates([s])}`, 'apply waits for it to be Established; if it stays so, its conditions say why (e.g. a name conflict with another CRD)'));
    } else if (s.state === 'absent') {
      findings.push(finding('info', 'crd-will-be-created', `CRD ${s.name} does not exist; apply will create it (${api.apiVersion})`));
    }
  }
  return { findings, crdApi: api };
}

/** 6. What the conversion itself found blocking: its error issues and its error records. */
export function checkConversion({ input }: Pick<CheckContext, 'input'>): Finding[] {
  const out = input.report.issues.filter((i) => i.severity === 'error').map((i) => finding('error', i.code, i.origin ? `${i.message} (${i.origin})` : i.message, i.hint));
  const errors = input.report.records.filter((r) => r.disposition === 'error');
  if (errors.length > 0) {
    const shown = errors.slice(0, 5).map((r) => r.origin).join(', ');
    out.push(finding('error', 'conversion-errors', `${plural(errors.length, 'source record')} could not be converted: ${shown}${errors.length > 5 ? ', …' : ''}`,
      'run `calico-migrate convert --report FILE` on the same source to see each one with its reason and what to do about it'));
  }
  return out;
}

/** The CIDRs of the enabled IP pools among the objects to be written. */
export function enabledPoolCidrs(objects: PreflightInput['objects']): Cidr[] {
  const out: Cidr[] = [];
  for (const o of objects) {
    if (o.kind !== 'IPPool' || o.spec?.['disabled'] === true) continue;
    const cidr = typeof o.spec?.['cidr'] === 'string' ? parseCidr(o.spec['cidr']) : undefined;
    if (cidr) out.push(cidr);
  }
  return out;
}

function podCidrsOf(node: KubeObject): string[] {
  const spec = isRecord(node['spec']) ? node['spec'] : {};
  const many = Array.isArray(spec['podCIDRs']) ? spec['podCIDRs'].filter((c): c is string => typeof c === 'string' && c !== '') : [];
  const one = typeof spec['podCIDR'] === 'string' && spec['podCIDR'] !== '' ? [spec['podCIDR']] : [];
  return [...new Set([...one, ...many])];
}

const contains = (outer: Cidr, inner: Cidr): boolean => outer.ip.family === inner.ip.family && outer.prefix <= inner.prefix && cidrsOverlap(outer, inner);

/**
 * 7. Pod CIDRs against the pools: with the Kubernetes datastore, pods get addresses from their
 * node's pod CIDR (host-local IPAM), while IPIP and NAT-outgoing follow the pool containing them.
 */
export async function checkPodCidrs({ input }: CheckContext): Promise<Finding[]> {
  const nodes = (await input.client.list(NODES)).items;
  const pools = enabledPoolCidrs(input.objects);
  const out: Finding[] = [];
  const poolless = new Map<4 | 6, string[]>();
  for (const node of nodes) {
    const name = node.metadata.name;
    const cidrs = podCidrsOf(node);
    if (cidrs.length === 0) {
      out.push(finding('error', 'node-without-pod-cidr', `Node ${name} has no spec.podCIDR: with the Kubernetes datastore, Calico's host-local IPAM ("subnet": "usePodCidr") takes the node's pod addresses from it`,
        'run kube-controller-manager with --allocate-node-cidrs=true and --cluster-cidr matching the IP pool (kubeadm: --pod-network-cidr), or set spec.podCIDR on the Node'));
      continue;
    }
    for (const text of cidrs) {
      const cidr = parseCidr(text);
      if (!cidr) continue;
      const family = pools.filter((p) => p.ip.family === cidr.ip.family);
      if (family.length === 0) poolless.set(cidr.ip.family, [...(poolless.get(cidr.ip.family) ?? []), `${name} ${text}`]);
      else if (!family.some((p) => contains(p, cidr))) {
        out.push(finding('warning', 'pod-cidr-outside-pools', `the pod CIDR ${text} of Node ${name} is outside every enabled IPv${cidr.ip.family} pool (${family.map(formatCidr).join(', ')}): the pools' IPIP and NAT-outgoing settings will not apply to that node's pods`,
          "Calico's install docs require the IP pool to match the cluster CIDR (kube-controller-manager --cluster-cidr); fix the pool before applying, or the cluster CIDR"));
      }
    }
  }
  for (const [family, which] of poolless) {
    out.push(finding('warning', 'no-ip-pool', `no enabled IPv${family} IP pool is migrated, but ${plural(which.length, 'Node')} have IPv${family} pod CIDRs (${which.slice(0, 5).join(', ')}${which.length > 5 ? ', …' : ''}): IPIP and NAT-outgoing will not apply to their pods`,
      'create an IP pool matching the cluster CIDR (kube-controller-manager --cluster-cidr) in the source, or after the migration'));
  }
  return out;
}

/** 8. The migration lock, read only: another run may be writing right now. */
export async function checkLock({ input }: CheckContext): Promise<Finding[]> {
  const info = await readLock(input.client);
  if (!info) return [];
  const where = [info.host ? `on host ${info.host}` : '', info.pid !== undefined ? `pid ${info.pid}` : ''].filter(Boolean).join(', ');
  const who = `${JSON.stringify(info.holder)}${where ? ` (${where})` : ''} for ${JSON.stringify(info.reason)} since ${info.acquired}`;
  if (info.stale) {
    return [finding('warning', 'lock-stale', `the migration lock (${describeKind(info.kind)}) was taken by ${who} and expired at ${info.expires}: that run stopped renewing it (it crashed or lost the cluster)`,
      'apply takes over an expired lock; `calico-migrate status` shows it, and --force-unlock removes it')];
  }
  return [finding('warning', 'lock-held', `the migration lock (${describeKind(info.kind)}) is held by ${who}, until ${info.expires} unless renewed: another run may be writing to this cluster`,
    'wait for that run to finish before applying; only if you are sure that holder is dead, use --force-unlock (`calico-migrate status` shows the lock)')];
}
