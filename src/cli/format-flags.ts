/**
 * The format and compression flags of `tug copy` and `tug sync`, with
 * skopeo's names and values, and their translation into the engine's
 * ConversionOptions (src/copy/conversion.ts decides what they do).
 */
import { type Command, InvalidArgumentError, Option, type OptionValues } from '@commander-js/extra-typings';
import type { ConversionOptions } from '../copy/conversion.ts';
import type { CopyEvent } from '../copy/events.ts';
import { TugError } from '../errors/index.ts';
import { type ManifestFormat, MANIFEST_FORMATS } from '../oci/convert.ts';
import { shortDigest } from '../reference/digest.ts';
import type { SyncEvent } from '../sync/execute.ts';
import { type NoOptions, type OptionsOf, parseCount } from './options.ts';

/** skopeo's `--format` values; `v2s1` is refused with the reason. */
function parseFormat(value: string): ManifestFormat {
  if ((MANIFEST_FORMATS as readonly string[]).includes(value)) return value as ManifestFormat;
  if (value === 'v2s1') throw new InvalidArgumentError('Tugboat reads Docker schema 1 but does not write it; use oci or v2s2');
  throw new InvalidArgumentError(`expected oci or v2s2, got "${value}"`);
}

/** Adds `-f/--format`, `--preserve-digests` and the `--dest-compress*` group. */
export function addFormatFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .addOption(new Option('-f, --format <format>', 'manifest format to write: oci or v2s2 (default: oci into oci:/oci-archive:, which other tools read only typed OCI; else the source\'s)').argParser(parseFormat))
    .option('--preserve-digests', 'never convert formats nor recompress layers: the digests stay the source\'s (refused with a --format that would change them)')
    .option('--dest-compress', 'compress uncompressed layers (registries and OCI layouts do by default; for dir: and others)')
    .option('--dest-decompress', 'store layers uncompressed')
    .addOption(new Option('--dest-compress-format <algorithm>', 'gzip (default) or zstd; given, layers compressed otherwise are recompressed (zstd writes OCI)').choices(['gzip', 'zstd'] as const))
    .addOption(new Option('--dest-compress-level <n>', 'compression level (gzip 1-9, zstd 1-22)').argParser(parseCount))
    .option('--dest-force-compress-format', 'recompress layers compressed with another algorithm than --dest-compress-format (tug always does once it is given)')
    .option('--dest-oci-accept-uncompressed-layers', 'keep uncompressed layers uncompressed (skopeo: in oci: only; tug: any destination)')
    .option('--dest-precompute-digests', 'accepted: tug always compresses a layer before it uploads it, so a layer the destination has is never sent');
}

export type FormatOptions = OptionsOf<typeof addFormatFlags<[], NoOptions, NoOptions>>;

/** The engine's ConversionOptions from the parsed flags; USAGE for flags that contradict each other. */
export function conversionFrom(opts: FormatOptions): ConversionOptions {
  const modes = [opts.destCompress && '--dest-compress', opts.destDecompress && '--dest-decompress', opts.destOciAcceptUncompressedLayers && '--dest-oci-accept-uncompressed-layers'].filter(Boolean);
  if (modes.length > 1) throw new TugError('USAGE', `${modes.join(' conflicts with ')}`, { hint: 'use one of them' });
  if (opts.destDecompress && opts.destCompressFormat) throw new TugError('USAGE', '--dest-decompress conflicts with --dest-compress-format', { hint: 'use one of them' });
  const layerCompression = opts.destCompress ? 'compress' : opts.destDecompress ? 'decompress' : opts.destOciAcceptUncompressedLayers ? 'preserve' : undefined;
  return {
    format: opts.format,
    preserveDigests: opts.preserveDigests === true,
    layerCompression,
    compressionFormat: opts.destCompressFormat,
    compressionLevel: opts.destCompressLevel,
  };
}

/** The line a person should see for a conversion event (undefined for the others): the new digest, or a notice. */
export function conversionLine(e: CopyEvent): string | undefined {
  if (e.type === 'notice') return `Note: ${e.message}`;
  if (e.type === 'converted') return `Converted ${shortDigest(e.from)} to ${e.format === 'v2s2' ? 'Docker schema 2' : e.format === 'oci' ? 'OCI' : e.mediaType}: ${e.to}`;
  return undefined;
}

/**
 * Wraps a sync's event sink so that a copy's notice (the same for every
 * image of a job) reaches it once, as a transport notice that sync progress
 * prints; other events pass as they are.
 */
export function conversionNotices(sink: (e: SyncEvent) => void): (e: SyncEvent) => void {
  const said = new Set<string>();
  return (e) => {
    if (e.type === 'copy' && e.event.type === 'notice') {
      // The destination's name differs per image: say the rest once.
      const message = e.event.message.replace(/^\S+ keeps/, 'the destination keeps');
      if (said.has(message)) return;
      said.add(message);
      sink({ type: 'copy', index: e.index, event: { type: 'transport', side: 'destination', event: { type: 'notice', message } } });
      return;
    }
    sink(e);
  };
}
