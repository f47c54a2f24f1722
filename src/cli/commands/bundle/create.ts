/** `tug bundle create SOURCE OUT`: a sync job written as a bundle (src/bundle/create.ts). */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Command, Option } from '@commander-js/extra-typings';
import { createBundle } from '../../../bundle/create.ts';
import { parsePartSize } from '../../../bundle/part-size.ts';
import { TugError } from '../../../errors/index.ts';
import { SYNC_FILE_TITLES } from '../../../sync/config/readers.ts';
import { syncFailure } from '../../../sync/outcome.ts';
import { formatBytes } from '../../format.ts';
import { type GlobalOptions, addTransferFlags, parsePositiveInt } from '../../options.ts';
import { addReferrerFlags, referrerFilter } from '../../referrer-flags.ts';
import { commandSignal, platformOverride } from '../../runtime.ts';
import { SRC_KINDS, jobContexts, loadJob, outputMode, platformChoice } from '../../sync-job.ts';
import { createSyncProgress, printSummary } from '../../sync-output.ts';
import { TOOL } from './tool.ts';

/** `--include-tug linux/arm64`: the single-file executable `npm run dist` builds, relative to the repository root. */
function includedTug(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const platform = /^linux\/(amd64|arm64)$/.exec(value);
  if (!platform) {
    if (!existsSync(value)) throw new TugError('USAGE', `--include-tug ${value}: no such file`, { hint: 'give linux/amd64, linux/arm64 or the path of a tug executable' });
    return value;
  }
  const path = fileURLToPath(new URL(`../../../../dist/sea/tug-linux-${platform[1]}`, import.meta.url));
  if (!existsSync(path)) throw new TugError('USAGE', `--include-tug ${value}: ${path} is not built`, { hint: 'run npm run dist first, or give the path of a tug executable' });
  return path;
}

export function bundleCreateCommand(globals: () => GlobalOptions) {
  const cmd = new Command('create')
    .description('Write the images of a sync job into a bundle directory: an OCI layout tar in parts, bundle.json and SHA256SUMS')
    .argument('<source>', `a sync file (${SYNC_FILE_TITLES}); with --src docker, a repository`)
    .argument('<out>', 'the bundle directory to create (must not exist)')
    .addOption(new Option('-s, --src <kind>', 'what SOURCE is (default: a file, its format detected)').choices(SRC_KINDS))
    .option('--history <file>', 'the bundles made so far: the bundle carries only what they did not, and is recorded there (created when missing)')
    .option('--full', 'carry every blob and manifest (a self-contained bundle, parent none); still recorded in --history')
    .option('--max-part-size <size>', 'split the tar into parts of at most SIZE: bytes, 650MiB, 4.7GB, 4GiB, or dvd, fat32, cd')
    .option('--include-tug <platform|file>', 'put a tug executable beside the parts: linux/amd64 or linux/arm64 (built by npm run dist) or a file')
    .option('--scoped', 'keep the full source name as the destination path (skopeo --scoped)')
    .option('-a, --all', 'carry every platform of multi-arch images')
    .option('--platform <list>', 'carry only these platforms, e.g. linux/amd64,linux/arm64')
    .option('--keep-going', 'continue after a failed image and write the bundle without it')
    .option('--report <file>', 'write a JSON report of every image')
    .addOption(new Option('--jobs <n>', 'images read at once').argParser(parsePositiveInt).default(4))
    .addOption(new Option('--concurrency <n>', 'blobs per image at once').argParser(parsePositiveInt).default(6))
    .option('-q, --quiet', 'print only failures and the summary')
    .option('--json', 'print events as JSON lines');
  return addReferrerFlags(addTransferFlags(cmd, 'source registries')).action(async (sourceArg, out, opts) => {
    const g = globals();
    const started = new Date();
    const signal = commandSignal(g);
    const maxPartSize = opts.maxPartSize !== undefined ? parsePartSize(opts.maxPartSize) : undefined;
    const include = includedTug(opts.includeTug);
    const spec = await loadJob([sourceArg], opts.src);
    const mode = outputMode(opts);
    const { contextFor, setTransportSink } = jobContexts(spec, opts, mode);
    let progress: Awaited<ReturnType<typeof createSyncProgress>> | undefined;
    const created = await createBundle(spec, {
      out,
      history: opts.history,
      full: opts.full === true,
      maxPartSize,
      include,
      tool: TOOL,
      scoped: opts.scoped === true,
      platforms: platformChoice(opts, spec),
      contextFor,
      platformOverride: platformOverride(g),
      signal,
      imageConcurrency: opts.jobs,
      blobConcurrency: opts.concurrency,
      keepGoing: opts.keepGoing === true,
      referrers: referrerFilter(opts),
      onPlan: async (plan) => {
        progress = await createSyncProgress(mode, plan);
        setTransportSink((side, event) => progress?.onEvent({ type: 'copy', index: -1, event: { type: 'transport', side, event } }));
      },
      onEvent: (e) => progress?.onEvent(e),
    });
    progress?.done();
    const { bundle, results } = created;
    const failed = results.filter((r) => r.status === 'failed' || r.status === 'not-run');
    if (opts.report) {
      const report = { startedAt: started.toISOString(), finishedAt: new Date().toISOString(), bundle: bundle ? { id: bundle.id, parent: bundle.parent, totals: bundle.totals, parts: bundle.parts } : null, failed: failed.length, items: results };
      await writeFile(opts.report, `${JSON.stringify(report, null, 2)}\n`);
    }
    printSummary(results, Date.now() - started.getTime(), mode);
    if (bundle) {
      const line = `Bundle ${bundle.id} (parent ${bundle.parent ?? 'none'}${bundle.full ? ', full' : ''}) in ${out}: ${bundle.images.length} images added or changed, ${bundle.unchanged} unchanged; carried ${formatBytes(bundle.totals.carriedBytes)} in ${bundle.carried.blobs.length + bundle.carried.manifests.length} blobs, relies on ${bundle.relies.length}; ${bundle.parts?.length ?? 0} part${bundle.parts?.length === 1 ? '' : 's'}, ${formatBytes(created.bytesWritten)} written.`;
      if (mode === 'json') process.stdout.write(`${JSON.stringify({ type: 'bundle', dir: out, id: bundle.id, parent: bundle.parent, full: bundle.full, images: bundle.images.length, unchanged: bundle.unchanged, carriedBytes: bundle.totals.carriedBytes, bytesWritten: created.bytesWritten, parts: bundle.parts })}\n`);
      else process.stdout.write(`${line}\n`);
    }
    if (failed.length > 0) {
      throw syncFailure(failed, results.length, opts.keepGoing ? 'the bundle holds the others; re-run create for the failed images (with --history: only what is missing is carried)' : 'stopped at the first failure; nothing was written (--keep-going writes the others)');
    }
  });
}
