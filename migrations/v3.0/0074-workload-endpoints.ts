/**
 * Workload endpoints → v3 WorkloadEndpoint in the calicoctl form (libcalico-go
 * `lib/upgrade/converters/workloadendpoint.go`): namespaced (`<ns>` split from a k8s workload id
 * `<ns>.<pod>` at the first dot, else `default`; no dot is an error, as upstream), container id from
 * `active_instance_id` (k8s) or the workload id (cni), names built by the v3 rules with doubled
 * dashes, profiles renamed, `calico/k8s_ns` relabelled `projectcalico.org/namespace`. Beyond
 * upstream, the `projectcalico.org/namespace` and `projectcalico.org/orchestrator` labels clientv3
 * adds on create are set here too, `ports` (named ports policies select) are carried with protocols
 * re-cased, and other orchestrators keep `active_instance_id` as `containerID`. v3 has no endpoint
 * `state`: a state other than `active` is reported as not carried. The record also feeds its host's
 * v3 Node. OpenStack endpoints are recreated by networking-calico and skipped; in the CRD form
 * endpoints are derived from Pods.
 */
import { defineStep, OutputBuilder, type ItemOf } from '../../src/migrate/step.js';
import { convertName, normalizeName, workloadEndpointName } from '../../src/names.js';
import { formatCidr, formatIp, maskCidr, parseCidr, parseIp } from '../../src/net.js';
import { v3Object } from './common.js';
import type { LostField } from '../../src/model/report.js';
import type { V1Nat } from '../../src/model/v1.js';
import { convertProfileName, endpointPortsV3, hostNodeId, unlessImplied } from './endpoint-values.js';

type Wep = ItemOf<'workload-endpoint'>;

function ipNets(list: readonly string[], field: string, problems: string[]): string[] {
  return list.map((n) => {
    const c = parseCidr(n) ?? parseCidr(`${n}/${n.includes(':') ? 128 : 32}`);
    if (!c) problems.push(`${field} entry ${JSON.stringify(n)} is not a CIDR`);
    return c ? formatCidr(maskCidr(c)) : n;
  });
}

function ipNats(list: readonly V1Nat[], field: string, problems: string[]): { internalIP: string; externalIP: string }[] {
  return list.flatMap((n) => {
    const int = parseIp(n.intIp);
    const ext = parseIp(n.extIp);
    if (!int || !ext) {
      problems.push(`${field} entry ${JSON.stringify({ int_ip: n.intIp, ext_ip: n.extIp })} needs int_ip and ext_ip addresses`);
      return [];
    }
    return [{ internalIP: formatIp(int), externalIP: formatIp(ext) }];
  });
}

