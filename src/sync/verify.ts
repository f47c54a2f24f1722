/**
 * Checking a mirror: every image of a job present at its destination, every
 * requested platform present in it, and optionally every blob present.
 * What the OpenYurt mirroring guide (docs/contract.md) did by hand with `skopeo list-tags` and
 * `skopeo inspect --raw | jq`.
 */
import pLimit from 'p-limit';
import type { SystemContext } from '../context/system-context.ts';
import { TugError, errorText } from '../errors/index.ts';
import { type TopLevel, readConfig, readInstance, readTopLevel } from '../inspect/inspect.ts';
import type { Descriptor, Platform } from '../oci/manifest.ts';
import { blobsOf } from '../oci/manifest.ts';
import { formatPlatform, platformMatches } from '../oci/platform.ts';
import { parseImageName } from '../transports/index.ts';
import type { ImageSource } from '../transports/types.ts';
import { type Observation, registryOf } from './plan.ts';

export interface VerifyOptions {
  /** Platforms every image must have; undefined = whatever the image has. */
  platforms?: Platform[] | undefined;
  /** Also check that every blob of every checked platform is present (HEAD). */
  blobs?: boolean | undefined;
  contextFor: (registry: string, side: 'source' | 'destination') => SystemContext;
  concurrency?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface VerifyResult {
  image: string;
  source: string;
  ok: boolean;
  digest?: string | undefined;
  platforms: string[];
  /** What is missing: the image, platforms, blobs. */
  missing: string[];
  error?: string | undefined;
}

async function platformsOf(source: ImageSource, top: TopLevel, signal: AbortSignal | undefined): Promise<{ platform: Platform | undefined; desc: Descriptor | undefined }[]> {
  if (top.parsed.kind === 'index') return top.parsed.manifest.manifests.map((d) => ({ platform: d.platform, desc: d }));
  if (top.parsed.kind === 'image') {
    // A single image says its platform in its config (artifacts may have none).
    const { config } = await readConfig(source, top.parsed.manifest, signal).catch(() => ({ config: {} as Record<string, string> }));
    const platform = config.os && config.architecture ? { os: String(config.os), architecture: String(config.architecture), ...(config.variant ? { variant: String(config.variant) } : {}) } : undefined;
    return [{ platform, desc: undefined }];
  }
  return [];
}

/** Verifies the destinations of `observations` (from discovery). Never throws for one image. */
export async function verifyMirror(observations: readonly Observation[], options: VerifyOptions): Promise<VerifyResult[]> {
  const limit = pLimit(options.concurrency ?? 8);
  const signal = options.signal;
  return Promise.all(
    observations.map((o) =>
      limit(async (): Promise<VerifyResult> => {
        const result: VerifyResult = { image: o.destination, source: o.source, ok: false, platforms: [], missing: [] };
        // Enumeration could not name this image (its source's tags, or a destination the target refuses).
        if (o.error) {
          result.error = o.error;
          return result;
        }
        let source: ImageSource | undefined;
        try {
          const ref = parseImageName(o.destination);
          source = await ref.newSource(options.contextFor(registryOf(o.destination), 'destination'));
          let top: TopLevel;
          try {
            top = await readTopLevel(source, signal);
          } catch (err) {
            if (err instanceof TugError && (err.code === 'NOT_FOUND' || err.code === 'IO')) {
              result.missing.push('image');
              return result;
            }
            throw err;
          }
          result.digest = top.digest;
          const present = await platformsOf(source, top, signal);
          result.platforms = present.map((p) => formatPlatform(p.platform));
          for (const wanted of options.platforms ?? []) {
            if (!present.some((p) => p.platform && platformMatches(wanted, p.platform))) result.missing.push(`platform ${formatPlatform(wanted)}`);
          }
          if (options.blobs) {
            const checked = options.platforms ? present.filter((p) => options.platforms!.some((w) => p.platform && platformMatches(w, p.platform))) : present;
            const destination = await ref.newDestination(options.contextFor(registryOf(o.destination), 'destination'));
            try {
              for (const p of checked) {
                let manifest;
                if (p.desc) {
                  try {
                    manifest = (await readInstance(source, p.desc, signal)).manifest;
                  } catch {
                    result.missing.push(`manifest ${p.desc.digest} (${formatPlatform(p.platform)})`);
                    continue;
                  }
                } else if (top.parsed.kind === 'image') manifest = top.parsed.manifest;
                if (!manifest) continue;
                for (const blob of blobsOf(manifest)) {
                  if (!(await destination.hasBlob(blob, { signal }))) result.missing.push(`blob ${blob.digest} (${formatPlatform(p.platform)})`);
                }
              }
            } finally {
              await destination.close();
            }
          }
          result.ok = result.missing.length === 0;
        } catch (err) {
          result.error = errorText(err);
        } finally {
          await source?.close();
        }
        return result;
      }),
    ),
  );
}
