/**
 * Felix configuration → v3 FelixConfiguration `default` (global keys) and `node.<name>` (per-host
 * keys), plus ClusterInformation `default` in the CRD form. Each key goes through
 * `src/v3/felix-config.ts`: matched case-insensitively as Felix does, Felix's value syntax accepted,
 * enums re-cased, and keys without a v3 field kept as `config.projectcalico.org/<Key>` annotations
 * (which Felix reads) instead of being dropped as upstream does. Two keys landing on the same field
 * of one object (e.g. `LogSeverityScreen` and `logseverityscreen`) are both errors.
 *
 * ClusterInformation: ClusterGUID and ClusterType are copied, `datastoreReady` is true (the
 * Kubernetes datastore has no pause). CalicoVersion is deliberately not copied: calico/node v3
 * decides from that field whether to run its own v2.6 → v3 migration, and a v2.4 version there makes
 * it refuse to start; it writes its own version at startup. calicoctl cannot write
 * ClusterInformation, so the calicoctl form reports these keys instead.
 */
import { defineStep, OutputBuilder, type ItemOf } from '../../src/migrate/step.js';
import type { OutputForm } from '../../src/model/target.js';
import { normalizeName } from '../../src/names.js';
import { convertFelixKey } from '../../src/v3/felix-config.js';
import { v3Object } from './common.js';
import { hostNodeId } from './endpoint-values.js';

type FelixItem = ItemOf<'felix-global-config' | 'felix-host-config'>;

interface Pending {
  readonly spec: Record<string, unknown>;
  readonly annotations: Record<string, string>;
  /** The item behind each spec field or annotation, so a failed item's values can be left out. */
  readonly owner: Map<string, FelixItem>;
  /** Items by lowercased key: Felix read keys case-insensitively, so two spellings are one key. */
  readonly byKey: Map<string, FelixItem>;
  readonly fed: FelixItem[];
}

function newPending(): Pending {
  return { spec: {}, annotations: {}, owner: new Map(), byKey: new Map(), fed: [] };
}

export const step = defineStep({
  id: '0010-felix-config',
  target: 'v3.0',
  summary: 'Felix keys become FelixConfiguration default / node.<name> fields, or config.projectcalico.org annotations when v3 has no field; cluster keys become ClusterInformation.',
  handles: ['felix-global-config', 'felix-host-config'],
  transform(items, { form }) {
    const out = new OutputBuilder();
    const objects = new Map<string, Pending>();
    const cluster = newPending();
    const failed = new Set<FelixItem>();
    const set = (p: Pending, slot: string, item: FelixItem, apply: () => void) => {
      const key = item.name.toLowerCase();
      const other = p.byKey.get(key);
      if (other) {
        const message = `${other.name} and ${item.name} are the same Felix key (Felix reads keys case-insensitively), so which value applied was arbitrary`;
        out.failed(item, 'duplicate-key', message, 'delete one of the two keys in the source and run the conversion again');
        if (!failed.has(other)) out.failed(other, 'duplicate-key', message, 'delete one of the two keys in the source and run the conversion again');
        failed.add(item).add(other);
        return;
      }
      p.byKey.set(key, item);
      p.owner.set(slot, item);
      apply();
      p.fed.push(item);
    };

    // Two hosts whose names normalise alike would share node.<name>: a clash, not a merge.
    const hostsByName = new Map<string, Set<string>>();
    for (const item of items) {
      if (item.type === 'felix-host-config') hostsByName.set(normalizeName(item.host), (hostsByName.get(normalizeName(item.host)) ?? new Set<string>()).add(item.host));
    }
    for (const item of items) {
      const clash = item.type === 'felix-host-config' ? [...(hostsByName.get(normalizeName(item.host)) ?? [])] : [];
      if (item.type === 'felix-host-config' && clash.length > 1) {
        out.failed(item, 'name-clash', `hosts ${clash.sort().join(' and ')} both become FelixConfiguration node.${normalizeName(item.host)}; neither is written`, 'rename one of the hosts, or remove its per-node configuration');
        continue;
      }
      const objectName = item.type === 'felix-host-config' ? `node.${normalizeName(item.host)}` : 'default';
      const p = objects.get(objectName) ?? newPending();
      objects.set(objectName, p);
      if (item.type === 'felix-host-config' && item.name.toLowerCase() === 'marker') {
        out.skipped(item, 'legacy-marker', 'pycalico host marker; Felix never read it');
        continue;
      }
      const dest = convertFelixKey(item.name, item.value);
      switch (dest.kind) {
        case 'field':
          set(p, dest.field, item, () => (p.spec[dest.field] = dest.value));
          if (dest.notes.length > 0) out.issue(item, 'info', 'felix-value-normalised', dest.notes.join('; '));
          break;
        case 'annotation':
          set(p, dest.key, item, () => (p.annotations[dest.key] = dest.value));
          out.issue(item, 'warning', 'felix-key-as-annotation', `${item.name}: ${dest.reason}; kept as annotation ${dest.key}`);
          break;
        case 'cluster-info':
          if (item.type === 'felix-host-config') out.skipped(item, 'per-host-cluster-key', `${item.name} is a cluster-wide key; set per host it never meant anything`, { severity: 'warning' });
          else if (form === 'calicoctl') out.skipped(item, 'cluster-information-not-applied', `${item.name}: calicoctl cannot write ClusterInformation; calico/node v3 creates it at startup`);
          else if (dest.field === 'calicoVersion') out.skipped(item, 'calico-version-not-copied', `CalicoVersion ${dest.value} is not copied: calico/node v3 reads ClusterInformation's version to decide whether to migrate, and refuses to start on a version below v2.6.5; it records its own version at startup`, { severity: 'info' });
          else set(cluster, dest.field, item, () => (cluster.spec[dest.field] = dest.value));
          break;
        case 'node-tunnel-address':
          out.skipped(item, 'global-tunnel-address', 'IpInIpTunnelAddr set globally; it is a per-node address and never applied globally', { severity: 'warning' });
          break;
        case 'drop':
          out.skipped(item, dest.code, `${item.name}: ${dest.reason}`);
          break;
        case 'error':
          out.failed(item, dest.code, dest.message);
          break;
      }
    }
    emit(objects, cluster, form, failed, out);
    return out.build();
  },
});

function emit(objects: Map<string, Pending>, cluster: Pending, form: OutputForm, failed: Set<FelixItem>, out: OutputBuilder): void {
  for (const [name, p] of [...objects].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const fed = p.fed.filter((i) => !failed.has(i));
    if (fed.length === 0) continue;
    const kept = ([k]: [string, unknown]) => {
      const owner = p.owner.get(k);
      return owner === undefined || !failed.has(owner);
    };
    const spec = Object.fromEntries(Object.entries(p.spec).filter(kept));
    const annotations = Object.fromEntries(Object.entries(p.annotations).filter(kept));
    const id = out.emit(v3Object(form, 'FelixConfiguration', name, spec, { annotations }), fed);
    // In the calicoctl form a per-host key also makes its host a v3 Node, as calico-upgrade does.
    for (const item of fed) out.converted(item, form === 'calicoctl' && item.type === 'felix-host-config' ? [id, hostNodeId(item.host)] : [id]);
  }
  const clusterFed = cluster.fed.filter((i) => !failed.has(i));
  if (clusterFed.length > 0) {
    const id = out.emit(v3Object(form, 'ClusterInformation', 'default', { ...cluster.spec, datastoreReady: true }), clusterFed);
    for (const item of clusterFed) out.converted(item, [id]);
  }
}
