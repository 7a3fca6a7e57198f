/**
 * Profile tags used in rules (`src_tag`, `!dst_tag`, …). A tag matched endpoints whose profiles
 * carried it. kube-policy-controller's namespace profiles `k8s_ns.<ns>` carry the tag
 * `k8s_ns.<ns>`, so that tag meant "endpoints in namespace <ns>"; later versions drop those
 * profiles, so the tag must become a namespace-label selector or it would match nothing. Tags of
 * user profiles only keep meaning where the profiles are converted too.
 */
import type { V1Snapshot } from '../../src/model/v1.js';

const NAMESPACE_TAG_PREFIX = 'k8s_ns.';

/** The namespace a `k8s_ns.<ns>` tag stands for, or undefined for any other tag. */
export function namespaceOfTag(tag: string): string | undefined {
  return tag.startsWith(NAMESPACE_TAG_PREFIX) && tag.length > NAMESPACE_TAG_PREFIX.length ? tag.slice(NAMESPACE_TAG_PREFIX.length) : undefined;
}

/** Tags that profiles in the snapshot apply (from their `tags` keys), with the profiles applying each. */
export function profileTags(snapshot: V1Snapshot): ReadonlyMap<string, readonly string[]> {
  const out = new Map<string, string[]>();
  const items = snapshot.items;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item.type !== 'profile-part' || item.part !== 'tags' || !Array.isArray(item.value)) continue;
    for (const tag of item.value) {
      if (typeof tag !== 'string') continue;
      const profiles = out.get(tag);
      if (profiles) profiles.push(item.profile);
      else out.set(tag, [item.profile]);
    }
  }
  return out;
}

type TaggedSide = { readonly tag?: string; readonly notTag?: string };

/** Tags, other than namespace tags, that a rule set uses: each once, in the order rules name them. */
export function userTagsIn(rules: readonly { readonly source: TaggedSide; readonly destination: TaggedSide }[]): string[] {
  // Most rules name no tag: nothing is built for them (this runs for every policy of a keyspace).
  const tags: string[] = [];
  const add = (t: string | undefined): void => {
    if (t !== undefined && namespaceOfTag(t) === undefined && !tags.includes(t)) tags.push(t);
  };
  for (const r of rules) {
    add(r.source.tag);
    add(r.source.notTag);
    add(r.destination.tag);
    add(r.destination.notTag);
  }
  return tags;
}
