/**
 * Per-node Felix configuration (`/calico/v1/host/<host>/config/<Key>`, etcd only). The v2.5
 * Kubernetes datastore has no per-node Felix configuration (calico v2.4 KDD docs: "per-node Felix
 * config is not supported"), so each key is skipped with the environment variable to set on
 * calico-node instead. Pycalico's `marker` key never meant anything to Felix. (`IpInIpTunnelAddr`
 * is a node property, handled with the node data.)
 */
import { defineStep, OutputBuilder } from '../../src/migrate/step.js';
import { plural } from './common.js';

export const step = defineStep({
  id: '0015-per-node-felix-config',
  target: 'v2.5',
  summary: 'Per-node Felix keys are reported with the FELIX_* environment variable to set on calico-node instead.',
  handles: ['felix-host-config'],
  transform(items) {
    const out = new OutputBuilder();
    const valuesByKey = new Map<string, Map<string, string>>();
    const hosts = new Set(items.map((i) => i.host));
    for (const item of items) {
      const lower = item.name.toLowerCase();
      if (item.value.trim() === '') {
        out.skipped(item, 'empty-value', `Felix ignores an empty value for ${item.name}; there is nothing to carry over`);
      } else if (lower === 'marker') {
        out.skipped(item, 'legacy-marker', 'pycalico host marker; Felix never read it');
      } else {
        const env = `FELIX_${item.name.toUpperCase()}`;
        out.skipped(item, 'per-node-felix-config', `the v2.5 Kubernetes datastore has no per-node Felix configuration: ${item.name}=${item.value} on ${item.host} is not carried over`, {
          severity: 'warning',
          hint: `set ${env}=${item.value} in the environment of the calico-node container on ${item.host}`,
        });
        const byHost = valuesByKey.get(item.name) ?? new Map<string, string>();
        byHost.set(item.host, item.value);
        valuesByKey.set(item.name, byHost);
      }
    }
    // One DaemonSet-wide hint where every host had the same value.
    for (const [name, byHost] of [...valuesByKey].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const values = new Set(byHost.values());
      if (values.size === 1 && byHost.size === hosts.size && hosts.size > 1) {
        const value = [...values][0] ?? '';
        out.issue(undefined, 'info', 'per-node-felix-config-uniform', `${name}=${value} is set on all ${plural(hosts.size, 'host')} that have per-node configuration`, `set FELIX_${name.toUpperCase()}=${value} once in the calico-node DaemonSet`);
      }
    }
    return out.build();
  },
});
