/**
 * Policies the Kubernetes policy controllers generate from NetworkPolicy objects, which later
 * Calico versions regenerate: `knp.default.*` (v2.5+ KDD and kube-controllers), `np.projectcalico.org/*`
 * (v2.4 KDD, never stored), and kube-policy-controller v0.7.0's `<ns>.<np>` in etcd mode. The last
 * has no marker, so it is recognised by the exact shape v0.7.0 writes (k8s-policy@v0.7.0
 * handlers/network_policy.py): order 1000, a selector starting `calico/k8s_ns == '<ns>'`, a single
 * allow-all outbound rule, and neither untracked nor pre-DNAT. A user policy that happens to match
 * is still only skipped with a warning that says how to check.
 */
import type { ItemOf } from '../../src/migrate/step.js';
import type { V1Rule } from '../../src/model/v1.js';

type PolicyItem = ItemOf<'policy'>;

export interface GeneratedPolicy {
  readonly by: string;
  /** For kube-policy-controller policies: the NetworkPolicy to look for. */
  readonly networkPolicy?: { readonly namespace: string; readonly name: string };
}

function isAllowAll(rule: V1Rule): boolean {
  const empty = (o: object) => Object.keys(o).length === 0;
  const { action, source, destination, ...rest } = rule;
  return action === 'allow' && empty(source) && empty(destination) && empty(rest);
}

export function generatedPolicy(item: PolicyItem): GeneratedPolicy | undefined {
  if (item.name.startsWith('knp.default.') || item.name.startsWith('np.projectcalico.org/')) return { by: 'the Kubernetes policy controller (from a NetworkPolicy)' };
  const dot = item.name.indexOf('.');
  const { spec } = item;
  if (item.kind !== 'etcd-policy' || dot <= 0 || spec.order !== 1000 || spec.doNotTrack || spec.preDNAT) return undefined;
  const onlyAllowOut = spec.egress.length === 1 && spec.egress[0] !== undefined && isAllowAll(spec.egress[0]);
  const namespace = item.name.slice(0, dot);
  const selector = spec.selector.replace(/\s+/g, ' ').trim();
  const scoped = [`calico/k8s_ns == '${namespace}'`, `calico/k8s_ns == "${namespace}"`].some((p) => selector.startsWith(p));
  if (!onlyAllowOut || !scoped) return undefined;
  const name = item.name.slice(dot + 1);
  return { by: `kube-policy-controller v0.7.0 (from NetworkPolicy ${name} in namespace ${namespace})`, networkPolicy: { namespace, name } };
}
