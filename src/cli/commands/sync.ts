/**
 * `tug sync`: mirror image lists. Reads the job (skopeo sync YAML,
 * image-syncer config, image list, Tugboat sync file, one repository, or a
 * directory of dir: images),
 * discovers, plans, then executes; `--dry-run` stops after the plan.
 */
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { TugError } from '../../errors/index.ts';
import { type DiscoverOptions, discover } from '../../sync/discover.ts';
import { planBatches } from '../../sync/batches.ts';
import { estimatePlan } from '../../sync/estimate.ts';
import { type ExecuteOptions, executeJob, executePlan } from '../../sync/execute.ts';
import { SYNC_FILE_TITLES } from '../../sync/config/readers.ts';
import { syncFailure } from '../../sync/outcome.ts';
import { SyncTally } from '../../sync/tally.ts';
import { syncTarget, syncTargets } from '../../transports/index.ts';
import { assemblePlan } from '../../sync/plan.ts';
import { type GlobalOptions, addTransferFlags, parsePositiveInt } from '../options.ts';
import { addSignatureFlags, imagePolicyFrom } from '../signature-flags.ts';
import { addFormatFlags, conversionFrom, conversionNotices } from '../format-flags.ts';
import { addReferrerFlags, referrerFilter } from '../referrer-flags.ts';
import { SRC_KINDS, jobContexts, loadJob, outputMode, platformChoice } from '../sync-job.ts';
import { commandSignal, platformOverride } from '../runtime.ts';
import { type SyncProgress, createSyncProgress, printPlan, printSummary } from '../sync-output.ts';

/** `--append-suffix`: characters a tag may hold ([A-Za-z0-9_.-]); the whole tag's length is checked per image. */
function parseTagSuffix(value: string): string {
  if (!/^[\w.-]{1,127}$/.test(value)) throw new InvalidArgumentError(`"${value}" cannot end a tag (letters, digits, _ . - only)`);
  return value;
}

