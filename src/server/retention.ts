/**
 * Retention in mirrors (seed 000 "定期清理不使用的旧版本", seed 001 "保留最近
 * 几个版本即可"): keep the newest N versions of a Repository's image in its
 * mirror repository and delete the rest, in two steps, as oc-mirror learned
 * it must: a plan anyone can read, then an apply of exactly that plan.
 *
 * {@link planRetention} is pure. Never deleted: a tag some Repository mirrors
 * to (it is what a cluster pulls), a tag that is not a version when ordering
 * by semver, and any tag whose manifest a kept tag or a Repository's mirror
 * still names (a registry deletes a manifest, and with it every tag on it).
 */
import { createHash } from 'node:crypto';
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
