/**
 * Workload endpoints → v3 WorkloadEndpoint in the calicoctl form (libcalico-go
 * `lib/upgrade/converters/workloadendpoint.go`): namespaced (`<ns>` split from a k8s workload id
 * `<ns>.<pod>` at the first dot, else `default`; no dot is an error, as upstream), container id from
 * `active_instance_id` (k8s) or the workload id (cni), names built by the v3 rules with doubled
 * dashes, profiles renamed, `calico/k8s_ns` relabelled `projectcalico.org/namespace`. Beyond
 * upstream, the `projectcalico.org/namespace` and `projectcalico.org/orchestrator` labels clientv3
 * adds on create are set here too. OpenStack endpoints are recreated by networking-calico and
 * skipped; in the CRD form endpoints are derived from Pods.
 */
import { defineStep, OutputBuilder, type ItemOf } from '../../src/migrate/step.js';
import { convertName, normalizeName, workloadEndpointName } from '../../src/names.js';
import { formatCidr, formatIp, maskCidr, parseCidr, parseIp } from '../../src/net.js';
import { compact } from '../../src/util.js';
import { v3Object } from './common.js';
import { convertProfileName, stringList, stringMap } from './endpoint-values.js';

type Wep = ItemOf<'workload-endpoint'>;

function ipNets(list: readonly string[] | undefined, field: string, problems: string[]): string[] {
  return (list ?? []).map((n) => {
    const c = parseCidr(n) ?? parseCidr(`${n}/${n.includes(':') ? 128 : 32}`);
    if (!c) problems.push(`${field} entry ${JSON.stringify(n)} is not a CIDR`);
    return c ? formatCidr(maskCidr(c)) : n;
  });
}

function ipNats(v: unknown, field: string, problems: string[]): { internalIP: string; externalIP: string }[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    problems.push(`${field} must be a list`);
    return [];
  }
  return v.flatMap((n: unknown) => {
    const r = typeof n === 'object' && n !== null ? (n as Record<string, unknown>) : {};
    const int = typeof r['int_ip'] === 'string' ? parseIp(r['int_ip']) : undefined;
    const ext = typeof r['ext_ip'] === 'string' ? parseIp(r['ext_ip']) : undefined;
    if (!int || !ext) {
      problems.push(`${field} entry ${JSON.stringify(n)} needs int_ip and ext_ip addresses`);
      return [];
    }
    return [{ internalIP: formatIp(int), externalIP: formatIp(ext) }];
  });
}

function convert(item: Wep, out: OutputBuilder): void {
  const v = item.value;
  const problems: string[] = [];
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
    containerID = typeof v['active_instance_id'] === 'string' && v['active_instance_id'] !== '' ? v['active_instance_id'] : undefined;
  } else if (item.orchestrator === 'cni') {
    containerID = item.workload;
  } else if (item.orchestrator === 'libnetwork') {
    workload = 'libnetwork';
  } else {
    workload = convertName(item.workload);
  }
  const v1Labels = stringMap(v['labels'], 'labels', problems) ?? {};
  const orchestrator = convertName(item.orchestrator);
  const labels: Record<string, string> = Object.fromEntries([
    ...Object.entries(v1Labels).map(([k, val]) => [k === 'calico/k8s_ns' ? 'projectcalico.org/namespace' : k, val]),
    ['projectcalico.org/namespace', namespace],
    ['projectcalico.org/orchestrator', orchestrator],
  ]);
  const ipNetworks = [...ipNets(stringList(v['ipv4_nets'], 'ipv4_nets', problems), 'ipv4_nets', problems), ...ipNets(stringList(v['ipv6_nets'], 'ipv6_nets', problems), 'ipv6_nets', problems)];
  const nats = [...ipNats(v['ipv4_nat'], 'ipv4_nat', problems), ...ipNats(v['ipv6_nat'], 'ipv6_nat', problems)];
  const profiles = (stringList(v['profile_ids'], 'profile_ids', problems) ?? []).map(convertProfileName);
  const node = normalizeName(item.host);
  const endpoint = convertName(item.endpoint);
  const spec = compact({
    orchestrator,
    workload,
    node,
    containerID,
    pod,
    endpoint,
    ipNetworks: ipNetworks.length > 0 ? ipNetworks : undefined,
    ipNATs: nats.length > 0 ? nats : undefined,
    ipv4Gateway: typeof v['ipv4_gateway'] === 'string' ? v['ipv4_gateway'] : undefined,
    ipv6Gateway: typeof v['ipv6_gateway'] === 'string' ? v['ipv6_gateway'] : undefined,
    profiles: profiles.length > 0 ? profiles : undefined,
    interfaceName: typeof v['name'] === 'string' ? v['name'] : undefined,
    mac: typeof v['mac'] === 'string' && v['mac'] !== '' ? v['mac'] : undefined,
  });
  const name = workloadEndpointName(compact({ node, orchestrator, endpoint, workload, pod, containerID }));
  if ('problem' in name) problems.push(name.problem);
  if (problems.length > 0 || 'problem' in name) {
    out.failed(item, 'conversion-error', `workload endpoint: ${problems.join('; ')}`);
    return;
  }
  const id = out.emit(v3Object('calicoctl', 'WorkloadEndpoint', name.name, spec, { namespace, labels }), [item]);
  out.rename(item, 'WorkloadEndpoint', `${item.host}/${item.orchestrator}/${item.workload}/${item.endpoint}`, `${namespace}/${name.name}`);
  out.converted(item, [id]);
}

export const step = defineStep({
  id: '0074-workload-endpoints',
  target: 'v3.0',
  summary: 'Workload endpoints become namespaced v3 WorkloadEndpoint objects (calicoctl form); OpenStack ones and, in the CRD form, all are derived.',
  handles: ['workload-endpoint'],
  transform(items, { form }) {
    const out = new OutputBuilder();
    for (const item of items) {
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
