/**
 * v1 rules and policy specs in the v1 API shape that v2.5/v2.6 GlobalNetworkPolicy objects hold
 * (libcalico-go v1.7 `lib/api/rule.go`): `action` always present, `source` and `destination`
 * always present (as `{}` when empty), merged `nets`/`notNets`, lowercase actions and protocols.
 */
import type { LostField } from '../../src/model/report.js';
import { isPortName, type V1EntityRule, type V1PolicySpec, type V1Rule } from '../../src/model/v1.js';
import { logPrefixLost } from '../shared/rule-fields.js';
import { formatCidr, isMasked, maskCidr, parseCidr } from '../../src/net.js';
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

/** Nets as written in v1 API, masked; `where` and `field` name them in notes (joined only when a note is made). */
function nets(list: readonly string[] | undefined, where: string, field: string, notes: RuleNotes): string[] | undefined {
  if (!list) return undefined;
  return list.map((text) => {
    // A bare address is read as a single-host network, as libcalico-go's IPNet parsing does.
    const cidr = text.includes('/') ? parseCidr(text) : parseCidr(`${text}/${text.includes(':') ? 128 : 32}`);
    if (!cidr) {
      notes.problems.push(`${where} ${field}: ${JSON.stringify(text)} is not a CIDR`);
      return text;
    }
    if (!isMasked(cidr)) {
      const masked = formatCidr(maskCidr(cidr));
      notes.masked.push(`${where} ${field}: ${text} → ${masked}`);
      return masked;
    }
    return formatCidr(cidr);
  });
}

/**
 * One side of a rule. Fields are added in this order when they hold something (what compact()
 * would give), and the place names for notes are joined only when a note is made: this runs for
 * both sides of every rule of tens of thousands of policies.
 */
function entity(e: V1EntityRule, where: string, side: string, notes: RuleNotes): Record<string, unknown> {
  // The v2.5 Kubernetes datastore derives namespace profiles without tags, so `k8s_ns.<ns>` tags
  // would match nothing; the namespace label on every v2.5 workload endpoint says the same thing.
  const ns = e.tag !== undefined ? namespaceOfTag(e.tag) : undefined;
  const notNs = e.notTag !== undefined ? namespaceOfTag(e.notTag) : undefined;
  if (ns !== undefined) notes.namespaceTags.push(`${where} ${side} tag ${e.tag ?? ''}`);
  if (notNs !== undefined) notes.namespaceTags.push(`${where} ${side} notTag ${e.notTag ?? ''}`);
  const out: Record<string, unknown> = {};
  if (ns === undefined && e.tag !== undefined) out['tag'] = e.tag;
  const n = e.nets === undefined ? undefined : nets(e.nets, `${where} ${side}`, 'nets', notes);
  if (n !== undefined) out['nets'] = n;
  const selector = ns === undefined ? e.selector : withNamespace(e.selector, ns, false);
  if (selector !== undefined) out['selector'] = selector;
  if (e.ports !== undefined) out['ports'] = e.ports;
  if (notNs === undefined && e.notTag !== undefined) out['notTag'] = e.notTag;
  const notNets = e.notNets === undefined ? undefined : nets(e.notNets, `${where} ${side}`, 'notNets', notes);
  if (notNets !== undefined) out['notNets'] = notNets;
  const notSelector = notNs === undefined ? e.notSelector : withNamespace(e.notSelector, notNs, true);
  if (notSelector !== undefined) out['notSelector'] = notSelector;
  if (e.notPorts !== undefined) out['notPorts'] = e.notPorts;
  return out;
}

const PORT_PROTOCOLS: readonly (string | number)[] = ['tcp', 'udp', 6, 17];

export function ruleToV1Api(rule: V1Rule, where: string, notes: RuleNotes): Record<string, unknown> {
  if (rule.logPrefix !== undefined) notes.lost.push(logPrefixLost(where, rule.logPrefix, 'v1 API (v2.5/v2.6)'));
  let hasPorts = false;
  for (const [side, e] of [['source', rule.source], ['destination', rule.destination]] as const) {
    if (e.ports === undefined && e.notPorts === undefined) continue;
    const named = [...(e.ports ?? []), ...(e.notPorts ?? [])].filter(isPortName);
    if (named.length > 0) notes.problems.push(`${where} ${side}: named port(s) ${named.join(', ')}: the v2.5/v2.6 policy API has no named ports (Calico v3.0 adds them), and dropping them would widen the rule`);
    if ((e.ports?.length ?? 0) > 0 || (e.notPorts?.length ?? 0) > 0) hasPorts = true;
  }
  if (hasPorts && !PORT_PROTOCOLS.includes(rule.protocol ?? '')) {
    notes.problems.push(`${where}: ports need protocol tcp or udp (got ${rule.protocol === undefined ? 'none' : JSON.stringify(rule.protocol)})`);
  }
  // In compact()'s order, fields added only when set (see entity).
  const out: Record<string, unknown> = { action: rule.action };
  if (rule.ipVersion !== undefined) out['ipVersion'] = rule.ipVersion;
  if (rule.protocol !== undefined) out['protocol'] = rule.protocol;
  if (rule.notProtocol !== undefined) out['notProtocol'] = rule.notProtocol;
  if (rule.icmp !== undefined) out['icmp'] = rule.icmp;
  if (rule.notICMP !== undefined) out['notICMP'] = rule.notICMP;
  out['source'] = entity(rule.source, where, 'source', notes);
  out['destination'] = entity(rule.destination, where, 'destination', notes);
  return out;
}

/** The v1 API PolicySpec as a v2.5 GlobalNetworkPolicy `spec`. */
export function policySpecToV1Api(spec: V1PolicySpec, notes: RuleNotes): Record<string, unknown> {
  const ingress = spec.ingress.map((r, i) => ruleToV1Api(r, `ingress[${i}]`, notes));
  const egress = spec.egress.map((r, i) => ruleToV1Api(r, `egress[${i}]`, notes));
  // In compact()'s order, fields added only when set (see entity).
  const out: Record<string, unknown> = {};
  if (spec.order !== undefined) out['order'] = spec.order;
  out['selector'] = spec.selector;
  if (ingress.length > 0) out['ingress'] = ingress;
  if (egress.length > 0) out['egress'] = egress;
  if (spec.doNotTrack) out['doNotTrack'] = true;
  if (spec.preDNAT) out['preDNAT'] = true;
  if (spec.types && spec.types.length > 0) out['types'] = spec.types;
  return out;
}
