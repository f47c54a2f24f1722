/**
 * `spec.importMode` and `spec.platforms` (seed 004, OpenShift's image import
 * modes), as a pure choice over the platforms a sync described: what the
 * mirror receives, and which platform `status.manifest` shows.
 *
 * - `PreserveOriginal` (the default here; OpenShift's is Legacy): the index
 *   and every platform, or with `spec.platforms` an index cut to those
 *   (each must be there: a platform that is not fails the sync naming what is).
 * - `Legacy`: the index is dropped and one image is kept, picked in seed
 *   004's order with Tugboat's equivalents: (1) the tag's annotation ->
 *   the first of `spec.platforms` the index has; (2) the control plane's
 *   architecture -> the platform `tug serve` runs on; (3) linux/amd64;
 *   (4) the first image of the index.
 *
 * Edge clusters are multi-arch, which is why PreserveOriginal is the
 * default: a mirror that silently keeps only amd64 breaks arm64 nodes.
 */
import type { ImportMode, ManifestInfo, RepositorySpec } from '../api/types.ts';
import type { MultiArchMode } from '../copy/select.ts';
import { TugError } from '../errors/index.ts';
import type { Platform } from '../oci/manifest.ts';
import { formatPlatform, parsePlatform, platformMatches } from '../oci/platform.ts';

export const DEFAULT_IMPORT_MODE: ImportMode = 'PreserveOriginal';

/** How the mirror copy runs (copyImage's options) and what it holds. */
export interface MirrorSelection {
  multiArch: MultiArchMode;
  /** PreserveOriginal with spec.platforms: the instances kept. */
  platforms?: Platform[];
  /** Legacy: the one platform copied (as the engine's `system` platform). */
  platformOverride?: { os: string; arch: string; variant?: string | undefined };
  /** The platform status.manifest shows (Legacy: the one picked). */
  shown: ManifestInfo | undefined;
  /** What the mirror holds, `os/arch[/variant]`. */
  holds: string[];
  /** One line for the run's log. */
  describe: string;
}

const platformOf = (m: ManifestInfo): Platform => ({ os: m.os ?? 'unknown', architecture: m.architecture ?? 'unknown', ...(m.variant ? { variant: m.variant } : {}) });

/**
 * Decides from `described` (every platform of the tag, one for a single
 * image) and `host` (the platform the server runs on).
 * @throws TugError NOT_FOUND when spec.platforms names a platform the image does not have (PreserveOriginal).
 */
export function mirrorSelection(spec: Pick<RepositorySpec, 'importMode' | 'platforms'>, described: ManifestInfo[], isIndex: boolean, host: Platform): MirrorSelection {
  const mode = spec.importMode ?? DEFAULT_IMPORT_MODE;
  const wanted = (spec.platforms ?? []).map(parsePlatform);
  const available = () => described.map((m) => formatPlatform(platformOf(m))).join(', ') || 'none';
  const all = described.map((m) => formatPlatform(platformOf(m)));
  const amd64 = described.find((m) => m.os === 'linux' && m.architecture === 'amd64');
  if (!isIndex) {
    // One image: nothing to choose; spec.platforms still says what the cluster needs.
    const only = described[0];
    if (only && wanted.length > 0 && mode === 'PreserveOriginal' && !wanted.every((w) => platformMatches(w, platformOf(only)))) {
      throw new TugError('NOT_FOUND', `spec.platforms asks for ${wanted.map(formatPlatform).join(', ')} but the tag is a single ${available()} image`, {
        hint: 'remove the platforms the image does not have from spec.platforms',
      });
    }
    return { multiArch: 'system', shown: only, holds: all, describe: `single image (${available()})` };
  }
  if (mode === 'Legacy') {
    const steps: [string, ManifestInfo | undefined][] = [
      ['spec.platforms', wanted.map((w) => described.find((m) => platformMatches(w, platformOf(m)))).find((m) => m !== undefined)],
      ['the server\'s platform', described.find((m) => platformMatches(host, platformOf(m)))],
      ['linux/amd64', amd64],
      ['the first image of the index', described[0]],
    ];
    const [why, picked] = steps.find(([, m]) => m !== undefined) ?? ['', undefined];
    if (!picked) throw new TugError('NOT_FOUND', 'the index holds no image to import (Legacy import mode)');
    const p = platformOf(picked);
    return {
      multiArch: 'system',
      platformOverride: { os: p.os, arch: p.architecture, variant: p.variant },
      shown: picked,
      holds: [formatPlatform(p)],
      describe: `Legacy: ${formatPlatform(p)} only (picked by ${why}; the index had ${available()})`,
    };
  }
  if (wanted.length > 0) {
    const missing = wanted.filter((w) => !described.some((m) => platformMatches(w, platformOf(m))));
    if (missing.length > 0) {
      throw new TugError('NOT_FOUND', `spec.platforms names ${missing.map(formatPlatform).join(', ')}, which the index does not have (available: ${available()})`, {
        hint: 'remove it from spec.platforms, or leave spec.platforms out to mirror every platform',
      });
    }
    const kept = described.filter((m) => wanted.some((w) => platformMatches(w, platformOf(m))));
    return {
      multiArch: 'all',
      platforms: wanted,
      shown: kept.find((m) => m === amd64) ?? kept[0],
      holds: kept.map((m) => formatPlatform(platformOf(m))),
      describe: `PreserveOriginal: the index cut to ${kept.map((m) => formatPlatform(platformOf(m))).join(', ')} (of ${available()})`,
    };
  }
  return { multiArch: 'all', shown: amd64 ?? described[0], holds: all, describe: `PreserveOriginal: the index with every platform (${available()})` };
}
