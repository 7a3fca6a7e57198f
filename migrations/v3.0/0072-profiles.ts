/**
 * Profiles → v3 Profile in the calicoctl form (libcalico-go `lib/upgrade/converters/profile.go`):
 * the `tags`, `labels` and `rules` keys of one profile make one object; name via
 * convertProfileName; tags join the labels as `labelsToApply` keys with empty values, and a tag
 * equal to a label key is an error (upstream's rule), for every key of that profile. A profile
 * without a `tags` key (the v1 client could not read it, Felix could) is converted with a note.
 * In the CRD form the v3.0 Kubernetes datastore derives every profile from Namespaces, so namespace
 * profiles are skipped and user profiles reported. In the calicoctl form (an etcd datastore) the
 * policy controller's namespace profiles `k8s_ns.<ns>` are carried as `kns.<ns>`, the name v3
 * workload endpoints reference: without them every pod would reference a missing profile until
 * kube-controllers v3 has run, and Felix v3 would drop its traffic meanwhile. They take the shape the
 * controller writes (namespace label keys `k8s_ns/label/<k>` become `pcns.<k>`) and carry an
 * annotation naming the controller as owner; the controller takes every `kns.` profile over on its
 * first sync. OpenStack profiles are recreated by networking-calico and skipped.
 */
import { defineStep, OutputBuilder, type ItemOf } from '../../src/migrate/step.js';
import type { V1Rule } from '../../src/model/v1.js';
import { compact } from '../../src/util.js';
import { v3Object } from './common.js';
import { convertProfileName } from './endpoint-values.js';
import { newNotes, reportNotes, rulesToV3 } from './rules.js';

type ProfilePart = ItemOf<'profile-part'>;

const NAMESPACE_PROFILE_PREFIX = 'k8s_ns.';

const DERIVED = [
  { prefix: NAMESPACE_PROFILE_PREFIX, why: 'generated from a Namespace by the policy controller; the v3.0 Kubernetes datastore derives kns.<namespace> from the Namespace itself' },
  { prefix: 'ns.projectcalico.org/', why: 'derived from a Namespace by the v2.4 Kubernetes datastore; v3 derives kns.<namespace>' },
  { prefix: 'openstack-sg-', why: 'an OpenStack security-group profile; networking-calico recreates it' },
];

/** Marks a carried namespace profile as the policy controller's, which takes it over on its first sync. */
export const CONTROLLER_OWNED_ANNOTATION = 'calico-migrate.projectcalico.org/owner';
const CONTROLLER = 'kube-controllers';
const NS_LABEL_PREFIX_V1 = 'k8s_ns/label/';
const NS_LABEL_PREFIX_V3 = 'pcns.';

function convertProfile(name: string, parts: readonly ProfilePart[], out: OutputBuilder): void {
  const part = <K extends ProfilePart['part']>(k: K) => parts.find((p) => p.part === k);
  const tags = (part('tags')?.value as string[] | undefined) ?? [];
  const namespaceProfile = name.startsWith(NAMESPACE_PROFILE_PREFIX);
  const rawLabels = (part('labels')?.value as Record<string, string> | undefined) ?? {};
  // The controller's namespace profiles label pods with pcns.<k>, which converted selectors use.
  const labels = namespaceProfile ? Object.fromEntries(Object.entries(rawLabels).map(([k, v]) => [k.startsWith(NS_LABEL_PREFIX_V1) ? NS_LABEL_PREFIX_V3 + k.slice(NS_LABEL_PREFIX_V1.length) : k, v])) : rawLabels;
  const rules = part('rules')?.value as { ingress: V1Rule[]; egress: V1Rule[] } | undefined;
  const clash = tags.filter((t) => Object.hasOwn(labels, t));
  if (clash.length > 0) {
    const message = `profile ${name}: tag(s) ${clash.join(', ')} equal label key(s) of the same profile, so they cannot both become labelsToApply`;
    for (const p of parts) out.failed(p, 'tag-label-clash', message, 'rename the label key (or drop the tag) in the source and run the conversion again');
    return;
  }
  const labelsToApply: Record<string, string> = Object.fromEntries([...Object.entries(labels), ...tags.map((t) => [t, ''])]);
  const notes = newNotes();
  const spec = compact({
    ingress: rulesToV3(rules?.ingress ?? [], 'ingress', notes),
    egress: rulesToV3(rules?.egress ?? [], 'egress', notes),
    labelsToApply: Object.keys(labelsToApply).length > 0 ? labelsToApply : undefined,
  });
  if (notes.problems.length > 0) {
    for (const p of parts) out.failed(p, 'conversion-error', `profile ${name}: ${notes.problems.join('; ')}`);
    return;
  }
  const v3name = convertProfileName(name);
  const annotations = namespaceProfile ? { [CONTROLLER_OWNED_ANNOTATION]: CONTROLLER } : undefined;
  const id = out.emit(v3Object('calicoctl', 'Profile', v3name, spec, { annotations }), parts);
  const first = parts[0];
  if (first) {
    out.rename(first, 'Profile', name, v3name);
    if (namespaceProfile) {
      out.issue(first, 'info', 'namespace-profile-carried', `namespace profile ${name} carried as ${v3name} so that workload endpoints keep their profile until kube-controllers v3 takes it over (its first sync rewrites every kns. profile from the Namespace)`);
    }
    if (!part('tags')) out.issue(first, 'info', 'profile-without-tags', `profile ${name} has no tags key (the v1 client could not read it, but Felix applied its rules); converted`);
    reportNotes(first, notes, out);
  }
  for (const p of parts) out.converted(p, [id], undefined, p.part === 'rules' ? notes.lost : []);
}

export const step = defineStep({
  id: '0072-profiles',
  target: 'v3.0',
  summary: 'User profiles, and namespace profiles as controller-owned kns.<ns>, become v3 Profile objects with tags merged into labelsToApply (calicoctl form); the CRD form derives profiles from Namespaces.',
  handles: ['profile-part'],
  transform(items, { form }) {
    const out = new OutputBuilder();
    const byProfile = new Map<string, ProfilePart[]>();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const parts = byProfile.get(item.profile);
      if (parts) parts.push(item);
      else byProfile.set(item.profile, [item]);
    }
    for (const [name, parts] of byProfile) {
      const derived = DERIVED.find((d) => name.startsWith(d.prefix) && !(form === 'calicoctl' && d.prefix === NAMESPACE_PROFILE_PREFIX));
      if (derived) {
        for (const p of parts) out.skipped(p, 'derived-profile', `${p.part} of profile ${name}: ${derived.why}`);
      } else if (form === 'calicoctl') {
        convertProfile(name, parts, out);
      } else {
        for (const p of parts) out.skipped(p, 'unsupported-profile', `${p.part} of user profile ${name}: the v3.0 Kubernetes datastore derives profiles from Namespaces`);
        const first = parts[0];
        if (first) {
          out.issue(first, 'warning', 'unsupported-profile', `user profile ${name} is not carried over: the v3.0 Kubernetes datastore derives profiles from Namespaces, so its rules, labels and tags stop applying`, `express the rules of profile ${name} as GlobalNetworkPolicy selecting the endpoints that used it`);
        }
      }
    }
    return out.build();
  },
});
