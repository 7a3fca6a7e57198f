/**
 * Policies → v3 GlobalNetworkPolicy (libcalico-go `lib/upgrade/converters/policy.go`, migrator
 * filters): name via convertNameNoDots (a GNP name is a DNS-1123 label), stored as `default.<name>`
 * in the CRD form; `types` defaulted for v2.4 data to [Ingress, Egress] ([Ingress] for preDNAT),
 * which keeps the pre-v2.6 meaning; `applyOnForward` forced where doNotTrack or preDNAT needs it;
 * an explicit Egress type on a preDNAT policy dropped with a warning (calico#1796, which upstream
 * left open for explicit types). Generated, legacy and other-tier policies are skipped as in v2.5.
 */
import { defineStep, notCarried, OutputBuilder, type ItemOf } from '../../src/migrate/step.js';
import type { LostField } from '../../src/model/report.js';
import type { OutputForm } from '../../src/model/target.js';
import { convertNameNoDots } from '../../src/names.js';
import { compact } from '../../src/util.js';
import { v3Object } from './common.js';
import { skipUnconvertedPolicies } from '../shared/generated-policies.js';
import { reportOrderFlips, type RenamedPolicy } from '../shared/order-ties.js';
import { profileTags } from '../shared/tags.js';
import { convertSelector, newNotes, reportLostTags, reportNotes, rulesToV3 } from './rules.js';

type PolicyItem = ItemOf<'policy'>;

function types(item: PolicyItem, lost: LostField[]): ('Ingress' | 'Egress')[] {
  const { spec } = item;
  if (!spec.types || spec.types.length === 0) return spec.preDNAT ? ['Ingress'] : ['Ingress', 'Egress'];
  const mapped = [...new Set(spec.types.map((t) => (t === 'ingress' ? 'Ingress' : 'Egress') as 'Ingress' | 'Egress'))];
  if (spec.preDNAT && mapped.includes('Egress')) {
    spec.types.forEach((t, i) => {
      if (t === 'egress') lost.push(notCarried(`${item.kind === 'etcd-policy' ? '' : 'spec.'}types[${i}]`, t, 'v3 forbids type Egress on a preDNAT policy, so it was dropped (calico#1796); preDNAT policy only ever applied to ingress'));
    });
    return mapped.filter((t) => t !== 'Egress');
  }
  return mapped;
}

/** Converts one policy; returns its v3 name when it was written. */
function convert(item: PolicyItem, form: OutputForm, tags: ReadonlyMap<string, readonly string[]>, out: OutputBuilder): string | undefined {
  const notes = newNotes();
  const { spec } = item;
  const preDNAT = spec.preDNAT;
  if (preDNAT && spec.egress.length > 0) notes.problems.push('a preDNAT policy may not have egress rules');
  if (preDNAT && spec.doNotTrack) notes.problems.push('preDNAT and doNotTrack cannot both be set');
  const v3spec = compact({
    order: spec.order,
    ingress: rulesToV3(spec.ingress, 'ingress', notes),
    egress: rulesToV3(spec.egress, 'egress', notes),
    selector: spec.selector === '' ? undefined : convertSelector(spec.selector, 'selector', notes),
    types: types(item, notes.lost),
    doNotTrack: spec.doNotTrack || undefined,
    preDNAT: preDNAT || undefined,
    applyOnForward: spec.applyOnForward || spec.doNotTrack || preDNAT || undefined,
  });
  if (notes.problems.length > 0) {
    out.failed(item, 'conversion-error', notes.problems.join('; '), 'fix the policy in the source datastore and run the conversion again');
    return undefined;
  }
  const name = convertNameNoDots(item.name);
  const object = v3Object(form, 'GlobalNetworkPolicy', name, v3spec, { annotations: item.annotations });
  const id = out.emit(object, [item]);
  out.rename(item, 'GlobalNetworkPolicy', item.name, object.metadata.name);
  reportNotes(item, notes, out);
  reportLostTags(item, [...spec.ingress, ...spec.egress], form, tags, out);
  const defaulted = v3spec.types ?? [];
  const empty = defaulted.filter((t) => (t === 'Ingress' ? spec.ingress : spec.egress).length === 0);
  if (!spec.types && empty.length > 0) {
    out.issue(item, 'info', 'types-defaulted', `types defaulted to [${defaulted.join(', ')}], as v2.4 applied every policy that way: the policy has no ${empty.join(' or ')} rules, so ${empty.join(' and ')} traffic of the endpoints it selects is dropped unless a later policy allows it (as in v2.4)`);
  }
  out.converted(item, [id], item.kind === 'system-network-policy'
    ? { severity: 'info', code: 'system-network-policy-migrated', message: `SystemNetworkPolicy ${item.name} migrated to GlobalNetworkPolicy ${name} (no official tool migrated SystemNetworkPolicies)` }
    : undefined, notes.lost);
  return name;
}

export const step = defineStep({
  id: '0050-policies',
  target: 'v3.0',
  summary: 'Default-tier policies and SystemNetworkPolicies become v3 GlobalNetworkPolicy with types, applyOnForward and selectors converted; generated and legacy policies are skipped.',
  handles: ['policy', 'tier-metadata'],
  transform(items, { form, snapshot }) {
    const out = new OutputBuilder();
    const tags = profileTags(snapshot);
    const written: RenamedPolicy[] = [];
    for (const item of skipUnconvertedPolicies(items, out, 'Calico v3.0')) {
      const name = convert(item, form, tags, out);
      if (name !== undefined) written.push({ origin: item.origin, order: item.spec.order, from: item.name, to: name });
    }
    reportOrderFlips(written, out);
    return out.build();
  },
});
