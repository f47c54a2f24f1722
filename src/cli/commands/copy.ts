/** `tug copy SOURCE DESTINATION`: skopeo copy's flags, plus --platform, --dry-run, --json. */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from '@commander-js/extra-typings';
import { copyImage } from '../../copy/copy.ts';
import { TugError } from '../../errors/index.ts';
import { parsePlatformList } from '../../oci/platform.ts';
import { loadImageName } from '../../transports/table.ts';
import { formatBytes, formatElapsed } from '../format.ts';
import { type GlobalOptions, addTransferFlags, contextFrom, parsePositiveInt } from '../options.ts';
import { addDaemonHostFlag, daemonContext } from '../daemon-flags.ts';
import { addSignatureFlags, imagePolicyFrom } from '../signature-flags.ts';
import { addReferrerFlags, referrerFilter, referrerSummary } from '../referrer-flags.ts';
import { addFormatFlags, conversionFrom, conversionLine } from '../format-flags.ts';
import { createProgress, progressMode } from '../progress.ts';
import { commandSignal, platformOverride } from '../runtime.ts';
import { preferNodeHttp } from '../../distribution/node-http.ts';

/** The destinations whose images carry a list of names (RepoTags), so skopeo's `--additional-tag` means something there. */
const ADDITIONAL_TAG_TRANSPORTS: ReadonlySet<string> = new Set(['docker-archive', 'docker-daemon']);

export function copyCommand(globals: () => GlobalOptions) {
  const cmd = new Command('copy')
    .description('Copy an image from one location to another')
    .argument('<source>', 'source image, e.g. docker://nginx:1.27, oci:/path:ref')
    .argument('<destination>', 'destination image, e.g. docker://registry.example.com/library/nginx:1.27')
    .option('-a, --all', 'copy the whole index and every platform (same as --multi-arch all)')
    .addOption(new Option('--multi-arch <mode>', 'for an index: system (this platform), all, or index-only').choices(['system', 'all', 'index-only']))
    .option('--platform <list>', 'copy only these platforms of an index, e.g. linux/amd64,linux/arm64 (writes a new index: its digest differs)')
    .addOption(new Option('--concurrency <n>', 'blobs copied at once').argParser(parsePositiveInt).default(6))
    .addOption(new Option('--image-parallel-copies <n>', 'the same as --concurrency (skopeo\'s name)').argParser(parsePositiveInt))
    .option('--dry-run', 'resolve everything and print what would be copied; write nothing')
    .option('--verify-existing', 'hash the blobs a dir:, oci: or registry-dir: destination already has before trusting them; rewrite bad ones')
    .option('--digestfile <path>', 'write the digest of the copied manifest to this file')
    .addOption(new Option('--additional-tag <name:tag>', 'also tag the image NAME:TAG in a docker-archive: or docker-daemon: destination (repeatable)').argParser((v: string, previous: string[] | undefined) => [...(previous ?? []), v]))
    .option('-q, --quiet', 'print nothing but errors')
    .option('--json', 'print events and the result as JSON lines on stdout');
  return addFormatFlags(addSignatureFlags(addReferrerFlags(addDaemonHostFlag(addDaemonHostFlag(addTransferFlags(cmd, 'the source registry'), 'src-'), 'dest-')), 'copy')).action(async (sourceName, destName, opts) => {
    // One image, a few dozen requests at most: node:http, without undici's start-up (distribution/node-http.ts).
    preferNodeHttp();
    const source = await loadImageName(sourceName);
    const destination = await loadImageName(destName);
    if (opts.all && opts.multiArch && opts.multiArch !== 'all') {
      throw new TugError('USAGE', `--all conflicts with --multi-arch ${opts.multiArch}`, { hint: 'use one of them' });
    }
    const multiArch = (opts.all ? 'all' : opts.multiArch) ?? 'system';
    const platforms = opts.platform ? parsePlatformList(opts.platform) : undefined;
    const g = globals();
    const policy = await imagePolicyFrom(opts, g);
    const sourceContext = contextFrom(opts, 'src-', daemonContext(opts, 'src-'));
    const additionalTags = opts.additionalTag;
    if (additionalTags && !ADDITIONAL_TAG_TRANSPORTS.has(destination.transport.name)) {
      throw new TugError('USAGE', `--additional-tag applies to docker-archive: and docker-daemon: destinations, not ${destination.transport.name}:`, {
        hint: 'copy again to the other name (for a registry: tug copy SOURCE docker://NAME:TAG)',
      });
    }
    const destinationContext = contextFrom(opts, 'dest-', { ...daemonContext(opts, 'dest-'), additionalTags });
    const progress = await createProgress(progressMode(opts), { sides: { source: sourceContext, destination: destinationContext } });
    const started = Date.now();
    try {
      const result = await copyImage(source, destination, {
        sourceContext,
        destinationContext,
        multiArch,
        platforms,
        platformOverride: platformOverride(g),
        concurrency: opts.imageParallelCopies ?? opts.concurrency,
        dryRun: opts.dryRun === true,
        verifyExisting: opts.verifyExisting === true,
        referrers: referrerFilter(opts),
        policy,
        ...conversionFrom(opts),
        signal: commandSignal(g),
        onEvent: (e) => {
          progress.onEvent(e);
          const line = opts.json ? undefined : conversionLine(e);
          if (line) progress.line(line);
        },
      });
      progress.done();
      if (opts.digestfile && !result.dryRun) await writeFile(opts.digestfile, result.digest);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
      } else if (!opts.quiet) {
        const b = result.blobs;
        const lines = result.dryRun
          ? [
              `Dry run: would copy ${source.toString()} -> ${destination.toString()}`,
              `  manifest ${result.digest} (${result.mediaType})${result.instances.length ? `, ${result.instances.length} platform(s)` : ''}`,
              `  blobs: ${b.total} in all, ${b.copied} to copy (${formatBytes(b.bytesCopied)}), ${b.skipped} already there`,
            ]
          : [
              `Copied ${source.toString()} -> ${destination.toString()} in ${formatElapsed(Date.now() - started)}`,
              `  digest ${result.digest}${result.digest === result.sourceDigest ? ' (identical to the source)' : ''}`,
              `  blobs: ${b.copied} copied (${formatBytes(b.bytesCopied)}), ${b.skipped} skipped, ${b.mounted} mounted${opts.verifyExisting ? `, ${b.rewritten} rewritten (stored with wrong bytes)` : ''}`,
            ];
        lines.push(...referrerSummary(result));
        if (result.convertedFrom) lines.push(`  note: converted for the destination (${result.mediaType}); before conversion the digest was ${result.convertedFrom}`);
        if (result.rewrittenFrom) lines.push(`  note: the filtered index has a new digest; the source index was ${result.rewrittenFrom}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      }
    } catch (err) {
      progress.done();
      throw err;
    }
  });
}
