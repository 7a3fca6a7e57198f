/**
 * Profiles → v3 Profile in the calicoctl form (libcalico-go `lib/upgrade/converters/profile.go`):
 * the `tags`, `labels` and `rules` keys of one profile make one object; name via
 * convertProfileName; tags join the labels as `labelsToApply` keys with empty values, and a tag
 * equal to a label key is an error (upstream's rule), for every key of that profile. A profile
 * without a `tags` key (the v1 client could not read it, Felix could) is converted with a note.
 * Namespace and OpenStack profiles are regenerated in v3 and skipped; the v3.0 Kubernetes datastore
 * derives all profiles from Namespaces, so in the CRD form user profiles are reported.
 */
import { defineStep, OutputBuilder, type ItemOf } from '../../src/migrate/step.js';
import type { V1Rule } from '../../src/model/v1.js';
import { compact } from '../../src/util.js';
import { v3Object } from './common.js';
import { convertProfileName } from './endpoint-values.js';
import { newNotes, reportNotes, rulesToV3 } from './rules.js';

type ProfilePart = ItemOf<'profile-part'>;

const DERIVED = [
  { prefix: 'k8s_ns.', why: 'generated from a Namespace by the policy controller; v3 regenerates it as kns.<namespace>' },
  { prefix: 'ns.projectcalico.org/', why: 'derived from a Namespace by the v2.4 Kubernetes datastore; v3 derives kns.<namespace>' },
  { prefix: 'openstack-sg-', why: 'an OpenStack security-group profile; networking-calico recreates it' },
];

function convertProfile(name: string, parts: readonly ProfilePart[], out: OutputBuilder): void {
  const part = <K extends ProfilePart['part']>(k: K) => parts.find((p) => p.part === k);
  const tags = (part('tags')?.value as string[] | undefined) ?? [];
  const labels = (part('labels')?.value as Record<string, string> | undefined) ?? {};
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
  const id = out.emit(v3Object('calicoctl', 'Profile', v3name, spec), parts);
  const first = parts[0];
  if (first) {
    out.rename(first, 'Profile', name, v3name);
    if (!part('tags')) out.issue(first, 'info', 'profile-without-tags', `profile ${name} has no tags key (the v1 client could not read it, but Felix applied its rules); converted`);
    reportNotes(first, notes, out);
  }
  for (const p of parts) out.converted(p, [id], undefined, p.part === 'rules' ? notes.lost : []);
}

export const step = defineStep({
  id: '0072-profiles',
  target: 'v3.0',
  summary: 'User profiles become v3 Profile objects with tags merged into labelsToApply (calicoctl form); namespace profiles are skipped as regenerated.',
  handles: ['profile-part'],
  transform(items, { form }) {
    const out = new OutputBuilder();
    const byProfile = new Map<string, ProfilePart[]>();
    for (const item of items) byProfile.set(item.profile, [...(byProfile.get(item.profile) ?? []), item]);
    for (const [name, parts] of byProfile) {
      const derived = DERIVED.find((d) => name.startsWith(d.prefix));
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
