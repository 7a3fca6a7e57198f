/**
 * v1 rules and policy specs in the v1 API shape that v2.5/v2.6 GlobalNetworkPolicy objects hold
 * (libcalico-go v1.7 `lib/api/rule.go`): `action` always present, `source` and `destination`
 * always present (as `{}` when empty), merged `nets`/`notNets`, lowercase actions and protocols.
 */
import type { LostField } from '../../src/model/report.js';
import { isPortName, type V1EntityRule, type V1PolicySpec, type V1Rule } from '../../src/model/v1.js';
import { logPrefixLost } from '../shared/rule-fields.js';
import { formatCidr, isMasked, maskCidr, parseCidr } from '../../src/net.js';
import { compact } from '../../src/util.js';
import { namespaceOfTag } from '../shared/tags.js';

/** What converting one policy noticed, for the report. */
export interface RuleNotes {
  readonly problems: string[];
  readonly masked: string[];
  /** Rule fields the v1 API shape cannot hold (log prefixes): the record is converted with loss. */
  readonly lost: LostField[];
  /** Namespace tags rewritten as `calico/k8s_ns` selectors. */
  readonly namespaceTags: string[];
}

/** A selector and a namespace tag, combined (`||` on the negated side, keeping Felix 2.x's meaning). */
function withNamespace(selector: string | undefined, ns: string, negated: boolean): string {
  const term = `calico/k8s_ns == '${ns}'`;
  if (!selector) return term;
  return negated ? `(${selector}) || ${term}` : `(${selector}) && ${term}`;
}

function nets(list: readonly string[] | undefined, where: string, notes: RuleNotes): string[] | undefined {
  if (!list) return undefined;
  return list.map((text) => {
    // A bare address is read as a single-host network, as libcalico-go's IPNet parsing does.
    const cidr = text.includes('/') ? parseCidr(text) : parseCidr(`${text}/${text.includes(':') ? 128 : 32}`);
    if (!cidr) {
      notes.problems.push(`${where}: ${JSON.stringify(text)} is not a CIDR`);
      return text;
    }
    if (!isMasked(cidr)) {
      const masked = formatCidr(maskCidr(cidr));
      notes.masked.push(`${where}: ${text} → ${masked}`);
      return masked;
    }
    return formatCidr(cidr);
  });
}

function entity(e: V1EntityRule, where: string, notes: RuleNotes): Record<string, unknown> {
  // The v2.5 Kubernetes datastore derives namespace profiles without tags, so `k8s_ns.<ns>` tags
  // would match nothing; the namespace label on every v2.5 workload endpoint says the same thing.
  const ns = e.tag !== undefined ? namespaceOfTag(e.tag) : undefined;
  const notNs = e.notTag !== undefined ? namespaceOfTag(e.notTag) : undefined;
  if (ns !== undefined) notes.namespaceTags.push(`${where} tag ${e.tag ?? ''}`);
  if (notNs !== undefined) notes.namespaceTags.push(`${where} notTag ${e.notTag ?? ''}`);
  return compact({
    tag: ns === undefined ? e.tag : undefined,
    nets: nets(e.nets, `${where} nets`, notes),
    selector: ns === undefined ? e.selector : withNamespace(e.selector, ns, false),
    ports: e.ports,
    notTag: notNs === undefined ? e.notTag : undefined,
    notNets: nets(e.notNets, `${where} notNets`, notes),
    notSelector: notNs === undefined ? e.notSelector : withNamespace(e.notSelector, notNs, true),
    notPorts: e.notPorts,
  });
}

export function ruleToV1Api(rule: V1Rule, where: string, notes: RuleNotes): Record<string, unknown> {
  if (rule.logPrefix !== undefined) notes.lost.push(logPrefixLost(where, rule.logPrefix, 'v1 API (v2.5/v2.6)'));
  for (const [side, e] of [['source', rule.source], ['destination', rule.destination]] as const) {
    const named = [...(e.ports ?? []), ...(e.notPorts ?? [])].filter(isPortName);
    if (named.length > 0) notes.problems.push(`${where} ${side}: named port(s) ${named.join(', ')}: the v2.5/v2.6 policy API has no named ports (Calico v3.0 adds them), and dropping them would widen the rule`);
  }
  const hasPorts = [rule.source, rule.destination].some((e) => (e.ports?.length ?? 0) > 0 || (e.notPorts?.length ?? 0) > 0);
  if (hasPorts && !['tcp', 'udp', 6, 17].includes(rule.protocol ?? '')) {
    notes.problems.push(`${where}: ports need protocol tcp or udp (got ${rule.protocol === undefined ? 'none' : JSON.stringify(rule.protocol)})`);
  }
  return compact({
    action: rule.action,
    ipVersion: rule.ipVersion,
    protocol: rule.protocol,
    notProtocol: rule.notProtocol,
    icmp: rule.icmp,
    notICMP: rule.notICMP,
    source: entity(rule.source, `${where} source`, notes),
    destination: entity(rule.destination, `${where} destination`, notes),
  });
}

/** The v1 API PolicySpec as a v2.5 GlobalNetworkPolicy `spec`. */
export function policySpecToV1Api(spec: V1PolicySpec, notes: RuleNotes): Record<string, unknown> {
  const ingress = spec.ingress.map((r, i) => ruleToV1Api(r, `ingress[${i}]`, notes));
  const egress = spec.egress.map((r, i) => ruleToV1Api(r, `egress[${i}]`, notes));
  return compact({
    order: spec.order,
    selector: spec.selector,
    ingress: ingress.length > 0 ? ingress : undefined,
    egress: egress.length > 0 ? egress : undefined,
    doNotTrack: spec.doNotTrack || undefined,
    preDNAT: spec.preDNAT || undefined,
    types: spec.types && spec.types.length > 0 ? spec.types : undefined,
  });
}
