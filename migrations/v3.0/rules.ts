/**
 * v1 rules and selectors → v3 (libcalico-go `lib/upgrade/converters/rule.go`, `selectors.go`):
 * actions and protocols re-cased, ICMP fields grouped, every net masked, tags merged into
 * selectors as `<tag> == ''`. Beyond upstream: `calico/k8s_ns` is renamed as a label key only
 * (never inside quoted values) in policy *and* rule selectors; v2.4 namespace-label keys
 * `k8s_ns/label/<k>` become v3's `pcns.<k>`; and a negated tag and a negated selector on the
 * same side are merged with `||`, which keeps Felix 2.x's meaning (NOT tag AND NOT selector).
 */
import type { OutputBuilder } from '../../src/migrate/step.js';
import type { LostField } from '../../src/model/report.js';
import type { V1EntityRule, V1Item, V1Rule } from '../../src/model/v1.js';
import { formatCidr, isMasked, maskCidr, parseCidr } from '../../src/net.js';
import { renameSelectorLabels, SelectorError, validateSelector } from '../../src/selector.js';
import { compact, remembered } from '../../src/util.js';
import type { OutputForm } from '../../src/model/target.js';
import { namespaceOfTag, userTagsIn } from '../shared/tags.js';
import { logPrefixLost } from '../shared/rule-fields.js';

/** What converting rules and selectors noticed; problems make the record an error. */
export interface ConversionNotes {
  readonly problems: string[];
  readonly masked: string[];
  /** Rule fields v3 cannot hold (log prefixes): the record is converted with loss. */
  readonly lost: LostField[];
  readonly rewrites: string[];
  readonly negatedMerges: string[];
}

export function newNotes(): ConversionNotes {
  return { problems: [], masked: [], lost: [], rewrites: [], negatedMerges: [] };
}

const NAMESPACE_LABEL_V1 = 'calico/k8s_ns';
const NAMESPACE_LABEL_V3 = 'projectcalico.org/namespace';
const NS_LABEL_PREFIX_V1 = 'k8s_ns/label/';
const NS_LABEL_PREFIX_V3 = 'pcns.';

/** A selector converted: the text and the keys renamed in it, or why it does not parse. */
type ConvertedSelector = { readonly text: string; readonly renamed: readonly (readonly [string, string])[] } | { readonly problem: string };

/** The v3 key of a v1 namespace label key; undefined for every other key. */
function namespaceKeyV3(key: string): string | undefined {
  if (key === NAMESPACE_LABEL_V1) return NAMESPACE_LABEL_V3;
  return key.startsWith(NS_LABEL_PREFIX_V1) ? NS_LABEL_PREFIX_V3 + key.slice(NS_LABEL_PREFIX_V1.length) : undefined;
}

function convertSelectorText(selector: string): ConvertedSelector {
  try {
    const { text, renamed } = renameSelectorLabels(selector, namespaceKeyV3);
    // The renamed text was parsed to check it: validating the policy need not parse it again.
    validateSelector.know(text, undefined);
    return { text, renamed };
  } catch (e) {
    if (!(e instanceof SelectorError)) throw e;
    return { problem: e.message };
  }
}

/**
 * Selectors converted, by their text: the same text comes back in many policies and rules (a
 * namespace's selector in each of its policies), and converting one is a parse, a rename and a check.
 */
const convertedSelector = remembered(convertSelectorText);

/** Renames v1 namespace label keys in a selector to their v3 keys, keeping everything else as written. */
export function convertSelector(selector: string, where: string, notes: ConversionNotes): string {
  const c = convertedSelector(selector);
  if ('problem' in c) {
    notes.problems.push(`${where}: selector ${JSON.stringify(selector)} does not parse (${c.problem})`);
    return selector;
  }
  for (const [key, to] of c.renamed) notes.rewrites.push(`${where}: ${key} → ${to}`);
  return c.text;
}

const PROTOCOLS: ReadonlyMap<string, string> = new Map([
  ['tcp', 'TCP'],
  ['udp', 'UDP'],
  ['icmp', 'ICMP'],
  ['icmpv6', 'ICMPv6'],
  ['sctp', 'SCTP'],
  ['udplite', 'UDPLite'],
]);

/** numorstring.ProtocolV3FromProtocolV1: names re-cased, numbers kept; unknown names kept (validation reports them). */
export function protocolV3(p: number | string | undefined): number | string | undefined {
  if (p === undefined || typeof p === 'number') return p;
  return PROTOCOLS.get(p.toLowerCase()) ?? p;
}

const ACTIONS = { allow: 'Allow', deny: 'Deny', log: 'Log', pass: 'Pass' } as const;

