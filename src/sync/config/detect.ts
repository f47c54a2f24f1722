/**
 * Tells a sync file's format from its content, so `tug sync FILE` needs no
 * `--src`: each reader of SYNC_READERS (readers.ts) is asked in turn, from
 * the most to the least specific (Tugboat's `kind: SyncConfig`, skopeo's
 * registries with `images`, image-syncer's maps, then a plain list), and
 * the first that fits wins.
 */
import { Problems, YamlFile, type ConfigText } from './config-file.ts';
import { SYNC_FORMATS, type SyncFormat, type SyncReader } from './readers.ts';

export interface Detection {
  format: SyncFormat;
  /** For formats of several files (image-syncer): which of its files this is. */
  role?: string | undefined;
}

const HINT = `name the format with --src ${SYNC_FORMATS.join('|')}`;

/**
 * Detects the format of one file with `readers` (in order). Throws a
 * {@link SyncConfigError} (code USAGE) naming the file and why each format
 * did not fit; its hint says how to name the format instead.
 */
export function detectWith(readers: readonly { format: SyncFormat; reader: SyncReader }[], input: ConfigText): Detection {
  if (/^\s*$/.test(input.text.replace(/^\s*#.*$/gm, ''))) {
    throw Problems.fail(input.file, 1, 'the file is empty (expected a sync configuration or a list of images)');
  }
  const parsed = YamlFile.tryParse(input);
  const tried: string[] = [];
  for (const { format, reader } of readers) {
    const d = reader.detect({ input, yaml: parsed.yaml, yamlIssue: parsed.issues[0] });
    if (d.fits) return d.role === undefined ? { format } : { format, role: d.role };
    tried.push(`${format}: ${d.why}`);
  }
  throw Problems.fail(input.file, 1, `cannot tell the format of the sync file (tried ${tried.join('; ')})`, { hint: HINT });
}