export function syncCommand(globals: () => GlobalOptions) {
  const cmd = new Command('sync')
    .description('Synchronize many images: from a sync file, an image list, a whole repository, or a directory of dir: images')
    .argument('<source>', `a sync file (${SYNC_FILE_TITLES}); with --src docker, a repository; with --src dir, a directory of dir: images (as --dest dir writes them)`)
    .argument('[destination]', 'registry prefix (--dest docker) or directory; optional when the file maps destinations')
    .addOption(new Option('-s, --src <kind>', 'what SOURCE is (default: a file, its format detected)').choices(SRC_KINDS))
    .addOption(new Option('-d, --dest <kind>', 'where images go').choices(syncTargets.map((t) => t.name)).default('docker'))
    .option('--image-syncer-auth <file>', 'image-syncer auth file to read with the images file')
    .option('--scoped', 'keep the full source name under the destination (skopeo --scoped)')
    .addOption(new Option('--append-suffix <suffix>', 'append SUFFIX to every destination tag, e.g. -mirror (not to digests or a sync file\'s aliases)').argParser(parseTagSuffix))
    .option('-a, --all', 'copy every platform of multi-arch images')
    .option('--platform <list>', 'copy only these platforms, e.g. linux/amd64,linux/arm64')
    .option('--dry-run', 'print the plan with counts and the bytes that would move; write nothing')
    .option('--verify-existing', 'with --dest dir, oci or registry-dir: hash every blob the destination already has (also of up-to-date images) before trusting it; rewrite bad ones. Any destination: compare up-to-date images\' signatures and referrers by digest, not by tag name')
    .option('--keep-going', 'continue after a failed image; list failures at the end')
    .option('--report <file>', 'write a JSON report of every image')
    .option('--digestfile <file>', 'write "DIGEST REFERENCE" for every image at the destination, one per line (skopeo sync --digestfile)')
    .addOption(new Option('--jobs <n>', 'images copied at once').argParser(parsePositiveInt).default(4))
    .addOption(new Option('--concurrency <n>', 'blobs per image at once').argParser(parsePositiveInt).default(6))
    .addOption(new Option('--registry-concurrency <n>', 'blob transfers into one destination at once, across images').argParser(parsePositiveInt).default(8))
    .option('-q, --quiet', 'print only failures and the summary')
    .option('--json', 'print events as JSON lines');
  return addReferrerFlags(addFormatFlags(addSignatureFlags(addTransferFlags(cmd, 'source registries'), 'sync'))).action(async (sourceArg, destArg, opts) => {
    const g = globals();
    const policy = await imagePolicyFrom(opts, g);
    const started = new Date();
    const signal = commandSignal(g);
    const spec = await loadJob(opts.imageSyncerAuth ? [opts.imageSyncerAuth, sourceArg] : [sourceArg], opts.src);
    const target = syncTarget(opts.dest);
    const location = destArg ?? spec.destination ?? '';
    if (!location && (target.syncScope !== 'registry' || (spec.mappings.length === 0 && !spec.sources.every((s) => s.destination)))) {
      throw new TugError('USAGE', 'no destination given', { hint: 'add DESTINATION (a registry prefix or a directory), or mappings in the sync file' });
    }
    const mode = outputMode(opts);
    const { contextFor, setTransportSink } = jobContexts(spec, opts, mode);
    const override = platformOverride(g);
    const referrers = referrerFilter(opts);
    const conversion = conversionFrom(opts); // conflicting flags are refused before any request
    const verifyExisting = opts.verifyExisting === true;
    const discoverOptions: DiscoverOptions = { destination: { target, location }, scoped: opts.scoped === true, platforms: platformChoice(opts, spec), contextFor, platformOverride: override, signal, referrers, format: conversion.format, verifyExisting, tagSuffix: opts.appendSuffix };

    if (opts.dryRun) {
      const plan = assemblePlan(await discover(spec, discoverOptions), { verifyExisting });
      const estimate = await estimatePlan(plan, { contextFor, platformOverride: override, verifyExisting, policy, conversion, signal });
      printPlan(plan, estimate, mode === 'json');
      if (opts.report) await writeFile(opts.report, `${JSON.stringify({ dryRun: true, counts: plan.counts, bytes: estimate.bytes, items: plan.items }, null, 2)}\n`);
      // An image that cannot be planned (or estimated) would fail the real run: exit as it would.
      const failures = [...plan.items.filter((i) => i.action === 'fail'), ...[...estimate.perItem.values()].filter((e) => e.error !== undefined)];
      if (failures.length > 0) throw syncFailure(failures, plan.items.length, 'dry run: the real run would fail for these images; see the plan above');
      return;
    }

    // A batch of images at a time (src/sync/batches.ts); of each result only what the outputs need is kept.
    const tally = new SyncTally({ digests: opts.digestfile !== undefined, results: opts.report !== undefined });
    const executeOptions: ExecuteOptions = {
      imageConcurrency: opts.jobs,
      blobConcurrency: opts.concurrency,
      storeConcurrency: opts.registryConcurrency,
      keepGoing: opts.keepGoing === true,
      policy,
      verifyExisting,
      referrers,
      contextFor,
      platformOverride: override,
      conversion,
      signal,
    };
    const job = executeJob(executeOptions);
    let progress: SyncProgress | undefined;
    let offset = 0;
    const onEvent = conversionNotices((e) => progress?.onEvent(offset === 0 || e.index < 0 ? e : { ...e, index: e.index + offset }));
    for await (const batch of planBatches(spec, { ...discoverOptions, verifyExisting })) {
      if (!progress) {
        const shown = await createSyncProgress(mode, batch.total);
        setTransportSink((side, event) => shown.onEvent({ type: 'copy', index: -1, event: { type: 'transport', side, event } }));
        progress = shown;
      }
      offset = batch.offset;
      tally.addPlan(batch.plan.counts);
      for (const result of await executePlan(batch.plan, { ...executeOptions, job, onEvent })) tally.add(result);
    }
    progress?.done();
    const failed = tally.failures();
    if (opts.digestfile) await writeFile(opts.digestfile, tally.digestLines!.join(''));
    if (opts.report) {
      const report = { startedAt: started.toISOString(), finishedAt: new Date().toISOString(), counts: tally.planned, failed: failed.length, items: tally.results };
      await writeFile(opts.report, `${JSON.stringify(report, null, 2)}\n`);
    }
    printSummary(tally, Date.now() - started.getTime(), mode);
    if (failed.length > 0) {
      throw syncFailure(
        failed,
        tally.images,
        opts.keepGoing ? 'see the list above; re-run the same command to finish: only what is missing moves' : 'stopped at the first failure; --keep-going continues past failures',
      );
    }
  });
}
