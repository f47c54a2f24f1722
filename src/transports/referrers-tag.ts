/**
 * The referrers tag schema (distribution spec v1.1 "Referrers Tag Schema"),
 * what stands in for the referrers API on a store without it: the tag
 * `<alg>-<hex>` of the subject holds an OCI image index listing the
 * descriptors of the subject's referrers. Shared by the transports that
 * keep it (docker/ for registries without the API, registry-dir/).
 */
import { TugError } from '../errors/index.ts';
import { type Descriptor, parseManifest } from '../oci/manifest.ts';
import type { SystemContext } from '../context/system-context.ts';
import { type Digest, referrersTag } from '../reference/digest.ts';
import type { BlobOptions, ImageReference, ImageSource, ReferrerListing } from './types.ts';

export { referrersTag };

/**
 * The descriptors of the fallback index `source` names (a source opened on
 * the {@link referrersTag} tag); empty when the tag does not exist. A tag
 * holding something other than an index is refused (UNSAFE_INPUT): the
 * schema allows nothing else there.
 */
export async function readReferrersIndex(source: ImageSource, options: { signal?: AbortSignal | undefined } = {}): Promise<Descriptor[]> {
  let raw;
  try {
    raw = await source.getManifest(undefined, options);
  } catch (err) {
    if (err instanceof TugError && err.code === 'NOT_FOUND') return [];
    throw err;
  }
  const parsed = parseManifest(raw.bytes, raw.mediaType, `referrers index ${source.reference.toString()}`);
  if (parsed.kind !== 'index') throw new TugError('UNSAFE_INPUT', `${source.reference.toString()}: the referrers tag holds a ${parsed.mediaType}, not an image index`);
  return parsed.manifest.manifests;
}

/**
 * The referrers of `subject` as the referrers tag schema keeps them: the
 * index at `store.referrersIndex(subject)`, read only when `tags` (the
 * repository's list, when the caller has it) names that tag. For stores
 * without the referrers API, and registries that turned out to lack it.
 */
export async function listFromTagSchema(
  store: { referrersIndex(subject: Digest): ImageReference },
  ctx: SystemContext,
  subject: Digest,
  options: BlobOptions & { tags?: ReadonlySet<string> | undefined },
): Promise<ReferrerListing> {
  if (options.tags && !options.tags.has(referrersTag(subject))) return { descriptors: [], via: 'tag-schema' };
  const source = await store.referrersIndex(subject).newSource(ctx);
  try {
    return { descriptors: await readReferrersIndex(source, options), via: 'tag-schema' };
  } finally {
    await source.close();
  }
}
