/**
 * Benchmark: a synthetic Calico v2.4 etcd keyspace of N keys (default 300,000: workload
 * endpoints, profiles, policies, IPAM blocks and handles, hosts) converted to each target.
 * Prints wall time and peak RSS per stage. Run: `npm run bench -- [keys]`.
 * Speed and memory are measured here, never asserted by timed tests.
 */
import { convertDumps } from '../src/convert.js';
import { decodeDump } from '../src/input/dump.js';
import type { OutputForm, TargetVersion } from '../src/model/target.js';
import { serialize, toList } from '../src/output/serialize.js';

function syntheticKeyspace(total: number): Record<string, string> {
  const keys: Record<string, string> = {
    '/calico/v1/config/CalicoVersion': 'v2.4.1',
    '/calico/v1/config/LogSeverityScreen': 'info',
    '/calico/bgp/v1/global/as_num': '64512',
    '/calico/bgp/v1/global/node_mesh': '{"enabled":true}',
    '/calico/v1/ipam/v4/pool/10.0.0.0-8': '{"cidr":"10.0.0.0/8","ipip":"tunl0","ipip_mode":"always","masquerade":true,"ipam":true,"disabled":false}',
  };
  let count = Object.keys(keys).length;
  const put = (key: string, value: string) => {
    if (!(key in keys)) count++;
    keys[key] = value;
  };
  for (let i = 0; count < total; i++) {
    const host = `node-${i % 1000}`;
    const ns = `ns-${i % 200}`;
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    put(`/calico/v1/host/${host}/workload/k8s/${ns}.pod-${i}/endpoint/eth0`, JSON.stringify({
      state: 'active', name: `cali${i.toString(16).padStart(11, '0')}`, active_instance_id: `c${i}`, mac: 'ee:ee:ee:ee:ee:ee',
      profile_ids: [`k8s_ns.${ns}`], ipv4_nets: [`${ip}/32`], ipv6_nets: [], labels: { app: `app-${i % 50}`, 'calico/k8s_ns': ns },
    }));
    put(`/calico/ipam/v2/handle/k8s-pod-network.c${i}`, JSON.stringify({ block: { [`${ip.split('.').slice(0, 3).join('.')}.0/26`]: 1 } }));
    if (i % 10 === 0) {
      put(`/calico/v1/policy/tier/default/policy/policy-${i}`, JSON.stringify({
        order: i, selector: `app == 'app-${i % 50}' && calico/k8s_ns == '${ns}'`,
        inbound_rules: [{ action: 'allow', protocol: 'tcp', src_selector: `role == 'frontend'`, dst_ports: [80, '8000:8080'] }],
        outbound_rules: [{ action: 'allow' }],
      }));
    }
    if (i % 64 === 0) {
      put(`/calico/ipam/v2/assignment/ipv4/block/${ip.split('.').slice(0, 3).join('.')}.${Number(ip.split('.')[3]) & 192}-26`, JSON.stringify({
        cidr: `${ip.split('.').slice(0, 3).join('.')}.${Number(ip.split('.')[3]) & 192}/26`, affinity: `host:${host}`, allocations: [0], unallocated: [], attributes: [],
      }));
    }
  }
  return keys;
}

function measure<T>(label: string, fn: () => T): T {
  const start = process.hrtime.bigint();
  const result = fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const rss = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${label.padEnd(34)} ${ms.toFixed(0).padStart(7)} ms   peak RSS ${rss.toFixed(0)} MiB\n`);
  return result;
}

const total = Number(process.argv[2] ?? 300_000);
const text = measure(`generate ${total} keys`, () => JSON.stringify(syntheticKeyspace(total)));
const dump = measure('decode dump', () => decodeDump('bench.json', text));
const targets: [TargetVersion, OutputForm][] = [['v2.5', 'crd'], ['v3.0', 'crd'], ['v3.0', 'calicoctl']];
for (const [to, form] of targets) {
  const result = measure(`convert --to ${to} --form ${form}`, () => convertDumps([dump], to, form));
  measure(`  serialise ${result.objects.length} objects (yaml)`, () => serialize(toList(result.objects), 'yaml').length);
  measure(`  serialise report (${result.report.records.length} records)`, () => serialize(result.report, 'json').length);
}
