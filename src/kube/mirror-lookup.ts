/**
 * The two questions `tug kube rewrite` asks the mirror: which digest does
 * this image have there (`--pin-digests`, one HEAD through the docker
 * transport's DigestResolver), and is it there at all (`--check`, the same
 * check `tug verify` runs: src/sync/verify.ts).
 */
import pLimit from 'p-limit';
import type { SystemContext } from '../context/system-context.ts';
import { errorText } from '../errors/index.ts';
import type { Digest, Reference } from '../reference/index.ts';
import type { Observation } from '../sync/plan.ts';
import { verifyMirror, type VerifyResult } from '../sync/verify.ts';
import { parseImageName } from '../transports/index.ts';
import { isDigestResolver } from '../transports/types.ts';

export interface MirrorLookupOptions {
  /** The SystemContext for a mirror registry host. */
  contextFor: (registry: string) => SystemContext;
  signal?: AbortSignal | undefined;
  concurrency?: number | undefined;
}

/** Each image's digest at the mirror (by `ref.toString()`); an entry holds an error text when it could not be resolved or does not exist. */
export async function resolveDigests(refs: readonly Reference[], options: MirrorLookupOptions): Promise<Map<string, { digest: Digest } | { error: string }>> {
  const limit = pLimit(options.concurrency ?? 8);
  const out = new Map<string, { digest: Digest } | { error: string }>();
  await Promise.all(
    refs.map((ref) =>
      limit(async () => {
        const key = ref.toString();
        if (out.has(key)) return;
        try {
          const image = parseImageName(`docker://${ref.tag === undefined && ref.digest === undefined ? `${ref.name}:latest` : key}`);
          if (!isDigestResolver(image)) throw new Error('the docker transport cannot resolve digests');
          const hit = await image.resolveDigest(options.contextFor(ref.registry), { signal: options.signal });
          out.set(key, hit ? { digest: hit.digest } : { error: 'not in the mirror' });
        } catch (err) {
          out.set(key, { error: errorText(err) });
        }
      }),
    ),
  );
  return out;
}

/** `tug verify`'s check for single images: present at the mirror (with every platform it lists). */
export async function checkMirror(images: readonly { source: string; mirror: Reference }[], options: MirrorLookupOptions): Promise<VerifyResult[]> {
  const observations: Observation[] = images.map((i) => ({
    source: i.source,
    destination: `docker://${i.mirror.tag === undefined && i.mirror.digest === undefined ? `${i.mirror.name}:latest` : i.mirror.toString()}`,
    platforms: 'all',
  }));
  return verifyMirror(observations, { contextFor: (registry) => options.contextFor(registry), signal: options.signal, concurrency: options.concurrency });
}