function nets(list: readonly string[] | undefined, where: string, notes: ConversionNotes): string[] | undefined {
  if (!list || list.length === 0) return undefined;
  return list.map((text) => {
    const cidr = text.includes('/') ? parseCidr(text) : parseCidr(`${text}/${text.includes(':') ? 128 : 32}`);
    if (!cidr) {
      notes.problems.push(`${where}: ${JSON.stringify(text)} is not a CIDR`);
      return text;
    }
    const masked = maskCidr(cidr);
    if (!isMasked(cidr)) notes.masked.push(`${where}: ${text} → ${formatCidr(masked)}`);
    return formatCidr(masked);
  });
}

/**
 * `(<sel>) && <tag> == ''` as upstream; for the negated side `(<sel>) || <tag> == ''` (see the file
 * comment). A namespace profile tag `k8s_ns.<ns>` becomes `projectcalico.org/namespace == '<ns>'`:
 * v3 drops those profiles, so the tag itself would match nothing.
 */
function mergeTag(selector: string | undefined, tag: string | undefined, negated: boolean, where: string, notes: ConversionNotes): string | undefined {
  if (!tag) return selector;
  const ns = namespaceOfTag(tag);
  const term = ns === undefined ? `${tag} == ''` : `${NAMESPACE_LABEL_V3} == '${ns}'`;
  if (ns !== undefined) notes.rewrites.push(`${where}: tag ${tag} → ${term}`);
  if (!selector) return term;
  if (negated) {
    notes.negatedMerges.push(where);
    return `(${selector}) || ${term}`;
  }
  return `(${selector}) && ${term}`;
}

function entity(e: V1EntityRule, where: string, notes: ConversionNotes): Record<string, unknown> {
  const selector = e.selector === undefined || e.selector === '' ? undefined : convertSelector(e.selector, `${where} selector`, notes);
  const notSelector = e.notSelector === undefined || e.notSelector === '' ? undefined : convertSelector(e.notSelector, `${where} notSelector`, notes);
  return compact({
    nets: nets(e.nets, `${where} nets`, notes),
    selector: mergeTag(selector, e.tag, false, `${where} selector`, notes),
    ports: e.ports && e.ports.length > 0 ? e.ports : undefined,
    notNets: nets(e.notNets, `${where} notNets`, notes),
    notSelector: mergeTag(notSelector, e.notTag, true, `${where} notSelector`, notes),
    notPorts: e.notPorts && e.notPorts.length > 0 ? e.notPorts : undefined,
  });
}

export function ruleToV3(rule: V1Rule, where: string, notes: ConversionNotes): Record<string, unknown> {
  if (rule.logPrefix !== undefined) notes.lost.push(logPrefixLost(where, rule.logPrefix, 'v3'));
  return compact({
    action: ACTIONS[rule.action],
    ipVersion: rule.ipVersion,
    protocol: protocolV3(rule.protocol),
    icmp: rule.icmp,
    notProtocol: protocolV3(rule.notProtocol),
    notICMP: rule.notICMP,
    source: entity(rule.source, `${where} source`, notes),
    destination: entity(rule.destination, `${where} destination`, notes),
  });
}

/** Reports what converting rules and selectors noticed, once per record. */
export function reportNotes(item: V1Item, notes: ConversionNotes, out: OutputBuilder): void {
  if (notes.masked.length > 0) out.issue(item, 'info', 'net-masked', `CIDRs with host bits set were masked (same match): ${notes.masked.join('; ')}`);
  if (notes.rewrites.length > 0) out.issue(item, 'info', 'selector-rewritten', `v1 namespace label keys renamed to their v3 keys: ${notes.rewrites.join('; ')}`);
  if (notes.negatedMerges.length > 0) {
    out.issue(item, 'info', 'negated-tag-merge', `a negated tag and a negated selector were merged with || to keep Felix 2.x's meaning (upstream uses &&, which changes it): ${notes.negatedMerges.join('; ')}`);
  }
}

/**
 * In the CRD form user profiles are not kept, so rule tags their `tags` keys applied match nothing
 * any more: a warning per record naming the tags and profiles.
 */
export function reportLostTags(item: V1Item, rules: readonly V1Rule[], form: OutputForm, tags: ReadonlyMap<string, readonly string[]>, out: OutputBuilder): void {
  if (form !== 'crd') return;
  const lost = userTagsIn(rules).filter((t) => tags.has(t));
  if (lost.length === 0) return;
  const profiles = [...new Set(lost.flatMap((t) => tags.get(t) ?? []))];
  out.issue(item, 'warning', 'tag-matches-nothing', `rules use tag(s) ${lost.join(', ')}, applied by user profile(s) ${profiles.join(', ')}, which the v3.0 Kubernetes datastore does not keep: those rules will match nothing`, 'select the endpoints by label instead of by tag, or convert with --form calicoctl for an etcd datastore');
}

export function rulesToV3(rules: readonly V1Rule[], where: string, notes: ConversionNotes): Record<string, unknown>[] | undefined {
  return rules.length > 0 ? rules.map((r, i) => ruleToV3(r, `${where}[${i}]`, notes)) : undefined;
}
