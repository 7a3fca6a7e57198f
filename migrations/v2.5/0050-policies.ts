/**
 * Policies → GlobalNetworkPolicy in the v1 API shape (libcalico-go v1.7 GNP CRD): etcd policies
 * of tier `default`, and every SystemNetworkPolicy. The official v2.5 job dropped
 * SystemNetworkPolicies (calico#1620); they are migrated here and the report says so.
 *
 * Not migrated, each with its reason: tier metadata (Felix 2.x ignores it); policies the
 * Kubernetes policy controller generates from NetworkPolicy (`knp.default.*`,
 * `np.projectcalico.org/*`, and kube-policy-controller v0.7.0's `<ns>.<np>`), which v2.5
 * regenerates; the legacy `k8s-policy-no-match` policy (calico#1484); and policies in other
 * tiers, which Felix 2.x enforced but no later Calico version reads (a blocker: the operator
 * must decide).
 */
import { defineStep, notCarried, OutputBuilder, type ItemOf } from '../../src/migrate/step.js';
import { convertName, isDns1123Subdomain } from '../../src/names.js';
import { CRD_API_VERSION } from './common.js';
import { policySpecToV1Api, type RuleNotes } from './rules.js';
import { skipUnconvertedPolicies } from '../shared/generated-policies.js';
import { reportOrderFlips, type RenamedPolicy } from '../shared/order-ties.js';
import { profileTags, userTagsIn } from '../shared/tags.js';

type PolicyItem = ItemOf<'policy'>;

export const step = defineStep({
  id: '0050-policies',
  target: 'v2.5',
  summary: 'Default-tier policies and SystemNetworkPolicies become GlobalNetworkPolicy objects; generated and legacy policies are skipped with a reason.',
  handles: ['policy', 'tier-metadata'],
  transform(items, { snapshot }) {
    const out = new OutputBuilder();
    const tags = profileTags(snapshot);
    const written: RenamedPolicy[] = [];
    for (const item of skipUnconvertedPolicies(items, out, 'Calico v2.5')) {
      const name = convertPolicy(item, tags, out);
      if (name !== undefined) written.push({ origin: item.origin, order: item.spec.order, from: item.name, to: name });
    }
    reportOrderFlips(written, out);
    return out.build();
  },
});

/** Converts one policy; returns its GlobalNetworkPolicy name when it was written. */
function convertPolicy(item: PolicyItem, tags: ReadonlyMap<string, readonly string[]>, out: OutputBuilder): string | undefined {
  const notes: RuleNotes = { problems: [], masked: [], lost: [], namespaceTags: [] };
  const spec = policySpecToV1Api(item.spec, notes);
  if (item.spec.applyOnForward === true) {
    // Only the v1 model of the Calico v3 libraries has it; v2.x policy never applied to forwarded traffic.
    notes.lost.push(notCarried(item.kind === 'etcd-policy' ? 'apply_on_forward' : 'spec.applyOnForward', true, 'the v2.5/v2.6 policy API has no applyOnForward (Calico v3.0 adds it); v2.x policy does not apply to forwarded traffic'));
  }
  if (notes.problems.length > 0) {
    out.failed(item, 'invalid-rule', notes.problems.join('; '), 'fix the policy in the source datastore and run the conversion again');
    return undefined;
  }
  const name = isDns1123Subdomain(item.name) ? item.name : convertName(item.name);
  const id = out.emit(
    {
      apiVersion: CRD_API_VERSION,
      kind: 'GlobalNetworkPolicy',
      metadata: { name, ...(item.annotations && Object.keys(item.annotations).length > 0 ? { annotations: item.annotations } : {}) },
      spec,
    },
    [item],
  );
  if (name !== item.name) {
    out.rename(item, 'GlobalNetworkPolicy', item.name, name);
    out.issue(item, 'warning', 'policy-renamed', `policy name ${JSON.stringify(item.name)} is not a valid Kubernetes name; written as ${name}`);
  }
  if (notes.masked.length > 0) out.issue(item, 'info', 'net-masked', `CIDRs with host bits set were masked (same match): ${notes.masked.join('; ')}`);
  if (notes.namespaceTags.length > 0) {
    out.issue(item, 'info', 'namespace-tag-rewritten', `namespace profile tags became calico/k8s_ns selectors (the v2.5 Kubernetes datastore's namespace profiles carry no tags): ${notes.namespaceTags.join('; ')}`);
  }
  const lost = userTagsIn([...item.spec.ingress, ...item.spec.egress]).filter((t) => tags.has(t));
  if (lost.length > 0) {
    out.issue(item, 'warning', 'tag-matches-nothing', `rules use tag(s) ${lost.join(', ')}, applied by user profile(s) ${[...new Set(lost.flatMap((t) => tags.get(t) ?? []))].join(', ')}, which the v2.5 Kubernetes datastore does not keep: those rules will match nothing`, 'select the endpoints by label instead of by tag before upgrading');
  }
  if (item.kind === 'system-network-policy') {
    out.converted(item, [id], {
      severity: 'info',
      code: 'system-network-policy-migrated',
      message: `SystemNetworkPolicy ${item.name} migrated to GlobalNetworkPolicy ${name} (the official v2.5 job dropped SystemNetworkPolicies); its Calico name changes from snp.projectcalico.org/${item.name} to ${name}`,
    }, notes.lost);
  } else {
    out.converted(item, [id], undefined, notes.lost);
  }
  return name;
}
