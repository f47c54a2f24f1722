/**
 * Tells a sync file's format from its content, so `tug sync FILE` needs no
 * `--src`. The checks go from the most to the least specific:
 *
 * 1. `kind: SyncConfig` (or an `apiVersion: tugboat.dev/...`): Tugboat's file;
 * 2. a mapping of registries whose values have `images`,
 *    `images-by-tag-regex` or `images-by-semver`: skopeo sync YAML;
 * 3. a mapping of `REPO[:TAGS]` to destinations, of hosts to
 *    `{username, password, insecure}`, or with top-level `auth` / `images`:
 *    image-syncer;
 * 4. every non-comment line one image reference: a plain list (also when
 *    only some lines are bad, if most are references and the text is no
 *    YAML mapping: the reader then reports each bad line).
 */
import type { SyncSpec } from '../spec.ts';
import { isEmptyValue, isMap, pairKey, Problems, YamlFile, type ConfigText } from './config-file.ts';
import { scanImageList } from './image-list.ts';
import { imageSyncerRole, type ImageSyncerRole } from './image-syncer.ts';
import { SKOPEO_IMAGE_KEYS } from './skopeo-yaml.ts';
import { isTugboatDocument } from './tugboat-file.ts';

/** The file formats `tug sync` reads (`--src`); `dir` is a directory of images, not a file. */
export type SyncFormat = Exclude<SyncSpec['format'], 'dir'>;

/** Every format, in detection order. */
export const SYNC_FORMATS: readonly SyncFormat[] = ['tugboat', 'skopeo', 'image-syncer', 'list'];

export interface Detection {
  format: SyncFormat;
  /** For image-syncer: which of its files this is. */
  role?: ImageSyncerRole | undefined;
}

const HINT = `name the format with --src ${SYNC_FORMATS.join('|')}`;

/**
 * Detects the format of one file. Throws a {@link SyncConfigError} (code
 * USAGE) naming the file and why each format did not fit; its hint says how
 * to name the format instead.
 */
export function detectFormat(input: ConfigText): Detection {
  if (/^\s*$/.test(input.text.replace(/^\s*#.*$/gm, ''))) {
    throw Problems.fail(input.file, 1, 'the file is empty (expected a sync configuration or a list of images)');
  }
  const tried: string[] = [];
  const parsed = YamlFile.tryParse(input);
  const yaml = parsed.yaml;
  const root = yaml?.root;
  if (yaml && isMap(root)) {
    if (isTugboatDocument(yaml)) return { format: 'tugboat' };
    tried.push('tugboat: no "kind: SyncConfig"');
    const skopeo = root.items.some((p) => {
      const v = yaml.resolve(p.value);
      return isMap(v) && v.items.some((q) => (SKOPEO_IMAGE_KEYS as readonly string[]).includes(pairKey(yaml, q) ?? ''));
    });
    if (skopeo && root.items.every((p) => isMap(yaml.resolve(p.value)) || isEmptyValue(p.value))) return { format: 'skopeo' };
    tried.push(`skopeo: no registry with ${SKOPEO_IMAGE_KEYS.join(', ')}`);
    const role = imageSyncerRole(yaml);
    if (role) return { format: 'image-syncer', role };
    tried.push('image-syncer: not a mapping of "REPO[:TAGS]" to destinations, nor of hosts to {username, password}');
  } else {
    tried.push(yaml ? 'tugboat, skopeo, image-syncer: not a YAML/JSON mapping' : `tugboat, skopeo, image-syncer: not YAML/JSON (line ${parsed.issues[0]?.line ?? 1}: ${parsed.issues[0]?.message ?? 'syntax error'})`);
  }
  const list = scanImageList(input);
  if (list.issues.length === 0) return { format: 'list' };
  // Mostly references: a list with a few bad lines, which the reader reports line by line.
  if (!isMap(root) && list.sources.length >= list.issues.length) return { format: 'list' };
  const first = list.issues[0];
  tried.push(`list: line ${first?.line ?? 1}: ${first?.message ?? 'not one image per line'}`);
  throw Problems.fail(input.file, 1, `cannot tell the format of the sync file (tried ${tried.join('; ')})`, { hint: HINT });
}