function convert(item: Wep, out: OutputBuilder): void {
  const v = item.value;
  const problems: string[] = [];
  // v3 endpoints have no state: every one Felix sees is live. Only another state loses something.
  const lost: LostField[] = unlessImplied('state', v.state, 'active', 'v3 workload endpoints have no state; Felix v3 treats the endpoint as active');
  let namespace = 'default';
  let pod: string | undefined;
  let containerID: string | undefined;
  let workload: string | undefined;
  if (item.orchestrator === 'k8s') {
    const dot = item.workload.indexOf('.');
    if (dot < 0) {
      out.failed(item, 'malformed-workload-id', `malformed k8s workload ID ${JSON.stringify(item.workload)}: it has no "." between namespace and pod, so the endpoint was not added through the Calico CNI plugin and cannot be converted`);
      return;
    }
    namespace = item.workload.slice(0, dot);
    pod = item.workload.slice(dot + 1);
    containerID = v.activeInstanceId === '' ? undefined : v.activeInstanceId;
  } else if (item.orchestrator === 'cni') {
    // Upstream takes the container id from the workload id, which is the container id for CNI.
    containerID = item.workload;
    lost.push(...unlessImplied('active_instance_id', v.activeInstanceId, item.workload, `the v3 container id of a CNI endpoint is its workload id (${item.workload}), as calico-upgrade sets it`));
  } else {
    workload = item.orchestrator === 'libnetwork' ? 'libnetwork' : convertName(item.workload);
    // Beyond upstream, which dropped it: the v3 field that holds the active instance.
    containerID = v.activeInstanceId === '' ? undefined : v.activeInstanceId;
  }
  const orchestrator = convertName(item.orchestrator);
  const entries = Object.entries(v.labels);
  for (const e of entries) if (e[0] === 'calico/k8s_ns') e[0] = 'projectcalico.org/namespace';
  entries.push(['projectcalico.org/namespace', namespace], ['projectcalico.org/orchestrator', orchestrator]);
  const labels: Record<string, string> = Object.fromEntries(entries);
  const ipNetworks = [...ipNets(v.ipv4Nets, 'ipv4_nets', problems), ...ipNets(v.ipv6Nets, 'ipv6_nets', problems)];
  const nats = [...ipNats(v.ipv4Nat, 'ipv4_nat', problems), ...ipNats(v.ipv6Nat, 'ipv6_nat', problems)];
  const node = normalizeName(item.host);
  const endpoint = convertName(item.endpoint);
  // Built field by field in the written order rather than through compact(): a literal with
  // fourteen optional fields is compacted for every endpoint, and the generic copy is slow here.
  const spec: Record<string, unknown> = { orchestrator };
  if (workload !== undefined) spec['workload'] = workload;
  spec['node'] = node;
  if (containerID !== undefined) spec['containerID'] = containerID;
  if (pod !== undefined) spec['pod'] = pod;
  spec['endpoint'] = endpoint;
  if (ipNetworks.length > 0) spec['ipNetworks'] = ipNetworks;
  if (nats.length > 0) spec['ipNATs'] = nats;
  if (v.ipv4Gateway !== undefined && v.ipv4Gateway !== '') spec['ipv4Gateway'] = v.ipv4Gateway;
  if (v.ipv6Gateway !== undefined && v.ipv6Gateway !== '') spec['ipv6Gateway'] = v.ipv6Gateway;
  if (v.profileIds.length > 0) spec['profiles'] = v.profileIds.map(convertProfileName);
  if (v.name !== undefined) spec['interfaceName'] = v.name;
  if (v.mac !== undefined && v.mac !== '') spec['mac'] = v.mac;
  const ports = endpointPortsV3(v.ports);
  if (ports !== undefined) spec['ports'] = ports;
  const name = workloadEndpointName({ node, orchestrator, endpoint, workload, pod, containerID });
  if ('problem' in name) problems.push(name.problem);
  if (problems.length > 0 || 'problem' in name) {
    out.failed(item, 'conversion-error', `workload endpoint: ${problems.join('; ')}`);
    return;
  }
  const id = out.emit(v3Object('calicoctl', 'WorkloadEndpoint', name.name, spec, { namespace, labels }), [item]);
  out.rename(item, 'WorkloadEndpoint', `${item.host}/${item.orchestrator}/${item.workload}/${item.endpoint}`, `${namespace}/${name.name}`);
  out.converted(item, [id, hostNodeId(item.host)], undefined, lost);
}

export const step = defineStep({
  id: '0074-workload-endpoints',
  target: 'v3.0',
  summary: 'Workload endpoints become namespaced v3 WorkloadEndpoint objects (calicoctl form); OpenStack ones and, in the CRD form, all are derived.',
  handles: ['workload-endpoint'],
  // The CRD form derives endpoints from Pods: they are skipped by their names alone.
  unreadValues: (form) => (form === 'crd' ? ['workload-endpoint'] : []),
  transform(items, { form }) {
    const out = new OutputBuilder();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (item.orchestrator === 'openstack') {
        out.skipped(item, 'derived-workload-endpoint', `OpenStack workload endpoint on ${item.host}; networking-calico recreates it`);
      } else if (form === 'calicoctl') {
        convert(item, out);
      } else if (item.orchestrator === 'k8s') {
        out.skipped(item, 'derived-workload-endpoint', `workload endpoint of pod ${item.workload} on ${item.host}; the Kubernetes datastore derives it from the Pod`);
      } else {
        out.skipped(item, 'unsupported-workload-endpoint', `workload endpoint of a ${item.orchestrator} workload (${item.workload}) on ${item.host}: the Kubernetes datastore only knows Kubernetes pods`, {
          severity: 'warning',
          hint: `non-Kubernetes workloads need an etcd datastore: convert with --form calicoctl`,
        });
      }
    }
    return out.build();
  },
});
