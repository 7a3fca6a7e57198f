/**
 * Endpoints and profiles. In the v2.5 Kubernetes datastore workload endpoints and profiles are
 * derived from Pods and Namespaces, and there are no host endpoints or user profiles. Derived
 * records are skipped as such; user data that cannot be held is reported once per object with a
 * hint, so nothing disappears quietly.
 */
import { defineStep, OutputBuilder } from '../../src/migrate/step.js';

const DERIVED_PROFILE_PREFIXES = ['k8s_ns.', 'ns.projectcalico.org/'];

export const step = defineStep({
  id: '0080-endpoints-and-profiles',
  target: 'v2.5',
  summary: 'Workload endpoints and namespace profiles are skipped as derived; host endpoints and user profiles are reported as unsupported.',
  handles: ['host-endpoint', 'workload-endpoint', 'profile-part'],
  // Endpoints are skipped by their host, workload and interface names alone.
  unreadValues: () => ['host-endpoint', 'workload-endpoint'],
  transform(items) {
    const out = new OutputBuilder();
    const reportedProfiles = new Set<string>();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (item.type === 'host-endpoint') {
        out.skipped(item, 'unsupported-host-endpoint', `host endpoint ${item.endpoint} on ${item.host}: the v2.5 Kubernetes datastore has no host endpoints, so policy protecting this interface stops applying`, {
          severity: 'warning',
          hint: 'host endpoints return to the Kubernetes datastore in Calico v3.1; until then protect the host by other means, or stay on etcd',
        });
      } else if (item.type === 'workload-endpoint') {
        if (item.orchestrator === 'k8s') {
          out.skipped(item, 'derived-workload-endpoint', `workload endpoint of pod ${item.workload} on ${item.host}; the Kubernetes datastore derives it from the Pod`);
        } else {
          out.skipped(item, 'unsupported-workload-endpoint', `workload endpoint of a ${item.orchestrator} workload (${item.workload}) on ${item.host}: the Kubernetes datastore only knows Kubernetes pods`, {
            severity: 'warning',
            hint: `non-Kubernetes workloads need an etcd datastore; move them before switching ${item.host} to the Kubernetes datastore`,
          });
        }
      } else if (DERIVED_PROFILE_PREFIXES.some((p) => item.profile.startsWith(p))) {
        out.skipped(item, 'derived-namespace-profile', `${item.part} of profile ${item.profile}, generated from a Namespace; Calico v2.5 derives namespace profiles itself`);
      } else if (item.profile.startsWith('openstack-sg-')) {
        out.skipped(item, 'derived-openstack-profile', `${item.part} of OpenStack security-group profile ${item.profile}; networking-calico recreates it`);
      } else {
        out.skipped(item, 'unsupported-profile', `${item.part} of user profile ${item.profile}: the v2.5 Kubernetes datastore derives profiles from Namespaces`);
        if (!reportedProfiles.has(item.profile)) {
          reportedProfiles.add(item.profile);
          out.issue(
            item,
            'warning',
            'unsupported-profile',
            `user profile ${item.profile} is not carried over: the v2.5 Kubernetes datastore derives profiles from Namespaces, so its rules, labels and tags stop applying`,
            `express the rules of profile ${item.profile} as GlobalNetworkPolicy selecting the endpoints that used it`,
          );
        }
      }
    }
    return out.build();
  },
});
