/**
 * A synthetic Calico v2.4 etcd keyspace of about N keys, deterministic (no randomness), in the
 * proportions of a large Kubernetes cluster: per pod a workload endpoint and its IPAM handle; a
 * policy per 6 pods, a namespace profile (rules, tags, labels) per 24 pods, an IPAM block and its
 * host affinity per 64 pods, and a host (Felix config, BGP address, host endpoint) per 120 pods.
 * At 308,000 keys: about 131k endpoints and handles, 22k policies, 5.4k profiles, 1.1k hosts.
 */

/** Calls `put(key, value)` for each key, in a stable order, until `total` keys were put. */
export function syntheticKeys(total: number, put: (key: string, value: string) => void): number {
  let count = 0;
  const emit = (key: string, value: string): void => {
    if (count < total) {
      put(key, value);
      count++;
    }
  };
  const fixed: [string, string][] = [
    ['/calico/v1/Ready', 'true'],
    ['/calico/v1/config/CalicoVersion', 'v2.4.1'],
    ['/calico/v1/config/ClusterGUID', 'c3a9e1f04b7d4e2a9d61f8b5a07e3c42'],
    ['/calico/v1/config/LogSeverityScreen', 'info'],
    ['/calico/v1/config/IpInIpEnabled', 'true'],
    ['/calico/bgp/v1/global/as_num', '64512'],
    ['/calico/bgp/v1/global/node_mesh', '{"enabled":true}'],
    ['/calico/bgp/v1/global/peer_v4/10.255.0.1', '{"ip":"10.255.0.1","as_num":"64567"}'],
    ['/calico/v1/ipam/v4/pool/10.0.0.0-8', '{"cidr":"10.0.0.0/8","ipip":"tunl0","ipip_mode":"always","masquerade":true,"ipam":true,"disabled":false}'],
  ];
  for (const [k, v] of fixed) emit(k, v);
  for (let i = 0; count < total; i++) {
    const hostNo = Math.floor(i / 120);
    const host = `node-${hostNo}`;
    const ns = `ns-${Math.floor(i / 24)}`;
    const octets = [10, (i >> 16) & 255, (i >> 8) & 255, i & 255];
    const ip = octets.join('.');
    const blockBase = `${octets[0]}.${octets[1]}.${octets[2]}.${octets[3]! & 192}`;
    const id = (i * 2654435761 >>> 0).toString(16).padStart(8, '0').repeat(8);
    if (i % 120 === 0) {
      const hostIp = `172.16.${(hostNo >> 8) & 255}.${hostNo & 255}`;
      emit(`/calico/v1/host/${host}/bird_ip`, hostIp);
      emit(`/calico/v1/host/${host}/config/DefaultEndpointToHostAction`, 'RETURN');
      emit(`/calico/bgp/v1/host/${host}/ip_addr_v4`, hostIp);
      emit(`/calico/v1/host/${host}/endpoint/eth0`, JSON.stringify({ name: 'eth0', expected_ipv4_addrs: [hostIp], labels: { role: 'worker', rack: `rack-${hostNo % 40}` }, profile_ids: ['infra-hosts'] }));
    }
    if (i % 24 === 0) {
      emit(`/calico/v1/policy/profile/k8s_ns.${ns}/rules`, JSON.stringify({ inbound_rules: [{ action: 'allow', src_tag: `k8s_ns.${ns}` }, { action: 'allow', protocol: 'tcp', src_net: '10.0.0.0/16', dst_ports: [22] }], outbound_rules: [{ action: 'allow' }] }));
      emit(`/calico/v1/policy/profile/k8s_ns.${ns}/tags`, JSON.stringify([`k8s_ns.${ns}`]));
      emit(`/calico/v1/policy/profile/k8s_ns.${ns}/labels`, JSON.stringify({ 'k8s_ns/label/name': ns, team: `team-${i % 7}` }));
    }
    if (i % 64 === 0) {
      const allocations = Array.from({ length: 64 }, (_, n) => (n < 64 ? n : null));
      emit(`/calico/ipam/v2/assignment/ipv4/block/${blockBase}-26`, JSON.stringify({
        cidr: `${blockBase}/26`, affinity: `host:${host}`, strictAffinity: false, allocations, unallocated: [],
        attributes: allocations.map((_, n) => ({ handle_id: `k8s-pod-network.${((i + n) * 2654435761 >>> 0).toString(16).padStart(8, '0').repeat(8)}`, secondary: null })),
      }));
      emit(`/calico/ipam/v2/host/${host}/ipv4/block/${blockBase}-26`, '{}');
    }
    emit(`/calico/v1/host/${host}/workload/k8s/${ns}.pod-${i}/endpoint/eth0`, JSON.stringify({
      state: 'active', name: `cali${id.slice(0, 11)}`, active_instance_id: id, mac: 'ee:ee:ee:ee:ee:ee',
      profile_ids: [`k8s_ns.${ns}`], ipv4_nets: [`${ip}/32`], ipv6_nets: [], labels: { app: `app-${i % 50}`, 'calico/k8s_ns': ns, 'pod-template-hash': String(i % 9973) },
    }));
    emit(`/calico/ipam/v2/handle/k8s-pod-network.${id}`, JSON.stringify({ block: { [`${blockBase}/26`]: 1 } }));
    if (i % 6 === 0) {
      emit(`/calico/v1/policy/tier/default/policy/${ns}.policy-${i}`, JSON.stringify({
        order: 1000 + (i % 100), selector: `app == 'app-${i % 50}' && calico/k8s_ns == '${ns}'`,
        inbound_rules: [{ action: 'allow', protocol: 'tcp', src_selector: `role == 'frontend' && calico/k8s_ns == '${ns}'`, dst_ports: [80, '8000:8080'] }, { action: 'deny', '!src_net': '10.0.0.0/16' }],
        outbound_rules: [{ action: 'allow' }],
      }));
    }
  }
  return count;
}

/** The keyspace as the text of a flat JSON dump (`{"/calico/...": "value", ...}`). */
export function syntheticFlatDump(total: number): string {
  const parts: string[] = [];
  syntheticKeys(total, (k, v) => parts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`));
  return `{${parts.join(',\n')}}\n`;
}

/**
 * A v2.4 etcd keyspace for the apply benchmarks: the v2.4 cluster configuration, one IP pool and
 * `policies` policies, as a flat JSON dump; `--to v2.5` makes a GlobalNetworkPolicy of each.
 */
export function syntheticPolicyDump(policies: number): string {
  const keys: Record<string, string> = {
    '/calico/v1/config/CalicoVersion': 'v2.4.1',
    '/calico/v1/ipam/v4/pool/10.0.0.0-8': '{"cidr":"10.0.0.0/8","ipip":"tunl0","ipip_mode":"always","masquerade":true,"ipam":true,"disabled":false}',
  };
  for (let i = 0; i < policies; i++) {
    keys[`/calico/v1/policy/tier/default/policy/ns-${i % 100}.policy-${i}`] = JSON.stringify({
      order: 1000 + (i % 100), selector: `app == 'app-${i % 50}'`,
      inbound_rules: [{ action: 'allow', protocol: 'tcp', src_selector: "role == 'frontend'", dst_ports: [80, '8000:8080'] }],
      outbound_rules: [{ action: 'allow' }],
    });
  }
  return `${JSON.stringify(keys)}\n`;
}
