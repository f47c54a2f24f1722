/**
 * Retention in mirrors (seed 000 "定期清理不使用的旧版本", seed 001 "保留最近
 * 几个版本即可"): keep the newest N versions of a Repository's image in its
 * mirror repository and delete the rest, in two steps, as oc-mirror learned
 * it must: a plan anyone can read, then an apply of exactly that plan.
 *
 * {@link planRetention} is pure. Never deleted: a tag some Repository mirrors
 * to (it is what a cluster pulls; with spec.tags every tag it follows, each
 * mirrored under its own name: {@link mirrorReferences}), a tag that is not a version when ordering
 * by semver, and any tag whose manifest a kept tag or a Repository's mirror
 * still names (a registry deletes a manifest, and with it every tag on it).
 */
import { createHash } from 'node:crypto';
import type { Repository } from '../api/types.ts';
import { semver } from '../sync/semver.ts';

export type RetentionOrder = 'semver' | 'created';

export interface MirrorTag {
  tag: string;
  digest: string;
  created?: string | undefined;
}

export interface RetentionPlan {
  keep: { tag: string; digest: string; why: string }[];
  delete: { tag: string; digest: string }[];
  /** A hash of the decision: apply refuses a plan that changed since it was read. */
  planId: string;
}

/** The version a tag names (`v1.2.3` and `1.2.3`), or null. */
const version = (tag: string): string | null => semver().valid(tag.replace(/^v/, ''));

export function planRetention(tags: readonly MirrorTag[], options: { keep: number; by: RetentionOrder; followedTags: ReadonlySet<string>; referencedDigests: ReadonlySet<string> }): RetentionPlan {
  const keep: RetentionPlan['keep'] = [];
  const candidates: MirrorTag[] = [];
  for (const t of tags) {
    if (options.followedTags.has(t.tag)) keep.push({ tag: t.tag, digest: t.digest, why: 'a Repository mirrors to it' });
    else if (options.by === 'semver' && !version(t.tag)) keep.push({ tag: t.tag, digest: t.digest, why: 'not a version' });
    else if (options.by === 'created' && !t.created) keep.push({ tag: t.tag, digest: t.digest, why: 'no creation time' });
    else candidates.push(t);
  }
  const ordered = [...candidates].sort((a, b) =>
    options.by === 'semver' ? semver().rcompare(version(a.tag)!, version(b.tag)!) || a.tag.localeCompare(b.tag) : Date.parse(b.created!) - Date.parse(a.created!) || a.tag.localeCompare(b.tag),
  );
  for (const t of ordered.slice(0, options.keep)) keep.push({ tag: t.tag, digest: t.digest, why: `one of the newest ${options.keep}` });
  const kept = new Set([...keep.map((k) => k.digest), ...options.referencedDigests]);
  const del: RetentionPlan['delete'] = [];
  for (const t of ordered.slice(options.keep)) {
    if (kept.has(t.digest)) keep.push({ tag: t.tag, digest: t.digest, why: 'its manifest is also a kept or mirrored image' });
    else del.push({ tag: t.tag, digest: t.digest });
  }
  keep.sort((a, b) => a.tag.localeCompare(b.tag));
  const planId = createHash('sha256').update(JSON.stringify({ keep: keep.map((k) => [k.tag, k.digest]), del: del.map((d) => [d.tag, d.digest]) })).digest('hex').slice(0, 16);
  return { keep, delete: del, planId };
}

/**
 * What Repositories that mirror into one repository hold there: the tags
 * (spec.mirror.tag or spec.tag, and with spec.tags every followed tag: the
 * names of spec.tags.list and those status.tags records) and the manifests
 * their last syncs wrote (status.mirror.digest, and each followed tag's
 * mirror digest). A tag a filter stopped selecting has left status.tags, so
 * retention may take it: that is its job, not the sync's.
 */
export function mirrorReferences(mirroring: readonly Repository[]): { followedTags: Set<string>; referencedDigests: Set<string> } {
  const followedTags = new Set<string>();
  const referencedDigests = new Set<string>();
  for (const r of mirroring) {
    followedTags.add(r.spec.mirror?.tag ?? r.spec.tag);
    if (r.status?.mirror?.digest) referencedDigests.add(r.status.mirror.digest);
    if (!r.spec.tags) continue;
    for (const t of r.spec.tags.list ?? []) followedTags.add(t);
    for (const t of r.status?.tags ?? []) {
      // spec.tag's line names the source; its mirror copy is spec.mirror.tag's, counted above.
      if (t.tag === r.spec.tag) continue;
      followedTags.add(t.tag);
      const held = t.mirrorDigest ?? t.digest;
      if (held) referencedDigests.add(held);
    }
  }
  return { followedTags, referencedDigests };
}
