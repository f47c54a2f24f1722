/**
 * `tug save`: images and Helm charts (OCI artifacts) into a registry storage
 * tree that a stock `docker-registry` serves as it is, deduplicated; a re-run
 * adds only what is new. sealer's `SaveImages(images, dir, arch)`, with any
 * platform list or all.
 */
import { Command, Option } from '@commander-js/extra-typings';
import { TugError } from '../../errors/index.ts';
import { SYNC_FILE_TITLES } from '../../sync/config/readers.ts';
import { discover } from '../../sync/discover.ts';
import { executePlan } from '../../sync/execute.ts';
import { syncFailure } from '../../sync/outcome.ts';
import { assemblePlan } from '../../sync/plan.ts';
import type { SyncSpec } from '../../sync/spec.ts';
import { syncTarget } from '../../transports/index.ts';
import { type GlobalOptions, addCommonFlags, addRegistryFlags, parsePositiveInt } from '../options.ts';
import { commandSignal, platformOverride } from '../runtime.ts';
import { createSyncProgress, printSummary } from '../sync-output.ts';
import { jobContexts, loadJob, outputMode, platformChoice } from '../sync-job.ts';
import { specFromReference } from '../../sync/from-reference.ts';

export function saveCommand(globals: () => GlobalOptions) {
  const cmd = new Command('save')
    .description('Save images and Helm charts into a registry storage directory that docker-registry serves unchanged')
    .argument('<dir>', 'the storage root (docker-registry\'s storage.filesystem.rootdirectory)')
    .argument('[images...]', 'images to save, in addition to -f')
    .option('-f, --file <list>', SYNC_FILE_TITLES)
    .option('--arch <arch>', 'save only this architecture (linux), e.g. amd64, arm64')
    .option('--platform <list>', 'save only these platforms, e.g. linux/amd64,linux/arm64')
    .option('-a, --all', 'save every platform')
    .option('--scoped', 'keep the registry host in the repository path (docker.io/library/nginx instead of nginx)')
    .option('--keep-going', 'continue after a failed image')
    .addOption(new Option('--jobs <n>', 'images at once').argParser(parsePositiveInt).default(4))
    .option('-q, --quiet', 'print only failures and the summary')
    .option('--json', 'print events as JSON lines');
  return addCommonFlags(addRegistryFlags(cmd, 'src-', 'source registries')).action(async (dir, images, opts) => {
    const g = globals();
    const started = Date.now();
    if (!opts.file && images.length === 0) throw new TugError('USAGE', 'no images to save', { hint: 'give -f images.txt or image names after DIR' });
    if (opts.arch && opts.platform) throw new TugError('USAGE', '--arch conflicts with --platform', { hint: 'use one of them' });
    if (opts.arch) opts.platform = `linux/${opts.arch}`;
    const spec: SyncSpec = opts.file ? await loadJob([opts.file], undefined) : { files: [], format: 'list', sources: [], mappings: [], registries: {} };
    for (const image of images) spec.sources.push(...specFromReference(image.includes(':') || image.includes('@') ? image : `${image}:latest`).sources);
    const mode = outputMode(opts);
    const { contextFor, setTransportSink } = jobContexts(spec, opts, mode);
    const signal = commandSignal(g);
    const override = platformOverride(g);
    const platforms = opts.all || opts.platform ? platformChoice(opts, spec) : spec.platforms ? platformChoice(opts, spec) : 'all';
    const observations = await discover(spec, { destination: { target: syncTarget('registry-dir'), location: dir }, scoped: opts.scoped === true, platforms, contextFor, platformOverride: override, signal });
    const plan = assemblePlan(observations);
    const progress = await createSyncProgress(mode, plan);
    setTransportSink((side, event) => progress.onEvent({ type: 'copy', index: -1, event: { type: 'transport', side, event } }));
    const results = await executePlan(plan, { imageConcurrency: opts.jobs, keepGoing: opts.keepGoing === true, contextFor, platformOverride: override, signal, onEvent: (e) => progress.onEvent(e) });
    progress.done();
    printSummary(results, Date.now() - started, mode);
    const failed = results.filter((r) => r.status === 'failed' || r.status === 'not-run');
    if (failed.length > 0) throw syncFailure(failed, results.length, 're-run the same command: only what is missing moves');
  });
}
