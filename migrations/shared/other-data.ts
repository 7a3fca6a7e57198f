/**
 * Records with no place in any CRD form: status reports, the Ready flag, OpenStack runtime keys,
 * route-reflector and custom BIRD filter keys, TPR definitions, unrelated objects and unknown
 * keys. The same dispositions apply to every target; `target` only words the messages.
 */
import type { ItemOf, OutputBuilder } from '../../src/migrate/step.js';

export const OTHER_DATA_TYPES = ['status', 'ready-flag', 'openstack-runtime', 'route-reflector', 'custom-bgp-filter', 'tpr-definition', 'unrelated-object', 'tpr-outside-kube-system', 'unknown-key', 'calico-v3-data'] as const;
export type OtherDataItem = ItemOf<(typeof OTHER_DATA_TYPES)[number]>;

export function accountOtherData(items: readonly OtherDataItem[], out: OutputBuilder, target: string): void {
  const v3 = items.filter((i) => i.type === 'calico-v3-data');
  if (v3.length > 0) {
    out.issue(
      v3[0],
      'error',
      'calico-v3-data-present',
      `the source already holds Calico v3 data (${v3.length} key(s) under /calico/resources/): an upgrade to v3 ran or was started on it`,
      'find out which data is current before converting: if the v3 data is a leftover of an aborted upgrade, remove it (calico-upgrade abort leaves it behind); if the upgrade completed, there is nothing to migrate',
    );
  }
  for (const item of items) {
    switch (item.type) {
      case 'status':
        out.skipped(item, 'status-report', 'Felix status report; Felix writes it again');
        break;
      case 'ready-flag':
        if (item.value.trim() === 'false') {
          out.skipped(item, 'ready-flag', 'the datastore is marked not ready (Ready=false)', { severity: 'warning', hint: 'another upgrade may be in progress or was aborted half-way; find out before migrating' });
        } else {
          out.skipped(item, 'ready-flag', `datastore Ready flag of v2.4; ${target} does not read it`);
        }
        break;
      case 'openstack-runtime':
        out.skipped(item, 'openstack-runtime', 'OpenStack (networking-calico) runtime state; networking-calico writes it again');
        break;
      case 'route-reflector':
        out.skipped(item, 'route-reflector-config', 'calico/routereflector configuration; the route reflector reads it from etcd only', {
          severity: 'warning',
          hint: 'configure the route reflectors as BGP peers, and keep an etcd for calico/routereflector if you still run it',
        });
        break;
      case 'custom-bgp-filter':
        out.skipped(item, 'custom-bgp-filter', `custom BIRD filter ${item.name} (IPv${item.family}); ${target} has no resource for it`, {
          severity: 'warning',
          hint: 'carry the filter in a customised confd template for calico/node',
        });
        break;
      case 'tpr-definition':
        out.skipped(item, 'tpr-definition', `ThirdPartyResource definition ${item.name}; its instances are what is migrated`, {
          severity: 'info',
          hint: 'delete the TPR definitions only after the upgrade is verified',
        });
        break;
      case 'unrelated-object':
        if (item.kind.startsWith('crd.projectcalico.org/')) {
          out.skipped(item, 'already-target-form', `${item.kind} is already in the CRD form; it is not read as v2.4 source data`, { severity: 'warning' });
        } else {
          out.skipped(item, 'unrelated-object', `${item.kind} is not Calico v2.4 data`);
        }
        break;
      case 'tpr-outside-kube-system':
        out.skipped(item, 'tpr-outside-kube-system', `${item.kind} in namespace ${item.namespace || '(none)'}: Calico v2.4 only read these from kube-system, so it never applied`, {
          severity: 'warning',
          hint: 'if it was meant to apply, recreate it in kube-system and run the conversion again',
        });
        break;
      case 'calico-v3-data':
        out.skipped(item, 'calico-v3-data', 'a Calico v3 resource, not v2.4 data; see the calico-v3-data-present blocker');
        break;
      case 'unknown-key':
        out.skipped(item, 'unknown-key', 'not a key Calico v2.4 defines; not migrated', { severity: 'warning', hint: 'check whether anything reads this key, and carry it by hand if needed' });
        break;
    }
  }
}
